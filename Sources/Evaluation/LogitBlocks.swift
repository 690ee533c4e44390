import Foundation
import Models
import Tensors

/// Scoring many positions without holding their logits: the output head runs over a block of
/// vocabulary entries at a time, transposed ([block, rows], so one GEMM packs each block of head
/// weights once for all rows), and each row keeps running statistics (`RunningLogSumExp`,
/// `RunningArgmax`). A 512-token window of SmolLM2 holds 4 MB of logits instead of 100 MB, and the
/// 113 MB head is read once per window.
enum LogitBlocks {
    /// Vocabulary entries per block: [2048, 511] float logits are 4 MB.
    static let blockSize = 2048

    /// Calls `body(entries, logits)` for consecutive blocks of vocabulary entries covering the whole
    /// vocabulary; `logits` is [entries.count, rows] for `hidden` [rows, hiddenSize] (final-normalized).
    static func forEach(model: LlamaModel, hidden: Tensor, _ body: (Range<Int>, UnsafeBufferPointer<Float>) -> Void) {
        let vocabulary = model.configuration.vocabularySize
        var start = 0
        while start < vocabulary {
            let entries = start..<min(vocabulary, start + blockSize)
            let logits = model.transposedLogits(hidden, vocabulary: entries)
            logits.withUnsafeBufferPointer(as: Float.self) { body(entries, $0) }
            start = entries.upperBound
        }
    }
}

/// log Σ_v exp(x[r, v]) for every row r, accumulated over blocks of vocabulary entries as they come
/// (the running maximum rescales the sums when it grows). Sums of exponentials are made 16 rows at a
/// time in float and flushed to Double every 256 entries, as `logSumExp` does for one row.
///
/// Given the logits of a second model on the same rows, it also accumulates
/// `Σ_v exp(x − maximum) · (x − y)`, from which KL(softmax x ‖ softmax y) follows (`klDivergence`).
struct RunningLogSumExp {
    private(set) var maxima: [Float]
    private(set) var sums: [Double]
    private var weightedDifferences: [Double]

    init(rows: Int) {
        maxima = Array(repeating: -.infinity, count: rows)
        sums = Array(repeating: 0, count: rows)
        weightedDifferences = Array(repeating: 0, count: rows)
    }

    /// Adds a block of logits [entries, rows]; `other`, if given, is the second model's block.
    mutating func add(_ block: UnsafeBufferPointer<Float>, other: UnsafeBufferPointer<Float>? = nil) {
        let rows = maxima.count
        let entries = block.count / rows
        precondition(entries * rows == block.count && (other == nil || other!.count == block.count))
        let x = block.baseAddress!
        var blockMaxima = Array(repeating: -Float.infinity, count: rows)
        for entry in 0..<entries { maximize(&blockMaxima, with: x + entry * rows) }
        for row in 0..<rows where blockMaxima[row] > maxima[row] {
            let rescale = Foundation.exp(Double(maxima[row] - blockMaxima[row]))
            sums[row] *= rescale
            weightedDifferences[row] *= rescale
            maxima[row] = blockMaxima[row]
        }
        var partialSums = Array(repeating: Float(0), count: rows)
        var partialDifferences = Array(repeating: Float(0), count: rows)
        for entry in 0..<entries {
            accumulate(x + entry * rows, other: other.map { $0.baseAddress! + entry * rows },
                       sums: &partialSums, differences: &partialDifferences)
            if entry % 256 == 255 || entry == entries - 1 {
                for row in 0..<rows {
                    sums[row] += Double(partialSums[row])
                    weightedDifferences[row] += Double(partialDifferences[row])
                }
                partialSums = Array(repeating: 0, count: rows)
                partialDifferences = Array(repeating: 0, count: rows)
            }
        }
    }

    /// log Σ exp over everything added, per row.
    var values: [Double] { zip(maxima, sums).map { Double($0) + Foundation.log($1) } }

    /// KL(softmax x ‖ softmax y) per row, where x are the logits added here and y the `other` logits
    /// added with them, whose log-sum-exp is `otherLogSumExp`:
    /// Σ_v p_v (x_v − y_v) − logΣexp(x) + logΣexp(y), with p = softmax(x).
    func klDivergence(otherLogSumExp: [Double]) -> [Double] {
        let own = values
        return (0..<maxima.count).map { weightedDifferences[$0] / sums[$0] - own[$0] + otherLogSumExp[$0] }
    }

    private func maximize(_ best: inout [Float], with values: UnsafePointer<Float>) {
        let rows = best.count
        best.withUnsafeMutableBufferPointer { b in
            var row = 0
            while row + 16 <= rows {
                let current = UnsafeRawPointer(b.baseAddress! + row).loadUnaligned(as: SIMD16<Float>.self)
                let candidate = UnsafeRawPointer(values + row).loadUnaligned(as: SIMD16<Float>.self)
                UnsafeMutableRawPointer(b.baseAddress! + row).storeBytes(of: lanewiseMaximum(current, candidate), as: SIMD16<Float>.self)
                row += 16
            }
            while row < rows { b[row] = max(b[row], values[row]); row += 1 }
        }
    }

    /// `sums[r] += exp(x[r] − maxima[r])`, and `differences[r] += exp(x[r] − maxima[r]) · (x[r] − y[r])`.
    private func accumulate(_ x: UnsafePointer<Float>, other y: UnsafePointer<Float>?,
                            sums: inout [Float], differences: inout [Float]) {
        let rows = maxima.count
        maxima.withUnsafeBufferPointer { m in
            sums.withUnsafeMutableBufferPointer { s in
                differences.withUnsafeMutableBufferPointer { d in
                    var row = 0
                    while row + 16 <= rows {
                        let values = UnsafeRawPointer(x + row).loadUnaligned(as: SIMD16<Float>.self)
                        let maximum = UnsafeRawPointer(m.baseAddress! + row).loadUnaligned(as: SIMD16<Float>.self)
                        let e = vectorExp(values - maximum)
                        let sum = UnsafeRawPointer(s.baseAddress! + row).loadUnaligned(as: SIMD16<Float>.self) + e
                        UnsafeMutableRawPointer(s.baseAddress! + row).storeBytes(of: sum, as: SIMD16<Float>.self)
                        if let y {
                            let difference = values - UnsafeRawPointer(y + row).loadUnaligned(as: SIMD16<Float>.self)
                            let total = UnsafeRawPointer(d.baseAddress! + row).loadUnaligned(as: SIMD16<Float>.self) + e * difference
                            UnsafeMutableRawPointer(d.baseAddress! + row).storeBytes(of: total, as: SIMD16<Float>.self)
                        }
                        row += 16
                    }
                    while row < rows {
                        let e = expReference(x[row] - m[row])
                        s[row] += e
                        if let y { d[row] += e * (x[row] - y[row]) }
                        row += 1
                    }
                }
            }
        }
    }
}

/// The first index of the largest logit of every row (torch's argmax tie-break), over blocks of
/// vocabulary entries [entries, rows] added in increasing order.
struct RunningArgmax {
    private(set) var best: [Float]
    private(set) var indices: [Int]

    init(rows: Int) {
        best = Array(repeating: -.infinity, count: rows)
        indices = Array(repeating: 0, count: rows)
    }

    mutating func add(_ block: UnsafeBufferPointer<Float>, entries: Range<Int>) {
        let rows = best.count
        for (offset, entry) in entries.enumerated() {
            let values = block.baseAddress! + offset * rows
            // Strictly greater: an equal value later in the vocabulary does not replace the first.
            for row in 0..<rows where values[row] > best[row] {
                best[row] = values[row]
                indices[row] = entry
            }
        }
    }
}
