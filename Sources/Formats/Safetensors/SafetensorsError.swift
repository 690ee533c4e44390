/// Why a safetensors file or sharded checkpoint was rejected; each case names the file and the
/// tensor or key at fault.
public enum SafetensorsError: Error, Equatable, CustomStringConvertible {
    case cannotOpen(path: String, reason: String)
    case tooShort(path: String, size: Int)
    case headerLengthOutOfBounds(path: String, declared: UInt64, available: Int)
    case headerTooLarge(path: String, declared: UInt64, limit: Int)
    case invalidHeader(path: String, reason: String)
    case unknownDType(path: String, tensor: String, dtype: String)
    case invalidEntry(path: String, tensor: String, reason: String)
    case sizeMismatch(path: String, tensor: String, shape: [Int], dtype: String, bytes: Int)
    case spanOutOfBounds(path: String, tensor: String, end: Int, dataSize: Int)
    case overlappingSpans(path: String, first: String, second: String)
    case missingShard(path: String, shard: String)
    case tensorMissingFromShard(path: String, tensor: String, shard: String)
    case missingTensor(path: String, tensor: String)
    case writeFailed(path: String, reason: String)

    public var description: String {
        switch self {
        case let .cannotOpen(path, reason): "\(path): cannot open: \(reason)"
        case let .tooShort(path, size): "\(path): \(size) bytes is too short for a safetensors file (needs an 8-byte header length)"
        case let .headerLengthOutOfBounds(path, declared, available):
            "\(path): header length \(declared) runs past the end of the file (\(available) bytes after the length field)"
        case let .headerTooLarge(path, declared, limit): "\(path): header length \(declared) exceeds the \(limit)-byte limit"
        case let .invalidHeader(path, reason): "\(path): invalid header: \(reason)"
        case let .unknownDType(path, tensor, dtype):
            "\(path): tensor '\(tensor)' has unknown dtype '\(dtype)'; expected one of \(DTypeNames.all)"
        case let .invalidEntry(path, tensor, reason): "\(path): tensor '\(tensor)': \(reason)"
        case let .sizeMismatch(path, tensor, shape, dtype, bytes):
            "\(path): tensor '\(tensor)' of shape \(shape) and dtype \(dtype) spans \(bytes) bytes, which does not match"
        case let .spanOutOfBounds(path, tensor, end, dataSize):
            "\(path): tensor '\(tensor)' ends at byte \(end) of a \(dataSize)-byte data section"
        case let .overlappingSpans(path, first, second): "\(path): tensors '\(first)' and '\(second)' overlap"
        case let .missingShard(path, shard): "\(path): weight_map names shard '\(shard)', which does not exist"
        case let .tensorMissingFromShard(path, tensor, shard): "\(path): weight_map puts '\(tensor)' in '\(shard)', which does not hold it"
        case let .missingTensor(path, tensor): "\(path): no tensor named '\(tensor)'"
        case let .writeFailed(path, reason): "\(path): cannot write: \(reason)"
        }
    }
}

import Tensors
enum DTypeNames { static var all: String { DType.spellings } }
