import Testing
import Tensors

struct MatmulTests {
    static let shapes = [(1, 1, 1), (1, 33, 17), (1, 129, 1000), (3, 17, 33), (17, 3, 65), (33, 65, 17), (65, 33, 3)]

    @Test(arguments: shapes, [false, true])
    func blasMatchesReference(shape: (Int, Int, Int), transposeB: Bool) {
        let (m, n, k) = shape
        var state: UInt32 = 12345
        func value() -> Float {
            state = state &* 1_664_525 &+ 1_013_904_223
            return Float(Int32(bitPattern: state) >> 8) / Float(1 << 23)
        }
        // Strides wider than the matrices, as attention uses them.
        let lda = k + 3, ldb = (transposeB ? k : n) + 2, ldc = n + 1
        let a = (0..<(m * lda)).map { _ in value() }
        let b = (0..<((transposeB ? n : k) * ldb)).map { _ in value() }
        let start = (0..<(m * ldc)).map { _ in value() }
        var fast = start, reference = start
        fast.withUnsafeMutableBufferPointer { c in
            matmul(m: m, n: n, k: k, alpha: 0.5, a: a, lda: lda, b: b, ldb: ldb, transposeB: transposeB, beta: 0.25,
                   c: c.baseAddress!, ldc: ldc)
        }
        reference.withUnsafeMutableBufferPointer { c in
            matmulReference(m: m, n: n, k: k, alpha: 0.5, a: a, lda: lda, b: b, ldb: ldb, transposeB: transposeB, beta: 0.25,
                            c: c.baseAddress!, ldc: ldc)
        }
        // Float32 accumulation of k products of magnitude ≤ 1: error ≲ k · ulp(k).
        let tolerance = Float(k) * 4e-7 * Float(k)
        let worst = zip(fast, reference).map { abs($0 - $1) }.max()!
        #expect(worst <= max(tolerance, 1e-6), "max |Δ| \(worst) for \(shape)")
    }
}
