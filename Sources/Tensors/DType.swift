/// How one element of a `Tensor` is stored. Raw values use the safetensors spelling, so a header's
/// `"dtype"` string maps straight onto a case. 4-bit and block formats are not DTypes: they exist only
/// packed inside quantized storage, where a layout says what the bytes mean.
public enum DType: String, Sendable, CaseIterable, Codable {
    case float64 = "F64"
    case float32 = "F32"
    case float16 = "F16"
    case bfloat16 = "BF16"
    case float8E4M3 = "F8_E4M3"
    case float8E5M2 = "F8_E5M2"
    case int8 = "I8"
    case uint8 = "U8"
    case int16 = "I16"
    case uint16 = "U16"
    case int32 = "I32"
    case uint32 = "U32"
    case int64 = "I64"
    case uint64 = "U64"
    case bool = "BOOL"

    /// Bytes per element.
    public var byteSize: Int {
        switch self {
        case .float64, .int64, .uint64: 8
        case .float32, .int32, .uint32: 4
        case .float16, .bfloat16, .int16, .uint16: 2
        case .float8E4M3, .float8E5M2, .int8, .uint8, .bool: 1
        }
    }

    /// True for the types whose values convert to `Float` (the ones a model's weights come in).
    public var isFloatingPoint: Bool {
        switch self {
        case .float64, .float32, .float16, .bfloat16, .float8E4M3, .float8E5M2: true
        default: false
        }
    }

    /// The valid spellings, for error messages.
    public static var spellings: String { allCases.map(\.rawValue).joined(separator: ", ") }
}
