/// A small binary floating-point element format (FP8, FP6, FP4): a sign bit, `exponentBits`
/// exponent bits with `bias`, `mantissaBits` mantissa bits, subnormals, and `maxNormal` as the
/// largest finite magnitude. Codes live in the low `1 + exponentBits + mantissaBits` bits of a byte,
/// sign highest (E2M1 0x8 = −0, as ml_dtypes and Quark's packers use them).
public struct MinifloatFormat: Sendable, Hashable {
    public let exponentBits: Int
    public let mantissaBits: Int
    public let bias: Int
    public let maxNormal: Float
    /// The code (without sign) a non-saturating cast gives a value beyond `maxNormal`: infinity for
    /// E5M2; nil for formats that always saturate (E4M3FN, as torch's cast does, even for ±inf;
    /// FP6 and FP4, which have neither infinity nor NaN).
    public let overflowCode: UInt8?
    /// The code (without sign) of NaN, nil if the format has none.
    public let nanCode: UInt8?

    /// OCP FP8 E4M3FN (`torch.float8_e4m3fn`): bias 7, max 448, NaN S.1111.111, no infinity.
    public static let e4m3fn = MinifloatFormat(exponentBits: 4, mantissaBits: 3, bias: 7, maxNormal: 448, overflowCode: nil, nanCode: 0x7F)
    /// OCP FP8 E5M2 (`torch.float8_e5m2`): bias 15, max 57344, IEEE-style infinities and NaNs.
    public static let e5m2 = MinifloatFormat(exponentBits: 5, mantissaBits: 2, bias: 15, maxNormal: 57344, overflowCode: 0x7C, nanCode: 0x7F)
    /// OCP FP6 E3M2: bias 3, max 28, no infinity or NaN.
    public static let e3m2 = MinifloatFormat(exponentBits: 3, mantissaBits: 2, bias: 3, maxNormal: 28, overflowCode: nil, nanCode: nil)
    /// OCP FP6 E2M3: bias 1, max 7.5, no infinity or NaN.
    public static let e2m3 = MinifloatFormat(exponentBits: 2, mantissaBits: 3, bias: 1, maxNormal: 7.5, overflowCode: nil, nanCode: nil)
    /// OCP FP4 E2M1: bias 1, magnitudes {0, 0.5, 1, 1.5, 2, 3, 4, 6}.
    public static let e2m1 = MinifloatFormat(exponentBits: 2, mantissaBits: 1, bias: 1, maxNormal: 6, overflowCode: nil, nanCode: nil)

    public var bitWidth: Int { 1 + exponentBits + mantissaBits }
    public var signBit: UInt8 { UInt8(1) << (exponentBits + mantissaBits) }
    /// Exponent of the smallest normal value.
    var minNormalExponent: Int { 1 - bias }
    /// The exponent of the largest normal value (`emax` of the MX shared-exponent rule).
    public var maxExponent: Int { maxNormal.exponent }

    /// The value of `code`.
    public func decode(_ code: UInt8) -> Float {
        let magnitudeCode = code & (signBit - 1)
        let negative = code & signBit != 0
        let exponentField = Int(magnitudeCode >> mantissaBits)
        if let nanCode, magnitudeCode == nanCode { return .nan }
        // Formats with infinities (E5M2) reserve the all-ones exponent IEEE-style: infinity and NaNs.
        if let overflowCode, overflowCode != nanCode, exponentField == (1 << exponentBits) - 1 {
            return magnitudeCode == overflowCode ? (negative ? -.infinity : .infinity) : .nan
        }
        let mantissa = Float(magnitudeCode & ((1 << mantissaBits) - 1))
        let magnitude = exponentField == 0
            ? mantissa * Float(sign: .plus, exponent: minNormalExponent - mantissaBits, significand: 1)
            : (1 + mantissa / Float(1 << mantissaBits)) * Float(sign: .plus, exponent: exponentField - bias, significand: 1)
        return negative ? -magnitude : magnitude
    }

    /// The nearest code to `value`, ties to even. Beyond `maxNormal` a saturating encode gives
    /// ±maxNormal; otherwise the overflow code where the format has one (torch's casts: E5M2
    /// overflows to infinity, E4M3FN saturates). NaN gives the NaN code (0 for formats without NaN). This is the scalar reference.
    public func encode(_ value: Float, saturate: Bool) -> UInt8 {
        let sign: UInt8 = value.sign == .minus ? signBit : 0
        if value.isNaN { return (nanCode ?? 0) | sign }
        let magnitude = value.magnitude
        let exponent = magnitude < Float(sign: .plus, exponent: minNormalExponent, significand: 1)
            ? minNormalExponent : Int(magnitude.exponent)
        let step = Float(sign: .plus, exponent: exponent - mantissaBits, significand: 1)
        let rounded = magnitude.isInfinite ? magnitude : (magnitude / step).rounded(.toNearestOrEven) * step
        if rounded > maxNormal {
            if saturate || overflowCode == nil { return code(ofRepresentable: maxNormal) | sign }
            return overflowCode! | sign
        }
        return code(ofRepresentable: rounded) | sign
    }

    /// The code of a non-negative value that the format represents exactly.
    private func code(ofRepresentable magnitude: Float) -> UInt8 {
        if magnitude < Float(sign: .plus, exponent: minNormalExponent, significand: 1) {
            return UInt8(magnitude / Float(sign: .plus, exponent: minNormalExponent - mantissaBits, significand: 1))
        }
        let exponentField = Int(magnitude.exponent) + bias
        let mantissa = Int(magnitude.significandBitPattern >> UInt32(Float.significandBitCount - mantissaBits))
        return UInt8(exponentField << mantissaBits | mantissa)
    }

    /// Encodes `source` into `codes` (one code per byte), SIMD16 with a scalar tail; identical to
    /// `encode(_:saturate:)` element by element (tested).
    public func encode(_ source: UnsafeBufferPointer<Float>, into codes: UnsafeMutableBufferPointer<UInt8>, saturate: Bool) {
        precondition(codes.count >= source.count, "code buffer too small")
        let count = source.count
        guard count > 0, let input = source.baseAddress, let output = codes.baseAddress else { return }
        let minNormal = SIMD16<Float>(repeating: Float(sign: .plus, exponent: minNormalExponent, significand: 1))
        let subnormalStep = Float(sign: .plus, exponent: minNormalExponent - mantissaBits, significand: 1)
        let limit = SIMD16<Float>(repeating: maxNormal)
        let overflow = SIMD16<UInt32>(repeating: UInt32(saturate || overflowCode == nil ? code(ofRepresentable: maxNormal) : overflowCode!))
        let nan = SIMD16<UInt32>(repeating: UInt32(nanCode ?? 0))
        let shift = UInt32(Float.significandBitCount - mantissaBits)
        let rebias = SIMD16<UInt32>(repeating: UInt32(127 - bias) << UInt32(mantissaBits))
        var i = 0
        while i + 16 <= count {
            let bits = UnsafeRawPointer(input + i).loadUnaligned(as: SIMD16<UInt32>.self)
            let sign = (bits &>> 31) &<< UInt32(exponentBits + mantissaBits)
            let magnitude = unsafeBitCast(bits & 0x7FFF_FFFF, to: SIMD16<Float>.self)
            // Rounding step: 2^(exponent − mantissaBits), the exponent never below the smallest normal's.
            let exponentField = SIMD16<UInt32>(repeating: UInt32(minNormalExponent + 127)).replacing(
                with: (bits &>> 23) & 0xFF, where: magnitude .>= minNormal)
            let step = unsafeBitCast((exponentField &- UInt32(mantissaBits)) &<< 23, to: SIMD16<Float>.self)
            let inverse = unsafeBitCast((254 &- (exponentField &- UInt32(mantissaBits))) &<< 23, to: SIMD16<Float>.self)
            let rounded = (magnitude * inverse).rounded(.toNearestOrEven) * step
            let roundedBits = unsafeBitCast(rounded, to: SIMD16<UInt32>.self)
            let normalCode = (roundedBits &>> shift) &- rebias
            // Only subnormal lanes convert; the others (and NaN) are zeroed first so the conversion cannot trap.
            let subnormal = rounded .< minNormal
            let subnormalValue = SIMD16<Float>(repeating: 0).replacing(with: rounded / subnormalStep, where: subnormal)
            var code = normalCode.replacing(with: SIMD16<UInt32>(truncatingIfNeeded: SIMD16<Int32>(subnormalValue)), where: subnormal)
            // Far beyond the range (infinity included) the step arithmetic is meaningless: overflow outright.
            code.replace(with: overflow, where: (rounded .> limit) .| (magnitude .> limit * 2))
            code.replace(with: nan, where: magnitude .!= magnitude)
            code |= sign
            UnsafeMutableRawPointer(output + i).storeBytes(of: SIMD16<UInt8>(truncatingIfNeeded: code), as: SIMD16<UInt8>.self)
            i += 16
        }
        while i < count { output[i] = encode(input[i], saturate: saturate); i += 1 }
    }
}
