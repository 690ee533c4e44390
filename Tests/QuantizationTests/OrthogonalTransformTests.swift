import Foundation
import Testing
@testable import Quantization

/// The transforms `Rotation` folds into weights: orthogonal for every size the target models need,
/// dense (an outlier spreads over every output), and reproducible from the seed.
struct OrthogonalTransformTests {
    /// QQᵀ = I over the sizes of the tiny test models, head dimensions, SmolLM2's hidden 576 = 64·9,
    /// and odd or prime factors alone.
    @Test(arguments: [1, 2, 3, 6, 7, 12, 16, 24, 64, 88, 576])
    func isOrthogonal(size: Int) {
        let q = OrthogonalTransform.randomized(size: size, seed: 5).matrix
        var worst = 0.0
        for i in 0..<size {
            for j in i..<size {
                var dot = 0.0
                for k in 0..<size { dot += q[i * size + k] * q[j * size + k] }
                worst = max(worst, abs(dot - (i == j ? 1 : 0)))
            }
        }
        #expect(worst < 1e-12, "size \(size): max |QQᵀ − I| = \(worst)")
    }

    /// SmolLM2's MLP 1536 = 512·3 and TinyLlama's 5632 = 512·11 (a full QQᵀ of 5632 is 180 GFLOP):
    /// the rows that mix the odd factor's blocks, and a spread of others, are unit length and
    /// pairwise orthogonal.
    @Test(arguments: [1536, 5632])
    func largeSizesHaveOrthonormalRows(size: Int) {
        let q = OrthogonalTransform.randomized(size: size, seed: 1).matrix
        let rows = Array(0..<12) + [511, 512, 1023, 1024, 1535, 2048, 4000, 5620, 5631].filter { $0 < size }
        var worst = 0.0
        for (a, i) in rows.enumerated() {
            for j in rows[a...] {
                var dot = 0.0
                for k in 0..<size { dot += q[i * size + k] * q[j * size + k] }
                worst = max(worst, abs(dot - (i == j ? 1 : 0)))
            }
        }
        #expect(worst < 1e-12)
    }

    /// Written out by hand: H_4 = [[1,1,1,1],[1,−1,1,−1],[1,1,−1,−1],[1,−1,−1,1]].
    @Test func sylvesterOfOrderFour() {
        #expect(OrthogonalTransform.sylvester(size: 4) == [1, 1, 1, 1, 1, -1, 1, -1, 1, 1, -1, -1, 1, -1, -1, 1])
    }

    /// A power-of-two size is a signed Hadamard: every entry ±1/√n, so no channel stays local.
    @Test func powerOfTwoIsARandomizedHadamard() {
        let q = OrthogonalTransform.randomized(size: 64, seed: 3).matrix
        #expect(q.allSatisfy { abs(abs($0) - 0.125) < 1e-15 })
        // The signs are random: Sylvester's first column is all ones, this one is not.
        #expect(Set((0..<64).map { q[$0 * 64] > 0 }).count == 2)
    }

    @Test func seedDecidesTheTransform() {
        let a = OrthogonalTransform.randomized(size: 24, seed: 9), b = OrthogonalTransform.randomized(size: 24, seed: 9)
        let c = OrthogonalTransform.randomized(size: 24, seed: 10)
        #expect(a == b)
        #expect(a != c)
    }

    /// A token whose energy sits in one channel (QuaRot's outliers) comes out spread: its largest
    /// entry shrinks from ‖x‖ toward ‖x‖·max|Q_ij|, and the kurtosis of a batch with a planted outlier
    /// channel falls toward the Gaussian 3.
    @Test(arguments: [64, 576, 1536])
    func spreadsAnOutlierChannel(size: Int) {
        let q = OrthogonalTransform.randomized(size: size, seed: 0).matrix
        var random = SplitMixForTests(seed: 42)
        var before: [Double] = [], after: [Double] = []
        for _ in 0..<8 {
            var x = (0..<size).map { _ in random.gaussian() }
            x[size / 3] = 200
            before += x
            after += (0..<size).map { j in (0..<size).reduce(0.0) { $0 + x[$1] * q[$1 * size + j] } }
        }
        #expect(after.map(abs).max()! < 0.25 * before.map(abs).max()!)
        #expect(Self.kurtosis(after) < 6 && Self.kurtosis(before) > 50)
    }

    static func kurtosis(_ values: [Double]) -> Double {
        let mean = values.reduce(0, +) / Double(values.count)
        let variance = values.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(values.count)
        let fourth = values.reduce(0) { $0 + pow4($1 - mean) } / Double(values.count)
        return fourth / (variance * variance)
    }

    static func pow4(_ x: Double) -> Double { x * x * x * x }
}

/// Gaussian draws for test inputs, independent of the generator under test.
struct SplitMixForTests {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func unit() -> Double {
        state = state &* 6364136223846793005 &+ 1442695040888963407
        return Double(state >> 11) * 0x1p-53
    }
    mutating func gaussian() -> Double {
        let u = max(unit(), 1e-300), v = unit()
        return (-2 * Foundation.log(u)).squareRoot() * Foundation.cos(2 * .pi * v)
    }
}
