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
            "algo_config": algorithms.isEmpty ? NSNull() : algorithms.map { ["name": $0.rawValue] } as Any,
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
        for entry in (dictionary["algo_config"] as? [[String: Any]]) ?? [] {
            let name = ((entry["name"] as? String) ?? "").lowercased().replacingOccurrences(of: "_", with: "")
            guard let algorithm = AlgorithmName(rawValue: name) else {
                throw .invalidValue(key: "algo_config.name", value: name, valid: AlgorithmName.allCases.map(\.rawValue), source: source)
            }
            algorithms.append(algorithm)
        }
        self.init(global: global, layerOverrides: overrides, layerTypeOverrides: types,
                  exclude: (dictionary["exclude"] as? [String]) ?? [], kvCache: kvCache, algorithms: algorithms)
    }
}
