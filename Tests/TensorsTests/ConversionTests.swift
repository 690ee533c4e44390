import Foundation
import Testing
import Tensors

/// dtype conversions against torch (Scripts/fixtures/make_conversion_fixtures.py) and the fast paths
/// against the scalar reference.
struct ConversionTests {
    struct Fixture: Decodable {
        let float32_bits: [Int64], float16_bits: [Int64], bfloat16_bits: [Int64]
        let e4m3_decoded_bits: [Int64], e5m2_decoded_bits: [Int64]
        let e4m3_bits: [Int64], e5m2_bits: [Int64]
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

    @Test(arguments: [DType.float8E4M3, .float8E5M2])
    func fp8EncodingMatchesTorch(dtype: DType) {
        let expected = (dtype == .float8E4M3 ? Self.fixture.e4m3_bits : Self.fixture.e5m2_bits).map { UInt8(truncatingIfNeeded: $0) }
        var actual = [UInt8](repeating: 0, count: Self.values.count)
        Self.values.withUnsafeBufferPointer { source in actual.withUnsafeMutableBytes { convertFromFloat32(source: source, dtype: dtype, destination: $0) } }
        let mismatches = zip(actual, expected).enumerated().filter { $1.0 != $1.1 }
            .map { "\(Self.values[$0]): got \(String($1.0, radix: 16)), torch \(String($1.1, radix: 16))" }
        #expect(mismatches.isEmpty, "\(mismatches.prefix(6))")
    }
}

/// The minifloat element formats: every code decodes and re-encodes to itself, and the SIMD
/// encoder equals the scalar reference over lengths that hit the tails.
struct MinifloatTests {
    static let formats: [MinifloatFormat] = [.e4m3fn, .e5m2, .e3m2, .e2m3, .e2m1]

    @Test(arguments: formats)
    func everyCodeRoundTrips(format: MinifloatFormat) {
        for code in 0..<(1 << format.bitWidth) {
            let value = format.decode(UInt8(code))
            if value.isNaN || value.isInfinite { continue }
            #expect(format.encode(value, saturate: true) == UInt8(code), "code \(code) value \(value)")
        }
        #expect(format.decode(format.encode(format.maxNormal * 3, saturate: true)) == format.maxNormal)
        #expect(format.decode(format.encode(-format.maxNormal * 3, saturate: true)) == -format.maxNormal)
    }

    @Test func e2m1HasTheSpecMagnitudes() {
        #expect((0..<8).map { MinifloatFormat.e2m1.decode(UInt8($0)) } == [0, 0.5, 1, 1.5, 2, 3, 4, 6])
        #expect(MinifloatFormat.e2m1.encode(2.5, saturate: true) == 4)   // tie 2 | 3 → even code (2.0)
        #expect(MinifloatFormat.e2m1.encode(5, saturate: true) == 6)     // tie 4 | 6 → even code (4.0)
        #expect(MinifloatFormat.e2m1.encode(0.25, saturate: true) == 0)  // tie 0 | 0.5 → 0
    }

    @Test(arguments: formats, [1, 3, 7, 17, 33, 129, 1000])
    func simdEncodingEqualsReference(format: MinifloatFormat, count: Int) {
        var random = UInt64(count)
        let values: [Float] = (0..<count).map { i in
            random = random &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            let unit = Float(random >> 40) / Float(1 << 24)
            let special: [Float] = [0, -0.0, .nan, .infinity, -.infinity, format.maxNormal, format.maxNormal * 1.01, 1e-30]
            if i % 11 == 5 { return special[(i / 11) % special.count] }
            return (unit * 2 - 1) * format.maxNormal * Float(1 << (i % 4)) / 4
        }
        for saturate in [true, false] {
            var fast = [UInt8](repeating: 0, count: count)
            values.withUnsafeBufferPointer { source in fast.withUnsafeMutableBufferPointer { format.encode(source, into: $0, saturate: saturate) } }
            let reference = values.map { format.encode($0, saturate: saturate) }
            #expect(fast == reference, "saturate \(saturate)")
        }
    }
}
