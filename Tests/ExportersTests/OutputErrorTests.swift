import Foundation
import Testing
import TestSupport
@testable import Models
import Quantization
import Tensors

/// The closing table's output error: measured on rows of the float inputs each linear sees, without
/// changing what the quantization produces.
struct OutputErrorTests {
    static let calibration = [[1, 5, 9, 3, 7, 11, 2, 8], [4, 4, 19, 0, 13, 6, 15, 10]]

    @Test func probingChangesNothingAndFillsEveryRow() throws {
        let model = try TinyModelFactory.model()
        let config = QuantConfig(global: LayerQuantSpec(weight: QuantSpec(format: .int8), input: QuantSpec(format: .int8)))
        let plain = try ModelQuantizer(config: config).quantize(model, calibration: Self.calibration)
        let probed = try ModelQuantizer(config: config).quantize(model, calibration: Self.calibration, errorWindows: 2)
        let tokens = [3, 7, 1, 12, 19, 0, 5]
        #expect(try probed.model.forward(tokens: tokens, cache: probed.model.makeCache()).floats()
                == plain.model.forward(tokens: tokens, cache: plain.model.makeCache()).floats())
        #expect(probed.linears.map(\.inputParameters) == plain.linears.map(\.inputParameters))
        #expect(plain.report.allSatisfy { $0.outputError == nil })
        #expect(!probed.report.isEmpty)
        for row in probed.report {
            let error = try #require(row.outputError, "\(row.name) has no output error")
            #expect(error > 0 && error < 0.5, "\(row.name): \(error)")
        }
    }

    /// Weight-only: layer 0's q_proj sees RMSNorm(embeddings) of the windows, so its output error can
    /// be computed here from the float and the dequantized weights directly.
    @Test func weightOnlyErrorEqualsTheDirectComputation() throws {
        let model = try TinyModelFactory.model()
        let config = QuantConfig(global: LayerQuantSpec(weight: QuantSpec(format: .int4, granularity: .perGroup(size: 8))))
        let quantized = try ModelQuantizer(config: config).quantize(model, calibration: Self.calibration, errorWindows: 2)
        let layer = model.layers[0]
        let dequantized = quantized.model.layers[0].queryProjection.weight
        var error = 0.0, norm = 0.0
        for window in Self.calibration {
            let normed = LlamaLayer.rmsNorm(try model.embed(window), weight: layer.inputNorm, epsilon: model.configuration.rmsNormEpsilon)
            let reference = Linear(weight: layer.queryProjection.weight)(normed).floats()
            let actual = Linear(weight: dequantized)(normed).floats()
            for (y, z) in zip(reference, actual) {
                error += (Double(z) - Double(y)) * (Double(z) - Double(y))
                norm += Double(y) * Double(y)
            }
        }
        let row = try #require(quantized.report.first { $0.name == "model.layers.0.self_attn.q_proj" })
        let measured = try #require(row.outputError)
        #expect(abs(measured - error / norm) <= 1e-6 * error / norm, "\(measured) vs \(error / norm)")
        #expect(measured > 0)
    }
}
