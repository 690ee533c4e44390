import Foundation
import Models
import Tensors

/// How far a model's next-token distributions are from a reference model's on the same windows:
/// what a quantization changed, measured directly rather than through perplexity alone.
public struct DivergenceResult: Codable, Sendable {
    public var perplexity: Double
    public var referencePerplexity: Double
    /// Mean over predicted positions of KL(reference ‖ model), in nats.
    public var meanKLDivergence: Double
    /// Fraction of predicted positions where both models' most likely next token agree.
    public var topOneAgreement: Double
    public var windows: Int
    public var tokensPredicted: Int
    public var seconds: Double

    enum CodingKeys: String, CodingKey {
        case perplexity, windows, seconds
        case referencePerplexity = "reference_perplexity"
        case meanKLDivergence = "kl_divergence_mean"
        case topOneAgreement = "top1_agreement"
        case tokensPredicted = "tokens_predicted"
    }
}

public enum Divergence {
    /// Scores both models on the windows of `Perplexity.windows`; `progress(done, total)` after each.
    public static func evaluate(model: LlamaModel, reference: LlamaModel, tokens: [Int], sequenceLength: Int,
                                maxWindows: Int? = nil, source: String = "data",
                                progress: (Int, Int) -> Void = { _, _ in }) throws -> DivergenceResult {
        try EvaluationError.check(tokens: tokens.count, sequenceLength: sequenceLength, model: model, source: source)
        guard model.configuration.vocabularySize == reference.configuration.vocabularySize else {
            throw ModelError.invalidConfiguration(key: "vocab_size",
                reason: "differs between the model (\(model.configuration.vocabularySize)) and the reference (\(reference.configuration.vocabularySize))",
                source: "--kl-reference")
        }
        let start = Date()
        let windows = Perplexity.windows(of: tokens, sequenceLength: sequenceLength, maxWindows: maxWindows)
        var nll = 0.0, referenceNLL = 0.0, divergence = 0.0
        var agreements = 0, predicted = 0
        for (index, window) in windows.enumerated() {
            let ids = Array(window)
            let rows = ids.count - 1
            let hidden = try model.normalizedHidden(tokens: ids).rows(0..<rows)
            let referenceHidden = try reference.normalizedHidden(tokens: ids).rows(0..<rows)
            // Both models' logits a block of vocabulary entries at a time (`LogitBlocks`), in step.
            var logSumExp = RunningLogSumExp(rows: rows), referenceLogSumExp = RunningLogSumExp(rows: rows)
            var argmax = RunningArgmax(rows: rows), referenceArgmax = RunningArgmax(rows: rows)
            var targetLogits = [Double](repeating: 0, count: rows), referenceTargetLogits = targetLogits
            LogitBlocks.forEach(model: reference, hidden: referenceHidden) { entries, referenceLogits in
                let logits = model.transposedLogits(hidden, vocabulary: entries)
                logits.withUnsafeBufferPointer(as: Float.self) { logits in
                    logSumExp.add(logits)
                    referenceLogSumExp.add(referenceLogits, other: logits)
                    argmax.add(logits, entries: entries)
                    referenceArgmax.add(referenceLogits, entries: entries)
                    for row in 0..<rows where entries.contains(ids[row + 1]) {
                        let offset = (ids[row + 1] - entries.lowerBound) * rows + row
                        targetLogits[row] = Double(logits[offset])
                        referenceTargetLogits[row] = Double(referenceLogits[offset])
                    }
                }
            }
            let logQ = logSumExp.values, logP = referenceLogSumExp.values
            let kl = referenceLogSumExp.klDivergence(otherLogSumExp: logQ)
            for row in 0..<rows {
                nll += logQ[row] - targetLogits[row]
                referenceNLL += logP[row] - referenceTargetLogits[row]
                divergence += kl[row]
                if argmax.indices[row] == referenceArgmax.indices[row] { agreements += 1 }
            }
            predicted += rows
            progress(index + 1, windows.count)
        }
        let n = Double(max(predicted, 1))
        return DivergenceResult(perplexity: exp(nll / n), referencePerplexity: exp(referenceNLL / n),
                                meanKLDivergence: divergence / n, topOneAgreement: Double(agreements) / n,
                                windows: windows.count, tokensPredicted: predicted, seconds: Date().timeIntervalSince(start))
    }
}
