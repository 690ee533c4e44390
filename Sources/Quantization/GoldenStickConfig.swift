import Foundation

/// MindSpore Golden Stick / MindFormers `quantization_config` (seed 004) mapped onto `QuantConfig`:
///
///     quantization_config:
///       quant_method: rtn | smooth_quant | ptq
///       weight_dtype: int8 | None          # int8 per output channel, symmetric (A16W8)
///       activation_dtype: int8 | None      # int8 per tensor, static (A8)
///       kvcache_dtype: int8 | None         # int8 KV cache, per tensor
///       outliers_suppression: smooth | awq | None
///       modules_to_not_convert: [lm_head]
///       algorithm_args: {alpha: 0.5}
///
/// `smooth_quant`, and `ptq` with `outliers_suppression: smooth`, put SmoothQuant before RTN;
/// `outliers_suppression: awq` (Golden Stick 1.0's AWQ) puts AWQ before RTN, on the int8 weights
/// this mapping knows (Golden Stick's 4-bit weight dtypes are not mapped).
public enum GoldenStickConfig {
    static let keys = ["quant_method", "weight_dtype", "activation_dtype", "kvcache_dtype", "outliers_suppression",
                       "modules_to_not_convert", "algorithm_args"]

    /// Parses the YAML object (already loaded) of a Golden Stick config; `quantization_config` may be
    /// the root or nested anywhere below it (MindFormers puts it under `model.model_config`).
    public static func config(from root: Any, source: String) throws(QuantizationError) -> QuantConfig {
        guard let object = find(root) else { throw .missingKey(key: "quantization_config", source: source) }
        for key in object.keys where !keys.contains(key) {
            throw .invalidValue(key: "quantization_config.\(key)", value: "(unknown key)", valid: keys, source: source)
        }
        func choice(_ key: String, _ valid: [String], required: Bool = false) throws(QuantizationError) -> String? {
            let raw = object[key]
            let value = (raw as? String).map { $0.lowercased() == "none" ? nil : $0 } ?? nil
            if raw != nil, !(raw is NSNull), !(raw is String) {
                throw .invalidValue(key: key, value: "\(raw!)", valid: valid + ["None"], source: source)
            }
            guard let value else {
                if required { throw .missingKey(key: key, source: source) }
                return nil
            }
            guard valid.contains(value) else { throw .invalidValue(key: key, value: value, valid: valid + ["None"], source: source) }
            return value
        }
        let method = try choice("quant_method", ["rtn", "smooth_quant", "ptq"], required: true)!
        let weight = try choice("weight_dtype", ["int8"])
        let activation = try choice("activation_dtype", ["int8"])
        let kvCache = try choice("kvcache_dtype", ["int8"])
        let suppression = try choice("outliers_suppression", ["smooth", "awq"])
        var exclude: [String] = []
        if let modules = object["modules_to_not_convert"] {
            guard let list = modules as? [String] else {
                throw .invalidValue(key: "modules_to_not_convert", value: "\(modules)", valid: ["a list of module names"], source: source)
            }
            exclude = list
        }
        var smoothQuant = SmoothQuantOptions()
        if let arguments = object["algorithm_args"], !(arguments is NSNull) {
            guard let dictionary = arguments as? [String: Any] else {
                throw .invalidValue(key: "algorithm_args", value: "\(arguments)", valid: ["a mapping"], source: source)
            }
            if let alpha = dictionary["alpha"] {
                let value = (alpha as? Double) ?? (alpha as? Int).map(Double.init)
                guard let value, (0...1).contains(value) else {
                    throw .invalidValue(key: "algorithm_args.alpha", value: "\(alpha)", valid: ["a number in [0, 1]"], source: source)
                }
                smoothQuant.alpha = Float(value)
            }
        }
        if method == "smooth_quant" && activation == nil {
            throw .invalidValue(key: "activation_dtype", value: "None", valid: ["int8 (smooth_quant quantizes activations)"], source: source)
        }
        if suppression == "awq" && (weight == nil || method == "smooth_quant") {
            throw .invalidValue(key: "outliers_suppression", value: "awq", valid: ["smooth", "None (awq scales weights: it needs weight_dtype and not smooth_quant)"], source: source)
        }
        var algorithms: [AlgorithmName] = []
        if method == "smooth_quant" || suppression == "smooth" { algorithms.append(.smoothquant) }
        if suppression == "awq" { algorithms.append(.awq) }
        algorithms.append(.rtn)
        let layer = LayerQuantSpec(weight: weight.map { _ in QuantSpec(format: .int8, granularity: .perChannel) },
                                   input: activation.map { _ in QuantSpec(format: .int8) })
        var config = QuantConfig(global: layer, exclude: exclude, kvCache: kvCache.map { _ in QuantSpec(format: .int8) }, algorithms: algorithms)
        config.smoothQuant = smoothQuant
        return config
    }

    static func find(_ node: Any) -> [String: Any]? {
        if let dictionary = node as? [String: Any] {
            if let config = dictionary["quantization_config"] as? [String: Any] { return config }
            for value in dictionary.values { if let found = find(value) { return found } }
        }
        return nil
    }
}
