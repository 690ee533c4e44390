/// bfloat16: the top 16 bits of an IEEE float32 (8-bit exponent, 7-bit mantissa).
public struct BFloat16: BitwiseCopyable, Sendable, Hashable {
    public var bitPattern: UInt16
    public init(bitPattern: UInt16) { self.bitPattern = bitPattern }

    /// Round-to-nearest-even from float32, NaN kept quiet (what torch's `.to(torch.bfloat16)` does).
    public init(_ value: Float) {
        let bits = value.bitPattern
        if value.isNaN {
            bitPattern = UInt16(truncatingIfNeeded: bits >> 16) | 0x0040
        } else {
            let roundingBias = 0x7FFF + ((bits >> 16) & 1)
            bitPattern = UInt16(truncatingIfNeeded: (bits &+ roundingBias) >> 16)
        }
    }

    public var floatValue: Float { Float(bitPattern: UInt32(bitPattern) << 16) }
}

/// OCP FP8 E4M3FN: 1 sign, 4 exponent (bias 7), 3 mantissa bits; no infinities, NaN = S.1111.111,
/// largest finite ±448.
public struct Float8E4M3: BitwiseCopyable, Sendable, Hashable {
    public var bitPattern: UInt8
    public init(bitPattern: UInt8) { self.bitPattern = bitPattern }

    public var floatValue: Float {
        let sign: Float = bitPattern & 0x80 == 0 ? 1 : -1
        let exponent = Int((bitPattern >> 3) & 0x0F)
        let mantissa = Float(bitPattern & 0x07)
        if exponent == 15 && bitPattern & 0x07 == 7 { return .nan }
        if exponent == 0 { return sign * mantissa * 0x1p-9 }
        return sign * (1 + mantissa / 8) * Float(sign: .plus, exponent: exponent - 7, significand: 1)
    }
}

/// OCP FP8 E5M2: 1 sign, 5 exponent (bias 15), 2 mantissa bits; IEEE-style infinities and NaNs.
public struct Float8E5M2: BitwiseCopyable, Sendable, Hashable {
    public var bitPattern: UInt8
    public init(bitPattern: UInt8) { self.bitPattern = bitPattern }

    public var floatValue: Float {
        let sign: Float = bitPattern & 0x80 == 0 ? 1 : -1
        let exponent = Int((bitPattern >> 2) & 0x1F)
        let mantissa = Float(bitPattern & 0x03)
        if exponent == 31 { return mantissa == 0 ? sign * .infinity : .nan }
        if exponent == 0 { return sign * mantissa * 0x1p-16 }
        return sign * (1 + mantissa / 4) * Float(sign: .plus, exponent: exponent - 15, significand: 1)
    }
}
