import Testing
import Tensors

struct RoPEAndElementwiseTests {
    /// Head dimensions whose halves hit the SIMD body and tails (1, 3, 7, 17, 33, 129 pairs... and 32).
    @Test(arguments: [2, 6, 14, 34, 64, 66, 258])
    func rotaryEmbeddingMatchesReference(headDimension: Int) {
        let tokens = 3, heads = 2, half = headDimension / 2
        var fast = RowKernelTests.values(tokens * heads * headDimension, seed: 9)
        var reference = fast
        let angles = RowKernelTests.values(tokens * half, seed: 10, scale: 20)
        let cosine = angles.map { Float(cos(Double($0))) }, sine = angles.map { Float(sin(Double($0))) }
        fast.withUnsafeMutableBufferPointer {
            applyRotaryEmbedding($0.baseAddress!, tokens: tokens, heads: heads, headDimension: headDimension, cosine: cosine, sine: sine)
        }
        reference.withUnsafeMutableBufferPointer {
            applyRotaryEmbeddingReference($0.baseAddress!, tokens: tokens, heads: heads, headDimension: headDimension,
                                          cosine: cosine, sine: sine)
        }
        // Two float products and a sum per element against Double: within a few ulp of |x| ≤ 8.
        let worst = zip(fast, reference).map { abs($0 - $1) }.max()!
        #expect(worst < 4e-6, "max |Δ| \(worst)")
    }

    @Test(arguments: RowKernelTests.lengths)
    func addInPlaceMatchesReference(length: Int) {
        let source = RowKernelTests.values(length, seed: 11)
        var fast = RowKernelTests.values(length, seed: 12), reference = fast
        fast.withUnsafeMutableBufferPointer { addInPlace(source, into: $0.baseAddress!, count: length) }
        reference.withUnsafeMutableBufferPointer { addInPlaceReference(source, into: $0.baseAddress!, count: length) }
        #expect(fast == reference)
    }
}

import Foundation
