import Models
import Tensors

/// A seeded random-weight Llama-family model built in code, for tests that need no files (shared by
/// every test target through TestSupport).
public enum TinyModelFactory {
    public static func configuration(tied: Bool = false, kvHeads: Int = 2, qkvBias: Bool = false) -> LlamaConfiguration {
        LlamaConfiguration(modelType: "llama", hiddenSize: 16, intermediateSize: 24, layerCount: 2, headCount: 4,
                           keyValueHeadCount: kvHeads, headDimension: 4, vocabularySize: 20, maxPositions: 32,
                           rmsNormEpsilon: 1e-5, rope: RoPEScaling(theta: 10000), tiedEmbeddings: tied, qkvBias: qkvBias)
    }

    /// Every tensor the configuration needs, under HF names, with values from a fixed seed.
    public static func weights(for c: LlamaConfiguration, seed: UInt64 = 7) -> [String: Tensor] {
        var random = SplitMix64(seed: seed)
        func tensor(_ shape: [Int], around center: Float = 0, spread: Float = 0.4) -> Tensor {
            let values = (0..<shape.reduce(1, *)).map { _ in center + spread * Float(random.nextUnit() * 2 - 1) }
            return Tensor(shape: shape, floats: values)
        }
        var weights: [String: Tensor] = [
            "model.embed_tokens.weight": tensor([c.vocabularySize, c.hiddenSize]),
            "model.norm.weight": tensor([c.hiddenSize], around: 1, spread: 0.2),
        ]
        if !c.tiedEmbeddings { weights["lm_head.weight"] = tensor([c.vocabularySize, c.hiddenSize]) }
        for layer in 0..<c.layerCount {
            let p = "model.layers.\(layer)."
            weights[p + "input_layernorm.weight"] = tensor([c.hiddenSize], around: 1, spread: 0.2)
            weights[p + "post_attention_layernorm.weight"] = tensor([c.hiddenSize], around: 1, spread: 0.2)
            weights[p + "self_attn.q_proj.weight"] = tensor([c.queryWidth, c.hiddenSize])
            weights[p + "self_attn.k_proj.weight"] = tensor([c.keyValueWidth, c.hiddenSize])
            weights[p + "self_attn.v_proj.weight"] = tensor([c.keyValueWidth, c.hiddenSize])
            weights[p + "self_attn.o_proj.weight"] = tensor([c.hiddenSize, c.queryWidth])
            weights[p + "mlp.gate_proj.weight"] = tensor([c.intermediateSize, c.hiddenSize])
            weights[p + "mlp.up_proj.weight"] = tensor([c.intermediateSize, c.hiddenSize])
            weights[p + "mlp.down_proj.weight"] = tensor([c.hiddenSize, c.intermediateSize])
            if c.qkvBias {
                weights[p + "self_attn.q_proj.bias"] = tensor([c.queryWidth])
                weights[p + "self_attn.k_proj.bias"] = tensor([c.keyValueWidth])
                weights[p + "self_attn.v_proj.bias"] = tensor([c.keyValueWidth])
            }
        }
        return weights
    }

    public static func model(tied: Bool = false, kvHeads: Int = 2, qkvBias: Bool = false) throws -> LlamaModel {
        let c = configuration(tied: tied, kvHeads: kvHeads, qkvBias: qkvBias)
        return try LlamaModel(configuration: c, weights: DictionaryWeightSource(weights(for: c)))
    }
}
