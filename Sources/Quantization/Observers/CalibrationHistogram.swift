/// The running histogram of amd-quark 0.13's `PerTensorHistogramObserver.forward`, which its
/// percentile and MSE observers share: the first batch sets the range, later batches widen it in
/// steps of the first bin width and add their counts into the leading bins. Memory is one float per
/// bin, never the values themselves.
///
/// Reproduced as Quark does it, quirks included: the bin count and the edges are kept apart and can
/// drift by one after a widening (Quark's MSE observer then fails); widening to the left adds the old
/// counts to the new leading bins, which then cover other values.
struct CalibrationHistogram: Sendable {
    /// Histogram of |x| (symmetric specs) or of x (asymmetric specs).
    let symmetric: Bool
    /// Drops exact zeros before counting (Quark's percentile observer does, its MSE observer does not).
    let skipsZeros: Bool
    /// `_num_bins`: the bin count the next batch is counted into.
    private(set) var binCount: Int
    /// [binCount] float32 counts, as `torch.histc` returns them and Quark adds them up.
    private(set) var counts: [Float] = []
    /// Bin edges as Quark keeps them (`calib_bin_edges`): linspace at first, arange after widening.
    private(set) var edges: [Float] = []

    /// Widening stops here: 2²⁶ bins is 256 MiB of counts plus as much for the edges (Quark would go
    /// on allocating; a range that grows this much means a first batch of near-constant values).
    static let maximumBins = 1 << 26

    init(symmetric: Bool, skipsZeros: Bool, bins: Int) {
        self.symmetric = symmetric
        self.skipsZeros = skipsZeros
        self.binCount = bins
    }

    var isEmpty: Bool { edges.isEmpty }

    mutating func observe(_ values: UnsafeBufferPointer<Float>, observer: String) throws(QuantizationError) {
        var data = skipsZeros ? values.filter { $0 != 0 } : Array(values)
        var low = 0.0, high = 0.0
        if symmetric {
            if let smallest = data.min(), smallest < 0 { data = data.map { Swift.abs($0) } }
            high = Double(data.max() ?? 0)
        } else {
            low = Double(data.min() ?? 0)
            high = Double(data.max() ?? 0)
        }
        if low == high {
            // Quark widens a constant batch by enough float32 steps to give increasing edges.
            let span = Swift.max(Swift.abs(low), 1) * Double(binCount) * Double(Float.ulpOfOne)
            high = low + Swift.max(span, Double(Float.leastNormalMagnitude))
        }
        if edges.isEmpty {
            counts = data.withUnsafeBufferPointer { Torch.histogram($0, bins: binCount, lowest: low, highest: high) }
            edges = Torch.linspace(from: low, to: high, count: binCount + 1)
            return
        }
        if Float(low) < edges[0] {
            let width = edges[1] - edges[0]
            try grow(by: ((edges[0] - Float(low)) / width).rounded(.up), observer: observer)
            edges = Torch.arange(from: low - Double(width), to: Double(edges[edges.count - 1]), step: Double(width))
        }
        if Float(high) > edges[edges.count - 1] {
            let width = edges[1] - edges[0]
            try grow(by: ((Float(high) - edges[edges.count - 1]) / width).rounded(.up), observer: observer)
            edges = Torch.arange(from: Double(edges[0]), to: high + Double(width), step: Double(width))
        }
        guard Float(high) <= edges[edges.count - 1], Float(low) >= edges[0] else {
            throw .observerFailure(observer: observer, reason: "after widening, its histogram edges [\(edges[0]), \(edges[edges.count - 1])] miss the batch range [\(low), \(high)] (its `assert x_max <= calib_bin_edges[-1]`)", source: "calibration")
        }
        var added = data.withUnsafeBufferPointer {
            Torch.histogram($0, bins: binCount, lowest: Double(edges[0]), highest: Double(edges[edges.count - 1]))
        }
        for bin in counts.indices { added[bin] += counts[bin] }
        counts = added
    }

    private mutating func grow(by bins: Float, observer: String) throws(QuantizationError) {
        guard bins.isFinite, Double(binCount) + Double(bins) <= Double(Self.maximumBins) else {
            throw .observerFailure(observer: observer, reason: "its histogram would grow past \(Self.maximumBins) bins (the calibration range grew \(bins) first-batch bin widths at once)", source: "calibration")
        }
        binCount += Int(bins)
    }
}
