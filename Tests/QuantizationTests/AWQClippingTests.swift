import Foundation
import Testing
import Formats
import Models
@testable import Quantization
import Tensors

/// AWQ's clipping search, checked against a direct computation of each (row, group)'s output error
/// (mean over tokens of (x_g · (w_g − q_g))², summed token by token, not through the Gram matrix).
struct AWQClippingTests {
    /// [rows, columns] weights with a few large outliers, and [tokens, columns] inputs.
    static func fixture(rows: Int, columns: Int, tokens: Int, seed: UInt64) -> (weight: Tensor, inputs: Tensor) {
        var random = SplitMix64(seed: seed)
        var weights = (0..<(rows * columns)).map { _ in Float(random.nextUnit() * 2 - 1) * 0.1 }
        for _ in 0..<(rows * columns / 16) { weights[Int(random.next() % UInt64(weights.count))] *= 8 }
        let inputs = (0..<(tokens * columns)).map { _ in Float(random.nextUnit() * 2 - 1) }
        return (Tensor(shape: [rows, columns], floats: weights), Tensor(shape: [tokens, columns], floats: inputs))
    }

    /// Per (row, group), mean over tokens of the group's output error with `quantized` for `weight`.
    static func directLosses(weight: [Float], quantized: [Float], inputs: Tensor, columns: Int, group: Int) -> [Double] {
        let rows = weight.count / columns, tokens = inputs.shape[0], x = inputs.floats()
        var losses: [Double] = []
        for row in 0..<rows {
            for start in stride(from: 0, to: columns, by: group) {
                var total = 0.0
                for token in 0..<tokens {
                    var partial = 0.0
                    for column in start..<(start + group) {
                        partial += Double(x[token * columns + column]) * Double(weight[row * columns + column] - quantized[row * columns + column])
                    }
                    total += partial * partial
                }
                losses.append(total / Double(tokens))
            }
        }
        return losses
    }

    @Test(arguments: [QuantSpec(format: .int4, granularity: .perGroup(size: 16)),
                      QuantSpec(format: .uint4, granularity: .perGroup(size: 16), symmetric: false),
                      QuantSpec(format: .int4, granularity: .perChannel),
                      QuantSpec(format: .int8, granularity: .perGroup(size: 32))])
    func clippingNeverRaisesAGroupsLoss(spec: QuantSpec) throws {
        let (weight, inputs) = Self.fixture(rows: 12, columns: 64, tokens: 48, seed: 3)
        let result = try #require(try AWQClipping().search(weight: weight, inputs: inputs, spec: spec, name: "test"))
        let group = AWQClipping.groupSize(for: spec, columns: 64)!
        let original = weight.floats()
        let plain = try ModelQuantizer.quantizeWeight(weight, spec: spec, name: "test").0.floats()
        let clipped = try ModelQuantizer.quantizeWeight(result.weight, spec: spec, name: "test").0.floats()
        let before = Self.directLosses(weight: original, quantized: plain, inputs: inputs, columns: 64, group: group)
        let after = Self.directLosses(weight: original, quantized: clipped, inputs: inputs, columns: 64, group: group)
        for cell in before.indices {
            #expect(after[cell] <= before[cell] * (1 + 1e-4) + 1e-12, "cell \(cell): clipped \(after[cell]) vs unclipped \(before[cell])")
            // The search's own Gram-matrix losses agree with the direct sums.
            #expect(abs(result.losses[cell] - after[cell]) <= 1e-3 * max(after[cell], 1e-9))
            #expect(abs(result.unclippedLosses[cell] - before[cell]) <= 1e-3 * max(before[cell], 1e-9))
        }
        // Clamping only shrinks, and never below AutoAWQ's floor (the last factor, 1 − 9/20).
        for (new, old) in zip(result.weight.floats(), original) { #expect(abs(new) <= abs(old) && new * old >= 0) }
        // At 4 bits the outliers make some groups, not all, prefer clipping; 8 bits may need none.
        if spec.format != .int8 {
            let cells = result.clippedGroups
            #expect(cells > 0 && cells < before.count, "\(cells) of \(before.count) cells clipped")
            #expect(zip(before, after).map { $0 - $1 }.reduce(0, +) > 0)
        }
    }

    @Test func perTensorWeightsAreNotClippedAndBadGroupsAreNamed() throws {
        let (weight, inputs) = Self.fixture(rows: 4, columns: 24, tokens: 8, seed: 5)
        #expect(try AWQClipping().search(weight: weight, inputs: inputs, spec: QuantSpec(format: .int8), name: "x") == nil)
        #expect(throws: QuantizationError.groupSizeDoesNotDivide(inFeatures: 24, groupSize: 16, layer: "model.layers.0.mlp.down_proj")) {
            try AWQClipping().search(weight: weight, inputs: inputs, spec: QuantSpec(format: .int4, granularity: .perGroup(size: 16)),
                                     name: "model.layers.0.mlp.down_proj")
        }
    }
}

/// Against amd-quark 0.13's own clipping search (Scripts/fixtures/make_awq_clip_goldens.py): the
/// kept max |w| per row and group. Quark sums each group's partial outputs token by token, QuantKit
/// goes through the group's Gram matrix, so where two shrink factors nearly tie the float32
/// rounding may pick either: every cell must either match Quark's bound or lose nothing against it
/// (measured directly), and nearly all must match.
struct AWQClippingGoldenTests {
    @Test(arguments: [("uint4_asym_g16", QuantSpec(format: .uint4, granularity: .perGroup(size: 16), symmetric: false)),
                      ("int4_sym_g16", QuantSpec(format: .int4, granularity: .perGroup(size: 16))),
                      ("int4_sym_pc", QuantSpec(format: .int4, granularity: .perChannel))])
    func matchesQuarksClippingSearch(name: String, spec: QuantSpec) throws {
        let url = Bundle.module.resourceURL!.appendingPathComponent("Fixtures/awq_clip.safetensors")
        let file = try SafetensorsFile(url: url)
        let weight = try file.tensor(named: "weight").toFloat32(), inputs = try file.tensor(named: "inputs").toFloat32()
        let expected = try file.tensor(named: "\(name).max_val").toFloat32().floats()
        let rows = weight.shape[0], columns = weight.shape[1]
        let group = AWQClipping.groupSize(for: spec, columns: columns)!
        let result = try #require(try AWQClipping().search(weight: weight, inputs: inputs, spec: spec, name: name))
        let ours = result.weight.floats(), original = weight.floats()
        // Quark's bounds applied to the weight, then both quantized by QuantKit's RTN (bit-identical to Quark's).
        var theirs = original
        for row in 0..<rows {
            for start in stride(from: 0, to: columns, by: group) {
                let bound = expected[row * (columns / group) + start / group]
                for column in start..<(start + group) { theirs[row * columns + column] = min(max(original[row * columns + column], -bound), bound) }
            }
        }
        let quantize = { (values: [Float]) throws -> [Float] in
            try ModelQuantizer.quantizeWeight(Tensor(shape: [rows, columns], floats: values), spec: spec, name: name).0.floats()
        }
        let ourLosses = AWQClippingTests.directLosses(weight: original, quantized: try quantize(ours), inputs: inputs, columns: columns, group: group)
        let theirLosses = AWQClippingTests.directLosses(weight: original, quantized: try quantize(theirs), inputs: inputs, columns: columns, group: group)
        var matching = 0
        for cell in expected.indices {
            let row = cell / (columns / group), start = (cell % (columns / group)) * group
            let bound = original[(row * columns + start)..<(row * columns + start + group)].map { abs($0) }.max()!
            let kept = ours[(row * columns + start)..<(row * columns + start + group)].map { abs($0) }.max()!
            if abs(kept - min(bound, expected[cell])) <= 1e-6 * bound { matching += 1 }
            #expect(ourLosses[cell] <= theirLosses[cell] * (1 + 1e-3) + 1e-12,
                    "\(name) cell \(cell): ours \(ourLosses[cell]) (max \(kept)) vs Quark's \(theirLosses[cell]) (max \(expected[cell]))")
        }
        #expect(Double(matching) >= 0.9 * Double(expected.count), "\(name): \(matching) of \(expected.count) bounds equal Quark's")
    }
}
