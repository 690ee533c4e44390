import Foundation
import Tensors

/// One tensor's entry in a safetensors header.
public struct SafetensorsEntry: Sendable, Equatable {
    public let name: String
    public let dtype: DType
    public let shape: [Int]
    /// Byte range inside the data section (after the header).
    public let dataRange: Range<Int>
}

/// A memory-mapped safetensors file (8-byte little-endian header length, a JSON header, then the
/// data section). Every header field is validated before any tensor is handed out, and tensors are
/// zero-copy views of the mapping.
public final class SafetensorsFile: Sendable {
    /// The safetensors crate refuses headers over 100 MB; so do we, before parsing.
    public static let maximumHeaderLength = 100_000_000

    public let url: URL
    public let metadata: [String: String]
    /// Entries in data-offset order.
    public let entries: [SafetensorsEntry]
    private let index: [String: Int]
    private let file: MappedFile
    private let dataStart: Int

    public init(url: URL) throws(SafetensorsError) {
        self.url = url
        let path = url.path
        do { file = try MappedFile(url: url) } catch { throw .cannotOpen(path: path, reason: error.description) }
        let bytes = file.bytes
        guard bytes.count >= 8 else { throw .tooShort(path: path, size: bytes.count) }
        let declared = bytes.loadUnaligned(as: UInt64.self).littleEndian
        guard declared <= UInt64(Self.maximumHeaderLength) else {
            throw .headerTooLarge(path: path, declared: declared, limit: Self.maximumHeaderLength)
        }
        guard declared <= UInt64(bytes.count - 8) else {
            throw .headerLengthOutOfBounds(path: path, declared: declared, available: bytes.count - 8)
        }
        let headerLength = Int(declared)
        dataStart = 8 + headerLength
        let headerData = Data(bytes[8..<dataStart])
        let parsed: Any
        do { parsed = try JSONSerialization.jsonObject(with: headerData) } catch {
            throw .invalidHeader(path: path, reason: "not valid JSON (\(error.localizedDescription))")
        }
        guard let header = parsed as? [String: Any] else { throw .invalidHeader(path: path, reason: "not a JSON object") }
        var metadata: [String: String] = [:]
        if let raw = header["__metadata__"] {
            guard let map = raw as? [String: Any] else { throw .invalidHeader(path: path, reason: "__metadata__ is not an object") }
            for (key, value) in map {
                guard let string = value as? String else {
                    throw .invalidHeader(path: path, reason: "__metadata__ value for '\(key)' is not a string")
                }
                metadata[key] = string
            }
        }
        self.metadata = metadata
        let dataSize = bytes.count - dataStart
        var entries: [SafetensorsEntry] = []
        for (name, raw) in header where name != "__metadata__" {
            entries.append(try Self.entry(name: name, raw: raw, dataSize: dataSize, path: path))
        }
        entries.sort { ($0.dataRange.lowerBound, $0.dataRange.upperBound, $0.name) < ($1.dataRange.lowerBound, $1.dataRange.upperBound, $1.name) }
        for (previous, next) in zip(entries, entries.dropFirst())
        where next.dataRange.lowerBound < previous.dataRange.upperBound && !previous.dataRange.isEmpty && !next.dataRange.isEmpty {
            throw .overlappingSpans(path: path, first: previous.name, second: next.name)
        }
        self.entries = entries
        index = Dictionary(uniqueKeysWithValues: entries.enumerated().map { ($1.name, $0) })
    }

    private static func entry(name: String, raw: Any, dataSize: Int, path: String) throws(SafetensorsError) -> SafetensorsEntry {
        guard let object = raw as? [String: Any] else { throw .invalidEntry(path: path, tensor: name, reason: "entry is not an object") }
        guard let dtypeName = object["dtype"] as? String else { throw .invalidEntry(path: path, tensor: name, reason: "missing 'dtype'") }
        guard let dtype = DType(rawValue: dtypeName) else { throw .unknownDType(path: path, tensor: name, dtype: dtypeName) }
        guard let shapeValues = object["shape"] as? [Any] else { throw .invalidEntry(path: path, tensor: name, reason: "missing 'shape'") }
        var shape: [Int] = []
        for value in shapeValues {
            guard let dimension = jsonInteger(value), dimension >= 0 else {
                throw .invalidEntry(path: path, tensor: name, reason: "shape \(shapeValues) must hold non-negative integers")
            }
            shape.append(dimension)
        }
        guard let offsets = object["data_offsets"] as? [Any], offsets.count == 2,
              let begin = jsonInteger(offsets[0]), let end = jsonInteger(offsets[1]),
              begin >= 0, end >= 0 else {
            throw .invalidEntry(path: path, tensor: name, reason: "'data_offsets' must be two non-negative integers")
        }
        guard begin <= end else { throw .invalidEntry(path: path, tensor: name, reason: "data_offsets [\(begin), \(end)] end before they begin") }
        var elements = 1
        for dimension in shape {
            let (product, overflow) = elements.multipliedReportingOverflow(by: dimension)
            guard !overflow else { throw .sizeMismatch(path: path, tensor: name, shape: shape, dtype: dtypeName, bytes: end - begin) }
            elements = product
        }
        let (byteCount, overflow) = elements.multipliedReportingOverflow(by: dtype.byteSize)
        guard !overflow, byteCount == end - begin else {
            throw .sizeMismatch(path: path, tensor: name, shape: shape, dtype: dtypeName, bytes: end - begin)
        }
        guard end <= dataSize else { throw .spanOutOfBounds(path: path, tensor: name, end: end, dataSize: dataSize) }
        return SafetensorsEntry(name: name, dtype: dtype, shape: shape, dataRange: begin..<end)
    }

    /// Tensor names in data order.
    public var tensorNames: [String] { entries.map(\.name) }

    public func entry(named name: String) -> SafetensorsEntry? { index[name].map { entries[$0] } }

    /// A zero-copy view of the tensor's bytes in the mapping.
    public func tensor(named name: String) throws(SafetensorsError) -> Tensor {
        guard let entry = entry(named: name) else { throw .missingTensor(path: url.path, tensor: name) }
        let storage = TensorStorage(borrowing: file.bytes, owner: file)
        return Tensor(shape: entry.shape, dtype: entry.dtype, storage: storage, byteOffset: dataStart + entry.dataRange.lowerBound)
    }
}
