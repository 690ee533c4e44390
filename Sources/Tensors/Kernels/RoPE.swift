/// Rotary position embedding in the HF rotate-half layout, in place on `values`
/// `[tokens, heads, headDimension]`: within each head, element i pairs with i + headDimension/2:
/// `(x1, x2) → (x1·cos − x2·sin, x2·cos + x1·sin)`. `cosine`/`sine` are `[tokens, headDimension/2]`
/// for the tokens' positions.
public func applyRotaryEmbedding(_ values: UnsafeMutablePointer<Float>, tokens: Int, heads: Int, headDimension: Int,
                                 cosine: UnsafePointer<Float>, sine: UnsafePointer<Float>) {
    let half = headDimension / 2
    for t in 0..<tokens {
        let c = cosine + t * half, s = sine + t * half
        for h in 0..<heads {
            let first = values + (t * heads + h) * headDimension, second = first + half
            var i = 0
            while i + 16 <= half {
                let x1 = UnsafeRawPointer(first + i).loadUnaligned(as: SIMD16<Float>.self)
                let x2 = UnsafeRawPointer(second + i).loadUnaligned(as: SIMD16<Float>.self)
                let cv = UnsafeRawPointer(c + i).loadUnaligned(as: SIMD16<Float>.self)
                let sv = UnsafeRawPointer(s + i).loadUnaligned(as: SIMD16<Float>.self)
                UnsafeMutableRawPointer(first + i).storeBytes(of: x1 * cv - x2 * sv, as: SIMD16<Float>.self)
                UnsafeMutableRawPointer(second + i).storeBytes(of: x2 * cv + x1 * sv, as: SIMD16<Float>.self)
                i += 16
            }
            while i < half {
                let x1 = first[i], x2 = second[i]
                first[i] = x1 * c[i] - x2 * s[i]
                second[i] = x2 * c[i] + x1 * s[i]
                i += 1
            }
        }
    }
}

/// The scalar reference for `applyRotaryEmbedding`, computed in Double.
public func applyRotaryEmbeddingReference(_ values: UnsafeMutablePointer<Float>, tokens: Int, heads: Int, headDimension: Int,
                                          cosine: UnsafePointer<Float>, sine: UnsafePointer<Float>) {
    let half = headDimension / 2
    for t in 0..<tokens {
        for h in 0..<heads {
            let base = values + (t * heads + h) * headDimension
            for i in 0..<half {
                let x1 = Double(base[i]), x2 = Double(base[i + half])
                let c = Double(cosine[t * half + i]), s = Double(sine[t * half + i])
                base[i] = Float(x1 * c - x2 * s)
                base[i + half] = Float(x2 * c + x1 * s)
            }
        }
    }
}
