import Foundation
import Tensors

/// The scales (and integer zero points) of one quantized tensor: one per group of `groupLength`
/// consecutive elements of its row-major [rows, columns] view (see `Granularity`).
public struct QuantParameters: Sendable, Equatable {
    /// Dequantization multipliers: real ≈ (code − zeroPoint) · scale.
    public var scales: [Float]
    /// Integer zero points of asymmetric integer formats; nil when symmetric or floating point.
    public var zeroPoints: [Int32]?
    public var groupLength: Int

    public init(scales: [Float], zeroPoints: [Int32]?, groupLength: Int) {
        self.scales = scales
        self.zeroPoints = zeroPoints
        self.groupLength = groupLength
    }

    /// float32's machine epsilon: Quark's floor for scales and its replacement for zero scales.
    public static let epsilon = Float.ulpOfOne

    /// Parameters from each group's observed minimum and maximum, with Quark's arithmetic
    /// (`UniformScalingObserver.calculate_qparams`, `get_scale`, `even_round`).
    public init(minimum: [Float], maximum: [Float], spec: QuantSpec, groupLength: Int) {
        precondition(minimum.count == maximum.count)
        let format = spec.format
        var scales = [Float](repeating: 1, count: minimum.count)
        var zeroPoints: [Int32]? = nil
        if let range = format.integerRange, !spec.isMX {
            let qmin = Float(range.lowerBound), qmax = Float(range.upperBound)
            if !spec.symmetric { zeroPoints = [Int32](repeating: 0, count: minimum.count) }
            for group in minimum.indices {
                let low = Swift.min(minimum[group], 0), high = Swift.max(maximum[group], 0)
                guard low.isFinite, high.isFinite else { continue }  // nothing observed: scale 1, zero point 0
                if spec.symmetric {
                    // amax / ((qmax − qmin) / 2): 127.5 for int8, 7.5 for int4.
                    scales[group] = Swift.max(Swift.max(-low, high) / ((qmax - qmin) / 2), Self.epsilon)
                } else {
                    let scale = Swift.max((high - low) / (qmax - qmin), Self.epsilon)
                    scales[group] = scale
                    let zero = qmin - (low / scale).rounded(.toNearestOrEven)
                    zeroPoints![group] = Int32(Swift.min(Swift.max(zero, qmin), qmax))
                }
                scales[group] = Self.storeScale(scales[group], spec.scaleType)
            }
        } else if spec.isMX {
            for group in minimum.indices {
                let amax = Swift.max(-Swift.min(minimum[group], 0), Swift.max(maximum[group], 0))
                scales[group] = Self.sharedExponentScale(amax: amax, format: format, rounding: spec.mxScaleRounding)
            }
        } else {
            for group in minimum.indices {
                let amax = Swift.max(-Swift.min(minimum[group], 0), Swift.max(maximum[group], 0))
                var scale: Float
                switch spec.scaleType {
                case .float16: scale = Float(Float16(amax) / Float16(format.maximum))
                case .bfloat16: scale = BFloat16(BFloat16(amax).floatValue / format.maximum).floatValue
                default: scale = amax / format.maximum
                }
                scales[group] = scale == 0 ? Self.storeScale(Self.epsilon, spec.scaleType) : scale
            }
        }
        self.init(scales: scales, zeroPoints: zeroPoints, groupLength: groupLength)
    }

    /// Rounds a float32 scale to the type it is stored in (torch's `.to(dtype)`: round to nearest even).
    static func storeScale(_ scale: Float, _ type: ScaleType) -> Float {
        switch type {
        case .float16: Float(Float16(scale))
        case .bfloat16: BFloat16(scale).floatValue
        default: scale
        }
    }

    /// The power-of-two scale of an MX block whose largest magnitude is `amax`, as Quark's
    /// `even_round` and `get_scale` compute it: float32 log2, floor or ceil, minus the element's
    /// emax, then 2^that (`floor` / `ceil` give eps for an all-zero block, `even` gives 2⁻¹²⁷ there).
    static func sharedExponentScale(amax: Float, format: ElementFormat, rounding: MXScaleRounding) -> Float {
        let emax = Float(format.maxExponent)
        switch rounding {
        case .even:
            // Round amax to the element's mantissa width on its bit pattern (a carry may bump the
            // exponent), keep sign and exponent; zero counts as the smallest normal.
            if amax.isNaN { return .nan }
            let mantissaBits = format.minifloat?.mantissaBits ?? 8
            let value = amax == 0 ? Float(sign: .plus, exponent: -126, significand: 1) : amax
            let rounded = Float(bitPattern: (value.bitPattern &+ (UInt32(1) << UInt32(23 - mantissaBits - 1))) & 0xFF80_0000)
            let exponent = Torch.log2(rounded).rounded(.down) - emax
            return Torch.exp2(Swift.min(Swift.max(exponent, -127), 127))
        case .floor, .ceil:
            // A float32 log2 can round up to the next integer just below a power of two (7.9999995
            // gives 3): floor and ceil act on that rounded value, as torch's do.
            let log = Torch.log2(amax).rounded(rounding == .floor ? .down : .up)
            let scale = Torch.exp2(log - emax)
            return scale == 0 ? epsilon : scale
        }
    }

    /// E8M0 byte of a scale (Quark `to_e8m0_uint8`: round(log2 max(s, 2⁻¹²⁶)) + 127, clamped; never 0).
    public static func e8m0Code(_ scale: Float) -> UInt8 {
        let exponent = Int(Float(log2(Double(Swift.max(scale, Float(sign: .plus, exponent: -126, significand: 1))))).rounded(.toNearestOrEven))
        return UInt8(Swift.min(Swift.max(exponent, -127), 127) + 127)
    }
}
