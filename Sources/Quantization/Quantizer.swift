import Tensors

/// A tensor in quantized form: integer codes (or minifloat bit patterns) plus their parameters,
/// for the row-major [rows, columns] view of a weight [outFeatures, inFeatures].
public struct QuantizedTensor: Sendable, Equatable {
    public var rows: Int
    public var columns: Int
    public var spec: QuantSpec
    /// [rows · columns]: the integer code (ints) or the element's bit pattern (floats).
    public var codes: [Int32]
    public var parameters: QuantParameters
    /// [columns]: which of its row's groups each column's parameters are in, when the groups are not
    /// contiguous runs of columns (GPTQ's act-order with dynamic groups, written as `g_idx`); the
    /// scales of row r are then `parameters.scales[r · groupsPerRow ..< (r + 1) · groupsPerRow]`.
    /// nil: contiguous groups, as `Granularity` describes.
    public var groupIndex: [Int32]?

    public init(rows: Int, columns: Int, spec: QuantSpec, codes: [Int32], parameters: QuantParameters, groupIndex: [Int32]? = nil) {
        precondition(groupIndex.map { $0.count == columns } ?? true, "groupIndex needs one entry per column")
        self.rows = rows
        self.columns = columns
        self.spec = spec
        self.codes = codes
        self.parameters = parameters
        self.groupIndex = groupIndex
    }

    /// The real values the codes stand for, [rows · columns] float32.
    public func dequantized() -> [Float] {
        var values = [Float](repeating: 0, count: codes.count)
        guard let groupIndex else {
            Quantizer.dequantize(codes, parameters: parameters, spec: spec, into: &values)
            return values
        }
        // Gather each row's parameters column by column, then dequantize the row as groups of one.
        let groupsPerRow = parameters.scales.count / rows
        var rowValues = [Float](repeating: 0, count: columns)
        for row in 0..<rows {
            let scales = groupIndex.map { parameters.scales[row * groupsPerRow + Int($0)] }
            let zeroPoints = parameters.zeroPoints.map { zeros in groupIndex.map { zeros[row * groupsPerRow + Int($0)] } }
            let rowParameters = QuantParameters(scales: scales, zeroPoints: zeroPoints, groupLength: 1)
            Quantizer.dequantize(Array(codes[(row * columns)..<((row + 1) * columns)]), parameters: rowParameters, spec: spec, into: &rowValues)
            values.replaceSubrange((row * columns)..<((row + 1) * columns), with: rowValues)
        }
        return values
    }
}

/// Quantization of float32 values with given parameters, with the arithmetic of the files amd-quark
/// exports: integers as `clamp(round(x · (1/s)) + z)`, floats as `cast(clamp(x / s, ±max))`, ties to
/// even. (Quark's standalone real quantizer rounds after adding z; the two differ only on ties with
/// odd zero points.) MXINT8 elements are int8 codes in [−127, 127] worth code · s/64 (OCP MX: a
/// fixed-point element with six fractional bits; Quark's `fake_quantize_mx`).
public enum Quantizer {
    /// Per-group minimum and maximum of `values` (the memoryless min-max observer of weights).
    public static func groupRanges(_ values: UnsafeBufferPointer<Float>, groupLength: Int) -> (minimum: [Float], maximum: [Float]) {
        precondition(groupLength > 0 && values.count % groupLength == 0, "groups of \(groupLength) do not tile \(values.count) values")
        let groups = values.count / groupLength
        var minimum = [Float](repeating: .infinity, count: groups), maximum = [Float](repeating: -.infinity, count: groups)
        for group in 0..<groups {
            var low = Float.infinity, high = -Float.infinity
            for value in values[(group * groupLength)..<((group + 1) * groupLength)] {
                low = Swift.min(low, value)
                high = Swift.max(high, value)
            }
            minimum[group] = low
            maximum[group] = high
        }
        return (minimum, maximum)
    }

    /// The parameters the spec's observer chooses for a [rows, columns] tensor seen once (a weight:
    /// Quark's observers are memoryless on a single tensor).
    public static func parameters(_ values: UnsafeBufferPointer<Float>, rows: Int, columns: Int, spec: QuantSpec) throws(QuantizationError) -> QuantParameters {
        var observer = spec.makeObserver()
        try observer.observe(values, rows: rows, columns: columns)
        return try observer.parameters()
    }

    /// Round-to-nearest quantization of a [rows, columns] tensor with the parameters of its spec's observer.
    public static func quantize(_ values: UnsafeBufferPointer<Float>, rows: Int, columns: Int, spec: QuantSpec) throws(QuantizationError) -> QuantizedTensor {
        let parameters = try parameters(values, rows: rows, columns: columns, spec: spec)
        return QuantizedTensor(rows: rows, columns: columns, spec: spec,
                               codes: codes(values, parameters: parameters, spec: spec), parameters: parameters)
    }

    /// [qmin, qmax] of an integer spec: MXINT8 is symmetric, [−127, 127].
    static func codeRange(_ spec: QuantSpec) -> ClosedRange<Int32>? {
        guard let range = spec.format.integerRange else { return nil }
        return spec.isMX ? -127...127 : range
    }

    /// The value of one integer code step: the scale, or s/64 for MXINT8. Quark's per-channel and
    /// per-group kernels clamp it to the smallest normal float before using it either way.
    static func integerStep(_ scale: Float, _ spec: QuantSpec) -> Float {
        Swift.max(spec.isMX ? scale / 64 : scale, Float.leastNormalMagnitude)
    }

    /// Codes of `values` under `parameters`.
    public static func codes(_ values: UnsafeBufferPointer<Float>, parameters: QuantParameters, spec: QuantSpec) -> [Int32] {
        var codes = [Int32](repeating: 0, count: values.count)
        let length = parameters.groupLength
        if let range = codeRange(spec) {
            let qmin = Float(range.lowerBound), qmax = Float(range.upperBound)
            for group in parameters.scales.indices {
                let inverse = 1 / integerStep(parameters.scales[group], spec)
                let zero = Float(parameters.zeroPoints?[group] ?? 0)
                for i in (group * length)..<((group + 1) * length) {
                    // Round, then add the zero point: what amd-quark's quantize → freeze → export
                    // pipeline writes (freeze keeps the fake-quantized weight, and the export
                    // re-quantizes it exactly). Its standalone real quantizer rounds after adding z.
                    let q = (values[i] * inverse).rounded(.toNearestOrEven) + zero
                    codes[i] = Int32(Swift.min(Swift.max(q, qmin), qmax))
                }
            }
        } else if let minifloat = spec.format.minifloat {
            let limit = minifloat.maxNormal
            // FP8 keeps the sign of an underflow (torch's cast: −0 is 0x80); Quark's FP4/FP6 routine gives +0.
            let keepsNegativeZero = spec.format.bitWidth == 8
            let negativeZero = Int32(minifloat.signBit)
            for group in parameters.scales.indices {
                let scale = parameters.scales[group] == 0 ? QuantParameters.epsilon : parameters.scales[group]
                for i in (group * length)..<((group + 1) * length) {
                    let scaled = Swift.min(Swift.max(values[i] / scale, -limit), limit)
                    let code = Int32(minifloat.encode(scaled, saturate: true))
                    codes[i] = code == negativeZero && !keepsNegativeZero ? 0 : code
                }
            }
        } else {
            preconditionFailure("\(spec.format) is a cast, not a quantized format")
        }
        return codes
    }

    /// Values of `codes`, written into `output`.
    public static func dequantize(_ codes: [Int32], parameters: QuantParameters, spec: QuantSpec, into output: inout [Float]) {
        let length = parameters.groupLength
        let table: [Float]? = spec.format.minifloat.map { format in (0..<256).map { format.decode(UInt8($0)) } }
        for group in parameters.scales.indices {
            if let table {
                let scale = parameters.scales[group]
                for i in (group * length)..<((group + 1) * length) { output[i] = table[Int(codes[i])] * scale }
                continue
            }
            // Float arithmetic, as Quark's `(q − z) · s`: a zero point of Int32.min (its power-of-two
            // observers give one to all-zero channels) must not overflow.
            let step = integerStep(parameters.scales[group], spec)
            let zero = Float(parameters.zeroPoints?[group] ?? 0)
            for i in (group * length)..<((group + 1) * length) { output[i] = (Float(codes[i]) - zero) * step }
        }
    }

    /// Quantize-dequantize in place with `parameters` (what a consumer computes with). The same
    /// arithmetic as `codes` followed by `dequantize` (tested), without materializing the codes:
    /// this runs on every activation at evaluation time.
    public static func fakeQuantize(_ values: UnsafeMutableBufferPointer<Float>, parameters: QuantParameters, spec: QuantSpec) {
        let length = parameters.groupLength
        if let range = codeRange(spec) {
            let qmin = Float(range.lowerBound), qmax = Float(range.upperBound)
            for group in parameters.scales.indices {
                let step = integerStep(parameters.scales[group], spec)
                let inverse = 1 / step
                let zero = Float(parameters.zeroPoints?[group] ?? 0)
                for i in (group * length)..<((group + 1) * length) {
                    let q = Swift.min(Swift.max((values[i] * inverse).rounded(.toNearestOrEven) + zero, qmin), qmax)
                    values[i] = (q - zero) * step
                }
            }
        } else if let minifloat = spec.format.minifloat {
            let limit = minifloat.maxNormal
            let keepsNegativeZero = spec.format.bitWidth == 8
            var table = (0..<256).map { minifloat.decode(UInt8($0)) }
            if !keepsNegativeZero { table[Int(minifloat.signBit)] = 0 }
            let chunk = 1024
            var scaled = [Float](repeating: 0, count: chunk)
            var codes = [UInt8](repeating: 0, count: chunk)
            for group in parameters.scales.indices {
                let dequantScale = parameters.scales[group]
                let scale = dequantScale == 0 ? QuantParameters.epsilon : dequantScale
                var start = group * length
                let end = start + length
                while start < end {
                    let count = Swift.min(chunk, end - start)
                    for j in 0..<count { scaled[j] = Swift.min(Swift.max(values[start + j] / scale, -limit), limit) }
                    scaled.withUnsafeBufferPointer { source in
                        codes.withUnsafeMutableBufferPointer { minifloat.encode(UnsafeBufferPointer(rebasing: source[0..<count]), into: $0, saturate: true) }
                    }
                    for j in 0..<count { values[start + j] = table[Int(codes[j])] * dequantScale }
                    start += count
                }
            }
        } else {
            preconditionFailure("\(spec.format) is a cast, not a quantized format")
        }
    }
}
