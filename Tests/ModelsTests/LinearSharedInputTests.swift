import Testing
import Models
import Tensors

/// `Linear.outputs(of:for:)` is each layer applied on its own, bit for bit: fused (one float32 row,
/// no quantizers) or not (several rows, a 16-bit weight, a quantizer), with and without bias.
struct LinearSharedInputTests {
    /// Rounds to multiples of 1/8: a stand-in for any activation quantizer.
    struct Rounding: ActivationQuantizer {
        func apply(_ values: UnsafeMutableBufferPointer<Float>, rows: Int, columns: Int) {
            for index in values.indices { values[index] = (values[index] * 8).rounded() / 8 }
        }
    }

    static func values(_ count: Int, seed: Int) -> [Float] {
        (0..<count).map { Float(($0 &* 2654435761 &+ seed &* 40503) % 1999) / 1999 - 0.5 }
    }

    static func layer(rows: Int, columns: Int, seed: Int, bias: Bool) -> Linear {
        Linear(weight: Tensor(shape: [rows, columns], floats: values(rows * columns, seed: seed)),
               bias: bias ? Tensor(shape: [rows], floats: values(rows, seed: seed + 1)) : nil)
    }

    enum Variant: CaseIterable { case fused, severalRows, halfWeight, inputQuantizer, outputQuantizer }

    @Test(arguments: Variant.allCases, [false, true])
    func outputsEqualEachLayerAlone(variant: Variant, bias: Bool) {
        let columns = 67
        var layers = [(130, 1), (17, 3), (64, 5)].map { Self.layer(rows: $0.0, columns: columns, seed: $0.1, bias: bias) }
        let rows = variant == .severalRows ? 3 : 1
        switch variant {
        case .halfWeight: layers[1].weight = Tensor(shape: layers[1].weight.shape, dtype: .float16,
                                                    values: layers[1].weight.floats().map { Float16($0) })
        case .inputQuantizer: layers[2].inputQuantizer = Rounding()
        case .outputQuantizer: layers[0].outputQuantizer = Rounding()
        case .fused, .severalRows: break
        }
        let input = Tensor(shape: [rows, columns], floats: Self.values(rows * columns, seed: 9))
        let together = Linear.outputs(of: layers, for: input)
        #expect(together.count == layers.count)
        for (layer, output) in zip(layers, together) {
            #expect(output.shape == [rows, layer.outFeatures])
            #expect(output.floats() == layer(input).floats())
        }
    }
}
