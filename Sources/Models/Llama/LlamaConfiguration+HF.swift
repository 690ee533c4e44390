import Formats

extension LlamaConfiguration {
    /// The configuration of config.json; `source` names the file in errors.
    public init(_ hf: HFConfiguration, source: String) throws(ModelError) {
        guard Self.supportedModelTypes.contains(hf.modelType) else {
            throw .unsupportedArchitecture(hf.modelType, source: source, supported: Self.supportedModelTypes)
        }
        guard hf.hiddenActivation == "silu" else {
            throw .invalidConfiguration(key: "hidden_act", reason: "'\(hf.hiddenActivation)' is not supported; supported: silu", source: source)
        }
        var rope = RoPEScaling(theta: Float(hf.ropeTheta))
        switch hf.ropeType {
        case "default":
            break
        case "linear":
            rope.kind = .linear
            rope.factor = Float(hf.ropeFactor ?? 1)
        case "llama3":
            rope.kind = .llama3
            guard let factor = hf.ropeFactor, let low = hf.ropeLowFrequencyFactor, let high = hf.ropeHighFrequencyFactor,
                  let original = hf.ropeOriginalMaxPositions else {
                throw .invalidConfiguration(key: "rope_parameters",
                    reason: "llama3 scaling needs factor, low_freq_factor, high_freq_factor and original_max_position_embeddings",
                    source: source)
            }
            rope.factor = Float(factor)
            rope.lowFrequencyFactor = Float(low)
            rope.highFrequencyFactor = Float(high)
            rope.originalMaxPositions = original
        default:
            throw .invalidConfiguration(key: "rope_type", reason: "'\(hf.ropeType)' is not supported; supported: default, linear, llama3",
                                        source: source)
        }
        // Qwen2 always has q/k/v biases and none on o_proj; Llama's attention_bias sets all four.
        let qwen = hf.modelType == "qwen2"
        self.init(modelType: hf.modelType, hiddenSize: hf.hiddenSize, intermediateSize: hf.intermediateSize,
                  layerCount: hf.layerCount, headCount: hf.headCount, keyValueHeadCount: hf.keyValueHeadCount,
                  headDimension: hf.headDimension, vocabularySize: hf.vocabularySize, maxPositions: hf.maxPositions,
                  rmsNormEpsilon: Float(hf.rmsNormEpsilon), rope: rope, tiedEmbeddings: hf.tieWordEmbeddings,
                  qkvBias: qwen || hf.attentionBias, outputProjectionBias: !qwen && hf.attentionBias, mlpBias: hf.mlpBias)
        try validate(source: source)
    }
}
