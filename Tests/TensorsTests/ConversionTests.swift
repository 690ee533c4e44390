import Foundation
import Testing
import Tensors

/// dtype conversions against torch (Scripts/fixtures/make_conversion_fixtures.py) and the fast paths
/// against the scalar reference.
struct ConversionTests {
    struct Fixture: Decodable {
        let float32_bits: [Int64], float16_bits: [Int64], bfloat16_bits: [Int64]
        let e4m3_decoded_bits: [Int64], e5m2_decoded_bits: [Int64]
    }

    static let fixture = try! JSONDecoder().decode(
        Fixture.self, from: Data(contentsOf: Bundle.module.resourceURL!.appendingPathComponent("Fixtures/conversions.json")))
    static var values: [Float] { fixture.float32_bits.map { Float(bitPattern: UInt32(truncatingIfNeeded: $0)) } }

    func toFloat32(_ bytes: [UInt8], _ dtype: DType, count: Int, reference: Bool = false) -> [Float] {
        var output = [Float](repeating: 0, count: count)
        bytes.withUnsafeBytes { source in
            output.withUnsafeMutableBufferPointer {
                if reference { convertToFloat32Reference(source: source, dtype: dtype, destination: $0) } else {
                    convertToFloat32(source: source, dtype: dtype, destination: $0)
                }
            }
        }
        return output
    }

    func fromFloat32(_ values: [Float], _ dtype: DType) -> [UInt16] {
        var output = [UInt16](repeating: 0, count: values.count)
        values.withUnsafeBufferPointer { source in output.withUnsafeMutableBytes { convertFromFloat32(source: source, dtype: dtype, destination: $0) } }
        return output
    }

    @Test(arguments: [DType.float16, .bfloat16])
    func roundingFromFloat32MatchesTorch(dtype: DType) {
        let expected = (dtype == .float16 ? Self.fixture.float16_bits : Self.fixture.bfloat16_bits).map { UInt16(truncatingIfNeeded: $0) }
        let actual = fromFloat32(Self.values, dtype)
        // NaN payloads may differ between libraries; every other pattern must match exactly.
        let mismatches = zip(actual, expected).enumerated().filter { $1.0 != $1.1 && !Self.values[$0].isNaN }
        #expect(mismatches.isEmpty, "\(mismatches.prefix(5))")
    }

    @Test(arguments: [DType.float8E4M3, .float8E5M2])
    func fp8DecodingMatchesTorch(dtype: DType) {
        let expected = (dtype == .float8E4M3 ? Self.fixture.e4m3_decoded_bits : Self.fixture.e5m2_decoded_bits)
            .map { Float(bitPattern: UInt32(truncatingIfNeeded: $0)) }
        let decoded = toFloat32((0...255).map { UInt8($0) }, dtype, count: 256)
        for code in 0..<256 {
            #expect(decoded[code].isNaN ? expected[code].isNaN : decoded[code].bitPattern == expected[code].bitPattern, "code \(code)")
        }
    }

    @Test(arguments: [DType.float16, .bfloat16, .float8E4M3, .float8E5M2, .float32], [1, 3, 7, 17, 33, 129, 1000])
    func fastPathEqualsReference(dtype: DType, count: Int) {
        var state: UInt32 = 77
        let bytes = (0..<(count * dtype.byteSize)).map { _ in
            state = state &* 1_664_525 &+ 1_013_904_223
            return UInt8(truncatingIfNeeded: state >> 24)
        }
        let fast = toFloat32(bytes, dtype, count: count), reference = toFloat32(bytes, dtype, count: count, reference: true)
        #expect(fast.map(\.bitPattern) == reference.map(\.bitPattern))
    }

    @Test(arguments: [1, 3, 7, 17, 33, 129, 1000])
    func float16RoundTripIsExactForRepresentableValues(count: Int) {
        let halves = (0..<count).map { Float(Float16(Float($0) * 0.37 - 50)) }
        let encoded = fromFloat32(halves, .float16)
        let bytes = encoded.withUnsafeBytes { Array($0) }
        #expect(toFloat32(bytes, .float16, count: count) == halves)
    }
}
