import Foundation
import Tensors

/// Writes a safetensors file the way the `safetensors` Python package does — tensors ordered by
/// dtype (widest first, in the crate's `Dtype` order) then name, compact JSON with `__metadata__`
/// first, the header padded with spaces to a multiple of 8 — so a file QuantKit writes is
/// byte-identical to Python's for the same tensors (metadata keys are sorted; Python's order for
/// several metadata keys follows a hash map and is not reproducible).
///
/// Streaming: all entries are declared first so the header can be written, then each tensor's bytes
/// are appended in `entries` order; nothing else is held in memory. Atomic: the file is written
/// under a temporary name in the destination folder and renamed by `finish()`; an error or a writer
/// dropped before `finish()` leaves no file behind.
public final class SafetensorsWriter {
    public struct Entry: Sendable, Equatable {
        public let name: String
        public let dtype: DType
        public let shape: [Int]
        public init(name: String, dtype: DType, shape: [Int]) {
            self.name = name
            self.dtype = dtype
            self.shape = shape
        }
        var byteCount: Int { shape.reduce(1, *) * dtype.byteSize }
    }

    public let url: URL
    /// The order in which `append` expects tensor bytes (the file's order).
    public let entries: [Entry]
    private let temporaryURL: URL
    private let handle: FileHandle
    private var next = 0
    private var finished = false

    /// The safetensors crate's `Dtype` declaration order; files list wider ranks first.
    static let rank: [DType: Int] = [.bool: 0, .uint8: 1, .int8: 2, .float8E5M2: 3, .float8E4M3: 4, .int16: 5, .uint16: 6,
                                     .float16: 7, .bfloat16: 8, .int32: 9, .uint32: 10, .float32: 11, .float64: 12,
                                     .int64: 13, .uint64: 14]

    public init(url: URL, entries: [Entry], metadata: [String: String] = [:]) throws(SafetensorsError) {
        self.url = url
        var seen = Set<String>()
        for entry in entries {
            guard seen.insert(entry.name).inserted else { throw .invalidEntry(path: url.path, tensor: entry.name, reason: "declared twice") }
            guard entry.shape.allSatisfy({ $0 >= 0 }) else {
                throw .invalidEntry(path: url.path, tensor: entry.name, reason: "shape \(entry.shape) has a negative dimension")
            }
        }
        self.entries = entries.sorted { (Self.rank[$0.dtype]!, $1.name) > (Self.rank[$1.dtype]!, $0.name) }
        var header = "{"
        if !metadata.isEmpty {
            header += "\"__metadata__\":{" + metadata.keys.sorted().map { "\(Self.quote($0)):\(Self.quote(metadata[$0]!))" }
                .joined(separator: ",") + "}"
        }
        var offset = 0
        for entry in self.entries {
            if header.count > 1 { header += "," }
            let shape = entry.shape.map(String.init).joined(separator: ",")
            header += "\(Self.quote(entry.name)):{\"dtype\":\"\(entry.dtype.rawValue)\",\"shape\":[\(shape)],\"data_offsets\":[\(offset),\(offset + entry.byteCount)]}"
            offset += entry.byteCount
        }
        header += "}"
        var headerBytes = Array(header.utf8)
        headerBytes += [UInt8](repeating: 0x20, count: (8 - headerBytes.count % 8) % 8)
        temporaryURL = url.deletingLastPathComponent().appendingPathComponent(".\(url.lastPathComponent).\(UUID().uuidString).partial")
        guard FileManager.default.createFile(atPath: temporaryURL.path, contents: nil),
              let handle = try? FileHandle(forWritingTo: temporaryURL) else {
            throw .writeFailed(path: url.path, reason: "cannot create \(temporaryURL.lastPathComponent)")
        }
        self.handle = handle
        var length = UInt64(headerBytes.count).littleEndian
        do {
            try handle.write(contentsOf: Data(bytes: &length, count: 8))
            try handle.write(contentsOf: Data(headerBytes))
        } catch {
            discard()
            throw .writeFailed(path: url.path, reason: error.localizedDescription)
        }
    }

    deinit { if !finished { discard() } }

    /// JSON string literal (serde_json escaping: quote, backslash and control characters).
    static func quote(_ text: String) -> String {
        var result = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": result += "\\\""
            case "\\": result += "\\\\"
            case "\n": result += "\\n"
            case "\r": result += "\\r"
            case "\t": result += "\\t"
            case "\u{08}": result += "\\b"
            case "\u{0C}": result += "\\f"
            default:
                if scalar.value < 0x20 { result += String(format: "\\u%04x", scalar.value) } else { result.unicodeScalars.append(scalar) }
            }
        }
        return result + "\""
    }

    /// The bytes of the next tensor in `entries` order.
    public func append(_ bytes: UnsafeRawBufferPointer) throws(SafetensorsError) {
        guard next < entries.count else { throw .writeFailed(path: url.path, reason: "more tensors appended than declared") }
        let entry = entries[next]
        guard bytes.count == entry.byteCount else {
            throw .sizeMismatch(path: url.path, tensor: entry.name, shape: entry.shape, dtype: entry.dtype.rawValue, bytes: bytes.count)
        }
        do { try handle.write(contentsOf: Data(bytes)) } catch { throw .writeFailed(path: url.path, reason: error.localizedDescription) }
        next += 1
    }

    /// Closes the file and moves it into place (replacing an existing file).
    public func finish() throws(SafetensorsError) {
        guard next == entries.count else {
            throw .writeFailed(path: url.path, reason: "\(entries.count - next) declared tensors were never appended")
        }
        do {
            try handle.synchronize()
            try handle.close()
            if FileManager.default.fileExists(atPath: url.path) { try FileManager.default.removeItem(at: url) }
            try FileManager.default.moveItem(at: temporaryURL, to: url)
        } catch {
            discard()
            throw .writeFailed(path: url.path, reason: error.localizedDescription)
        }
        finished = true
    }

    private func discard() {
        try? handle.close()
        try? FileManager.default.removeItem(at: temporaryURL)
    }

    /// Writes `tensors` (name → tensor) with `metadata` to `url` in one call.
    public static func write(_ tensors: [String: Tensor], metadata: [String: String] = [:], to url: URL) throws(SafetensorsError) {
        let writer = try SafetensorsWriter(url: url, entries: tensors.map { Entry(name: $0.key, dtype: $0.value.dtype, shape: $0.value.shape) },
                                           metadata: metadata)
        for entry in writer.entries {
            var failure: SafetensorsError?
            tensors[entry.name]!.withUnsafeBytes { raw in
                do throws(SafetensorsError) { try writer.append(raw) } catch { failure = error }
            }
            if let failure { throw failure }
        }
        try writer.finish()
    }
}
