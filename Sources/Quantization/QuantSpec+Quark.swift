import Foundation

/// Quark's `QTensorConfig.to_dict()` form of a spec, as amd-quark 0.13 writes it into
/// `quantization_config` (FORMATS.md §1.1), and the reverse.
extension QuantSpec {
    static let quarkGranularities = ["per_tensor", "per_channel", "per_group"]

    /// The dictionary amd-quark writes for this spec.
    public func quarkDictionary() -> [String: Any] {
        if isMX && format == .int8 { return mxIntegerDictionary() }
        var qscheme = "per_tensor", channelAxis: Any = NSNull(), groupSize: Any = NSNull()
        switch granularity {
        case .perTensor: break
        case .perChannel:
            qscheme = "per_channel"
            channelAxis = isDynamic ? 1 : 0
        case let .perGroup(size):
            qscheme = "per_group"
            channelAxis = -1
            groupSize = size
        }
        return [
            "dtype": format.rawValue, "is_dynamic": isDynamic, "qscheme": qscheme, "ch_axis": channelAxis,
            "group_size": groupSize, "block_size": NSNull(),
            "symmetric": isMX ? NSNull() : (format.isInteger ? symmetric : true) as Any,
            "round_method": "half_even",
            "scale_type": scaleTypeUnset ? NSNull() : quarkScaleType as Any,
            "scale_format": isMX ? "e8m0" : NSNull() as Any,
            "scale_calculation_mode": isMX ? mxScaleRounding.rawValue : NSNull() as Any,
            "zero_point_type": "int32", "mx_element_dtype": NSNull(), "observer_cls": observer.quarkName(for: self) ?? NSNull() as Any,
            "is_scale_quant": false, "enable_buffer_reuse": false, "max_input_numel": 4_194_304,
        ]
    }

    /// Quark's `scale_type` name: MX specs say `float` (their E8M0 is `scale_format`).
    var quarkScaleType: String {
        switch scaleType {
        case .float32, .e8m0: "float"
        case .float16, .bfloat16, .powerOfTwo: scaleType.rawValue
        }
    }

    /// MXINT8 as `OCP_MXINT8Spec` writes it: Quark 0.13 knows it only as the legacy `dtype: mx` with
    /// an int8 element, quantized by its non-scaled fake quantizer (no observer, scale or qscheme).
    private func mxIntegerDictionary() -> [String: Any] {
        var size = 32
        if case let .perGroup(groupSize) = granularity { size = groupSize }
        return [
            "dtype": "mx", "is_dynamic": NSNull(), "qscheme": NSNull(), "ch_axis": -1, "group_size": size,
            "block_size": NSNull(), "symmetric": NSNull(), "round_method": NSNull(), "scale_type": NSNull(),
            "zero_point_type": "int32", "scale_format": NSNull(), "scale_calculation_mode": mxScaleRounding.rawValue,
            "mx_element_dtype": "int8", "observer_cls": NSNull(),
            "is_scale_quant": false, "enable_buffer_reuse": false, "max_input_numel": 4_194_304,
        ]
    }

    /// Parses a QTensorConfig dictionary (also the legacy keys `dynamic` and `axis`); errors name the
    /// key and list the valid values.
    public init(quark dictionary: [String: Any], source: String) throws(QuantizationError) {
        func string(_ key: String) -> String? { dictionary[key] as? String }
        guard let dtype = string("dtype") else { throw .missingKey(key: "dtype", source: source) }
        if dtype == "mx" {
            try self.init(quarkMX: dictionary, source: source)
            return
        }
        guard let format = ElementFormat(rawValue: dtype) else {
            throw .invalidValue(key: "dtype", value: dtype, valid: ElementFormat.allCases.map(\.rawValue) + ["mx"], source: source)
        }
        let dynamic = (dictionary["is_dynamic"] ?? dictionary["dynamic"]) as? Bool ?? false
        let scaleFormat = string("scale_format")
        var scaleType = ScaleType.float32
        if scaleFormat == "e8m0" || string("scale_type") == "float8_e8m0fnu" {
            scaleType = .e8m0
        } else if let name = string("scale_type") {
            switch name {
            case "float", "float32": scaleType = .float32
            case "float16": scaleType = .float16
            case "bfloat16": scaleType = .bfloat16
            case "pof2": scaleType = .powerOfTwo
            default:
                throw .invalidValue(key: "scale_type", value: name, valid: ["float", "float32", "float16", "bfloat16", "pof2"], source: source)
            }
        }
        if let scaleFormat, scaleFormat != "e8m0", scaleFormat != "float32" {
            throw .invalidValue(key: "scale_format", value: scaleFormat, valid: ["e8m0", "float32"], source: source)
        }
        let qscheme = string("qscheme") ?? "per_tensor"
        let granularity: Granularity
        switch qscheme {
        case "per_tensor": granularity = .perTensor
        case "per_channel": granularity = .perChannel
        case "per_group":
            guard let size = dictionary["group_size"] as? Int, size > 0 else {
                throw .invalidValue(key: "group_size", value: "\(dictionary["group_size"] ?? "null")", valid: ["a positive integer"], source: source)
            }
            granularity = .perGroup(size: size)
        default: throw .invalidValue(key: "qscheme", value: qscheme, valid: Self.quarkGranularities, source: source)
        }
        var rounding = MXScaleRounding.even
        if let mode = string("scale_calculation_mode") {
            guard let parsed = MXScaleRounding(rawValue: mode) else {
                throw .invalidValue(key: "scale_calculation_mode", value: mode, valid: ["even", "floor", "ceil"], source: source)
            }
            rounding = parsed
        }
        if let method = string("round_method"), method != "half_even", method != "round" {
            throw .invalidValue(key: "round_method", value: method, valid: ["half_even", "round"], source: source)
        }
        var observer = ObserverKind.minMax
        if let name = string("observer_cls") {
            guard let kind = ObserverKind(quarkName: name) else {
                throw .invalidValue(key: "observer_cls", value: name, valid: ObserverKind.quarkNames, source: source)
            }
            observer = kind
        }
        self.init(format: format, granularity: granularity, symmetric: dictionary["symmetric"] as? Bool ?? true,
                  scaleType: scaleType, mxScaleRounding: rounding, isDynamic: dynamic, observer: observer,
                  scaleTypeUnset: scaleType == .float32 && dictionary["scale_type"] is NSNull)
        try checkObserver(source: source)
    }

    /// The legacy `dtype: mx` form (`OCP_MXINT8Spec`, older exports): an OCP element, blocks of
    /// `group_size`, E8M0 scales computed from every tensor as it comes.
    private init(quarkMX dictionary: [String: Any], source: String) throws(QuantizationError) {
        let elements = ["int8", "fp8_e4m3", "fp8_e5m2", "fp6_e3m2", "fp6_e2m3", "fp4"]
        guard let name = dictionary["mx_element_dtype"] as? String else {
            throw .missingKey(key: "mx_element_dtype", source: source)
        }
        guard elements.contains(name), let format = ElementFormat(rawValue: name) else {
            throw .invalidValue(key: "mx_element_dtype", value: name, valid: elements, source: source)
        }
        guard let size = dictionary["group_size"] as? Int, size > 0 else {
            throw .invalidValue(key: "group_size", value: "\(dictionary["group_size"] ?? "null")", valid: ["a positive integer"], source: source)
        }
        var rounding = MXScaleRounding.even
        // Quark's `fake_quantize_mx` rounds `even` for anything but floor and ceil, null included.
        if let mode = dictionary["scale_calculation_mode"] as? String {
            guard let parsed = MXScaleRounding(rawValue: mode) else {
                throw .invalidValue(key: "scale_calculation_mode", value: mode, valid: ["even", "floor", "ceil"], source: source)
            }
            rounding = parsed
        }
        self.init(format: format, granularity: .perGroup(size: size), scaleType: .e8m0, mxScaleRounding: rounding, isDynamic: true)
    }
}

extension LayerQuantSpec {
    /// Quark's QLayerConfig dictionary.
    public func quarkDictionary() -> [String: Any] {
        ["weight": weight?.quarkDictionary() ?? NSNull(), "input_tensors": input?.quarkDictionary() ?? NSNull(),
         "output_tensors": output?.quarkDictionary() ?? NSNull(), "bias": NSNull(), "target_device": NSNull()]
    }

    public init(quark dictionary: [String: Any], source: String) throws(QuantizationError) {
        func spec(_ key: String) throws(QuantizationError) -> QuantSpec? {
            guard let value = dictionary[key], !(value is NSNull) else { return nil }
            if let list = value as? [[String: Any]] {
                guard list.count == 1 else { throw .unsupported(feature: "\(key) with \(list.count) sequential quantizers", source: source) }
                return try QuantSpec(quark: list[0], source: "\(source).\(key)")
            }
            guard let object = value as? [String: Any] else {
                throw .invalidValue(key: key, value: "\(value)", valid: ["an object", "null"], source: source)
            }
            return try QuantSpec(quark: object, source: "\(source).\(key)")
        }
        if let bias = dictionary["bias"], !(bias is NSNull) { throw .unsupported(feature: "bias quantization", source: source) }
        self.init(weight: try spec("weight"), input: try spec("input_tensors"), output: try spec("output_tensors"))
    }
}
