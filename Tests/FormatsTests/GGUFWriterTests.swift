import Foundation
import Testing
@testable import Formats
import Tensors

/// The writer against the reader, and against gguf-py's own files byte for byte.
struct GGUFWriterTests {
    static func scratchDirectory() throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("quantkit-gguf-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    @Test func metadataAndTensorsRoundTrip() throws {
        let directory = try Self.scratchDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let url = directory.appendingPathComponent("round.gguf")
        let values: [(String, GGUFValue)] = [
            ("k.u8", .uint8(7)), ("k.i8", .int8(-7)), ("k.u16", .uint16(700)), ("k.i16", .int16(-700)),
            ("k.u32", .uint32(70000)), ("k.i32", .int32(-70000)), ("k.f32", .float32(.pi)), ("k.bool", .bool(false)),
            ("k.string", .string("ünïcode")), ("k.u64", .uint64(.max)), ("k.i64", .int64(.min)), ("k.f64", .float64(.ulpOfOne)),
            ("k.nested", .array([.array([.string("x")]), .array([.string("y"), .string("z")])])),
        ]
        var writer = GGUFWriter(url: url, alignment: 64)
        for (key, value) in values { try writer.setMetadata(key, value) }
        let f32 = Tensor(shape: [2, 3], floats: [1, 2, 3, -4, 5.5, .infinity])
        let f16 = Tensor(shape: [4], dtype: .float16, values: [Float16(1), 2, -0.5, 65504])
        let bf16 = Tensor(shape: [1, 1, 2], dtype: .bfloat16, values: [BFloat16(1.5), BFloat16(-3)])
        // Four Q4_1 blocks: f16 scale 0.5, f16 minimum −1, then counting nibbles.
        let block: [UInt8] = [0x00, 0x38, 0x00, 0xBC] + (0..<16).map { UInt8($0 * 17 & 0xFF) }
        let blocks = Array([[UInt8]](repeating: block, count: 4).joined())
        try writer.addTensor(name: "a", f32)
        try writer.addTensor(name: "b", f16)
        try writer.addTensor(name: "c", bf16)
        try writer.addTensor(name: "d", shape: [2, 64], type: .q4_1, bytes: blocks)
        try writer.write()

        let file = try GGUFFile(url: url)
        #expect(file.alignment == 64)
        #expect(file.metadataKeys == ["general.alignment"] + values.map(\.0))
        for (key, value) in values { #expect(file.metadata[key] == value, "\(key)") }
        #expect(file.tensors.map(\.name) == ["a", "b", "c", "d"])
        #expect(file.tensors.map(\.offset) == [0, 64, 128, 192])
        #expect(try file.tensor(named: "a").floats() == f32.floats())
        #expect(try file.tensor(named: "b").floats() == f16.floats())
        #expect(try file.tensor(named: "c").shape == [1, 1, 2])
        #expect(try file.tensor(named: "c").floats() == [1.5, -3])
        #expect(Array(file.bytes(of: file.tensorInfo(named: "d")!)) == blocks)
        #expect(file.tensorInfo(named: "d")?.dimensions == [64, 2])
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory.path) == ["round.gguf"])
    }

    /// Reading a file gguf-py wrote and writing it back reproduces gguf-py's bytes exactly.
    @Test(arguments: ["F32", "F16", "Q4_1", "Q8_0", "Q6_K"])
    func rewritingGGUFPyFileIsByteIdentical(type: String) throws {
        let source = try GGUFFile(url: GGUFGoldenTests.directory.appendingPathComponent(type + ".gguf"))
        let directory = try Self.scratchDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        var writer = GGUFWriter(url: directory.appendingPathComponent("copy.gguf"))
        for key in source.metadataKeys { try writer.setMetadata(key, source.metadata[key]!) }
        for info in source.tensors {
            try writer.addTensor(name: info.name, shape: info.shape, type: info.type, bytes: Array(source.bytes(of: info)))
        }
        try writer.write()
        #expect(try Data(contentsOf: writer.url) == Data(contentsOf: source.url))
    }

    @Test func invalidInputIsRejectedBeforeWriting() throws {
        let directory = try Self.scratchDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let url = directory.appendingPathComponent("bad.gguf")
        var writer = GGUFWriter(url: url)
        #expect(throws: GGUFError.self) { try writer.setMetadata("k", .array([])) }
        #expect(throws: GGUFError.self) { try writer.setMetadata("k", .array([.int32(1), .uint32(2)])) }
        #expect(throws: GGUFError.self) { try writer.setMetadata("general.alignment", .uint32(64)) }
        #expect(throws: GGUFError.invalidTensorInfo(path: url.path, tensor: "q", reason: "35 bytes given, 36 expected")) {
            try writer.addTensor(name: "q", shape: [64], type: .q4_0, bytes: [UInt8](repeating: 0, count: 35))
        }
        #expect(throws: GGUFError.self) {
            try writer.addTensor(name: "q", shape: [48], type: .q4_0, bytes: [UInt8](repeating: 0, count: 27))
        }
        try writer.addTensor(name: "x", Tensor(zeros: [2]))
        #expect(throws: GGUFError.duplicateTensor(path: url.path, tensor: "x")) { try writer.addTensor(name: "x", Tensor(zeros: [2])) }
        #expect(throws: GGUFError.self) { try writer.addTensor(name: "i", Tensor(zeros: [2], dtype: .int32)) }
        #expect(!FileManager.default.fileExists(atPath: url.path))
    }
}
