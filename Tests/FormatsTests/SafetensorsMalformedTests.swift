import Foundation
import Testing
@testable import Formats
import Tensors

/// Every malformed safetensors file or sharded index is rejected with an error naming the file and
/// the tensor or key; none crashes.
struct SafetensorsMalformedTests {
    /// A file: 8-byte little-endian header length, the header, then `data`.
    static func file(header: String, data: [UInt8] = [], declaredLength: UInt64? = nil) -> [UInt8] {
        let headerBytes = Array(header.utf8)
        var bytes: [UInt8] = []
        withUnsafeBytes(of: (declaredLength ?? UInt64(headerBytes.count)).littleEndian) { bytes += $0 }
        return bytes + headerBytes + data
    }

    static let validHeader = #"{"__metadata__":{"format":"pt"},"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"I8","shape":[2,2],"data_offsets":[8,12]}}"#

    func expectError(_ bytes: [UInt8], mentioning fragments: [String], matches: (SafetensorsError) -> Bool) throws {
        let url = try temporaryFile(bytes, name: "bad.safetensors")
        do {
            _ = try SafetensorsFile(url: url)
            Issue.record("accepted a malformed file")
        } catch {
            #expect(matches(error), "unexpected error \(error)")
            #expect(error.description.contains(url.path), "\(error.description)")
            for fragment in fragments { #expect(error.description.contains(fragment), "\(error.description)") }
        }
    }

    @Test func validFileOpens() throws {
        let url = try temporaryFile(Self.file(header: Self.validHeader, data: [UInt8](repeating: 1, count: 12)), name: "ok.safetensors")
        let file = try SafetensorsFile(url: url)
        #expect(file.metadata == ["format": "pt"])
        #expect(file.tensorNames == ["a", "b"])
        #expect(try file.tensor(named: "b").shape == [2, 2])
        #expect(try file.tensor(named: "b").withUnsafeBufferPointer(as: Int8.self) { Array($0) } == [1, 1, 1, 1])
    }

    @Test func emptyFile() throws {
        try expectError([], mentioning: ["too short"]) { if case .tooShort = $0 { true } else { false } }
    }

    @Test func headerLengthPastEndOfFile() throws {
        try expectError(Self.file(header: "{}", declaredLength: 4096), mentioning: ["4096"]) {
            if case .headerLengthOutOfBounds = $0 { true } else { false }
        }
    }

    @Test func headerLengthOverTheLimit() throws {
        try expectError(Self.file(header: "{}", declaredLength: 1 << 40), mentioning: ["limit"]) {
            if case .headerTooLarge = $0 { true } else { false }
        }
    }

    @Test func invalidJSON() throws {
        try expectError(Self.file(header: #"{"a": {"dtype": "F32""#), mentioning: ["JSON"]) {
            if case .invalidHeader = $0 { true } else { false }
        }
    }

    @Test func headerNotAnObject() throws {
        try expectError(Self.file(header: "[1, 2]"), mentioning: ["object"]) { if case .invalidHeader = $0 { true } else { false } }
    }

    @Test func unknownDType() throws {
        try expectError(Self.file(header: #"{"w":{"dtype":"F7","shape":[1],"data_offsets":[0,1]}}"#, data: [0]),
                        mentioning: ["'w'", "F7", "F32"]) { if case .unknownDType = $0 { true } else { false } }
    }

    @Test func shapeDisagreesWithByteSpan() throws {
        try expectError(Self.file(header: #"{"w":{"dtype":"F32","shape":[3],"data_offsets":[0,8]}}"#, data: [UInt8](repeating: 0, count: 8)),
                        mentioning: ["'w'", "[3]"]) { if case .sizeMismatch = $0 { true } else { false } }
    }

    @Test func spanPastTheData() throws {
        try expectError(Self.file(header: #"{"w":{"dtype":"F32","shape":[4],"data_offsets":[0,16]}}"#, data: [UInt8](repeating: 0, count: 8)),
                        mentioning: ["'w'", "16"]) { if case .spanOutOfBounds = $0 { true } else { false } }
    }

    @Test func overlappingSpans() throws {
        let header = #"{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}}"#
        try expectError(Self.file(header: header, data: [UInt8](repeating: 0, count: 12)), mentioning: ["'a'", "'b'"]) {
            if case .overlappingSpans = $0 { true } else { false }
        }
    }

    @Test func negativeDimension() throws {
        try expectError(Self.file(header: #"{"w":{"dtype":"F32","shape":[-1],"data_offsets":[0,4]}}"#, data: [0, 0, 0, 0]),
                        mentioning: ["'w'", "shape"]) { if case .invalidEntry = $0 { true } else { false } }
    }

    @Test func fractionalDimension() throws {
        try expectError(Self.file(header: #"{"w":{"dtype":"F32","shape":[1.5],"data_offsets":[0,4]}}"#, data: [0, 0, 0, 0]),
                        mentioning: ["'w'", "shape"]) { if case .invalidEntry = $0 { true } else { false } }
    }

    @Test func offsetsBackwards() throws {
        try expectError(Self.file(header: #"{"w":{"dtype":"U8","shape":[0],"data_offsets":[4,0]}}"#, data: [0, 0, 0, 0]),
                        mentioning: ["'w'", "end before"]) { if case .invalidEntry = $0 { true } else { false } }
    }

    @Test func nonStringMetadata() throws {
        try expectError(Self.file(header: #"{"__metadata__":{"format":3}}"#), mentioning: ["format"]) {
            if case .invalidHeader = $0 { true } else { false }
        }
    }

    @Test func indexNamingAMissingShard() throws {
        let directory = try temporaryFile([], name: "unused").deletingLastPathComponent()
        let index = #"{"metadata":{},"weight_map":{"w":"model-00001-of-00002.safetensors"}}"#
        try Data(index.utf8).write(to: directory.appendingPathComponent("model.safetensors.index.json"))
        let error = #expect(throws: SafetensorsError.self) { try SafetensorsCheckpoint(directory: directory) }
        #expect(error?.description.contains("model-00001-of-00002.safetensors") == true)
        #expect(error?.description.contains("model.safetensors.index.json") == true)
    }

    @Test func indexNamingATensorTheShardLacks() throws {
        let directory = try temporaryFile(Self.file(header: Self.validHeader, data: [UInt8](repeating: 0, count: 12)),
                                          name: "model-00001-of-00001.safetensors").deletingLastPathComponent()
        let index = #"{"weight_map":{"a":"model-00001-of-00001.safetensors","zzz":"model-00001-of-00001.safetensors"}}"#
        try Data(index.utf8).write(to: directory.appendingPathComponent("model.safetensors.index.json"))
        let error = #expect(throws: SafetensorsError.self) { try SafetensorsCheckpoint(directory: directory) }
        #expect(error == .tensorMissingFromShard(path: directory.appendingPathComponent("model.safetensors.index.json").path,
                                                 tensor: "zzz", shard: "model-00001-of-00001.safetensors"))
    }
}
