import Foundation
import Testing
@testable import Evaluation
import Tensors

/// The running statistics over vocabulary blocks against direct computations on whole rows, for
/// blocks that split the vocabulary unevenly and row counts that hit the 16-row SIMD tail.
struct LogitBlocksTests {
    static func logits(rows: Int, vocabulary: Int, seed: UInt32, spread: Float) -> [Float] {
        var state = seed
        return (0..<(rows * vocabulary)).map { _ in
            state = state &* 1_664_525 &+ 1_013_904_223
            return spread * (Float(state >> 8) / Float(1 << 24) - 0.5)
        }
    }

    /// [rows, vocabulary] → blocks of [entries, rows], as `LogitBlocks.forEach` hands them out.
    static func blocks(_ values: [Float], rows: Int, vocabulary: Int, size: Int) -> [(Range<Int>, [Float])] {
        stride(from: 0, to: vocabulary, by: size).map { start in
            let entries = start..<min(vocabulary, start + size)
            return (entries, entries.flatMap { entry in (0..<rows).map { values[$0 * vocabulary + entry] } })
        }
    }

    @Test(arguments: [1, 17, 33], [1, 7, 300, 1000])
    func runningStatisticsMatchWholeRows(rows: Int, blockSize: Int) {
        let vocabulary = 1000
        let x = Self.logits(rows: rows, vocabulary: vocabulary, seed: 1, spread: 30)
        // A second model: the first one perturbed, so KL is small but not zero.
        let y = zip(x, Self.logits(rows: rows, vocabulary: vocabulary, seed: 2, spread: 1)).map { $0 + $1 }
        var logSumExp = RunningLogSumExp(rows: rows), otherLogSumExp = RunningLogSumExp(rows: rows)
        var argmax = RunningArgmax(rows: rows)
        for ((entries, xBlock), (_, yBlock)) in zip(Self.blocks(x, rows: rows, vocabulary: vocabulary, size: blockSize),
                                                    Self.blocks(y, rows: rows, vocabulary: vocabulary, size: blockSize)) {
            xBlock.withUnsafeBufferPointer { xb in
                yBlock.withUnsafeBufferPointer { yb in
                    logSumExp.add(xb, other: yb)
                    otherLogSumExp.add(yb)
                    argmax.add(xb, entries: entries)
                }
            }
        }
        let kl = logSumExp.klDivergence(otherLogSumExp: otherLogSumExp.values)
        for row in 0..<rows {
            let xRow = Array(x[(row * vocabulary)..<((row + 1) * vocabulary)]), yRow = Array(y[(row * vocabulary)..<((row + 1) * vocabulary)])
            let expectedX = xRow.withUnsafeBufferPointer { logSumExpReference($0) }
            let expectedY = yRow.withUnsafeBufferPointer { logSumExpReference($0) }
            #expect(abs(logSumExp.values[row] - expectedX) < 1e-6 * abs(expectedX))
            #expect(abs(otherLogSumExp.values[row] - expectedY) < 1e-6 * abs(expectedY))
            var expectedKL = 0.0
            for v in 0..<vocabulary {
                let logP = Double(xRow[v]) - expectedX, logQ = Double(yRow[v]) - expectedY
                expectedKL += Foundation.exp(logP) * (logP - logQ)
            }
            #expect(abs(kl[row] - expectedKL) < 1e-5 * max(expectedKL, 1e-3), "KL \(kl[row]) vs \(expectedKL)")
            #expect(argmax.indices[row] == xRow.indices.max { xRow[$0] < xRow[$1] || (xRow[$0] == xRow[$1] && $0 > $1) }!)
        }
    }

    @Test func argmaxKeepsTheFirstOfEqualLogits() {
        var argmax = RunningArgmax(rows: 1)
        [Float(1), 3, 2].withUnsafeBufferPointer { argmax.add($0, entries: 0..<3) }
        [Float(3), 3].withUnsafeBufferPointer { argmax.add($0, entries: 3..<5) }
        #expect(argmax.indices == [1])
    }
}
