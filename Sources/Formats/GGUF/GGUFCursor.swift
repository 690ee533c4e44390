/// Bounds-checked little-endian reads over a GGUF file's bytes. Every length is checked against the
/// bytes that remain before anything is allocated, so a header claiming 2^60 elements fails at once.
struct GGUFCursor {
    let bytes: UnsafeRawBufferPointer
    let path: String
    var offset = 0

    var remaining: Int { bytes.count - offset }

    mutating func read<T: FixedWidthInteger>(_ type: T.Type, _ field: @autoclosure () -> String) throws(GGUFError) -> T {
        let size = MemoryLayout<T>.size
        guard remaining >= size else { throw .truncated(path: path, field: field(), offset: offset) }
        let value = T(littleEndian: bytes.loadUnaligned(fromByteOffset: offset, as: T.self))
        offset += size
        return value
    }

    mutating func readFloat(_ field: @autoclosure () -> String) throws(GGUFError) -> Float {
        Float(bitPattern: try read(UInt32.self, field()))
    }

    mutating func readDouble(_ field: @autoclosure () -> String) throws(GGUFError) -> Double {
        Double(bitPattern: try read(UInt64.self, field()))
    }

    /// A gguf string: uint64 byte length, then UTF-8 bytes (no terminator).
    mutating func readString(_ field: @autoclosure () -> String) throws(GGUFError) -> String {
        let length = try read(UInt64.self, field())
        guard length <= UInt64(remaining) else { throw .truncated(path: path, field: field(), offset: offset) }
        let start = offset
        offset += Int(length)
        guard let string = String(validating: UnsafeRawBufferPointer(rebasing: bytes[start..<offset]), as: UTF8.self) else {
            throw .invalidString(path: path, field: field())
        }
        return string
    }

    /// A metadata value of `type` (arrays nest).
    mutating func readValue(type rawType: UInt32, key: String) throws(GGUFError) -> GGUFValue {
        guard let type = GGUFValueType(rawValue: rawType) else { throw .unknownValueType(path: path, key: key, type: rawType) }
        switch type {
        case .uint8: return .uint8(try read(UInt8.self, key))
        case .int8: return .int8(try read(Int8.self, key))
        case .uint16: return .uint16(try read(UInt16.self, key))
        case .int16: return .int16(try read(Int16.self, key))
        case .uint32: return .uint32(try read(UInt32.self, key))
        case .int32: return .int32(try read(Int32.self, key))
        case .uint64: return .uint64(try read(UInt64.self, key))
        case .int64: return .int64(try read(Int64.self, key))
        case .float32: return .float32(try readFloat(key))
        case .float64: return .float64(try readDouble(key))
        case .bool: return .bool(try read(UInt8.self, key) != 0)
        case .string: return .string(try readString(key))
        case .array:
            let elementType = try read(UInt32.self, key + " (array element type)")
            let count = try read(UInt64.self, key + " (array length)")
            // Every element takes at least one byte (strings at least eight): refuse impossible counts.
            let minimumSize: UInt64 = elementType == GGUFValueType.string.rawValue ? 8 : 1
            guard count <= UInt64(remaining) / minimumSize else {
                throw .truncated(path: path, field: key + " (array of \(count) elements)", offset: offset)
            }
            var elements: [GGUFValue] = []
            elements.reserveCapacity(Int(count))
            for _ in 0..<Int(count) { elements.append(try readValue(type: elementType, key: key)) }
            return .array(elements)
        }
    }
}
