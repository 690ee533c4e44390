import COpenBLAS

/// Which triangle of a symmetric row-major matrix a routine reads or writes.
public enum SymmetricTriangle: Sendable {
    case lower, upper
}

/// `c[order, order] = alpha · aᵀ · a + beta · c` for row-major `a` [rows, order] (`ssyrk`): a Gram
/// matrix such as GPTQ's Hessian Σ xᵀx over tokens, at half a GEMM's cost. Only `triangle` of `c` is
/// written; the other is left as it was (mirror it with `mirrorTriangle` before reading it whole).
///
/// BLAS runs its own threads: never call this from inside `parallelFor`.
public func symmetricRankUpdate(
    order: Int, rows: Int, alpha: Float = 1, a: UnsafePointer<Float>, lda: Int,
    beta: Float = 1, c: UnsafeMutablePointer<Float>, ldc: Int, triangle: SymmetricTriangle = .lower
) {
    guard order > 0 else { return }
    if rows == 0 {
        if beta != 1 {
            for row in 0..<order {
                for column in 0..<order where triangle == .lower ? column <= row : column >= row {
                    c[row * ldc + column] = beta == 0 ? 0 : beta * c[row * ldc + column]
                }
            }
        }
        return
    }
    cblas_ssyrk(CblasRowMajor, triangle == .lower ? CblasLower : CblasUpper, CblasTrans,
                Int32(order), Int32(rows), alpha, a, Int32(lda), beta, c, Int32(ldc))
}

/// Copies `triangle` of the row-major [order, order] matrix onto the other one.
public func mirrorTriangle<Element>(_ matrix: UnsafeMutableBufferPointer<Element>, order: Int, from triangle: SymmetricTriangle = .lower) {
    precondition(matrix.count >= order * order, "matrix smaller than [\(order), \(order)]")
    for row in 0..<order {
        for column in (row + 1)..<order {
            if triangle == .lower {
                matrix[row * order + column] = matrix[column * order + row]
            } else {
                matrix[column * order + row] = matrix[row * order + column]
            }
        }
    }
}

/// The scalar reference for `symmetricRankUpdate`, accumulating in Double (for tests); writes the same triangle.
public func symmetricRankUpdateReference(
    order: Int, rows: Int, alpha: Float = 1, a: UnsafePointer<Float>, lda: Int,
    beta: Float = 1, c: UnsafeMutablePointer<Float>, ldc: Int, triangle: SymmetricTriangle = .lower
) {
    for row in 0..<order {
        for column in 0..<order where triangle == .lower ? column <= row : column >= row {
            var sum = 0.0
            for token in 0..<rows { sum += Double(a[token * lda + row]) * Double(a[token * lda + column]) }
            let previous = beta == 0 ? 0 : Double(beta) * Double(c[row * ldc + column])
            c[row * ldc + column] = Float(Double(alpha) * sum + previous)
        }
    }
}
