import Foundation

extension LlamaConfiguration {
    /// config.json as transformers writes it for this family, so `from_pretrained` loads the
    /// directory as is. `dtype` is the spelling of the stored weights ("float32", "bfloat16", ...).
    public func hfConfigJSON(bosTokenId: Int?, eosTokenId: Int?, dtype: String) -> [String: Any] {
        // Shortest decimal of the Float, so 1e-5 is written as 1e-05 rather than 9.99999974e-06.
        func decimal(_ value: Float) -> Double { Double("\(value)") ?? Double(value) }
        let architecture = ["llama": "LlamaForCausalLM", "mistral": "MistralForCausalLM", "qwen2": "Qwen2ForCausalLM"][modelType]
        var config: [String: Any] = [
            "architectures": [architecture ?? "LlamaForCausalLM"],
            "model_type": modelType,
            "hidden_size": hiddenSize, "intermediate_size": intermediateSize,
            "num_hidden_layers": layerCount, "num_attention_heads": headCount,
            "num_key_value_heads": keyValueHeadCount, "head_dim": headDimension,
            "vocab_size": vocabularySize, "max_position_embeddings": maxPositions,
            "rms_norm_eps": decimal(rmsNormEpsilon), "hidden_act": "silu",
            "tie_word_embeddings": tiedEmbeddings, "use_cache": true, "initializer_range": 0.02,
            "bos_token_id": bosTokenId.map { $0 as Any } ?? NSNull(),
            "eos_token_id": eosTokenId.map { $0 as Any } ?? NSNull(),
            "dtype": dtype, "torch_dtype": dtype,
        ]
        var parameters: [String: Any] = ["rope_type": rope.kind.rawValue, "rope_theta": decimal(rope.theta)]
        switch rope.kind {
        case .default: break
        case .linear: parameters["factor"] = decimal(rope.factor)
        case .llama3:
            parameters["factor"] = decimal(rope.factor)
            parameters["low_freq_factor"] = decimal(rope.lowFrequencyFactor)
            parameters["high_freq_factor"] = decimal(rope.highFrequencyFactor)
            parameters["original_max_position_embeddings"] = rope.originalMaxPositions
        }
        config["rope_parameters"] = parameters
        if modelType == "llama" {
            config["attention_bias"] = qkvBias
            config["mlp_bias"] = mlpBias
        }
        return config
    }
}
