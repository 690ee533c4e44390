import Foundation

/// The `quantization_config` object of a Quark export (FORMATS.md §1.1) and its parsing: a Quark JSON
/// config file written by amd-quark and an export's config.json both map onto `QuantConfig`.
extension QuantConfig {
    /// `quantization_config` as amd-quark 0.13 writes it, `export` block included.
    public func quarkDictionary(packMethod: String = "reorder") -> [String: Any] {
        var layers: [String: Any] = [:]
        for override in layerOverrides { layers[override.pattern] = override.spec.quarkDictionary() }
        var kvLayers: [String: Any] = [:]
        if let kvCache {
            // Quark lists the KV spec as output_tensors of the k/v projections, in both tables.
            for pattern in ["*k_proj", "*v_proj"] {
                var spec = layerOverrides.first { $0.pattern == pattern }?.spec ?? global
                spec.output = kvCache
                layers[pattern] = spec.quarkDictionary()
                kvLayers[pattern] = spec.quarkDictionary()
            }
        }
        return [
            "quant_method": "quark", "quant_mode": "eager_mode", "version": "0.13",
            "global_quant_config": global.quarkDictionary(),
            "layer_quant_config": layers,
            "layer_type_quant_config": layerTypeOverrides.mapValues { $0.quarkDictionary() },
            "kv_cache_quant_config": kvLayers, "kv_cache_post_rope": false,
            "exclude": exclude,
            // Round-to-nearest is no Quark algorithm (it is what happens without one), and Quark's loader
            // rejects names it does not know.
            "algo_config": quarkAlgorithms.isEmpty ? NSNull() : quarkAlgorithms.map(quarkAlgorithmEntry) as Any,
            "softmax_quant_spec": NSNull(),
            "export": ["kv_cache_group": kvCache == nil ? [] : ["*k_proj", "*v_proj"], "min_kv_scale": 0.0,
                       "pack_method": packMethod, "weight_format": "real_quantized", "weight_merge_groups": NSNull()] as [String: Any],
        ]
    }

    /// Parses a Quark `quantization_config` object (from an export's config.json or a Quark JSON file).
    public init(quark dictionary: [String: Any], source: String) throws(QuantizationError) {
        if let method = dictionary["quant_method"] as? String, method != "quark" {
            throw .invalidValue(key: "quant_method", value: method, valid: ["quark"], source: source)
        }
        guard let globalObject = dictionary["global_quant_config"] as? [String: Any] else {
            throw .missingKey(key: "global_quant_config", source: source)
        }
        let global = try LayerQuantSpec(quark: globalObject, source: "\(source): global_quant_config")
        var overrides: [PatternOverride] = []
        var kvCache: QuantSpec?
        let kvGroup = ((dictionary["export"] as? [String: Any])?["kv_cache_group"] as? [String]) ?? []
        for (pattern, value) in ((dictionary["layer_quant_config"] as? [String: Any]) ?? [:]).sorted(by: { $0.key < $1.key }) {
            guard let object = value as? [String: Any] else {
                throw .invalidValue(key: "layer_quant_config.\(pattern)", value: "\(value)", valid: ["an object"], source: source)
            }
            var spec = try LayerQuantSpec(quark: object, source: "\(source): layer_quant_config.\(pattern)")
            if kvGroup.contains(pattern), let output = spec.output {
                kvCache = output
                spec.output = nil
            }
            // An override equal to the global spec only carried the KV-cache output: drop it.
            if spec != global { overrides.append(PatternOverride(pattern: pattern, spec: spec)) }
        }
        var types: [String: LayerQuantSpec] = [:]
        for (type, value) in (dictionary["layer_type_quant_config"] as? [String: Any]) ?? [:] {
            guard let object = value as? [String: Any] else { continue }
            types[type] = try LayerQuantSpec(quark: object, source: "\(source): layer_type_quant_config.\(type)")
        }
        var algorithms: [AlgorithmName] = []
        var smoothQuant = SmoothQuantOptions()
        for entry in (dictionary["algo_config"] as? [[String: Any]]) ?? [] {
            let name = (entry["name"] as? String) ?? ""
            guard let algorithm = AlgorithmName(quarkName: name) else {
                throw .invalidValue(key: "algo_config.name", value: name, valid: AlgorithmName.allCases.map(\.quarkName), source: source)
            }
            if algorithm == .smoothquant {
                // Quark's own default alpha is 1 (its SmoothQuantConfig); an entry without one means that.
                smoothQuant.alpha = try Self.number(entry["alpha"], key: "algo_config.alpha", default: 1, source: source)
                smoothQuant.scaleClampMin = try Self.number(entry["scale_clamp_min"], key: "algo_config.scale_clamp_min", default: 1e-3, source: source)
            }
            algorithms.append(algorithm)
        }
        self.init(global: global, layerOverrides: overrides, layerTypeOverrides: types,
                  exclude: (dictionary["exclude"] as? [String]) ?? [], kvCache: kvCache, algorithms: algorithms)
        self.smoothQuant = smoothQuant
    }

    private var quarkAlgorithms: [AlgorithmName] { algorithms.filter { $0 != .rtn } }

    /// A Quark `algo_config` entry as amd-quark writes it for llama: the name, and for the smoothing
    /// algorithms their settings, decoder-layer path and scaling layers (the plan's pairs).
    private func quarkAlgorithmEntry(_ algorithm: AlgorithmName) -> [String: Any] {
        var entry: [String: Any] = ["name": algorithm.quarkName]
        switch algorithm {
        case .smoothquant:
            // Through the shortest decimal, so 1e-3 is written as 0.001 and not as its float32 widening.
            entry["alpha"] = Double("\(smoothQuant.alpha)")!
            entry["scale_clamp_min"] = Double("\(smoothQuant.scaleClampMin)")!
        case .autosmoothquant:
            entry["compute_scale_loss"] = "MSE"
        case .rotation:
            return Self.quarkRotationEntry
        default:
            return entry
        }
        entry["model_decoder_layers"] = "model.layers"
        entry["scaling_layers"] = QuantizationPlan.llama.quarkScalingLayers
        return entry
    }

    /// amd-quark 0.13's `RotationConfig` for what `Rotation` fused: R1 offline (random: seeded signs
    /// and, past powers of two, a random orthogonal factor) and R2 (random signs on a Hadamard of the
    /// head dimension), nothing online, so Quark's loader wraps no layer and the file loads as plain
    /// weights. Every key is a `RotationConfig` field: Quark builds it with `cls(**dict)`, which
    /// rejects any other.
    static var quarkRotationEntry: [String: Any] {
        func layers(_ previous: String, _ norm: String, _ next: [String]) -> [String: Any] {
            ["prev_modules": [previous], "norm_module": norm, "next_modules": next]
        }
        let attention = ["q_proj", "k_proj", "v_proj"].map { "model.layers.layer_id.self_attn." + $0 }
        let mlp = ["model.layers.layer_id.mlp.up_proj", "model.layers.layer_id.mlp.gate_proj"]
        let postAttention = layers("model.layers.layer_id.self_attn.o_proj", "model.layers.layer_id.post_attention_layernorm", mlp)
        return [
            "name": "rotation", "r1": true, "r2": true, "r3": false, "r4": false, "rotation_size": NSNull(),
            "random_r1": true, "random_r2": true, "backbone": "model", "model_decoder_layers": "model.layers",
            "v_proj": "self_attn.v_proj", "o_proj": "self_attn.o_proj", "self_attn": "self_attn", "mlp": "mlp",
            "online_r1_rotation": false, "online_config": NSNull(), "trainable": false, "train_smooth": NSNull(),
            "smooth_positions": NSNull(),
            "scaling_layers": [
                "first_layer": [layers("model.embed_tokens", "model.layers.layer_id.input_layernorm", attention), postAttention],
                "middle_layers": [layers("model.layers.pre_layer_id.mlp.down_proj", "model.layers.layer_id.input_layernorm", attention),
                                  postAttention],
                "last_layer": [layers("model.layers.layer_id.mlp.down_proj", "model.norm", ["lm_head"])],
            ] as [String: Any],
        ]
    }

    private static func number(_ value: Any?, key: String, default fallback: Float, source: String) throws(QuantizationError) -> Float {
        guard let value, !(value is NSNull) else { return fallback }
        guard let number = value as? NSNumber, number.doubleValue > 0 || key.hasSuffix("alpha") && number.doubleValue >= 0 else {
            throw .invalidValue(key: key, value: "\(value)", valid: ["a non-negative number"], source: source)
        }
        return number.floatValue
    }
}
