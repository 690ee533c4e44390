import Tensors

/// Where attention finds the keys and values of positions `0 ..< length`: key/value head `g`,
/// position `p` starts at `g · headStride + p · rowStride` in `keys` and in `values`. The KV cache is
/// head-major (`KVCache.view(layer:)`); a layer's own k/v projections, when there is no cache, are
/// position-major (`headStride` = headDimension, `rowStride` = keyValueWidth).
struct KeyValueView {
    let keys: UnsafePointer<Float>
    let values: UnsafePointer<Float>
    let headStride: Int
    let rowStride: Int
}

/// Causal grouped-query attention.
enum LlamaAttention {
    /// `queries` [tokens, heads·headDim] at positions `start ..< start + tokens`, against the keys
    /// and values of positions `0 ..< start + tokens` in `keyValues` → [tokens, heads·headDim].
    static func attend(queries: Tensor, over keyValues: KeyValueView, start: Int, configuration: LlamaConfiguration) -> Tensor {
        let tokens = queries.shape[0]
        let heads = configuration.headCount, headDimension = configuration.headDimension
        let group = configuration.queriesPerKeyValueHead
        let queryStride = configuration.queryWidth
        let headStride = keyValues.headStride, rowStride = keyValues.rowStride
        let length = start + tokens
        let scale = 1 / Float(headDimension).squareRoot()
        if tokens == 1 {
            return attendOneToken(queries, over: keyValues, length: length, scale: scale, configuration: configuration)
        }
        var output = Tensor(zeros: [tokens, queryStride])
        var scores = [Float](repeating: 0, count: tokens * length)
        let keys = keyValues.keys, values = keyValues.values
        queries.withUnsafeBufferPointer(as: Float.self) { q in
            output.withUnsafeMutableBufferPointer(as: Float.self) { out in
                scores.withUnsafeMutableBufferPointer { s in
                    for head in 0..<heads {
                        let keyHead = head / group
                        // scores[t, j] = q_t · k_j / sqrt(d)
                        Ops.gemm(m: tokens, n: length, k: headDimension, alpha: scale,
                                 a: q.baseAddress! + head * headDimension, lda: queryStride,
                                 b: keys + keyHead * headStride, ldb: rowStride, transposeB: true,
                                 beta: 0, c: s.baseAddress!, ldc: length)
                        for t in 0..<tokens {
                            let row = s.baseAddress! + t * length
                            let visible = start + t + 1
                            Ops.softmax(row, count: visible)
                            for j in visible..<length { row[j] = 0 }
                        }
                        Ops.gemm(m: tokens, n: headDimension, k: length, alpha: 1,
                                 a: s.baseAddress!, lda: length,
                                 b: values + keyHead * headStride, ldb: rowStride, transposeB: false,
                                 beta: 0, c: out.baseAddress! + head * headDimension, ldc: queryStride)
                    }
                }
            }
        }
        return output
    }

    /// Decoding: one query position, so no GEMM (and no BLAS threads woken): `Ops.attendSingleQuery`,
    /// split over the query heads across the compute threads.
    private static func attendOneToken(_ queries: Tensor, over keyValues: KeyValueView, length: Int, scale: Float,
                                       configuration: LlamaConfiguration) -> Tensor {
        let heads = configuration.headCount
        var output = Tensor(zeros: [1, configuration.queryWidth])
        var scores = [Float](repeating: 0, count: heads * length)
        queries.withUnsafeBufferPointer(as: Float.self) { q in
            output.withUnsafeMutableBufferPointer(as: Float.self) { out in
                scores.withUnsafeMutableBufferPointer { s in
                    Ops.attendSingleQuery(queries: q.baseAddress!, heads: heads, group: configuration.queriesPerKeyValueHead,
                                          headDimension: configuration.headDimension, keys: keyValues.keys,
                                          values: keyValues.values, headStride: keyValues.headStride,
                                          rowStride: keyValues.rowStride, length: length, scale: scale,
                                          scores: s.baseAddress!, output: out.baseAddress!)
                }
            }
        }
        return output
    }
}
