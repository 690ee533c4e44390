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
        let cache = model.makeCache(capacity: sequenceLength)
        let referenceCache = reference.makeCache(capacity: sequenceLength)
        let vocabulary = model.configuration.vocabularySize
        var nll = 0.0, referenceNLL = 0.0, divergence = 0.0
        var agreements = 0, predicted = 0
        for (index, window) in windows.enumerated() {
            cache.reset()
            referenceCache.reset()
            let ids = Array(window)
            let hidden = try model.normalizedHidden(tokens: ids, cache: cache)
            let referenceHidden = try reference.normalizedHidden(tokens: ids, cache: referenceCache)
            var row = 0
            while row < ids.count - 1 {
                let count = min(Perplexity.logitRowChunk, ids.count - 1 - row)
                let logits = model.logits(hidden.rows(row..<(row + count)))
                let referenceLogits = reference.logits(referenceHidden.rows(row..<(row + count)))
                logits.withUnsafeBufferPointer(as: Float.self) { values in
                    referenceLogits.withUnsafeBufferPointer(as: Float.self) { referenceValues in
                        for r in 0..<count {
                            let range = (r * vocabulary)..<((r + 1) * vocabulary)
                            let p = UnsafeBufferPointer(rebasing: referenceValues[range])
                            let q = UnsafeBufferPointer(rebasing: values[range])
                            let target = ids[row + r + 1]
                            let logQ = Perplexity.logSumExp(q), logP = Perplexity.logSumExp(p)
                            nll += logQ - Double(q[target])
                            referenceNLL += logP - Double(p[target])
                            var kl = 0.0
                            for v in 0..<vocabulary {
                                let logProbabilityP = Double(p[v]) - logP
                                kl += exp(logProbabilityP) * (logProbabilityP - (Double(q[v]) - logQ))
                            }
                            divergence += kl
                            if Sampler.argmax(p) == Sampler.argmax(q) { agreements += 1 }
                        }
                    }
                }
                row += count
            }
            predicted += ids.count - 1
            progress(index + 1, windows.count)
        }
        let n = Double(max(predicted, 1))
        return DivergenceResult(perplexity: exp(nll / n), referencePerplexity: exp(referenceNLL / n),
                                meanKLDivergence: divergence / n, topOneAgreement: Double(agreements) / n,
                                windows: windows.count, tokensPredicted: predicted, seconds: Date().timeIntervalSince(start))
    }
}
