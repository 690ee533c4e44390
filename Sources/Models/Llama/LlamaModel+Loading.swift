import Tensors

extension LlamaModel {
    /// Builds the model from `weights` under HF names, checking every tensor against the
    /// configuration: missing, unexpected or mis-shaped tensors are named errors. Weights are not
    /// copied: float tensors keep their stored dtype (views of mapped files stay views); only 1-D
    /// norms and biases are converted to float32.
    public init(configuration: LlamaConfiguration, weights: some WeightSource) throws {
        try configuration.validate(source: weights.sourceDescription)
        let c = configuration
        var used = Set<String>()
        func load(_ name: String, _ shape: [Int]) throws -> Tensor {
            guard let tensor = try weights.tensor(named: name) else {
                throw ModelError.missingTensor(name: name, source: weights.sourceDescription)
            }
            guard tensor.shape == shape else {
                throw ModelError.shapeMismatch(tensor: name, expected: shape, actual: tensor.shape, source: weights.sourceDescription)
            }
            guard tensor.dtype.isFloatingPoint else {
                throw ModelError.invalidConfiguration(key: name, reason: "has dtype \(tensor.dtype.rawValue); expected a float type",
                                                      source: weights.sourceDescription)
            }
            used.insert(name)
            return tensor
        }
        func vector(_ name: String, _ size: Int) throws -> Tensor { try load(name, [size]).toFloat32() }
        func linear(_ prefix: String, out: Int, in inFeatures: Int, bias: Bool) throws -> Linear {
            Linear(weight: try load(prefix + ".weight", [out, inFeatures]),
                   bias: bias ? try vector(prefix + ".bias", out) : nil)
        }

        let embedding = try load("model.embed_tokens.weight", [c.vocabularySize, c.hiddenSize])
        var layers: [LlamaLayer] = []
        for index in 0..<c.layerCount {
            let p = "model.layers.\(index)."
            layers.append(LlamaLayer(
                inputNorm: try vector(p + "input_layernorm.weight", c.hiddenSize),
                queryProjection: try linear(p + "self_attn.q_proj", out: c.queryWidth, in: c.hiddenSize, bias: c.qkvBias),
                keyProjection: try linear(p + "self_attn.k_proj", out: c.keyValueWidth, in: c.hiddenSize, bias: c.qkvBias),
                valueProjection: try linear(p + "self_attn.v_proj", out: c.keyValueWidth, in: c.hiddenSize, bias: c.qkvBias),
                outputProjection: try linear(p + "self_attn.o_proj", out: c.hiddenSize, in: c.queryWidth, bias: c.outputProjectionBias),
                postAttentionNorm: try vector(p + "post_attention_layernorm.weight", c.hiddenSize),
                gateProjection: try linear(p + "mlp.gate_proj", out: c.intermediateSize, in: c.hiddenSize, bias: c.mlpBias),
                upProjection: try linear(p + "mlp.up_proj", out: c.intermediateSize, in: c.hiddenSize, bias: c.mlpBias),
                downProjection: try linear(p + "mlp.down_proj", out: c.hiddenSize, in: c.intermediateSize, bias: c.mlpBias)))
        }
        let finalNorm = try vector("model.norm.weight", c.hiddenSize)
        let head: Linear
        if c.tiedEmbeddings {
            head = Linear(weight: embedding)
            // Some tied checkpoints still store lm_head (a copy of the embedding): accept and ignore it.
            if weights.tensorNames.contains("lm_head.weight") { used.insert("lm_head.weight") }
        } else {
            head = try linear("lm_head", out: c.vocabularySize, in: c.hiddenSize, bias: false)
        }
        // Rotary tables some exporters store are recomputed here, not loaded.
        let unexpected = weights.tensorNames.filter { !used.contains($0) && !$0.hasSuffix("rotary_emb.inv_freq") }
        guard unexpected.isEmpty else {
            throw ModelError.unexpectedTensors(names: unexpected, source: weights.sourceDescription)
        }
        self.init(configuration: configuration, embedding: embedding, layers: layers, finalNorm: finalNorm, outputHead: head)
    }
}
