import Foundation
import Tensors

/// One tensor's entry in a GGUF file.
public struct GGUFTensorInfo: Sendable, Equatable {
    public let name: String
    /// ggml order: `dimensions[0]` (ne0) varies fastest.
    public let dimensions: [Int]
    public let type: GGMLType
    /// Relative to the start of the data section.
    public let offset: Int
    /// PyTorch order (dimensions reversed): a weight [out, in] has dimensions [in, out].
    public var shape: [Int] { dimensions.reversed() }
    public var elementCount: Int { dimensions.reduce(1, *) }
    public var byteCount: Int { elementCount / type.blockSize * type.bytesPerBlock }
}

/// A memory-mapped GGUF v2/v3 file (gguf.md): header, metadata, tensor infos, then aligned tensor
/// data. Everything is validated at open; tensors are read on demand.
public final class GGUFFile: Sendable {
    /// The alignment when `general.alignment` is absent (gguf.md).
    public static let defaultAlignment = 32

    public let url: URL
    public let version: UInt32
    public let alignment: Int
    public let metadata: [String: GGUFValue]
    /// Metadata keys in file order.
    public let metadataKeys: [String]
    public let tensors: [GGUFTensorInfo]
    private let index: [String: Int]
    private let file: MappedFile
    private let dataStart: Int

    public init(url: URL) throws(GGUFError) {
        self.url = url
        let path = url.path
        do { file = try MappedFile(url: url) } catch { throw .cannotOpen(path: path, reason: error.description) }
        var cursor = GGUFCursor(bytes: file.bytes, path: path)
        let magic = try cursor.read(UInt32.self, "magic")
        guard magic == 0x4655_4747 else { throw .badMagic(path: path, found: magic) }
        version = try cursor.read(UInt32.self, "version")
        guard version == 2 || version == 3 else { throw .unsupportedVersion(path: path, version: version) }
        let tensorCount = try cursor.read(UInt64.self, "tensor_count")
        let keyCount = try cursor.read(UInt64.self, "metadata_kv_count")
        // A key-value pair takes at least 12 bytes, a tensor info at least 24.
        guard keyCount <= UInt64(cursor.remaining / 12) else { throw .truncated(path: path, field: "metadata (\(keyCount) keys)", offset: cursor.offset) }
        guard tensorCount <= UInt64(cursor.remaining / 24) else { throw .truncated(path: path, field: "tensor infos (\(tensorCount) tensors)", offset: cursor.offset) }

        var metadata: [String: GGUFValue] = [:]
        var keys: [String] = []
        for index in 0..<Int(keyCount) {
            let key = try cursor.readString("metadata key #\(index)")
            let type = try cursor.read(UInt32.self, "type of '\(key)'")
            let value = try cursor.readValue(type: type, key: key)
            guard metadata.updateValue(value, forKey: key) == nil else { throw .duplicateKey(path: path, key: key) }
            keys.append(key)
        }
        var alignment = Self.defaultAlignment
        if let raw = metadata["general.alignment"] {
            guard case let .uint32(value) = raw, value > 0, value % 8 == 0 else {
                throw .invalidAlignment(path: path, value: "\(raw)")
            }
            alignment = Int(value)
        }
        self.alignment = alignment
        self.metadata = metadata
        metadataKeys = keys

        var tensors: [GGUFTensorInfo] = []
        var index: [String: Int] = [:]
        for position in 0..<Int(tensorCount) {
            let name = try cursor.readString("tensor name #\(position)")
            let rank = try cursor.read(UInt32.self, "n_dims of '\(name)'")
            guard (1...4).contains(rank) else { throw .invalidTensorInfo(path: path, tensor: name, reason: "n_dims \(rank) is not in 1...4") }
            var dimensions: [Int] = []
            var elements = 1
            for axis in 0..<Int(rank) {
                let size = try cursor.read(UInt64.self, "dimension \(axis) of '\(name)'")
                let (product, overflow) = elements.multipliedReportingOverflow(by: Int(clamping: size))
                guard size <= UInt64(Int.max), !overflow else {
                    throw .invalidTensorInfo(path: path, tensor: name, reason: "dimensions overflow")
                }
                dimensions.append(Int(size))
                elements = product
            }
            let rawType = try cursor.read(UInt32.self, "type of '\(name)'")
            guard let type = GGMLType(rawValue: rawType) else { throw .unknownTensorType(path: path, tensor: name, type: rawType) }
            let offset = try cursor.read(UInt64.self, "offset of '\(name)'")
            guard dimensions[0] % type.blockSize == 0 else {
                throw .invalidTensorInfo(path: path, tensor: name,
                    reason: "row length \(dimensions[0]) is not a multiple of the \(type.name) block size \(type.blockSize)")
            }
            guard offset <= UInt64(Int.max), Int(offset) % alignment == 0 else {
                throw .invalidTensorInfo(path: path, tensor: name, reason: "data offset \(offset) is not a multiple of the alignment \(alignment)")
            }
            guard index.updateValue(tensors.count, forKey: name) == nil else { throw .duplicateTensor(path: path, tensor: name) }
            tensors.append(GGUFTensorInfo(name: name, dimensions: dimensions, type: type, offset: Int(offset)))
        }
        dataStart = (cursor.offset + alignment - 1) / alignment * alignment
        for tensor in tensors {
            let (end, overflow) = (dataStart + tensor.offset).addingReportingOverflow(tensor.byteCount)
            guard !overflow, end <= file.bytes.count else {
                throw .tensorDataOutOfBounds(path: path, tensor: tensor.name, end: overflow ? .max : end, fileSize: file.bytes.count)
            }
        }
        self.tensors = tensors
        self.index = index
    }

    public func tensorInfo(named name: String) -> GGUFTensorInfo? { index[name].map { tensors[$0] } }

    /// The tensor's raw bytes (blocks as stored).
    public func bytes(of info: GGUFTensorInfo) -> UnsafeRawBufferPointer {
        let start = dataStart + info.offset
        return UnsafeRawBufferPointer(rebasing: file.bytes[start..<(start + info.byteCount)])
    }

    /// F32/F16/BF16 tensors as zero-copy views (PyTorch shape order); block types dequantized to float32.
    public func tensor(named name: String) throws(GGUFError) -> Tensor {
        guard let info = tensorInfo(named: name) else { throw .missingTensor(path: url.path, tensor: name) }
        let plain: [GGMLType: DType] = [.f32: .float32, .f16: .float16, .bf16: .bfloat16]
        if let dtype = plain[info.type] {
            return Tensor(shape: info.shape, dtype: dtype, storage: TensorStorage(borrowing: file.bytes, owner: file),
                          byteOffset: dataStart + info.offset)
        }
        return try dequantize(info)
    }

    /// The tensor dequantized to float32, shape in PyTorch order.
    public func dequantize(_ info: GGUFTensorInfo) throws(GGUFError) -> Tensor {
        guard let kernel = GGMLDequantization.kernel(for: info.type) else {
            throw .unsupportedDequantization(path: url.path, tensor: info.name, type: info.type.name)
        }
        var output = Tensor(zeros: info.shape)
        let source = bytes(of: info)
        let blocks = info.elementCount / info.type.blockSize
        output.withUnsafeMutableBufferPointer(as: Float.self) { destination in
            GGMLDequantization.run(kernel, type: info.type, source: source, blocks: blocks, destination: destination)
        }
        return output
    }
}
