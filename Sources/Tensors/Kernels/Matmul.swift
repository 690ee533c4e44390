import COpenBLAS

/// Row-major single-precision GEMM through OpenBLAS:
/// `c[m, n] = alpha · a[m, k] · op(b) + beta · c`, with `op(b) = b[n, k]ᵀ` when `transposeB`
/// (the Linear layout: weights are [out, in]) and `b[k, n]` otherwise. `lda`, `ldb`, `ldc` are row
/// strides in elements, so heads can be addressed inside a wider [tokens, heads · dim] buffer.
///
/// BLAS runs its own threads: never call this from inside `parallelFor`.
public func matmul(
    m: Int, n: Int, k: Int, alpha: Float = 1,
    a: UnsafePointer<Float>, lda: Int,
    b: UnsafePointer<Float>, ldb: Int, transposeB: Bool,
    beta: Float = 0, c: UnsafeMutablePointer<Float>, ldc: Int
) {
    guard m > 0, n > 0 else { return }
    guard k > 0 else {
        for i in 0..<m { for j in 0..<n { c[i * ldc + j] = beta == 0 ? 0 : beta * c[i * ldc + j] } }
        return
    }
    if m == 1 {
        // One row (decoding a token): GEMV streams the weights once at memory speed, where GEMM's
        // packing does not pay off.
        if transposeB {
            cblas_sgemv(CblasRowMajor, CblasNoTrans, Int32(n), Int32(k), alpha, b, Int32(ldb), a, 1, beta, c, 1)
        } else {
            cblas_sgemv(CblasRowMajor, CblasTrans, Int32(k), Int32(n), alpha, b, Int32(ldb), a, 1, beta, c, 1)
        }
        return
    }
    cblas_sgemm(CblasRowMajor, CblasNoTrans, transposeB ? CblasTrans : CblasNoTrans,
                Int32(m), Int32(n), Int32(k), alpha, a, Int32(lda), b, Int32(ldb), beta, c, Int32(ldc))
}

/// The scalar reference for `matmul`, accumulating in Double (for tests).
public func matmulReference(
    m: Int, n: Int, k: Int, alpha: Float = 1,
    a: UnsafePointer<Float>, lda: Int,
    b: UnsafePointer<Float>, ldb: Int, transposeB: Bool,
    beta: Float = 0, c: UnsafeMutablePointer<Float>, ldc: Int
) {
    for i in 0..<m {
        for j in 0..<n {
            var sum = 0.0
            for p in 0..<k { sum += Double(a[i * lda + p]) * Double(transposeB ? b[j * ldb + p] : b[p * ldb + j]) }
            c[i * ldc + j] = Float(Double(alpha) * sum + (beta == 0 ? 0 : Double(beta) * Double(c[i * ldc + j])))
        }
    }
}

/// Threads OpenBLAS may use for one GEMM.
public func setBLASThreads(_ count: Int) { openblas_set_num_threads(Int32(max(1, count))) }
