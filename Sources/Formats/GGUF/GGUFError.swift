/// Why a GGUF file was rejected; each case names the file and the field or tensor at fault.
public enum GGUFError: Error, Equatable, CustomStringConvertible {
    case cannotOpen(path: String, reason: String)
    case badMagic(path: String, found: UInt32)
    case unsupportedVersion(path: String, version: UInt32)
    case truncated(path: String, field: String, offset: Int)
    case invalidString(path: String, field: String)
    case unknownValueType(path: String, key: String, type: UInt32)
    case duplicateKey(path: String, key: String)
    case invalidAlignment(path: String, value: String)
    case invalidTensorInfo(path: String, tensor: String, reason: String)
    case unknownTensorType(path: String, tensor: String, type: UInt32)
    case duplicateTensor(path: String, tensor: String)
    case tensorDataOutOfBounds(path: String, tensor: String, end: Int, fileSize: Int)
    case unsupportedDequantization(path: String, tensor: String, type: String)
    case missingTensor(path: String, tensor: String)
    case invalidValue(path: String, key: String, reason: String)
    case cannotWrite(path: String, reason: String)

    public var description: String {
        switch self {
        case let .cannotOpen(path, reason): "\(path): cannot open: \(reason)"
        case let .badMagic(path, found): "\(path): not a GGUF file (magic 0x\(String(found, radix: 16)), expected 0x46554747 'GGUF')"
        case let .unsupportedVersion(path, version): "\(path): GGUF version \(version) is not supported (2 or 3)"
        case let .truncated(path, field, offset): "\(path): file ends inside \(field) at byte \(offset)"
        case let .invalidString(path, field): "\(path): \(field) is not valid UTF-8"
        case let .unknownValueType(path, key, type): "\(path): metadata '\(key)' has unknown value type \(type) (0...12)"
        case let .duplicateKey(path, key): "\(path): metadata key '\(key)' appears twice"
        case let .invalidAlignment(path, value): "\(path): general.alignment \(value) must be a nonzero multiple of 8 (uint32)"
        case let .invalidTensorInfo(path, tensor, reason): "\(path): tensor '\(tensor)': \(reason)"
        case let .unknownTensorType(path, tensor, type): "\(path): tensor '\(tensor)' has unknown ggml type \(type)"
        case let .duplicateTensor(path, tensor): "\(path): tensor '\(tensor)' appears twice"
        case let .tensorDataOutOfBounds(path, tensor, end, fileSize):
            "\(path): tensor '\(tensor)' data ends at byte \(end), past the end of the file (\(fileSize) bytes)"
        case let .unsupportedDequantization(path, tensor, type): "\(path): tensor '\(tensor)' has type \(type), which QuantKit cannot dequantize yet"
        case let .missingTensor(path, tensor): "\(path): no tensor named '\(tensor)'"
        case let .invalidValue(path, key, reason): "\(path): '\(key)': \(reason)"
        case let .cannotWrite(path, reason): "\(path): cannot write: \(reason)"
        }
    }
}
