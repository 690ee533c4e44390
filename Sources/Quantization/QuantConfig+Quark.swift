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
        var rotation = RotationOptions()
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
            if algorithm == .rotation { rotation = try RotationOptions(quark: entry, source: source) }
            algorithms.append(algorithm)
        }
        self.init(global: global, layerOverrides: overrides, layerTypeOverrides: types,
                  exclude: (dictionary["exclude"] as? [String]) ?? [], kvCache: kvCache, algorithms: algorithms)
        self.smoothQuant = smoothQuant
        self.rotation = rotation
    }

    private var quarkAlgorithms: [AlgorithmName] { algorithms.filter { $0 != .rtn } }

    /// A Quark `algo_config` entry as amd-quark writes it for llama: the name, and for the smoothing
    /// algorithms (SmoothQuant, AutoSmoothQuant, AWQ) their settings, decoder-layer path and scaling
    /// layers (the plan's pairs).
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
            return rotation.quarkEntry
        case .awq:
            // amd-quark 0.13's AWQConfig has only these fields (name, scaling_layers, model_decoder_layers).
            break
        default:
            return entry
        }
        entry["model_decoder_layers"] = "model.layers"
        entry["scaling_layers"] = QuantizationPlan.llama.quarkScalingLayers
        return entry
    }

    private static func number(_ value: Any?, key: String, default fallback: Float, source: String) throws(QuantizationError) -> Float {
        guard let value, !(value is NSNull) else { return fallback }
        guard let number = value as? NSNumber, number.doubleValue > 0 || key.hasSuffix("alpha") && number.doubleValue >= 0 else {
            throw .invalidValue(key: key, value: "\(value)", valid: ["a non-negative number"], source: source)
        }
        return number.floatValue
    }
}
