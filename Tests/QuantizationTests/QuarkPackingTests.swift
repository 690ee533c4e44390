import Foundation
import Testing
import Exporters
import Formats
@testable import Quantization
import Tensors

/// The export packers against Quark's own (`Pack_4_bits`, `Pack_fp4`, `Pack_fp6`, `to_e8m0_uint8`).
struct QuarkPackingTests {
    static let file = try! SafetensorsFile(url: QuarkGoldenTests.directory.appendingPathComponent("quark_packing.safetensors"))

    static func ints(_ key: String) throws -> [Int32] {
        let tensor = try file.tensor(named: key)
        switch tensor.dtype {
        case .int32: return tensor.withUnsafeBufferPointer(as: Int32.self) { Array($0) }
        case .uint8: return tensor.withUnsafeBufferPointer(as: UInt8.self) { $0.map(Int32.init) }
        case .int8: return tensor.withUnsafeBufferPointer(as: Int8.self) { $0.map(Int32.init) }
        default: return tensor.toFloat32().floats().map { Int32($0) }
        }
    }

    @Test(arguments: ["int4", "uint4"], ["reorder", "order"])
    func fourBitPackingMatchesQuark(format: String, method: String) throws {
        let codes = try Self.ints("pack4.\(format).codes")
        let shape = try Self.file.tensor(named: "pack4.\(format).codes").shape
        let rows = shape[0], columns = shape[1]
        let order = method == "reorder" ? Packing.awqOrder : Array(0..<8)
        // per_group: transposed to [in, out] first, then packed along out.
        let grouped = Packing.pack4Bit(Packing.transpose(codes, rows: rows, columns: columns), rows: columns, columns: rows, order: order)
        #expect(grouped == (try Self.ints("pack4.\(format).per_group.\(method).packed")))
        let channel = Packing.pack4Bit(codes, rows: rows, columns: columns, order: order)
        #expect(channel == (try Self.ints("pack4.\(format).per_channel.\(method).packed")))
        #expect(Packing.unpack4Bit(channel, rows: rows, columns: columns, signed: format == "int4", order: order) == codes)
    }

    @Test(arguments: ["fp4", "fp6_e2m3", "fp6_e3m2"])
    func floatPackingMatchesQuark(format: String) throws {
        let codes = try Self.ints("\(format).codes")
        let packed = format == "fp4" ? Packing.packFP4(codes) : Packing.packFP6(codes)
        #expect(packed.map(Int32.init) == (try Self.ints("\(format).packed")))
        #expect((format == "fp4" ? Packing.unpackFP4(packed) : Packing.unpackFP6(packed)) == codes)
    }

    @Test func e8m0BytesMatchQuark() throws {
        let scales = try Self.file.tensor(named: "e8m0.scale").toFloat32().floats()
        #expect(scales.map { Int32(QuantParameters.e8m0Code($0)) } == (try Self.ints("e8m0.uint8")))
    }
}
