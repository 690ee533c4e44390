/// amd-quark 0.13's power-of-two observers (`PerTensorPowOf2MinMaxObserver`, `…MinMSEObserver` and
/// their `PerChannel` forms), int8 / uint8 only. After every batch they turn the running min/max
/// into a scale, round −log2 of it to an integer (ties to even) and move the zero point to match;
/// the MSE form then tries the four neighbouring powers of two on that batch alone. Each batch
/// votes with its (scales, zero points); the most frequent wins, the earliest among equals.
///
/// Quark's arithmetic is kept to the bit, including what it does to an all-zero channel: scale
/// 0/255 → 2⁻¹²⁷, and a zero point from 0/0 that becomes Int32.min (see `Torch.int32`).
struct PowerOfTwoObserver: Observer {
    let spec: QuantSpec
    /// One scale per row (Quark ch_axis 0) or one for the tensor.
    let perChannel: Bool
    /// The MinMSE form: search 2^(k−2) … 2^(k+2) around the min-max power of two.
    let searchesError: Bool
    private var minimum: [Float] = [], maximum: [Float] = []
    /// Every batch's scales then zero points (as Quark's vote keys them: float32 values).
    private var votes: [[Float]] = []
    private var groupLength = 1

    init(spec: QuantSpec) {
        self.spec = spec
        perChannel = spec.granularity == .perChannel
        searchesError = spec.observer == .powerOfTwoMSE
    }

    var name: String {
        (perChannel ? "PerChannel" : "PerTensor") + (searchesError ? "PowOf2MinMSEObserver" : "PowOf2MinMaxObserver")
    }

    mutating func observe(_ values: UnsafeBufferPointer<Float>, rows: Int, columns: Int) throws(QuantizationError) {
        groupLength = spec.granularity.groupLength(rows: rows, columns: columns)
        let (low, high) = Quantizer.groupRanges(values, groupLength: groupLength)
        if minimum.count == low.count {
            for group in low.indices {
                minimum[group] = Swift.min(minimum[group], low[group])
                maximum[group] = Swift.max(maximum[group], high[group])
            }
        } else {
            (minimum, maximum) = (low, high)
        }
        var (scales, zeros) = roundedParameters()
        if searchesError { scales = bestScales(values, scales: scales, zeros: zeros) }
        votes.append(scales + zeros.map(Float.init))
    }

    func parameters() throws(QuantizationError) -> QuantParameters {
        guard !votes.isEmpty else {
            throw .observerFailure(observer: name, reason: "it observed nothing, so it has no scale to give", source: "calibration")
        }
        var tally: [[UInt32]: Int] = [:]
        var winner = votes[0], most = 0
        for vote in votes {
            let key = vote.map(\.bitPattern)
            tally[key, default: 0] += 1
            // Strictly more: among equal counts the earliest vote stays (Counter.most_common).
            if tally[key]! > most { (winner, most) = (vote, tally[key]!) }
        }
        let count = winner.count / 2
        return QuantParameters(scales: Array(winner[..<count]), zeroPoints: winner[count...].map(Torch.int32),
                               groupLength: groupLength)
    }

    /// `_calculate_one_batch_quant_param` on the running range: the min-max scale, its integer
    /// zero point (truncated), the nearest power of two, and the zero point moved to keep the
    /// range's lower end, all in float32 with int32 wrap-around.
    private func roundedParameters() -> (scales: [Float], zeros: [Int32]) {
        let range = spec.format.integerRange!
        let low = Float(range.lowerBound), steps = Float(range.upperBound - range.lowerBound)
        var scales: [Float] = [], zeros: [Int32] = []
        for group in minimum.indices {
            var lower = Swift.min(minimum[group], 0), upper = Swift.max(maximum[group], 0)
            if spec.symmetric {
                let magnitude = Swift.max(Swift.abs(lower), Swift.abs(upper))
                (lower, upper) = (-magnitude, magnitude)
            }
            let span = upper - lower
            // The per-tensor form guards an empty range with scale 1; the per-channel one divides.
            let scale = !perChannel && span == 0 ? 1 : span / steps
            let zero = Torch.int32(low - lower / scale)
            // Quark casts the power to the spec's scale type (float32 unless float16/bfloat16 is asked).
            let power = QuantParameters.storeScale(Self.nearestPowerOfTwo(scale), spec.scaleType)
            let newLower = Swift.min(Float(range.lowerBound &- zero) * power, 0)
            scales.append(power)
            zeros.append(Torch.int32((low - newLower / power).rounded(.toNearestOrEven)))
        }
        // Symmetric uint8 centres on 128, but only when every channel came out at 127.
        if spec.symmetric, spec.format == .uint8, zeros.allSatisfy({ $0 == 127 }) {
            zeros = zeros.map { _ in 128 }
        }
        return (scales, zeros)
    }

    /// 2^−round(−log2 s) with s clamped to [2⁻¹²⁷, 2¹²⁷] (Quark `_scale2pos` / `_pos2scale`).
    static func nearestPowerOfTwo(_ scale: Float, shift: Float = 0) -> Float {
        Torch.exp2(-(position(scale) + shift))
    }

    static func position(_ scale: Float) -> Float {
        let clamped = Swift.min(Swift.max(scale, Float(sign: .plus, exponent: -127, significand: 1)),
                                Float(sign: .plus, exponent: 127, significand: 1))
        return (-Torch.log2(clamped)).rounded(.toNearestOrEven)
    }

    /// The MinMSE search on this batch: for shifts −2…2 of the power, quantize with x / s (a true
    /// division, as Quark's helper does), dequantize, and keep the first shift with the least total
    /// squared error over the whole tensor (one shift for every channel).
    private func bestScales(_ values: UnsafeBufferPointer<Float>, scales: [Float], zeros: [Int32]) -> [Float] {
        let range = spec.format.integerRange!
        let low = Float(range.lowerBound), high = Float(range.upperBound)
        var best = scales, leastError = Float.infinity
        var squares = [Float](repeating: 0, count: values.count)
        for shift in 0..<5 {
            let candidate = scales.map { Self.nearestPowerOfTwo($0, shift: Float(shift - 2)) }
            for group in candidate.indices {
                let scale = candidate[group], zero = Float(zeros[group])
                for index in (group * groupLength)..<((group + 1) * groupLength) {
                    let code = Swift.min(Swift.max((values[index] / scale).rounded(.toNearestOrEven) + zero, low), high)
                    let difference = (code - zero) * scale - values[index]
                    squares[index] = difference * difference
                }
            }
            let error = Torch.sum(squares)
            if error < leastError { (best, leastError) = (candidate, error) }
        }
        return best
    }
}
