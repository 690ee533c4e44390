import Tensors

/// Autoregressive generation: one batched prefill of the prompt, then one token per step from the
/// KV cache, until a stop id or the token budget.
public struct Generator {
    public let model: LlamaModel
    public var stopTokenIds: Set<Int>

    public init(model: LlamaModel, stopTokenIds: Set<Int>) {
        self.model = model
        self.stopTokenIds = stopTokenIds
    }

    /// Why generation ended.
    public enum FinishReason: String, Sendable { case stop, length }

    /// Generates up to `maxTokens` tokens after `prompt`, calling `onToken` with each new id as soon
    /// as it is chosen (return false to stop early). The stop token itself is not passed on.
    @discardableResult
    public func generate(prompt: [Int], maxTokens: Int, sampler: Sampler,
                         onToken: (Int) throws -> Bool = { _ in true }) throws -> (tokens: [Int], finish: FinishReason) {
        guard !prompt.isEmpty else { throw ModelError.invalidConfiguration(key: "prompt", reason: "is empty", source: "generate") }
        // A prompt that fills the context exactly still predicts one token (from its last position).
        guard prompt.count <= model.configuration.maxPositions else {
            throw ModelError.contextTooLong(tokens: prompt.count, maximum: model.configuration.maxPositions)
        }
        let cache = model.makeCache(capacity: min(prompt.count + maxTokens, model.configuration.maxPositions))
        var sampler = sampler
        var produced: [Int] = []
        var hidden = try model.normalizedHidden(tokens: prompt, cache: cache)
        while produced.count < maxTokens {
            let last = hidden.rows((hidden.shape[0] - 1)..<hidden.shape[0])
            let logits = model.logits(last)
            let next = logits.withUnsafeBufferPointer(as: Float.self) { sampler.sample($0) }
            if stopTokenIds.contains(next) { return (produced, .stop) }
            produced.append(next)
            if try !onToken(next) { return (produced, .stop) }
            if produced.count == maxTokens || cache.length >= cache.capacity { break }
            hidden = try model.normalizedHidden(tokens: [next], cache: cache)
        }
        return (produced, .length)
    }
}
