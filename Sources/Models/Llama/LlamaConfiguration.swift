/// The hyperparameters of a Llama-family model (Llama 2/3, TinyLlama, SmolLM2, Mistral, Qwen2): one
/// architecture with a few switches, filled from config.json or from GGUF metadata.
public struct LlamaConfiguration: Sendable, Equatable {
    /// The `model_type` families this one model file implements.
    public static let supportedModelTypes = ["llama", "mistral", "qwen2"]

    public var modelType: String
    public var hiddenSize: Int
    public var intermediateSize: Int
    public var layerCount: Int
    public var headCount: Int
    public var keyValueHeadCount: Int
    public var headDimension: Int
    public var vocabularySize: Int
    public var maxPositions: Int
    public var rmsNormEpsilon: Float
    public var rope: RoPEScaling
    public var tiedEmbeddings: Bool
    /// Biases on q/k/v (Qwen2; Llama's `attention_bias`).
    public var qkvBias: Bool
    /// Bias on o_proj (Llama's `attention_bias` sets it too; Qwen2 has none).
    public var outputProjectionBias: Bool
    public var mlpBias: Bool

    public init(
        modelType: String, hiddenSize: Int, intermediateSize: Int, layerCount: Int, headCount: Int,
        keyValueHeadCount: Int, headDimension: Int, vocabularySize: Int, maxPositions: Int,
        rmsNormEpsilon: Float, rope: RoPEScaling, tiedEmbeddings: Bool, qkvBias: Bool = false,
        outputProjectionBias: Bool = false, mlpBias: Bool = false
    ) {
        self.modelType = modelType
        self.hiddenSize = hiddenSize
        self.intermediateSize = intermediateSize
        self.layerCount = layerCount
        self.headCount = headCount
        self.keyValueHeadCount = keyValueHeadCount
        self.headDimension = headDimension
        self.vocabularySize = vocabularySize
        self.maxPositions = maxPositions
        self.rmsNormEpsilon = rmsNormEpsilon
        self.rope = rope
        self.tiedEmbeddings = tiedEmbeddings
        self.qkvBias = qkvBias
        self.outputProjectionBias = outputProjectionBias
        self.mlpBias = mlpBias
    }

    /// Query heads that share one key/value head (grouped-query attention).
    public var queriesPerKeyValueHead: Int { headCount / keyValueHeadCount }
    public var queryWidth: Int { headCount * headDimension }
    public var keyValueWidth: Int { keyValueHeadCount * headDimension }

    /// Checks the relations the forward pass relies on; `source` names the file in errors.
    public func validate(source: String) throws(ModelError) {
        guard Self.supportedModelTypes.contains(modelType) else {
            throw .unsupportedArchitecture(modelType, source: source, supported: Self.supportedModelTypes)
        }
        for (key, value) in [("hidden_size", hiddenSize), ("intermediate_size", intermediateSize),
                             ("num_hidden_layers", layerCount), ("num_attention_heads", headCount),
                             ("num_key_value_heads", keyValueHeadCount), ("head_dim", headDimension),
                             ("vocab_size", vocabularySize), ("max_position_embeddings", maxPositions)]
        where value <= 0 {
            throw .invalidConfiguration(key: key, reason: "must be positive, got \(value)", source: source)
        }
        guard headCount % keyValueHeadCount == 0 else {
            throw .invalidConfiguration(key: "num_key_value_heads",
                reason: "(\(keyValueHeadCount)) must divide num_attention_heads (\(headCount))", source: source)
        }
        guard headDimension % 2 == 0 else {
            throw .invalidConfiguration(key: "head_dim", reason: "must be even for RoPE, got \(headDimension)", source: source)
        }
    }
}

/// Rotary position embedding parameters: base frequency and the scaling rule (transformers'
/// `rope_parameters` / `rope_scaling`).
public struct RoPEScaling: Sendable, Equatable {
    public enum Kind: String, Sendable, Equatable { case `default`, linear, llama3 }
    public var theta: Float
    public var kind: Kind
    public var factor: Float
    public var lowFrequencyFactor: Float
    public var highFrequencyFactor: Float
    public var originalMaxPositions: Int

    public init(theta: Float, kind: Kind = .default, factor: Float = 1, lowFrequencyFactor: Float = 1,
                highFrequencyFactor: Float = 4, originalMaxPositions: Int = 8192) {
        self.theta = theta
        self.kind = kind
        self.factor = factor
        self.lowFrequencyFactor = lowFrequencyFactor
        self.highFrequencyFactor = highFrequencyFactor
        self.originalMaxPositions = originalMaxPositions
    }
}
