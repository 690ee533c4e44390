import Foundation
import Models
import Tensors

/// The result of `Perplexity.evaluate`, with the JSON keys of the `--json` contract.
public struct PerplexityResult: Codable, Sendable {
    public var perplexity: Double
    public var meanNegativeLogLikelihood: Double
    public var windows: Int
    public var sequenceLength: Int
    /// windows × sequenceLength (the positions read)
    public var tokensScored: Int
    /// windows × (sequenceLength − 1) (the positions predicted)
    public var tokensPredicted: Int
    public var seconds: Double

    enum CodingKeys: String, CodingKey {
        case perplexity, windows, seconds
        case meanNegativeLogLikelihood = "nll_mean"
        case sequenceLength = "seq_len"
        case tokensScored = "tokens_scored"
        case tokensPredicted = "tokens_predicted"
    }
}

/// Perplexity with the protocol of DESIGN.md (and of the GPTQ/llm-compressor papers): the text is
/// tokenized once without special tokens, cut into consecutive non-overlapping windows of
/// `sequenceLength` (the tail is dropped), each window scored from an empty cache, and the
/// negative log-likelihood averaged over positions 1..L-1 of every window.
public enum Perplexity {
    public static func windows(of tokens: [Int], sequenceLength: Int, maxWindows: Int?) -> [ArraySlice<Int>] {
        let count = min(tokens.count / sequenceLength, maxWindows ?? Int.max)
        return (0..<count).map { tokens[($0 * sequenceLength)..<(($0 + 1) * sequenceLength)] }
    }

    /// Scores `tokens`; `progress(done, total, runningPerplexity)` is called after each window.
    /// `source` names the data in errors (too few tokens for one window, a window beyond the context).
    public static func evaluate(model: LlamaModel, tokens: [Int], sequenceLength: Int, maxWindows: Int? = nil,
                                source: String = "data",
                                progress: (Int, Int, Double) -> Void = { _, _, _ in }) throws -> PerplexityResult {
        try EvaluationError.check(tokens: tokens.count, sequenceLength: sequenceLength, model: model, source: source)
        let start = Date()
        let windows = windows(of: tokens, sequenceLength: sequenceLength, maxWindows: maxWindows)
        var total = 0.0
        var predicted = 0
        for (index, window) in windows.enumerated() {
            let ids = Array(window)
            // From position 0 without a KV cache: the same as a fresh cache, without holding one.
            let hidden = try model.normalizedHidden(tokens: ids)
            total += negativeLogLikelihood(model: model, hidden: hidden, targets: ids)
            predicted += ids.count - 1
            progress(index + 1, windows.count, exp(total / Double(predicted)))
        }
        let mean = predicted > 0 ? total / Double(predicted) : .nan
        return PerplexityResult(perplexity: exp(mean), meanNegativeLogLikelihood: mean, windows: windows.count,
                                sequenceLength: sequenceLength, tokensScored: windows.count * sequenceLength,
                                tokensPredicted: predicted, seconds: Date().timeIntervalSince(start))
    }

    /// Sum over rows t < L-1 of −log softmax(logits_t)[targets[t+1]], the logits made a block of
    /// vocabulary entries at a time (`LogitBlocks`).
    static func negativeLogLikelihood(model: LlamaModel, hidden: Tensor, targets: [Int]) -> Double {
        let rows = targets.count - 1
        var logSumExp = RunningLogSumExp(rows: rows)
        var targetLogits = [Double](repeating: 0, count: rows)
        LogitBlocks.forEach(model: model, hidden: hidden.rows(0..<rows)) { entries, logits in
            logSumExp.add(logits)
            for row in 0..<rows where entries.contains(targets[row + 1]) {
                targetLogits[row] = Double(logits[(targets[row + 1] - entries.lowerBound) * rows + row])
            }
        }
        return zip(logSumExp.values, targetLogits).reduce(0) { $0 + $1.0 - $1.1 }
    }
}
