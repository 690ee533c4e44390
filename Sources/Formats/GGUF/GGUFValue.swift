/// One metadata value of a GGUF file, in the file's own type.
public enum GGUFValue: Sendable, Equatable {
    case uint8(UInt8), int8(Int8), uint16(UInt16), int16(Int16), uint32(UInt32), int32(Int32)
    case float32(Float), bool(Bool), string(String), array([GGUFValue]), uint64(UInt64), int64(Int64), float64(Double)

    /// Any integer case as `Int` (nil if it does not fit).
    public var intValue: Int? {
        switch self {
        case let .uint8(v): Int(v)
        case let .int8(v): Int(v)
        case let .uint16(v): Int(v)
        case let .int16(v): Int(v)
        case let .uint32(v): Int(v)
        case let .int32(v): Int(v)
        case let .uint64(v): Int(exactly: v)
        case let .int64(v): Int(v)
        default: nil
        }
    }

    /// A float or integer case as `Float`.
    public var floatValue: Float? {
        switch self {
        case let .float32(v): v
        case let .float64(v): Float(v)
        default: intValue.map(Float.init)
        }
    }

    public var stringValue: String? { if case let .string(v) = self { v } else { nil } }
    public var boolValue: Bool? { if case let .bool(v) = self { v } else { nil } }
    public var arrayValue: [GGUFValue]? { if case let .array(v) = self { v } else { nil } }
    public var stringArray: [String]? { arrayValue?.compactMap(\.stringValue) }
    public var floatArray: [Float]? { arrayValue?.compactMap(\.floatValue) }
    public var intArray: [Int]? { arrayValue?.compactMap(\.intValue) }
}

extension GGUFValue {
    /// The value's GGUF type id (gguf.md), as the writer stores it.
    public var typeID: UInt32 {
        switch self {
        case .uint8: 0
        case .int8: 1
        case .uint16: 2
        case .int16: 3
        case .uint32: 4
        case .int32: 5
        case .float32: 6
        case .bool: 7
        case .string: 8
        case .array: 9
        case .uint64: 10
        case .int64: 11
        case .float64: 12
        }
    }
}

/// GGUF metadata value type ids (gguf.md).
enum GGUFValueType: UInt32 {
    case uint8 = 0, int8, uint16, int16, uint32, int32, float32, bool, string, array, uint64, int64, float64
}
