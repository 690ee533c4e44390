import Tensors

/// The numeric operations the model files call, in one place. Each forwards to a `Tensors` kernel;
/// the model code reads like the math and never touches BLAS or SIMD itself.
///
/// Buffers are row-major float32. Shapes are given in each doc comment.
enum Ops {
    /// `output[rows, outFeatures] = input[rows, inFeatures] · weight[outFeatures, inFeatures]ᵀ`.
    static func matmulTransposed(
        _ input: UnsafePointer<Float>, rows: Int, inFeatures: Int,
        weight: UnsafePointer<Float>, outFeatures: Int,
        output: UnsafeMutablePointer<Float>, outputStride: Int? = nil
    ) {
        matmul(m: rows, n: outFeatures, k: inFeatures, a: input, lda: inFeatures, b: weight, ldb: inFeatures,
               transposeB: true, c: output, ldc: outputStride ?? outFeatures)
    }

    /// `output[rows] = weight[rows, columns] · input[columns]`, split over output rows across the
    /// compute threads (one token's Linear: see `matrixVector` for why rows are read one by one).
    static func matrixVector(
        _ weight: UnsafePointer<Float>, rows: Int, columns: Int, input: UnsafePointer<Float>, output: UnsafeMutablePointer<Float>
    ) {
        parallelMatrixVector(weight, rowStride: columns, input: input, columns: columns, rows: rows, output: output)
    }

    /// One position's grouped-query attention over `length` cached positions: `queries`
    /// [heads, headDimension] → `output` [heads, headDimension]; in `keys`/`values`, key/value head
    /// `g`, position `p` starts at `g · headStride + p · rowStride`; `scores` scratch [heads, length]. Split over query heads across the compute threads once the
    /// cache is long enough to pay for it.
    static func attendSingleQuery(
        queries: UnsafePointer<Float>, heads: Int, group: Int, headDimension: Int,
        keys: UnsafePointer<Float>, values: UnsafePointer<Float>, headStride: Int, rowStride: Int, length: Int, scale: Float,
        scores: UnsafeMutablePointer<Float>, output: UnsafeMutablePointer<Float>
    ) {
        let q = SendablePointer(queries), k = SendablePointer(keys), v = SendablePointer(values)
        let s = SendableMutablePointer(scores), out = SendableMutablePointer(output)
        // Below ~128 positions a head is a few microseconds of work: not worth a second thread.
        parallelFor(count: heads, minimumChunk: length >= 128 ? 1 : heads) { range in
            Tensors.attendSingleQuery(queries: q.base, heads: range, group: group, headDimension: headDimension,
                                      keys: k.base, values: v.base, headStride: headStride, rowStride: rowStride,
                                      length: length, scale: scale,
                                      scores: s.base + range.lowerBound * length, output: out.base)
        }
    }

    /// General strided GEMM: `c[m, n] = alpha · a[m, k] · op(b) + beta · c`, where `op(b)` is
    /// `b[n, k]ᵀ` when `transposeB` and `b[k, n]` otherwise; `lda`, `ldb`, `ldc` are row strides.
    static func gemm(
        m: Int, n: Int, k: Int, alpha: Float,
        a: UnsafePointer<Float>, lda: Int, b: UnsafePointer<Float>, ldb: Int, transposeB: Bool,
        beta: Float, c: UnsafeMutablePointer<Float>, ldc: Int
    ) {
        matmul(m: m, n: n, k: k, alpha: alpha, a: a, lda: lda, b: b, ldb: ldb, transposeB: transposeB, beta: beta, c: c, ldc: ldc)
    }

    /// transformers' LlamaRMSNorm on each of `rows` rows of width `dimension`.
    static func rmsNorm(
        _ input: UnsafePointer<Float>, rows: Int, dimension: Int, weight: UnsafePointer<Float>,
        epsilon: Float, output: UnsafeMutablePointer<Float>
    ) {
        let weights = UnsafeBufferPointer(start: weight, count: dimension)
        for r in 0..<rows {
            Tensors.rmsNorm(UnsafeBufferPointer(start: input + r * dimension, count: dimension), weight: weights,
                            epsilon: epsilon, output: UnsafeMutableBufferPointer(start: output + r * dimension, count: dimension))
        }
    }

    /// In-place softmax of one row.
    static func softmax(_ row: UnsafeMutablePointer<Float>, count: Int) {
        Tensors.softmax(UnsafeMutableBufferPointer(start: row, count: count))
    }

    /// `gate[i] = silu(gate[i]) · up[i]` over `count` elements.
    static func swiGLU(gate: UnsafeMutablePointer<Float>, up: UnsafePointer<Float>, count: Int) {
        Tensors.swiGLU(gate: UnsafeMutableBufferPointer(start: gate, count: count), up: UnsafeBufferPointer(start: up, count: count))
    }

    /// `target[i] += source[i]`.
    static func add(_ source: UnsafePointer<Float>, into target: UnsafeMutablePointer<Float>, count: Int) {
        addInPlace(source, into: target, count: count)
    }

    /// `row[i] += bias[i]` for each of `rows` rows.
    static func addBias(_ bias: UnsafePointer<Float>, to rows: UnsafeMutablePointer<Float>, rowCount: Int, width: Int) {
        Tensors.addBias(bias, to: rows, rowCount: rowCount, width: width)
    }

    /// HF rotate-half RoPE on `[tokens, heads, headDimension]` in place; `cosine`/`sine` are
    /// `[tokens, headDimension / 2]` for the tokens' positions.
    static func applyRoPE(
        _ values: UnsafeMutablePointer<Float>, tokens: Int, heads: Int, headDimension: Int,
        cosine: UnsafePointer<Float>, sine: UnsafePointer<Float>
    ) {
        applyRotaryEmbedding(values, tokens: tokens, heads: heads, headDimension: headDimension, cosine: cosine, sine: sine)
    }
}
