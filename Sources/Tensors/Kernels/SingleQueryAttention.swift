/// Attention of one new position (a decoded token) over a key/value cache. Decoding reads every cached
/// key and value of every layer for each token; at a depth of 512 that is 5 % of the bytes the weights
/// are, so the cache should stream at DRAM speed. Query heads go one after another; the heads of a
/// group after the first find their key/value head in L2.
///
/// What kept the first version (BLAS sgemv per head over position-major rows, then a `dot` per
/// position) at a third of that speed, measured here: rows of several heads interleaved, so one head's
/// keys were 256-byte pieces 768 bytes apart (the cache is head-major now, see KVCache); summing each
/// 16-lane dot product across its lanes cost more than the dot itself; and `output += p · v` per
/// position was a store chain. So scores are made 16 positions at a time with their lane sums folded
/// together (`foldLanes`), and the weighted sum of values keeps its accumulators in registers.

/// For each query head `h` in `heads`: `output[h] = Σ_j softmax_j(scale · q_h · k_j) · v_j` over the
/// cached positions `j < length`.
///
/// - `queries`: [queryHeads, headDimension] (one position).
/// - `keys`, `values`: key/value head `g`, position `j` starts at `g · headStride + j · rowStride`
///   (head-major as the KV cache stores them: `rowStride` = headDimension, `headStride` = capacity ·
///   headDimension; position-major rows have `headStride` = headDimension); query head `h` reads
///   key/value head `h / group`.
/// - `scores`: scratch of at least `heads.count · length` floats.
/// - `output`: [queryHeads, headDimension]; only the rows of `heads` are written.
public func attendSingleQuery(queries: UnsafePointer<Float>, heads: Range<Int>, group: Int, headDimension: Int,
                              keys: UnsafePointer<Float>, values: UnsafePointer<Float>, headStride: Int, rowStride: Int,
                              length: Int, scale: Float, scores: UnsafeMutablePointer<Float>, output: UnsafeMutablePointer<Float>) {
    precondition(group >= 1 && length >= 1)
    for head in heads {
        let keyHead = head / group
        let rowScores = scores + (head - heads.lowerBound) * length
        let query = queries + head * headDimension
        // Heads after the first of a group find their keys and values in L2.
        scoreRows(query: query, keys: keys + keyHead * headStride, rowStride: rowStride, length: length,
                  headDimension: headDimension, scale: scale, scores: rowScores)
        softmax(UnsafeMutableBufferPointer(start: rowScores, count: length))
        weightedSum(weights: rowScores, values: values + keyHead * headStride, rowStride: rowStride, length: length,
                    headDimension: headDimension, output: output + head * headDimension)
    }
}

/// `scores[j] = scale · query · keys[j]` for `j < length`, 16 positions per block.
@inline(__always)
private func scoreRows(query: UnsafePointer<Float>, keys: UnsafePointer<Float>, rowStride: Int, length: Int,
                       headDimension: Int, scale: Float, scores: UnsafeMutablePointer<Float>) {
    let vectorColumns = headDimension / 16 * 16
    var position = 0
    if headDimension == 64 {
        scoreRowsOf64(query: query, keys: keys, rowStride: rowStride, length: length, scale: scale, scores: scores)
        position = length / 16 * 16
    }
    while position + 16 <= length {
        var block = foldedBlock { sums in
            // Row by row, so the keys are read in address order (the prefetcher follows one stream).
            for j in 0..<16 {
                let key = keys + (position + j) * rowStride
                var sum = SIMD16<Float>.zero
                var column = 0
                while column < vectorColumns {
                    sum.addProduct(load16(query + column), load16(key + column))
                    column += 16
                }
                sums[j] = sum
            }
        }
        if vectorColumns < headDimension {
            var tail = SIMD16<Float>.zero
            for j in 0..<16 {
                let key = keys + (position + j) * rowStride
                for column in vectorColumns..<headDimension { tail[j] += query[column] * key[column] }
            }
            block += tail
        }
        UnsafeMutableRawPointer(scores + position).storeBytes(of: block * scale, as: SIMD16<Float>.self)
        position += 16
    }
    while position < length {
        scores[position] = scale * dot(query, keys + position * rowStride, count: headDimension)
        position += 1
    }
}

/// `scoreRows`' 16-position blocks for a head dimension of 64 (Llama's, SmolLM2's): the query stays
/// in four registers and each position's dot product is two FMA chains of two instead of one chain
/// of four. With one chain (the general loop), each position waited on four dependent FMAs and
/// scores took two thirds of one layer's attention time with the cache in L2 (perf).
@inline(__always)
private func scoreRowsOf64(query: UnsafePointer<Float>, keys: UnsafePointer<Float>, rowStride: Int, length: Int,
                           scale: Float, scores: UnsafeMutablePointer<Float>) {
    let q0 = load16(query), q1 = load16(query + 16), q2 = load16(query + 32), q3 = load16(query + 48)
    var position = 0
    while position + 16 <= length {
        let block = foldedBlock { sums in
            var key = keys + position * rowStride
            for j in 0..<16 {
                var low = q0 * load16(key), high = q2 * load16(key + 32)
                low.addProduct(q1, load16(key + 16))
                high.addProduct(q3, load16(key + 48))
                sums[j] = low + high
                key += rowStride
            }
        }
        UnsafeMutableRawPointer(scores + position).storeBytes(of: block * scale, as: SIMD16<Float>.self)
        position += 16
    }
}

/// One block of 16 positions' dot products: `fill` writes `sums[j]`, 16 lane-wise partial sums of
/// position j's dot product, and the result is their lane sums, `result[j] = sums[j].sum()`.
@inline(__always)
private func foldedBlock(_ fill: (UnsafeMutablePointer<SIMD16<Float>>) -> Void) -> SIMD16<Float> {
    var partial = (SIMD16<Float>.zero, SIMD16<Float>.zero, SIMD16<Float>.zero, SIMD16<Float>.zero,
                   SIMD16<Float>.zero, SIMD16<Float>.zero, SIMD16<Float>.zero, SIMD16<Float>.zero,
                   SIMD16<Float>.zero, SIMD16<Float>.zero, SIMD16<Float>.zero, SIMD16<Float>.zero,
                   SIMD16<Float>.zero, SIMD16<Float>.zero, SIMD16<Float>.zero, SIMD16<Float>.zero)
    withUnsafeMutableBytes(of: &partial) { raw in fill(raw.baseAddress!.assumingMemoryBound(to: SIMD16<Float>.self)) }
    return foldLanes(partial)
}

/// The 16 lane sums of 16 vectors, as one vector: `result[j] = partial.j.sum()`. Four rounds of
/// pairwise folding (15 shuffle-and-add steps) instead of 16 separate horizontal sums (~60).
@inline(__always)
private func foldLanes(_ p: (SIMD16<Float>, SIMD16<Float>, SIMD16<Float>, SIMD16<Float>, SIMD16<Float>, SIMD16<Float>,
                             SIMD16<Float>, SIMD16<Float>, SIMD16<Float>, SIMD16<Float>, SIMD16<Float>, SIMD16<Float>,
                             SIMD16<Float>, SIMD16<Float>, SIMD16<Float>, SIMD16<Float>)) -> SIMD16<Float> {
    // fold(a, b): adjacent-lane pair sums of a, then of b. After round r, vector m holds 2^r
    // consecutive positions' sums, 16 / 2^r lanes each, in position order.
    @inline(__always) func fold(_ a: SIMD16<Float>, _ b: SIMD16<Float>) -> SIMD16<Float> {
        SIMD16(lowHalf: a.evenHalf + a.oddHalf, highHalf: b.evenHalf + b.oddHalf)
    }
    let r1 = (fold(p.0, p.1), fold(p.2, p.3), fold(p.4, p.5), fold(p.6, p.7),
              fold(p.8, p.9), fold(p.10, p.11), fold(p.12, p.13), fold(p.14, p.15))
    let r2 = (fold(r1.0, r1.1), fold(r1.2, r1.3), fold(r1.4, r1.5), fold(r1.6, r1.7))
    return fold(fold(r2.0, r2.1), fold(r2.2, r2.3))
}

/// `output = Σ_j weights[j] · values[j]` over `headDimension` columns, 64 columns (four registers)
/// at a time so the accumulators never leave registers.
@inline(__always)
private func weightedSum(weights: UnsafePointer<Float>, values: UnsafePointer<Float>, rowStride: Int, length: Int,
                         headDimension: Int, output: UnsafeMutablePointer<Float>) {
    var column = 0
    while column + 64 <= headDimension {
        var a0 = SIMD16<Float>.zero, a1 = SIMD16<Float>.zero, a2 = SIMD16<Float>.zero, a3 = SIMD16<Float>.zero
        for position in 0..<length {
            let w = SIMD16<Float>(repeating: weights[position]), row = values + position * rowStride + column
            a0.addProduct(w, load16(row))
            a1.addProduct(w, load16(row + 16))
            a2.addProduct(w, load16(row + 32))
            a3.addProduct(w, load16(row + 48))
        }
        store16(a0, output + column)
        store16(a1, output + column + 16)
        store16(a2, output + column + 32)
        store16(a3, output + column + 48)
        column += 64
    }
    while column + 16 <= headDimension {
        var sum = SIMD16<Float>.zero
        for position in 0..<length {
            sum.addProduct(SIMD16(repeating: weights[position]), load16(values + position * rowStride + column))
        }
        store16(sum, output + column)
        column += 16
    }
    while column < headDimension {
        var sum: Float = 0
        for position in 0..<length { sum += weights[position] * values[position * rowStride + column] }
        output[column] = sum
        column += 1
    }
}

/// The scalar reference for `attendSingleQuery`, in Double.
public func attendSingleQueryReference(queries: UnsafePointer<Float>, heads: Range<Int>, group: Int, headDimension: Int,
                                       keys: UnsafePointer<Float>, values: UnsafePointer<Float>, headStride: Int, rowStride: Int,
                                       length: Int, scale: Float, output: UnsafeMutablePointer<Float>) {
    for head in heads {
        let headKeys = keys + (head / group) * headStride, headValues = values + (head / group) * headStride
        var logits = [Double](repeating: 0, count: length)
        for position in 0..<length {
            var sum = 0.0
            for i in 0..<headDimension {
                sum += Double(queries[head * headDimension + i]) * Double(headKeys[position * rowStride + i])
            }
            logits[position] = Double(scale) * sum
        }
        let maximum = logits.max()!
        let weights = logits.map { Foundation.exp($0 - maximum) }
        let total = weights.reduce(0, +)
        for i in 0..<headDimension {
            var sum = 0.0
            for position in 0..<length { sum += weights[position] * Double(headValues[position * rowStride + i]) }
            output[head * headDimension + i] = Float(sum / total)
        }
    }
}

@inline(__always)
private func store16(_ value: SIMD16<Float>, _ pointer: UnsafeMutablePointer<Float>) {
    UnsafeMutableRawPointer(pointer).storeBytes(of: value, as: SIMD16<Float>.self)
}

import Foundation
