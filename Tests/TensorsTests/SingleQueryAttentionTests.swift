import Testing
import Tensors

/// One decoded position's attention against its Double reference: head dimensions that hit the
/// 64-, 16-wide and scalar paths, lengths below and above a 16-position block, groups of query heads
/// split across calls as threads split them.
struct SingleQueryAttentionTests {
    /// Position-major rows (heads side by side, padded) and head-major runs (the KV cache's layout).
    @Test(arguments: [1, 2, 3, 16, 64, 80, 128], [1, 3])
    func singleQueryAttentionMatchesReference(headDimension: Int, group: Int) {
        let keyValueHeads = 3, heads = keyValueHeads * group
        for headMajor in [false, true] {
            for length in [1, 2, 17, 130] {
                let capacity = length + 2
                let rowStride = headMajor ? headDimension : keyValueHeads * headDimension + 5
                let headStride = headMajor ? capacity * headDimension : headDimension
                let size = headMajor ? keyValueHeads * headStride : capacity * rowStride
                let queries = RowKernelTests.values(heads * headDimension, seed: 27, scale: 2)
                let keys = RowKernelTests.values(size, seed: 28, scale: 2)
                let values = RowKernelTests.values(size, seed: 29, scale: 2)
                let scale = 1 / Float(headDimension).squareRoot()
                var reference = [Float](repeating: 0, count: heads * headDimension)
                reference.withUnsafeMutableBufferPointer {
                    attendSingleQueryReference(queries: queries, heads: 0..<heads, group: group, headDimension: headDimension,
                                               keys: keys, values: values, headStride: headStride, rowStride: rowStride,
                                               length: length, scale: scale, output: $0.baseAddress!)
                }
                // Whole, and in pieces that split a group of query heads (as threads split them).
                for split in Set([heads, 1, max(1, heads / 2 + 1)]) {
                    var fast = [Float](repeating: .nan, count: heads * headDimension)
                    var scores = [Float](repeating: 0, count: heads * length)
                    var first = 0
                    while first < heads {
                        let range = first..<min(heads, first + split)
                        scores.withUnsafeMutableBufferPointer { s in
                            fast.withUnsafeMutableBufferPointer {
                                attendSingleQuery(queries: queries, heads: range, group: group, headDimension: headDimension,
                                                  keys: keys, values: values, headStride: headStride, rowStride: rowStride,
                                                  length: length, scale: scale, scores: s.baseAddress! + range.lowerBound * length,
                                                  output: $0.baseAddress!)
                            }
                        }
                        first = range.upperBound
                    }
                    let worst = zip(fast, reference).map { abs($0 - $1) }.max()!
                    #expect(worst <= 2e-6, "max |Δ| \(worst): headDimension \(headDimension), group \(group), length \(length), split \(split), head-major \(headMajor)")
                }
            }
        }
    }
}
