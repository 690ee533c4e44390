import Foundation
import Testing
@testable import Formats

/// Every malformed GGUF is rejected with an error naming the file and the field; none crashes or hangs.
struct GGUFMalformedTests {
    func open(_ bytes: [UInt8]) throws -> (URL, Result<GGUFFile, GGUFError>) {
        let url = try temporaryFile(bytes, name: "bad.gguf")
        do { return (url, .success(try GGUFFile(url: url))) } catch { return (url, .failure(error)) }
    }

    func expectError(_ bytes: [UInt8], mentioning fragments: [String], matches: (GGUFError) -> Bool) throws {
        let (url, result) = try open(bytes)
        guard case let .failure(error) = result else { Issue.record("accepted a malformed file"); return }
        #expect(matches(error), "unexpected error \(error)")
        #expect(error.description.contains(url.path), "\(error.description)")
        for fragment in fragments { #expect(error.description.contains(fragment), "\(error.description)") }
    }

    @Test func validFileOpens() throws {
        let (_, result) = try open(GGUFBytes.valid().bytes)
        let file = try result.get()
        #expect(file.metadata["general.architecture"] == .string("llama"))
        #expect(file.tensorInfo(named: "w")?.shape == [2, 32])
        #expect(try file.tensor(named: "w").shape == [2, 32])
    }

    @Test func badMagic() throws {
        var bytes = GGUFBytes.valid().bytes
        bytes[0] = 0x47 ^ 0xFF
        try expectError(bytes, mentioning: ["magic"]) { if case .badMagic = $0 { true } else { false } }
    }

    @Test func badVersion() throws {
        var (bytes, offsets) = GGUFBytes.valid()
        bytes[offsets["version"]!] = 9
        try expectError(bytes, mentioning: ["version 9"]) { if case .unsupportedVersion = $0 { true } else { false } }
    }

    @Test func truncatedHeader() throws {
        try expectError(Array(GGUFBytes.valid().bytes.prefix(10)), mentioning: ["tensor_count"]) {
            if case .truncated = $0 { true } else { false }
        }
    }

    @Test func truncatedMetadata() throws {
        let (bytes, offsets) = GGUFBytes.valid()
        try expectError(Array(bytes.prefix(offsets["blockCountType"]! + 2)), mentioning: ["llama.block_count"]) {
            if case .truncated = $0 { true } else { false }
        }
    }

    @Test func stringLengthPastEndOfFile() throws {
        var (bytes, offsets) = GGUFBytes.valid()
        let at = offsets["architectureLength"]!
        for i in 0..<8 { bytes[at + i] = 0x7F }
        try expectError(bytes, mentioning: ["general.architecture"]) { if case .truncated = $0 { true } else { false } }
    }

    @Test func hugeTensorCountFailsFast() throws {
        var (bytes, offsets) = GGUFBytes.valid()
        let at = offsets["tensorCount"]!
        for i in 0..<8 { bytes[at + i] = 0xFF }
        bytes[at + 7] = 0x0F
        try expectError(bytes, mentioning: ["tensor infos"]) { if case .truncated = $0 { true } else { false } }
    }

    @Test func unknownValueType() throws {
        var (bytes, offsets) = GGUFBytes.valid()
        bytes[offsets["blockCountType"]!] = 42
        try expectError(bytes, mentioning: ["llama.block_count", "42"]) { if case .unknownValueType = $0 { true } else { false } }
    }

    @Test func badAlignment() throws {
        try expectError(GGUFBytes.valid(alignment: 12).bytes, mentioning: ["general.alignment"]) {
            if case .invalidAlignment = $0 { true } else { false }
        }
    }

    @Test func unknownTensorType() throws {
        try expectError(GGUFBytes.valid(tensorType: 77).bytes, mentioning: ["'w'", "77"]) {
            if case .unknownTensorType = $0 { true } else { false }
        }
    }

    @Test func tooManyDimensions() throws {
        var (bytes, offsets) = GGUFBytes.valid()
        bytes[offsets["rank"]!] = 5
        try expectError(bytes, mentioning: ["'w'", "n_dims 5"]) { if case .invalidTensorInfo = $0 { true } else { false } }
    }

    @Test func misalignedTensorOffset() throws {
        try expectError(GGUFBytes.valid(tensorOffset: 4).bytes, mentioning: ["'w'", "alignment"]) {
            if case .invalidTensorInfo = $0 { true } else { false }
        }
    }

    @Test func tensorDataPastEndOfFile() throws {
        try expectError(GGUFBytes.valid(tensorOffset: 4096).bytes, mentioning: ["'w'"]) {
            if case .tensorDataOutOfBounds = $0 { true } else { false }
        }
    }

    @Test func rowNotAMultipleOfTheBlockSize() throws {
        // Q4_0 (type 2) with rows of 32 is fine; rows of 48 are not.
        try expectError(GGUFBytes.valid(tensorType: 2, dimensions: [48, 1]).bytes, mentioning: ["'w'", "block size"]) {
            if case .invalidTensorInfo = $0 { true } else { false }
        }
    }

    @Test func emptyFile() throws {
        try expectError([], mentioning: ["magic"]) { if case .truncated = $0 { true } else { false } }
    }
}
