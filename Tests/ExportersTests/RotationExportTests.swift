import Foundation
import Testing
import TestSupport
@testable import Exporters
import Formats
import Models
import Quantization
import Tensors

/// A rotated model's Quark export: the rotated weights are ordinary weights, so the directory must
/// say the embeddings are no longer tied, carry its own lm_head, and reload to the same model.
struct RotationExportTests {
    /// amd-quark 0.13's `RotationConfig` fields (quark/torch/quantization/config/config.py): Quark
    /// builds the entry with `RotationConfig(**entry)`, so a key outside this list fails its loader.
    static let quarkRotationFields: Set<String> = [
        "scaling_layers", "name", "r1", "r2", "r3", "r4", "rotation_size", "random_r1", "random_r2", "backbone",
        "model_decoder_layers", "v_proj", "o_proj", "self_attn", "mlp", "online_r1_rotation", "online_config",
        "trainable", "train_smooth", "smooth_positions"]

    @Test func rotatedExportReloadsToTheSameModel() throws {
        let configuration = TinyModelFactory.configuration(tied: true)
        let model = try LlamaModel(configuration: configuration, weights: DictionaryWeightSource(TinyModelFactory.weights(for: configuration)))
        let config = QuantConfig(global: LayerQuantSpec(weight: QuantSpec(format: .int8), input: QuantSpec(format: .int8)),
                                 algorithms: [.rotation, .smoothquant, .rtn])
        let calibration = [[1, 5, 9, 3, 7, 11, 2, 8], [4, 4, 19, 0, 13, 6, 15, 10]]
        let quantized = try ModelQuantizer(config: config).quantize(model, calibration: calibration)
        let output = FileManager.default.temporaryDirectory.appendingPathComponent("quantkit-rotation-\(getpid())")
        defer { try? FileManager.default.removeItem(at: output) }
        let exporter = QuarkExporter(quantized: quantized, baseConfig: configuration.hfConfigJSON(bosTokenId: 0, eosTokenId: 1, dtype: "float32")) { directory in
            for (file, object) in try TokenizerFiles.files(for: HFDirectoryExporterTests.vocabulary, source: "test") {
                try JSONSerialization.data(withJSONObject: object).write(to: directory.appendingPathComponent(file))
            }
        }
        try exporter.export(to: output)

        let json = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: output.appendingPathComponent("config.json"))) as? [String: Any])
        #expect(json["tie_word_embeddings"] as? Bool == false)
        let algorithms = try #require((json["quantization_config"] as? [String: Any])?["algo_config"] as? [[String: Any]])
        #expect(algorithms.compactMap { $0["name"] as? String } == ["rotation", "smooth"])
        #expect(Set(algorithms[0].keys).isSubset(of: Self.quarkRotationFields))
        // Nothing is left to apply at run time: no online rotation for Quark's loader to install.
        #expect(algorithms[0]["r4"] as? Bool == false && algorithms[0]["online_r1_rotation"] as? Bool == false)
        let tensors = try SafetensorsFile(url: output.appendingPathComponent("model.safetensors"))
        #expect(tensors.entry(named: "lm_head.weight") != nil)

        let loaded = try AnyModelLoader.load(output.path)
        #expect(!loaded.model.configuration.tiedEmbeddings)
        let tokens = [3, 7, 1, 12, 19, 0, 5]
        let expected = try quantized.model.forward(tokens: tokens, cache: quantized.model.makeCache()).floats()
        let actual = try loaded.model.forward(tokens: tokens, cache: loaded.model.makeCache()).floats()
        #expect(actual == expected)
    }

    /// The online R4 has no place in a Quark export (transformers would not rotate down_proj's
    /// input): the exporter refuses it, naming the flag, before writing anything.
    @Test func onlineDownRotationIsNotExported() throws {
        let model = try TinyModelFactory.model()
        var config = QuantConfig(global: LayerQuantSpec(weight: QuantSpec(format: .int8)), algorithms: [.rotation, .rtn])
        config.rotation.onlineDown = true
        let quantized = try ModelQuantizer(config: config).quantize(model, calibration: [])
        let output = FileManager.default.temporaryDirectory.appendingPathComponent("quantkit-rotation-r4-\(getpid())")
        defer { try? FileManager.default.removeItem(at: output) }
        let exporter = QuarkExporter(quantized: quantized, baseConfig: model.configuration.hfConfigJSON(bosTokenId: 0, eosTokenId: 1, dtype: "float32")) { _ in }
        #expect(throws: QuantizationError.self) { try exporter.export(to: output) }
        do { try exporter.export(to: output) } catch { #expect("\(error)".contains("--rotation-online-down")) }
        #expect(!FileManager.default.fileExists(atPath: output.path))
    }
}
