import Testing
@testable import Quantization
import Models
import Tensors
import TestSupport

/// The two GPTQ options that change which Hessian a linear gets: the outlier-token cap and
/// one-pass (not true-sequential) collection.
struct GPTQHessianOptionsTests {
    /// 9 tokens × 4 features: eight ordinary rows and one massive row (norm ~ 1000× the others).
    static let features = 4
    static let batch: [Float] = [
        0.5, -0.2, 0.1, 0.3,
        -0.4, 0.6, 0.2, -0.1,
        0.3, 0.3, -0.5, 0.2,
        3000, -1200, 5, 40,
        0.1, -0.7, 0.4, 0.2,
        -0.2, 0.1, 0.6, -0.5,
        0.4, 0.4, 0.1, 0.1,
        -0.6, -0.3, 0.2, 0.4,
        0.2, 0.5, -0.3, -0.6,
    ]

    /// 2/n Σ xᵀx in Double, each row multiplied by its factor.
    static func expected(_ rows: [Float], factors: [Double]) -> [Double] {
        let n = factors.count
        var h = [Double](repeating: 0, count: features * features)
        for token in 0..<n {
            for i in 0..<features {
                for j in 0..<features {
                    let a = Double(rows[token * features + i]) * factors[token]
                    let b = Double(rows[token * features + j]) * factors[token]
                    h[i * features + j] += 2 * a * b / Double(n)
                }
            }
        }
        return h
    }

    @Test func capScalesOnlyTheOutlierTokenDownToTheCapTimesTheMedianNorm() {
        let norms = (0..<9).map { token in
            (0..<Self.features).reduce(0.0) { $0 + Double(Self.batch[token * Self.features + $1] * Self.batch[token * Self.features + $1]) }.squareRoot()
        }
        let median = norms.sorted()[4]
        var factors = [Double](repeating: 1, count: 9)
        factors[3] = 2 * median / norms[3]
        var capped = Hessian(features: Self.features)
        Self.batch.withUnsafeBufferPointer { capped.add($0, tokens: 9, tokenNormCap: 2) }
        let want = Self.expected(Self.batch, factors: factors)
        #expect(capped.tokenCount == 9)
        #expect(zip(capped.matrix, want).allSatisfy { abs(Double($0) - $1) <= 1e-5 * max(1, abs($1)) })
        // The capped token still dominates nothing: H[0,0] is within a small multiple of the ordinary rows'.
        let ordinary = Self.expected(Self.batch, factors: factors.indices.map { $0 == 3 ? 0 : 1 })
        #expect(Double(capped.matrix[0]) < 10 * ordinary[0])

        // A cap no token reaches, and no cap, both leave H as the paper's.
        var loose = Hessian(features: Self.features), plain = Hessian(features: Self.features)
        Self.batch.withUnsafeBufferPointer { loose.add($0, tokens: 9, tokenNormCap: 1e6) }
        Self.batch.withUnsafeBufferPointer { plain.add($0, tokens: 9, tokenNormCap: nil) }
        let paper = Self.expected(Self.batch, factors: [Double](repeating: 1, count: 9))
        #expect(loose.matrix == plain.matrix)
        #expect(zip(plain.matrix, paper).allSatisfy { abs(Double($0) - $1) <= 1e-5 * max(1, abs($1)) })
    }

    @Test func allZeroBatchIsAddedUnscaled() {
        var h = Hessian(features: 2)
        [Float](repeating: 0, count: 6).withUnsafeBufferPointer { h.add($0, tokens: 3, tokenNormCap: 2) }
        #expect(h.tokenCount == 3 && h.matrix.allSatisfy { $0 == 0 })
    }

    /// One pass takes every group's Hessian from the float layer; true-sequential gives o_proj, gate/up
    /// and down the inputs of the already-quantized earlier groups. q/k/v (the first group) see the same
    /// inputs either way, so their codes agree; the later groups' Hessians differ.
    @Test func onePassDiffersFromTrueSequentialOnlyAfterTheFirstGroup() throws {
        let model = try TinyModelFactory.model()
        let calibration = (0..<4).map { window in (0..<12).map { (window * 7 + $0 * 3) % 20 } }
        let hidden = try calibration.map { try model.embed($0) }
        let spec = QuantSpec(format: .int4, granularity: .perGroup(size: 8))
        let specs = Dictionary(uniqueKeysWithValues: LlamaLayer.linearKeyPaths.indices.map { ($0, spec) })
        let sequential = try SequentialGPTQ(options: GPTQOptions()).quantizeLayer(model, index: 0, hidden: hidden, specs: specs).1
        let onePass = try SequentialGPTQ(options: GPTQOptions(trueSequential: false)).quantizeLayer(model, index: 0, hidden: hidden, specs: specs).1
        let firstGroup = QuantizationPlan.llama.sequentialGroups[0]
        for slot in firstGroup {
            #expect(sequential[slot]!.result.dequantized == onePass[slot]!.result.dequantized)
        }
        let later = Set(specs.keys).subtracting(firstGroup)
        #expect(later.contains { sequential[$0]!.result.dequantized != onePass[$0]!.result.dequantized })

        // One pass's o_proj Hessian is the float layer's: the same as collecting it with nothing quantized.
        let oSlot = QuantizationPlan.llama.sequentialGroups[1][0]
        let floatHessians = SequentialGPTQ(options: GPTQOptions()).hessians(of: model, index: 0, hidden: hidden, slots: [oSlot])
        let oWeight = model.layers[0][keyPath: LlamaLayer.linearKeyPaths[oSlot]].weight
        let direct = try GPTQ.quantize(weight: oWeight, hessian: floatHessians[oSlot]!, spec: spec, options: GPTQOptions(), layer: "o_proj")
        #expect(direct.dequantized == onePass[oSlot]!.result.dequantized)
    }
}
