import Foundation
import Testing
import TestSupport
@testable import Exporters
import Formats
import Models
import Quantization
import Tensors
import Tokenizers

/// Quantize a tiny model, export it in the Quark format, read the directory back: the loaded model
/// computes exactly what the in-memory quantized model computed (weights dequantized from the
/// packed codes, activation and KV quantizers rebuilt from the stored scales).
struct QuarkRoundTripTests {
    static let cases: [(String, LayerQuantSpec, QuantSpec?)] = [
        ("uint4 g8", LayerQuantSpec(weight: QuantSpec(format: .uint4, granularity: .perGroup(size: 8), symmetric: false)), nil),
        ("int4 g8", LayerQuantSpec(weight: QuantSpec(format: .int4, granularity: .perGroup(size: 8))), nil),
        ("int8 static", LayerQuantSpec(weight: QuantSpec(format: .int8), input: QuantSpec(format: .int8)), nil),
        ("int8 per-channel, uint8 asym static", LayerQuantSpec(weight: QuantSpec(format: .int8, granularity: .perChannel),
                                                               input: QuantSpec(format: .uint8, symmetric: false)), nil),
        ("fp8 + fp8 KV", LayerQuantSpec(weight: QuantSpec(format: .fp8E4M3), input: QuantSpec(format: .fp8E4M3)),
         QuantSpec(format: .fp8E4M3, scaleTypeUnset: true)),
        ("fp8, dynamic per-tensor (no calibration)", LayerQuantSpec(weight: QuantSpec(format: .fp8E4M3),
                                                                  input: QuantSpec(format: .fp8E4M3, isDynamic: true)), nil),
        ("fp8 per-channel, dynamic per-token", LayerQuantSpec(weight: QuantSpec(format: .fp8E4M3, granularity: .perChannel),
                                                              input: QuantSpec(format: .fp8E4M3, granularity: .perChannel, isDynamic: true)), nil),
        ("int8 percentile weights and static inputs", LayerQuantSpec(weight: QuantSpec(format: .int8, observer: .percentile),
                                                                     input: QuantSpec(format: .int8, observer: .percentile)), nil),
        ("int8 MSE weights, fp8 MSE static inputs", LayerQuantSpec(weight: QuantSpec(format: .int8, observer: .mse),
                                                                   input: QuantSpec(format: .fp8E4M3, observer: .mse)), nil),
        ("power-of-two int8 per-channel MSE weights, uint8 symmetric static inputs (zero point 128)",
         LayerQuantSpec(weight: QuantSpec(format: .int8, granularity: .perChannel, scaleType: .powerOfTwo, observer: .powerOfTwoMSE),
                        input: QuantSpec(format: .uint8, scaleType: .powerOfTwo, observer: .powerOfTwoMinMax)), nil),
        ("power-of-two uint8 asymmetric weights and static inputs",
         LayerQuantSpec(weight: QuantSpec(format: .uint8, symmetric: false, scaleType: .powerOfTwo, observer: .powerOfTwoMinMax),
                        input: QuantSpec(format: .uint8, symmetric: false, scaleType: .powerOfTwo, observer: .powerOfTwoMSE)), nil),
    ]

    @Test(arguments: cases.indices)
    func exportReloadsToTheSameModel(index: Int) throws {
        let (name, layer, kvCache) = Self.cases[index]
        let configuration = TinyModelFactory.configuration(tied: index % 2 == 0)
        let model = try LlamaModel(configuration: configuration, weights: DictionaryWeightSource(TinyModelFactory.weights(for: configuration)))
        let config = QuantConfig(global: layer, kvCache: kvCache)
        let calibration = [[1, 5, 9, 3, 7, 11, 2, 8], [4, 4, 19, 0, 13, 6, 15, 10]]
        let quantized = try ModelQuantizer(config: config).quantize(model, calibration: calibration)
        let output = FileManager.default.temporaryDirectory.appendingPathComponent("quantkit-quark-\(getpid())-\(index)")
        defer { try? FileManager.default.removeItem(at: output) }
        let vocabulary = HFDirectoryExporterTests.vocabulary
        let exporter = QuarkExporter(quantized: quantized, baseConfig: configuration.hfConfigJSON(bosTokenId: 0, eosTokenId: 1, dtype: "float32")) { directory in
            for (file, object) in try TokenizerFiles.files(for: vocabulary, source: "test") {
                try JSONSerialization.data(withJSONObject: object).write(to: directory.appendingPathComponent(file))
            }
        }
        try exporter.export(to: output)
        let loaded = try AnyModelLoader.load(output.path)
        let tokens = [3, 7, 1, 12, 19, 0, 5]
        let expected = try quantized.model.forward(tokens: tokens, cache: quantized.model.makeCache()).floats()
        let actual = try loaded.model.forward(tokens: tokens, cache: loaded.model.makeCache()).floats()
        #expect(actual == expected, "\(name): the reloaded export computes differently")
        // And quantization changed something (the check could not pass with the float model).
        let float = try model.forward(tokens: tokens, cache: model.makeCache()).floats()
        #expect(float != expected, "\(name): quantization changed nothing")
    }

    /// amd-quark 0.13 cannot export MXINT8 ("Unsupported MX element dtype: int8"): QuantKit runs it as
    /// fake quantization and refuses the export up front, naming the format and the MX formats that export.
    @Test func mxint8ExportIsRefusedBeforeQuantizing() throws {
        let config = QuantConfig(global: LayerQuantSpec(weight: .mx(.int8), input: .mx(.int8)))
        #expect(throws: QuantizationError.self) { try QuarkExporter.checkExportable(config, layerCount: 2) }
        do { try QuarkExporter.checkExportable(config, layerCount: 2) } catch {
            let message = "\(error)"
            #expect(message.hasPrefix("model.layers.0.self_attn.q_proj: exporting MXINT8 weights in the Quark format"))
            #expect(message.contains("mxfp4") && message.contains("not supported"))
        }
        // It still quantizes (fake quantization changes the model's output); the tiny model's 16 input
        // features take blocks of 8.
        let model = try TinyModelFactory.model()
        let blocks = QuantSpec(format: .int8, granularity: .perGroup(size: 8), scaleType: .e8m0)
        let quantized = try ModelQuantizer(config: QuantConfig(global: LayerQuantSpec(weight: blocks, input: blocks)))
            .quantize(model, calibration: [])
        let tokens = [3, 7, 1, 12]
        #expect(try quantized.model.forward(tokens: tokens, cache: quantized.model.makeCache()).floats()
                != model.forward(tokens: tokens, cache: model.makeCache()).floats())
    }

    @Test func contradictoryRecipesAreRefused() throws {
        let model = try TinyModelFactory.model()
        let both = QuantConfig(global: LayerQuantSpec(weight: QuantSpec(format: .int8)), algorithms: [.smoothquant, .autosmoothquant, .rtn])
        #expect(throws: QuantizationError.self) { try ModelQuantizer(config: both).quantize(model, calibration: [[1, 2, 3]]) }
        let group = QuantConfig(global: LayerQuantSpec(weight: QuantSpec(format: .int4, granularity: .perGroup(size: 64))))
        #expect(throws: QuantizationError.groupSizeDoesNotDivide(inFeatures: 16, groupSize: 64, layer: "model.layers.0.self_attn.q_proj")) {
            try ModelQuantizer(config: group).quantize(model, calibration: [])
        }
    }
}
