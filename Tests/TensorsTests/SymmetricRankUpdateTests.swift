import Testing
import Tensors

/// `symmetricRankUpdate` (OpenBLAS ssyrk, GPTQ's Hessian accumulation) against its Double reference.
struct SymmetricRankUpdateTests {
    @Test(arguments: [(1, 1), (3, 7), (17, 33), (33, 129), (129, 17)])
    func matchesReference(order: Int, rows: Int) {
        let a = CholeskyTests.randomFloats(rows * order, seed: UInt64(order * 1000 + rows), in: -2...2)
        let start = CholeskyTests.randomFloats(order * order, seed: 7, in: -1...1)
        for triangle in [SymmetricTriangle.lower, .upper] {
            var fast = start, reference = start
            a.withUnsafeBufferPointer { a in
                fast.withUnsafeMutableBufferPointer {
                    symmetricRankUpdate(order: order, rows: rows, alpha: 0.5, a: a.baseAddress!, lda: order,
                                        beta: 0.25, c: $0.baseAddress!, ldc: order, triangle: triangle)
                }
                reference.withUnsafeMutableBufferPointer {
                    symmetricRankUpdateReference(order: order, rows: rows, alpha: 0.5, a: a.baseAddress!, lda: order,
                                                 beta: 0.25, c: $0.baseAddress!, ldc: order, triangle: triangle)
                }
            }
            let scale = Float(rows) * 2
            #expect(zip(fast, reference).allSatisfy { abs($0 - $1) <= 1e-5 * scale }, "\(triangle) [\(order), \(rows)]")
            // The other triangle is untouched.
            for row in 0..<order {
                for column in 0..<order where triangle == .lower ? column > row : column < row {
                    #expect(fast[row * order + column] == start[row * order + column])
                }
            }
        }
    }

    @Test func mirrorCopiesTheTriangle() {
        var matrix: [Float] = [1, 0, 0, 2, 3, 0, 4, 5, 6]
        matrix.withUnsafeMutableBufferPointer { mirrorTriangle($0, order: 3, from: .lower) }
        #expect(matrix == [1, 2, 4, 2, 3, 5, 4, 5, 6])
    }
}
