import Tensors

/// A Llama-family causal language model (Llama 2/3, TinyLlama, SmolLM2, Mistral, Qwen2), float32
/// compute over weights kept in their stored dtype.
///
/// The forward pass is exposed in pieces (`embed`, `layers`, `normalizedHidden`, `logits`) so that
/// calibration can stream one decoder layer at a time over many samples.
public struct LlamaModel: Sendable {
    public let configuration: LlamaConfiguration
    /// [vocabulary, hidden]
    public var embedding: Tensor
    public var layers: [LlamaLayer]
    /// [hidden]
    public var finalNorm: Tensor
    /// [vocabulary, hidden]; shares `embedding`'s storage when the embeddings are tied.
    public var outputHead: Linear
    let rope: RoPETable

    public init(configuration: LlamaConfiguration, embedding: Tensor, layers: [LlamaLayer],
                finalNorm: Tensor, outputHead: Linear) {
        self.configuration = configuration
        self.embedding = embedding
        self.layers = layers
        self.finalNorm = finalNorm
        self.outputHead = outputHead
        rope = RoPETable(configuration: configuration, positions: configuration.maxPositions)
    }

    /// A cache sized for `capacity` positions (at most the model's limit).
    public func makeCache(capacity: Int? = nil) -> KVCache {
        KVCache(layerCount: configuration.layerCount,
                capacity: min(capacity ?? configuration.maxPositions, configuration.maxPositions),
                heads: configuration.keyValueHeadCount, headDimension: configuration.headDimension)
    }

    /// Embedding rows of `tokens` → [tokens, hidden] float32.
    public func embed(_ tokens: [Int]) throws(ModelError) -> Tensor {
        let hiddenSize = configuration.hiddenSize
        var hidden = Tensor(zeros: [tokens.count, hiddenSize])
        for token in tokens where token < 0 || token >= configuration.vocabularySize {
            throw .tokenOutOfRange(id: token, vocabularySize: configuration.vocabularySize)
        }
        hidden.withUnsafeMutableBufferPointer(as: Float.self) { out in
            for (row, token) in tokens.enumerated() {
                embedding.rows(token..<(token + 1)).withUnsafeBytes { source in
                    convertToFloat32(source: source, dtype: embedding.dtype,
                                     destination: UnsafeMutableBufferPointer(rebasing: out[(row * hiddenSize)..<((row + 1) * hiddenSize)]))
                }
            }
        }
        return hidden
    }

    /// Runs every decoder layer on `tokens` at positions `cache.length ..<`, appends them to the
    /// cache, and returns the final-normalized hidden states [tokens, hidden].
    public func normalizedHidden(tokens: [Int], cache: KVCache) throws(ModelError) -> Tensor {
        guard cache.length + tokens.count <= min(cache.capacity, configuration.maxPositions) else {
            throw .contextTooLong(tokens: cache.length + tokens.count, maximum: min(cache.capacity, configuration.maxPositions))
        }
        var hidden = try embed(tokens)
        for (index, layer) in layers.enumerated() {
            layer.forward(&hidden, layerIndex: index, configuration: configuration, rope: rope, cache: cache)
        }
        cache.advance(by: tokens.count)
        return LlamaLayer.rmsNorm(hidden, weight: finalNorm, epsilon: configuration.rmsNormEpsilon)
    }

    /// Runs every decoder layer on `tokens` at positions `0 ..< tokens.count` without a KV cache and
    /// returns the final-normalized hidden states [tokens, hidden]: each layer attends over its own
    /// keys and values and drops them, so scoring a window (perplexity, KL) holds no
    /// [layers, positions] cache (24 MB for SmolLM2 at 512 positions). Same result as a fresh cache.
    public func normalizedHidden(tokens: [Int]) throws(ModelError) -> Tensor {
        guard tokens.count <= configuration.maxPositions else {
            throw .contextTooLong(tokens: tokens.count, maximum: configuration.maxPositions)
        }
        var hidden = try embed(tokens)
        for (index, layer) in layers.enumerated() {
            layer.forward(&hidden, layerIndex: index, configuration: configuration, rope: rope, cache: nil)
        }
        return LlamaLayer.rmsNorm(hidden, weight: finalNorm, epsilon: configuration.rmsNormEpsilon)
    }

    /// Runs decoder layer `index` alone on `hidden` [tokens, hidden] in place, at positions
    /// `cache.length ..<` (the caller advances the cache): calibration streams layer by layer with it.
    public func forwardLayer(_ index: Int, hidden: inout Tensor, cache: KVCache) {
        layers[index].forward(&hidden, layerIndex: index, configuration: configuration, rope: rope, cache: cache)
    }

    /// o_proj's input when `layer` (a layer of this model, or a variant of one) runs on `hidden`
    /// [tokens, hidden] at positions 0 ..< tokens: the attention block without its output projection.
    /// - Returns: [tokens, heads·headDim]
    public func attentionMix(of layer: LlamaLayer, hidden: Tensor) -> Tensor {
        layer.attention(hidden, layerIndex: 0, configuration: configuration, rope: rope, cache: nil)
    }

    /// down_proj's input when `layer` runs its MLP block on the residual stream `hidden` [tokens, hidden].
    /// - Returns: [tokens, intermediate]
    public func mlpActivation(of layer: LlamaLayer, hidden: Tensor) -> Tensor {
        layer.gatedActivation(hidden, configuration: configuration)
    }

    /// Final RMSNorm of hidden states [rows, hidden].
    public func finalNormalized(_ hidden: Tensor) -> Tensor {
        LlamaLayer.rmsNorm(hidden, weight: finalNorm, epsilon: configuration.rmsNormEpsilon)
    }

    /// Logits [rows, vocabulary] for final-normalized hidden states [rows, hidden].
    public func logits(_ hidden: Tensor) -> Tensor { outputHead(hidden) }

    /// Logits of the vocabulary entries `vocabulary` for final-normalized hidden states [rows, hidden],
    /// transposed: [vocabulary.count, rows] (see `Linear.transposedOutputs`).
    public func transposedLogits(_ hidden: Tensor, vocabulary: Range<Int>) -> Tensor {
        outputHead.transposedOutputs(hidden, outputs: vocabulary)
    }

    /// Logits [tokens, vocabulary] of every position of `tokens`, continuing `cache`.
    public func forward(tokens: [Int], cache: KVCache) throws(ModelError) -> Tensor {
        logits(try normalizedHidden(tokens: tokens, cache: cache))
    }
}
