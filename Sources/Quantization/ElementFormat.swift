import Tensors

/// The number format a tensor is quantized to, under Quark's `dtype` names (the raw values), so a
/// config file and an export say the same thing.
public enum ElementFormat: String, Sendable, CaseIterable, Hashable {
    case int8, uint8, int4, uint4
    case fp8E4M3 = "fp8_e4m3", fp8E5M2 = "fp8_e5m2"
    case fp6E3M2 = "fp6_e3m2", fp6E2M3 = "fp6_e2m3"
    case fp4
    /// Plain casts: no scale, no zero point.
    case float16, bfloat16

    public var isInteger: Bool { integerRange != nil }

    /// `[qmin, qmax]` of the integer formats (Quark `calculate_qmin_qmax`).
    public var integerRange: ClosedRange<Int32>? {
        switch self {
        case .int8: -128...127
        case .uint8: 0...255
        case .int4: -8...7
        case .uint4: 0...15
        default: nil
        }
    }

    public var isSigned: Bool { self != .uint8 && self != .uint4 }

    /// The minifloat of the floating-point element formats.
    public var minifloat: MinifloatFormat? {
        switch self {
        case .fp8E4M3: .e4m3fn
        case .fp8E5M2: .e5m2
        case .fp6E3M2: .e3m2
        case .fp6E2M3: .e2m3
        case .fp4: .e2m1
        default: nil
        }
    }

    /// Bits per element as stored (packed formats share bytes).
    public var bitWidth: Int {
        switch self {
        case .int8, .uint8, .fp8E4M3, .fp8E5M2: 8
        case .int4, .uint4, .fp4: 4
        case .fp6E3M2, .fp6E2M3: 6
        case .float16, .bfloat16: 16
        }
    }

    /// The largest magnitude the element represents (the `quant_max` scales are chosen against).
    public var maximum: Float {
        if let range = integerRange { return Float(range.upperBound) }
        if let minifloat { return minifloat.maxNormal }
        return self == .float16 ? Float(Float16.greatestFiniteMagnitude) : 3.3895314e38
    }

    /// The exponent of the largest normal value (`emax` in the MX shared-exponent rule; Quark
    /// `get_dtype_params`: 0 for int8, 2 for fp4 and fp6_e2m3, 4 for fp6_e3m2, 8 for fp8_e4m3, 15 for fp8_e5m2).
    public var maxExponent: Int { minifloat?.maxExponent ?? 0 }
}
