import Tensors

/// amd-quark 0.13's `PerTensorPercentileObserver`: a 4200-bin histogram of the nonzero values (of
/// |x| when symmetric) over every calibration batch, clipped where its cumulative distribution
/// reaches 99.99999999 %. Quark fixes both numbers in code; neither is configurable there.
struct PercentileObserver: Observer {
    static let name = "PerTensorPercentileObserver"
    static let bins = 4200
    static let percentile = 99.99999999
    let spec: QuantSpec
    var histogram: CalibrationHistogram
    private var groupLength = 1

    init(spec: QuantSpec) {
        self.spec = spec
        histogram = CalibrationHistogram(symmetric: spec.symmetric, skipsZeros: true, bins: Self.bins)
    }

    mutating func observe(_ values: UnsafeBufferPointer<Float>, rows: Int, columns: Int) throws(QuantizationError) {
        groupLength = values.count
        try histogram.observe(values, observer: Self.name)
        // Quark recomputes its range after every batch, and fails there if the bins outran the edges.
        _ = try range()
    }

    func parameters() throws(QuantizationError) -> QuantParameters {
        let (minimum, maximum) = try range()
        return QuantParameters(minimum: [minimum], maximum: [maximum], spec: spec, groupLength: groupLength)
    }

    /// `get_min_max_by_percentile`. The cumulative distribution is torch's: float32 ratios summed
    /// in double, rounded to float32 at every bin; targets are compared in float32.
    func range() throws(QuantizationError) -> (Float, Float) {
        guard !histogram.isEmpty else { return (.infinity, -.infinity) }
        let counts = histogram.counts, edges = histogram.edges
        let total = Torch.sum(counts)
        // No mass (every value was zero): Quark returns the range [0, 0].
        guard total > 0 else { return (0, 0) }
        var running = 0.0
        let cumulative = counts.map { count -> Float in
            running += Double(count / total)
            return Float(running)
        }
        func edge(_ index: Int) throws(QuantizationError) -> Float {
            guard index < edges.count else {
                throw .observerFailure(observer: Self.name, reason: "its histogram has \(counts.count) bins but \(edges.count) edges, and the percentile falls past the last edge (IndexError)", source: "calibration")
            }
            return edges[index]
        }
        if !spec.symmetric {
            // Quark's asymmetric branch as written: the upper bound is taken at the lower tail, so
            // its range is [edge 0, edge of the 5e-11 quantile].
            let tail = (100 - Self.percentile) / 200
            let upper = cumulative.firstIndex { $0 >= Float(tail) } ?? cumulative.count - 1
            let lower = cumulative.firstIndex { $0 <= Float(1 - tail) } ?? 0
            let (minimum, maximum) = (try edge(lower), try edge(upper))
            guard minimum <= maximum else {
                throw .observerFailure(observer: Self.name, reason: "its percentile range [\(minimum), \(maximum)] is inverted (its assertion 'min should be less than max')", source: "calibration")
            }
            return (minimum, maximum)
        }
        let target = Swift.min(Self.percentile / 100, Double(cumulative[cumulative.count - 1]))
        let upper = cumulative.firstIndex { $0 >= Float(target) } ?? cumulative.count - 1
        return (0, try edge(upper))
    }
}

/// amd-quark 0.13's `PerTensorMSEObserver`: a 2048-bin histogram (zeros included, of |x| when
/// symmetric); the clipping maximum is the bin center, from bin 2045 on, whose fake-quantized
/// centers have the least count-weighted squared error. The minimum is always 0.
struct MSEObserver: Observer {
    static let name = "PerTensorMSEObserver"
    static let bins = 2048
    static let firstCandidate = 2045
    let spec: QuantSpec
    var histogram: CalibrationHistogram
    private var groupLength = 1

    init(spec: QuantSpec) {
        self.spec = spec
        histogram = CalibrationHistogram(symmetric: spec.symmetric, skipsZeros: false, bins: Self.bins)
    }

    mutating func observe(_ values: UnsafeBufferPointer<Float>, rows: Int, columns: Int) throws(QuantizationError) {
        groupLength = values.count
        try histogram.observe(values, observer: Self.name)
        // Quark searches after every batch; only its failures matter before the last one.
        _ = try candidates()
    }

    func parameters() throws(QuantizationError) -> QuantParameters {
        let (minimum, maximum) = try range()
        return QuantParameters(minimum: [minimum], maximum: [maximum], spec: spec, groupLength: groupLength)
    }

    /// Bin centers and the first candidate index, or Quark's failure on this histogram.
    private func candidates() throws(QuantizationError) -> (centers: [Float], first: Int) {
        let edges = histogram.edges
        guard edges.count >= 2 else { return ([], 0) }
        let centers = (0..<(edges.count - 1)).map { (edges[$0 + 1] + edges[$0]) / 2 }
        guard centers.count == histogram.counts.count else {
            throw .observerFailure(observer: Self.name, reason: "its histogram has \(histogram.counts.count) bins but \(edges.count) edges after widening (a tensor size mismatch in its error sum)", source: "calibration")
        }
        let first = Swift.min(Self.firstCandidate, Swift.max(0, centers.count - 1))
        if spec.format.isInteger, centers[first] < 0 {
            throw .observerFailure(observer: Self.name, reason: "its candidate maximum \(centers[first]) is negative (its assertion 'min 0 should be less than max'); asymmetric MSE needs mostly nonnegative values", source: "calibration")
        }
        return (centers, first)
    }

    /// `get_min_max_by_mse`: the error of each candidate is torch's float32 mean (cascade sum, then
    /// division by the bin count); the first smallest wins.
    func range() throws(QuantizationError) -> (Float, Float) {
        guard !histogram.isEmpty else { return (.infinity, -.infinity) }
        let (centers, first) = try candidates()
        let counts = histogram.counts
        var terms = [Float](repeating: 0, count: centers.count)
        var best = (error: Float.infinity, index: first)
        for index in first..<centers.count {
            let maximum = centers[index]
            terms.withUnsafeMutableBufferPointer { terms in
                centers.withUnsafeBufferPointer { centers in
                    counts.withUnsafeBufferPointer { counts in
                        squaredErrors(centers, counts, maximum: maximum, into: terms)
                    }
                }
            }
            let error = Torch.sum(terms) / Float(terms.count)
            if error < best.error || index == first { best = (error, index) }
        }
        return (0, centers[best.index])
    }

    /// (q(c) − c)² · count per bin, q the quantize-dequantize with the range [0, maximum]:
    /// `torch.fake_quantize_per_tensor_affine` for integers (c · (1/s), rounded, plus z), Quark's
    /// `scaling_fp8` for fp8 (c / s, clamped, cast).
    private func squaredErrors(_ centers: UnsafeBufferPointer<Float>, _ counts: UnsafeBufferPointer<Float>, maximum: Float,
                               into terms: UnsafeMutableBufferPointer<Float>) {
        if let range = spec.format.integerRange {
            let parameters = QuantParameters(minimum: [0], maximum: [maximum], spec: spec, groupLength: 1)
            let scale = parameters.scales[0], inverse = 1 / scale, zero = Float(parameters.zeroPoints?[0] ?? 0)
            let low = Float(range.lowerBound), high = Float(range.upperBound)
            for bin in 0..<centers.count {
                let code = Swift.min(Swift.max((centers[bin] * inverse).rounded(.toNearestOrEven) + zero, low), high)
                let difference = (code - zero) * scale - centers[bin]
                terms[bin] = difference * difference * counts[bin]
            }
            return
        }
        let format = spec.format.minifloat!, limit = format.maxNormal
        let scale = maximum / spec.format.maximum
        for bin in 0..<centers.count {
            let code = format.encode(Swift.min(Swift.max(centers[bin] / scale, -limit), limit), saturate: true)
            let difference = format.decode(code) * scale - centers[bin]
            terms[bin] = difference * difference * counts[bin]
        }
    }
}
