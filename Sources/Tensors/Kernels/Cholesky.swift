import COpenBLAS

/// Why a dense linear-algebra routine could not finish.
public enum LinearAlgebraError: Error, CustomStringConvertible, Equatable {
    /// The leading minor of order `order` is not positive (LAPACK `info`), so the matrix is not SPD.
    case notPositiveDefinite(routine: String, order: Int)
    /// A zero pivot made the factor singular (LAPACK `info` from the inverse step).
    case singular(routine: String, order: Int)

    public var description: String {
        switch self {
        case .notPositiveDefinite(let routine, let order):
            "\(routine) failed: the leading minor of order \(order) is not positive, so the matrix is not positive definite (add dampening to the diagonal)."
        case .singular(let routine, let order):
            "\(routine) failed: diagonal element \(order) of the Cholesky factor is zero, so the matrix is singular."
        }
    }
}

/// Which triangle of a Cholesky factor to produce.
public enum CholeskyTriangle: Sendable {
    /// A = L · Lᵀ with L lower triangular (torch.linalg.cholesky default).
    case lower
    /// A = Uᵀ · U with U upper triangular (torch.linalg.cholesky(upper=True), what GPTQ uses).
    case upper
}

/// Replaces the symmetric positive-definite row-major matrix [order, order] in `matrix` by its Cholesky
/// factor (`spotrf`); the other triangle is set to zero. Throws `notPositiveDefinite` otherwise, leaving
/// `matrix` partly overwritten. Not to be called inside `parallelFor` (it is LAPACK).
public func choleskyFactor(_ matrix: UnsafeMutableBufferPointer<Float>, order: Int, triangle: CholeskyTriangle = .lower) throws {
    precondition(order >= 0 && matrix.count >= order * order, "matrix smaller than [\(order), \(order)]")
    guard order > 0 else { return }
    // LAPACK is column-major: a row-major buffer is the transpose, so its "U" is our lower factor.
    var uplo: CChar = triangle == .lower ? 0x55 /* U */ : 0x4C /* L */
    var n = Int32(order), lda = Int32(order), info: Int32 = 0
    spotrf_(&uplo, &n, matrix.baseAddress, &lda, &info)
    if info > 0 { throw LinearAlgebraError.notPositiveDefinite(routine: "spotrf", order: Int(info)) }
    precondition(info == 0, "spotrf argument \(-info) invalid")
    for row in 0..<order {
        for column in 0..<order where triangle == .lower ? column > row : column < row {
            matrix[row * order + column] = 0
        }
    }
}

/// Replaces the symmetric positive-definite row-major matrix [order, order] in `matrix` by its full
/// (symmetric) inverse, via Cholesky (`spotrf`, then `spotri`). Throws if it is not positive definite.
public func choleskyInverse(_ matrix: UnsafeMutableBufferPointer<Float>, order: Int) throws {
    precondition(order >= 0 && matrix.count >= order * order, "matrix smaller than [\(order), \(order)]")
    guard order > 0 else { return }
    var uplo: CChar = 0x55 // column-major upper = row-major lower
    var n = Int32(order), lda = Int32(order), info: Int32 = 0
    spotrf_(&uplo, &n, matrix.baseAddress, &lda, &info)
    if info > 0 { throw LinearAlgebraError.notPositiveDefinite(routine: "spotrf", order: Int(info)) }
    precondition(info == 0, "spotrf argument \(-info) invalid")
    spotri_(&uplo, &n, matrix.baseAddress, &lda, &info)
    if info > 0 { throw LinearAlgebraError.singular(routine: "spotri", order: Int(info)) }
    precondition(info == 0, "spotri argument \(-info) invalid")
    // spotri fills one triangle (row-major lower); mirror it into the upper.
    for row in 0..<order {
        for column in (row + 1)..<order { matrix[row * order + column] = matrix[column * order + row] }
    }
}

/// `choleskyFactor` in double precision (`dpotrf`): for factors whose conditioning float32 cannot
/// carry (GPTQ's inverse Hessian factor).
public func choleskyFactor(_ matrix: UnsafeMutableBufferPointer<Double>, order: Int, triangle: CholeskyTriangle = .lower) throws {
    precondition(order >= 0 && matrix.count >= order * order, "matrix smaller than [\(order), \(order)]")
    guard order > 0 else { return }
    var uplo: CChar = triangle == .lower ? 0x55 /* U */ : 0x4C /* L */
    var n = Int32(order), lda = Int32(order), info: Int32 = 0
    dpotrf_(&uplo, &n, matrix.baseAddress, &lda, &info)
    if info > 0 { throw LinearAlgebraError.notPositiveDefinite(routine: "dpotrf", order: Int(info)) }
    precondition(info == 0, "dpotrf argument \(-info) invalid")
    for row in 0..<order {
        for column in 0..<order where triangle == .lower ? column > row : column < row {
            matrix[row * order + column] = 0
        }
    }
}

/// `choleskyInverse` in double precision (`dpotrf`, then `dpotri`).
public func choleskyInverse(_ matrix: UnsafeMutableBufferPointer<Double>, order: Int) throws {
    precondition(order >= 0 && matrix.count >= order * order, "matrix smaller than [\(order), \(order)]")
    guard order > 0 else { return }
    var uplo: CChar = 0x55 // column-major upper = row-major lower
    var n = Int32(order), lda = Int32(order), info: Int32 = 0
    dpotrf_(&uplo, &n, matrix.baseAddress, &lda, &info)
    if info > 0 { throw LinearAlgebraError.notPositiveDefinite(routine: "dpotrf", order: Int(info)) }
    precondition(info == 0, "dpotrf argument \(-info) invalid")
    dpotri_(&uplo, &n, matrix.baseAddress, &lda, &info)
    if info > 0 { throw LinearAlgebraError.singular(routine: "dpotri", order: Int(info)) }
    precondition(info == 0, "dpotri argument \(-info) invalid")
    for row in 0..<order {
        for column in (row + 1)..<order { matrix[row * order + column] = matrix[column * order + row] }
    }
}

/// Replaces the triangular row-major matrix [order, order] in `matrix` (its `triangle`, the other
/// one zero) by its inverse (`dtrtri`), which is triangular the same way. Throws `singular` on a
/// zero diagonal element.
public func triangularInverse(_ matrix: UnsafeMutableBufferPointer<Double>, order: Int, triangle: CholeskyTriangle) throws {
    precondition(order >= 0 && matrix.count >= order * order, "matrix smaller than [\(order), \(order)]")
    guard order > 0 else { return }
    // Row-major lower is column-major upper.
    var uplo: CChar = triangle == .lower ? 0x55 /* U */ : 0x4C /* L */
    var diag: CChar = 0x4E // N: the diagonal is not unit
    var n = Int32(order), lda = Int32(order), info: Int32 = 0
    dtrtri_(&uplo, &diag, &n, matrix.baseAddress, &lda, &info)
    if info > 0 { throw LinearAlgebraError.singular(routine: "dtrtri", order: Int(info)) }
    precondition(info == 0, "dtrtri argument \(-info) invalid")
}

/// Scalar reference for `choleskyFactor` (Cholesky–Banachiewicz, accumulated in Double).
public func choleskyFactorReference(_ matrix: UnsafeMutableBufferPointer<Float>, order: Int, triangle: CholeskyTriangle = .lower) throws {
    var lower = [Double](repeating: 0, count: order * order)
    for row in 0..<order {
        for column in 0...row {
            var sum = Double(matrix[row * order + column])
            for inner in 0..<column { sum -= lower[row * order + inner] * lower[column * order + inner] }
            if row == column {
                guard sum > 0 else { throw LinearAlgebraError.notPositiveDefinite(routine: "reference", order: row + 1) }
                lower[row * order + row] = sum.squareRoot()
            } else {
                lower[row * order + column] = sum / lower[column * order + column]
            }
        }
    }
    for row in 0..<order {
        for column in 0..<order {
            matrix[row * order + column] = Float(triangle == .lower ? lower[row * order + column] : lower[column * order + row])
        }
    }
}

/// Scalar reference for `choleskyInverse`: Gauss–Jordan elimination with partial pivoting in Double.
public func choleskyInverseReference(_ matrix: UnsafeMutableBufferPointer<Float>, order: Int) throws {
    var work = matrix.prefix(order * order).map(Double.init)
    var inverse = [Double](repeating: 0, count: order * order)
    for index in 0..<order { inverse[index * order + index] = 1 }
    for column in 0..<order {
        let pivot = (column..<order).max { abs(work[$0 * order + column]) < abs(work[$1 * order + column]) }!
        guard work[pivot * order + column] != 0 else { throw LinearAlgebraError.singular(routine: "reference", order: column + 1) }
        for inner in 0..<order {
            work.swapAt(pivot * order + inner, column * order + inner)
            inverse.swapAt(pivot * order + inner, column * order + inner)
        }
        let scale = 1 / work[column * order + column]
        for inner in 0..<order { work[column * order + inner] *= scale; inverse[column * order + inner] *= scale }
        for row in 0..<order where row != column {
            let factor = work[row * order + column]
            for inner in 0..<order {
                work[row * order + inner] -= factor * work[column * order + inner]
                inverse[row * order + inner] -= factor * inverse[column * order + inner]
            }
        }
    }
    for index in 0..<(order * order) { matrix[index] = Float(inverse[index]) }
}
