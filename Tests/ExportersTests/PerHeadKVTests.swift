import Foundation
import Testing
import TestSupport
@testable import Exporters
@testable import Models
import Quantization
import Tensors

/// int8 KV cache with one scale per KV head, shared by k_proj and v_proj like the per-tensor scale.
struct PerHeadKVTests {
    static let calibration = [[1, 5, 9, 3, 7, 11, 2, 8], [4, 4, 19, 0, 13, 6, 15, 10]]

    @Test func scalesArePerHeadMaximaOfKeysAndValues() throws {
        let model = try TinyModelFactory.model()
        let configuration = model.configuration
        let headDimension = configuration.headDimension
        let kv = QuantSpec(format: .int8, granularity: .perGroup(size: headDimension), scaleTypeUnset: true)
        let quantized = try ModelQuantizer(config: QuantConfig(global: LayerQuantSpec(weight: QuantSpec(format: .int8)), kvCache: kv))
            .quantize(model, calibration: Self.calibration)
        // Layer 0's k/v outputs on the float inputs, computed here: |max| per head over both, / 127.5.
        let layer = model.layers[0]
        var amax = [Float](repeating: 0, count: configuration.keyValueHeadCount)
        for window in Self.calibration {
            let normed = LlamaLayer.rmsNorm(try model.embed(window), weight: layer.inputNorm, epsilon: configuration.rmsNormEpsilon)
            for projection in [layer.keyProjection, layer.valueProjection] {
                let output = projection(normed).floats()
                for (i, value) in output.enumerated() {
                    let head = (i % (configuration.keyValueHeadCount * headDimension)) / headDimension
                    amax[head] = max(amax[head], abs(value))
                }
            }
        }
        let key = try #require(quantized.linears.first { $0.name == "model.layers.0.self_attn.k_proj" }?.outputParameters)
        let value = try #require(quantized.linears.first { $0.name == "model.layers.0.self_attn.v_proj" }?.outputParameters)
        #expect(key.scales.count == configuration.keyValueHeadCount && key.scales == value.scales)
        for (scale, expected) in zip(key.scales, amax.map { $0 / 127.5 }) {
            #expect(abs(scale - expected) <= 1e-6 * expected, "\(scale) vs \(expected)")
        }
        // It changes the forward, unlike an unquantized cache, and differs from one scale per layer.
        let perTensor = try ModelQuantizer(config: QuantConfig(global: LayerQuantSpec(weight: QuantSpec(format: .int8)),
                                                               kvCache: QuantSpec(format: .int8, scaleTypeUnset: true)))
            .quantize(model, calibration: Self.calibration)
        let tokens = [3, 7, 1, 12, 19, 0, 5]
        #expect(try quantized.model.forward(tokens: tokens, cache: quantized.model.makeCache()).floats()
                != perTensor.model.forward(tokens: tokens, cache: perTensor.model.makeCache()).floats())
    }

    @Test func theQuarkFormatRefusesPerHeadScales() throws {
        let model = try TinyModelFactory.model()
        let kv = QuantSpec(format: .int8, granularity: .perGroup(size: model.configuration.headDimension), scaleTypeUnset: true)
        let quantized = try ModelQuantizer(config: QuantConfig(global: LayerQuantSpec(weight: QuantSpec(format: .int8)), kvCache: kv))
            .quantize(model, calibration: Self.calibration)
        let output = FileManager.default.temporaryDirectory.appendingPathComponent("quantkit-perhead-\(getpid())")
        defer { try? FileManager.default.removeItem(at: output) }
        let exporter = QuarkExporter(quantized: quantized, baseConfig: model.configuration.hfConfigJSON(bosTokenId: 0, eosTokenId: 1, dtype: "float32")) { _ in }
        #expect(throws: QuantizationError.self) { try exporter.export(to: output) }
        #expect(!FileManager.default.fileExists(atPath: output.path), "a refused export left a directory behind")
    }
}
