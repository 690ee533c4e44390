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

    @Test func recipesAskingForMissingAlgorithmsAreRefused() throws {
        let model = try TinyModelFactory.model()
        let config = QuantConfig(global: LayerQuantSpec(weight: QuantSpec(format: .int8)), algorithms: [.smoothquant, .rtn])
        #expect(throws: QuantizationError.unsupported(feature: "the smoothquant algorithm (not implemented yet; rtn and gptq are)", source: "quantize")) {
            try ModelQuantizer(config: config).quantize(model, calibration: [[1, 2, 3]])
        }
        let group = QuantConfig(global: LayerQuantSpec(weight: QuantSpec(format: .int4, granularity: .perGroup(size: 64))))
        #expect(throws: QuantizationError.groupSizeDoesNotDivide(inFeatures: 16, groupSize: 64, layer: "model.layers.0.self_attn.q_proj")) {
            try ModelQuantizer(config: group).quantize(model, calibration: [])
        }
    }
}
