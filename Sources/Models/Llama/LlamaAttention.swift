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
        let keyStride = configuration.keyValueWidth, queryStride = configuration.queryWidth
        let length = start + tokens
        let scale = 1 / Float(headDimension).squareRoot()
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
                                 b: keys + keyHead * headDimension, ldb: keyStride, transposeB: true,
                                 beta: 0, c: s.baseAddress!, ldc: length)
                        for t in 0..<tokens {
                            let row = s.baseAddress! + t * length
                            let visible = start + t + 1
                            Ops.softmax(row, count: visible)
                            for j in visible..<length { row[j] = 0 }
                        }
                        Ops.gemm(m: tokens, n: headDimension, k: length, alpha: 1,
                                 a: s.baseAddress!, lda: length,
                                 b: values + keyHead * headDimension, ldb: keyStride, transposeB: false,
                                 beta: 0, c: out.baseAddress! + head * headDimension, ldc: queryStride)
                    }
                }
            }
        }
        return output
    }
}
