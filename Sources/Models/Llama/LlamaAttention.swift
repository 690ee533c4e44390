import Tensors

/// Causal grouped-query attention over the KV cache.
enum LlamaAttention {
    /// `queries` [tokens, heads·headDim] at positions `start ..< start + tokens`, against the
    /// cached keys/values of positions `0 ..< start + tokens` → [tokens, heads·headDim].
    static func attend(queries: Tensor, layer: Int, start: Int, configuration: LlamaConfiguration,
                       cache: KVCache) -> Tensor {
        let tokens = queries.shape[0]
        let heads = configuration.headCount, headDimension = configuration.headDimension
        let group = configuration.queriesPerKeyValueHead
        let queryStride = configuration.queryWidth, headStride = cache.headStride
        let length = start + tokens
        let scale = 1 / Float(headDimension).squareRoot()
        if tokens == 1 {
            return attendOneToken(queries, keys: cache.keys(layer: layer), values: cache.values(layer: layer),
                                  headStride: cache.headStride, length: length, scale: scale, configuration: configuration)
        }
        var output = Tensor(zeros: [tokens, queryStride])
        var scores = [Float](repeating: 0, count: tokens * length)
        let keys = cache.keys(layer: layer), values = cache.values(layer: layer)
        queries.withUnsafeBufferPointer(as: Float.self) { q in
            output.withUnsafeMutableBufferPointer(as: Float.self) { out in
                scores.withUnsafeMutableBufferPointer { s in
                    for head in 0..<heads {
                        let keyHead = head / group
                        // scores[t, j] = q_t · k_j / sqrt(d)
                        Ops.gemm(m: tokens, n: length, k: headDimension, alpha: scale,
                                 a: q.baseAddress! + head * headDimension, lda: queryStride,
                                 b: keys + keyHead * headStride, ldb: headDimension, transposeB: true,
                                 beta: 0, c: s.baseAddress!, ldc: length)
                        for t in 0..<tokens {
                            let row = s.baseAddress! + t * length
                            let visible = start + t + 1
                            Ops.softmax(row, count: visible)
                            for j in visible..<length { row[j] = 0 }
                        }
                        Ops.gemm(m: tokens, n: headDimension, k: length, alpha: 1,
                                 a: s.baseAddress!, lda: length,
                                 b: values + keyHead * headStride, ldb: headDimension, transposeB: false,
                                 beta: 0, c: out.baseAddress! + head * headDimension, ldc: queryStride)
                    }
                }
            }
        }
        return output
    }

    /// Decoding: one query position, so no GEMM (and no BLAS threads woken): `Ops.attendSingleQuery`,
    /// split over the query heads across the compute threads.
    private static func attendOneToken(_ queries: Tensor, keys: UnsafePointer<Float>, values: UnsafePointer<Float>,
                                       headStride: Int, length: Int, scale: Float, configuration: LlamaConfiguration) -> Tensor {
        let heads = configuration.headCount
        var output = Tensor(zeros: [1, configuration.queryWidth])
        var scores = [Float](repeating: 0, count: heads * length)
        queries.withUnsafeBufferPointer(as: Float.self) { q in
            output.withUnsafeMutableBufferPointer(as: Float.self) { out in
                scores.withUnsafeMutableBufferPointer { s in
                    Ops.attendSingleQuery(queries: q.baseAddress!, heads: heads, group: configuration.queriesPerKeyValueHead,
                                          headDimension: configuration.headDimension, keys: keys, values: values,
                                          headStride: headStride, length: length, scale: scale,
                                          scores: s.baseAddress!, output: out.baseAddress!)
                }
            }
        }
        return output
    }
}
