import Foundation
import Testing
@testable import Formats
import Tensors

/// GGUF dequantization against gguf-py's numpy code (Scripts/fixtures/make_gguf_fixtures.py),
/// compared bit for bit.
struct GGUFGoldenTests {
    static let directory = Bundle.module.resourceURL!.appendingPathComponent("Fixtures/gguf")
    static let types = ["F32", "F16", "BF16", "Q4_0", "Q4_1", "Q5_0", "Q5_1", "Q8_0", "Q2_K", "Q3_K", "Q4_K", "Q5_K", "Q6_K"]

    @Test(arguments: types)
    func dequantizationIsBitIdenticalToGGUFPy(type: String) throws {
        let file = try GGUFFile(url: Self.directory.appendingPathComponent(type + ".gguf"))
        #expect(file.metadata["quantkit.fixture"]?.stringValue == type)
        let info = try #require(file.tensorInfo(named: "t"))
        #expect(info.type.name == type)
        #expect(info.shape == [4, 256])
        let actual = try file.tensor(named: "t").floats().map(\.bitPattern)
        let expectedData = try Data(contentsOf: Self.directory.appendingPathComponent(type + ".f32"))
        let expected = expectedData.withUnsafeBytes { Array($0.bindMemory(to: UInt32.self)) }.map { UInt32(littleEndian: $0) }
        #expect(actual.count == expected.count)
        let mismatches = zip(actual, expected).filter { $0 != $1 }.count
        #expect(mismatches == 0, "\(type): \(mismatches) of \(expected.count) values differ")
    }

    /// The SIMD kernels do the reference's operations in the same order: equal bits on random blocks.
    @Test(arguments: [GGMLType.q4_0, .q4_1, .q8_0], [1, 3, 7, 17, 33, 129])
    func simdKernelEqualsReference(type: GGMLType, blocks: Int) throws {
        var state: UInt64 = 0x1234_5678 &+ UInt64(blocks)
        var bytes = [UInt8](repeating: 0, count: blocks * type.bytesPerBlock)
        for index in bytes.indices {
            state = state &* 6364136223846793005 &+ 1442695040888963407
            bytes[index] = UInt8(truncatingIfNeeded: state >> 33)
        }
        // Keep the f16 scale fields finite (the first one or two halves of each block).
        for block in 0..<blocks {
            let base = block * type.bytesPerBlock
            for field in 0..<(type == .q4_1 ? 2 : 1) {
                let value = Float16(Float(Int(bytes[base + field * 2]) - 128) / 512)
                withUnsafeBytes(of: value.bitPattern.littleEndian) { bytes[base + field * 2] = $0[0]; bytes[base + field * 2 + 1] = $0[1] }
            }
        }
        var reference = [Float](repeating: 0, count: blocks * type.blockSize)
        var fast = reference
        bytes.withUnsafeBytes { source in
            reference.withUnsafeMutableBufferPointer {
                GGMLDequantization.run(GGMLDequantization.referenceKernel(for: type)!, type: type, source: source, blocks: blocks, destination: $0)
            }
            fast.withUnsafeMutableBufferPointer {
                GGMLDequantization.run(GGMLDequantization.kernel(for: type)!, type: type, source: source, blocks: blocks, destination: $0)
            }
        }
        #expect(fast.map(\.bitPattern) == reference.map(\.bitPattern))
    }
}
