import Foundation
import Tensors

/// Builds a GGUF v3 file in gguf-py's layout (FORMATS.md §6.1; gguf-py `GGUFWriter`): header,
/// metadata in insertion order, tensor infos with dimensions in `ne` order, zero padding to the
/// alignment, then each tensor's data padded to the alignment. `write()` writes a temporary file
/// beside the destination and renames it, so a failure never leaves a partial file.
public struct GGUFWriter {
    /// Destination of `write()`.
    public let url: URL
    /// Data alignment in bytes.
    public let alignment: Int
    private var metadataKeys: [String] = []
    private var metadata: [String: GGUFValue] = [:]
    private var entries: [(info: GGUFTensorInfo, payload: Payload)] = []
    private var tensorNames: Set<String> = []

    private enum Payload {
        /// F32/F16/BF16 tensor, possibly a view of a mapped file (not copied).
        case tensor(Tensor)
        /// Pre-packed GGML blocks.
        case bytes([UInt8])
    }

    /// A writer for `url`; `alignment` must be a nonzero multiple of 8 (traps otherwise). A
    /// non-default alignment is recorded as `general.alignment` (uint32), as gguf-py does.
    public init(url: URL, alignment: Int = GGUFFile.defaultAlignment) {
        precondition(alignment > 0 && alignment % 8 == 0 && alignment <= Int(UInt32.max), "alignment \(alignment)")
        self.url = url
        self.alignment = alignment
        if alignment != GGUFFile.defaultAlignment { metadataKeys.append("general.alignment") }
        metadata["general.alignment"] = alignment != GGUFFile.defaultAlignment ? .uint32(UInt32(alignment)) : nil
    }

    /// Sets `key` to `value`. A new key goes last; an existing key keeps its place (gguf-py
    /// overwrites duplicates the same way). Arrays must be non-empty with one element type.
    public mutating func setMetadata(_ key: String, _ value: GGUFValue) throws(GGUFError) {
        if key == "general.alignment" {
            guard value == .uint32(UInt32(alignment)) else {
                throw .invalidValue(path: url.path, key: key, reason: "set the alignment with GGUFWriter(url:alignment:)")
            }
        }
        try Self.validate(value, key: key, path: url.path)
        if metadata.updateValue(value, forKey: key) == nil { metadataKeys.append(key) }
    }

    private static func validate(_ value: GGUFValue, key: String, path: String) throws(GGUFError) {
        guard case let .array(elements) = value else { return }
        guard let first = elements.first else {
            throw .invalidValue(path: path, key: key, reason: "empty arrays have no element type")
        }
        for element in elements {
            guard element.typeID == first.typeID else {
                throw .invalidValue(path: path, key: key, reason: "array elements must share one type")
            }
            try validate(element, key: key, path: path)
        }
    }

    /// Adds a float tensor (`F32`, `F16` or `BF16`) stored as is; `tensor.shape` is PyTorch order
    /// (at most 4 dimensions, none zero).
    public mutating func addTensor(name: String, _ tensor: Tensor) throws(GGUFError) {
        let type: GGMLType
        switch tensor.dtype {
        case .float32: type = .f32
        case .float16: type = .f16
        case .bfloat16: type = .bf16
        default:
            throw .invalidValue(path: url.path, key: name, reason: "tensor dtype \(tensor.dtype.rawValue) is not F32, F16 or BF16")
        }
        let info = try makeInfo(name: name, shape: tensor.shape, type: type, byteCount: tensor.byteCount)
        entries.append((info, .tensor(tensor)))
    }

    /// Adds pre-quantized GGML blocks of `type`: `bytes` holds each row's blocks (rows along the
    /// last PyTorch dimension, which must be a multiple of `type.blockSize`).
    public mutating func addTensor(name: String, shape: [Int], type: GGMLType, bytes: [UInt8]) throws(GGUFError) {
        let info = try makeInfo(name: name, shape: shape, type: type, byteCount: bytes.count)
        entries.append((info, .bytes(bytes)))
    }

    private mutating func makeInfo(name: String, shape: [Int], type: GGMLType, byteCount: Int) throws(GGUFError) -> GGUFTensorInfo {
        let path = url.path
        guard !tensorNames.contains(name) else { throw .duplicateTensor(path: path, tensor: name) }
        guard shape.count <= 4 else { throw .invalidTensorInfo(path: path, tensor: name, reason: "\(shape.count) dimensions; GGUF allows at most 4") }
        guard shape.allSatisfy({ $0 > 0 }) else {
            throw .invalidTensorInfo(path: path, tensor: name, reason: "shape \(shape) must have positive dimensions")
        }
        let dimensions = Array(shape.reversed())
        let rowLength = dimensions.first ?? 1
        guard rowLength % type.blockSize == 0 else {
            throw .invalidTensorInfo(path: path, tensor: name, reason: "row length \(rowLength) is not a multiple of the \(type.name) block size \(type.blockSize)")
        }
        let offset = entries.last.map { Self.padded($0.info.offset + $0.info.byteCount, to: alignment) } ?? 0
        let info = GGUFTensorInfo(name: name, dimensions: dimensions, type: type, offset: offset)
        guard info.byteCount == byteCount else {
            throw .invalidTensorInfo(path: path, tensor: name, reason: "\(byteCount) bytes given, \(info.byteCount) expected")
        }
        tensorNames.insert(name)
        return info
    }

    static func padded(_ count: Int, to alignment: Int) -> Int { (count + alignment - 1) / alignment * alignment }

    /// The header, metadata, tensor infos and padding up to the data section.
    func headerBytes() -> [UInt8] {
        var out = GGUFByteSink()
        out.append(UInt32(0x4655_4747))
        out.append(UInt32(3))
        out.append(UInt64(entries.count))
        out.append(UInt64(metadataKeys.count))
        for key in metadataKeys {
            out.append(string: key)
            let value = metadata[key]!
            out.append(value.typeID)
            out.append(value: value)
        }
        for (info, _) in entries {
            out.append(string: info.name)
            out.append(UInt32(info.dimensions.count))
            for dimension in info.dimensions { out.append(UInt64(dimension)) }
            out.append(info.type.rawValue)
            out.append(UInt64(info.offset))
        }
        out.bytes.append(contentsOf: repeatElement(0, count: Self.padded(out.bytes.count, to: alignment) - out.bytes.count))
        return out.bytes
    }

    /// Writes the file: to a temporary file in the destination's directory, then renamed over `url`.
    public func write() throws(GGUFError) {
        let path = url.path
        let temporary = url.deletingLastPathComponent()
            .appendingPathComponent(".\(url.lastPathComponent).\(UUID().uuidString).tmp").path
        let descriptor = open(temporary, O_WRONLY | O_CREAT | O_EXCL, 0o644)
        guard descriptor >= 0 else { throw .cannotWrite(path: path, reason: String(cString: strerror(errno))) }
        var succeeded = false
        defer {
            if !succeeded { unlink(temporary) }
        }
        do {
            defer { close(descriptor) }
            try Self.writeAll(descriptor, headerBytes(), path: path)
            let zeros = [UInt8](repeating: 0, count: alignment)
            for (info, payload) in entries {
                switch payload {
                case let .tensor(tensor):
                    let result = tensor.withUnsafeBytes { bytes in
                        Result { () throws(GGUFError) in try Self.writeAll(descriptor, bytes, path: path) }
                    }
                    try result.get()
                case let .bytes(bytes): try Self.writeAll(descriptor, bytes, path: path)
                }
                let padding = Self.padded(info.byteCount, to: alignment) - info.byteCount
                try Self.writeAll(descriptor, zeros[0..<padding], path: path)
            }
        }
        guard rename(temporary, path) == 0 else { throw .cannotWrite(path: path, reason: String(cString: strerror(errno))) }
        succeeded = true
    }

    private static func writeAll(_ descriptor: Int32, _ bytes: some ContiguousBytes, path: String) throws(GGUFError) {
        let failure: String? = bytes.withUnsafeBytes { buffer in
            var written = 0
            while written < buffer.count {
                let result = Foundation.write(descriptor, buffer.baseAddress! + written, buffer.count - written)
                if result < 0 {
                    if errno == EINTR { continue }
                    return String(cString: strerror(errno))
                }
                written += result
            }
            return nil
        }
        if let failure { throw .cannotWrite(path: path, reason: failure) }
    }
}

/// Little-endian encoder for GGUF header fields.
struct GGUFByteSink {
    var bytes: [UInt8] = []

    mutating func append<T: FixedWidthInteger>(_ value: T) {
        withUnsafeBytes(of: value.littleEndian) { bytes.append(contentsOf: $0) }
    }

    mutating func append(string: String) {
        let utf8 = Array(string.utf8)
        append(UInt64(utf8.count))
        bytes.append(contentsOf: utf8)
    }

    /// A value without its type tag (arrays carry their element type and count).
    mutating func append(value: GGUFValue) {
        switch value {
        case let .uint8(v): append(v)
        case let .int8(v): append(v)
        case let .uint16(v): append(v)
        case let .int16(v): append(v)
        case let .uint32(v): append(v)
        case let .int32(v): append(v)
        case let .float32(v): append(v.bitPattern)
        case let .bool(v): append(UInt8(v ? 1 : 0))
        case let .string(v): append(string: v)
        case let .uint64(v): append(v)
        case let .int64(v): append(v)
        case let .float64(v): append(v.bitPattern)
        case let .array(elements):
            append(elements.first!.typeID)
            append(UInt64(elements.count))
            for element in elements { append(value: element) }
        }
    }
}
