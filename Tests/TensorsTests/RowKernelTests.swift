import Foundation
import Testing
import Tensors

/// SIMD row kernels against their scalar references over lengths that hit every tail.
struct RowKernelTests {
    static let lengths = [1, 3, 7, 17, 33, 129, 1000]

    static func values(_ count: Int, seed: UInt32, scale: Float = 8) -> [Float] {
        var state = seed
        return (0..<count).map { _ in
            state = state &* 1_664_525 &+ 1_013_904_223
            return scale * (Float(state >> 8) / Float(1 << 24) - 0.5)
        }
    }

    @Test func vectorExpIsAccurate() {
        // Relative error against Double exp over the range softmax and SiLU use, plus the clamps.
        var worst: Float = 0
        for start in stride(from: Float(-87), to: 88, by: 0.37) {
            let x = SIMD16<Float>((0..<16).map { start + Float($0) * 0.0231 })
            let fast = vectorExp(x)
            for lane in 0..<16 {
                let exact = Foundation.exp(Double(x[lane]))
                worst = max(worst, Float(abs(Double(fast[lane]) - exact) / exact))
            }
        }
        #expect(worst < 2.5e-7, "worst relative error \(worst)")
        #expect(vectorExp(SIMD16(repeating: -100))[0] == 0)
        #expect(vectorExp(SIMD16(repeating: 100))[0] == .infinity)
    }

    @Test(arguments: lengths)
    func softmaxMatchesReference(length: Int) {
        var fast = Self.values(length, seed: 1, scale: 30), reference = fast
        fast.withUnsafeMutableBufferPointer { softmax($0) }
        reference.withUnsafeMutableBufferPointer { softmaxReference($0) }
        let worst = zip(fast, reference).map { abs($0 - $1) }.max()!
        #expect(worst < 1e-6, "max |Δ| \(worst)")
        #expect(abs(fast.reduce(0, +) - 1) < 1e-5)
    }

    @Test(arguments: lengths + [49152])
    func logSumExpMatchesReference(length: Int) {
        let row = Self.values(length, seed: 2, scale: 40)
        let fast = row.withUnsafeBufferPointer { logSumExp($0) }
        let reference = row.withUnsafeBufferPointer { logSumExpReference($0) }
        #expect(abs(fast - reference) < 1e-6 * max(1, abs(reference)), "\(fast) vs \(reference)")
    }

    @Test(arguments: lengths)
    func rmsNormMatchesReference(length: Int) {
        let x = Self.values(length, seed: 3), w = Self.values(length, seed: 4, scale: 2)
        var fast = [Float](repeating: 0, count: length), reference = fast
        x.withUnsafeBufferPointer { input in
            w.withUnsafeBufferPointer { weight in
                fast.withUnsafeMutableBufferPointer { rmsNorm(input, weight: weight, epsilon: 1e-5, output: $0) }
                reference.withUnsafeMutableBufferPointer { rmsNormReference(input, weight: weight, epsilon: 1e-5, output: $0) }
            }
        }
        // Float32 sums of `length` squares: relative error ~ length · ulp.
        let worst = zip(fast, reference).map { abs($0 - $1) / max(abs($1), 1e-3) }.max()!
        #expect(worst < Float(length) * 2e-7 + 1e-6, "max relative Δ \(worst)")
    }

    @Test(arguments: lengths)
    func swiGLUMatchesReference(length: Int) {
        let up = Self.values(length, seed: 5)
        var fast = Self.values(length, seed: 6, scale: 20), reference = fast
        up.withUnsafeBufferPointer { u in
            fast.withUnsafeMutableBufferPointer { swiGLU(gate: $0, up: u) }
            reference.withUnsafeMutableBufferPointer { swiGLUReference(gate: $0, up: u) }
        }
        let worst = zip(fast, reference).map { abs($0 - $1) / max(abs($1), 1e-3) }.max()!
        #expect(worst < 1e-6, "max relative Δ \(worst)")
    }
}
