import Foundation
import Testing
import TestSupport
@testable import Exporters
import Models
import Quantization
import Tensors

/// GPTQ driven over a whole model: true-sequential per layer, reported per linear, exported and read
/// back like any other Quark checkpoint.
struct GPTQModelTests {
    static let calibration = [[1, 5, 9, 3, 7, 11, 2, 8, 14, 6, 0, 19], [4, 4, 19, 0, 13, 6, 15, 10, 2, 2, 17, 8]]
    static let spec = LayerQuantSpec(weight: QuantSpec(format: .int4, granularity: .perGroup(size: 8)))

    @Test func gptqBeatsRoundToNearestOnItsCalibrationInputs() throws {
        let model = try TinyModelFactory.model()
        let rtn = try ModelQuantizer(config: QuantConfig(global: Self.spec)).quantize(model, calibration: Self.calibration, errorWindows: 2)
        let gptq = try ModelQuantizer(config: QuantConfig(global: Self.spec, algorithms: [.gptq]))
            .quantize(model, calibration: Self.calibration, errorWindows: 2)
        #expect(gptq.report.map(\.name) == rtn.report.map(\.name))
        // Layer 0's q/k/v read the embeddings' norm in both runs, so their output errors compare directly.
        for name in ["q_proj", "k_proj", "v_proj"] {
            let full = "model.layers.0.self_attn.\(name)"
            let ours = try #require(gptq.report.first { $0.name == full }?.outputError)
            let plain = try #require(rtn.report.first { $0.name == full }?.outputError)
            #expect(ours < plain, "\(full): GPTQ \(ours) vs RTN \(plain)")
        }
        for row in gptq.report {
            #expect(row.gptqLoss != nil && row.dampingFraction == 0.01, "\(row.name)")
        }
        #expect(rtn.report.allSatisfy { $0.gptqLoss == nil })
        // The weights differ from RTN's (GPTQ moved rounding decisions) but stay on the same grid size.
        #expect(gptq.linears.map(\.weight?.codes) != rtn.linears.map(\.weight?.codes))
    }

    @Test func exportReloadsToTheSameModel() throws {
        let configuration = TinyModelFactory.configuration(tied: false)
        let model = try LlamaModel(configuration: configuration, weights: DictionaryWeightSource(TinyModelFactory.weights(for: configuration)))
        let quantized = try ModelQuantizer(config: QuantConfig(global: Self.spec, algorithms: [.gptq])).quantize(model, calibration: Self.calibration)
        let output = FileManager.default.temporaryDirectory.appendingPathComponent("quantkit-gptq-\(getpid())")
        defer { try? FileManager.default.removeItem(at: output) }
        let exporter = QuarkExporter(quantized: quantized, baseConfig: configuration.hfConfigJSON(bosTokenId: 0, eosTokenId: 1, dtype: "float32")) { directory in
            for (file, object) in try TokenizerFiles.files(for: HFDirectoryExporterTests.vocabulary, source: "test") {
                try JSONSerialization.data(withJSONObject: object).write(to: directory.appendingPathComponent(file))
            }
        }
        try exporter.export(to: output)
        let loaded = try AnyModelLoader.load(output.path)
        let tokens = [3, 7, 1, 12, 19, 0, 5]
        #expect(try loaded.model.forward(tokens: tokens, cache: loaded.model.makeCache()).floats()
                == quantized.model.forward(tokens: tokens, cache: quantized.model.makeCache()).floats())
        let config = try #require(JSONSerialization.jsonObject(with: Data(contentsOf: output.appendingPathComponent("config.json"))) as? [String: Any])
        let algorithms = (config["quantization_config"] as? [String: Any])?["algo_config"] as? [[String: Any]]
        #expect(algorithms?.map { $0["name"] as? String } == ["gptq"])
    }

    @Test func gptqWithRoundToNearestIsRefused() throws {
        let model = try TinyModelFactory.model()
        #expect(throws: QuantizationError.self) {
            try ModelQuantizer(config: QuantConfig(global: Self.spec, algorithms: [.rtn, .gptq])).quantize(model, calibration: Self.calibration)
        }
    }
}
