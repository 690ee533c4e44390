/// Measures a tensor — one weight, or calibration batches one after another — and turns what it
/// saw into quantization parameters, as the amd-quark observer class of the spec does.
protocol Observer: Sendable {
    /// `values` [rows, columns] row-major: a weight [outFeatures, inFeatures] or one calibration
    /// batch [tokens, features]. Batches must arrive in calibration order: histograms and votes
    /// depend on it, as Quark's do.
    mutating func observe(_ values: UnsafeBufferPointer<Float>, rows: Int, columns: Int) throws(QuantizationError)
    /// Parameters for the groups of the last observed shape.
    func parameters() throws(QuantizationError) -> QuantParameters
}

/// Quark's min-max observers (`PerTensor…`, `PerChannel…`, `PerGroupMinMaxObserver`, and the MX
/// block observer): the running minimum and maximum of every group.
struct MinMaxObserver: Observer {
    let spec: QuantSpec
    private var minimum: [Float] = [], maximum: [Float] = []
    private var groupLength = 1

    init(spec: QuantSpec) { self.spec = spec }

    mutating func observe(_ values: UnsafeBufferPointer<Float>, rows: Int, columns: Int) throws(QuantizationError) {
        groupLength = spec.granularity.groupLength(rows: rows, columns: columns)
        let (low, high) = Quantizer.groupRanges(values, groupLength: groupLength)
        // Quark's per-channel observer starts over when the number of channels changes.
        guard minimum.count == low.count else {
            (minimum, maximum) = (low, high)
            return
        }
        for group in low.indices {
            minimum[group] = Swift.min(minimum[group], low[group])
            maximum[group] = Swift.max(maximum[group], high[group])
        }
    }

    func parameters() throws(QuantizationError) -> QuantParameters {
        // Nothing observed: one group with an empty range (scale 1, zero point 0, as Quark's default).
        if minimum.isEmpty { return QuantParameters(minimum: [.infinity], maximum: [-.infinity], spec: spec, groupLength: 1) }
        return QuantParameters(minimum: minimum, maximum: maximum, spec: spec, groupLength: groupLength)
    }
}

extension QuantSpec {
    /// A fresh observer of this spec's kind.
    func makeObserver() -> any Observer {
        switch observer {
        case .minMax: MinMaxObserver(spec: self)
        case .percentile: PercentileObserver(spec: self)
        case .mse: MSEObserver(spec: self)
        case .powerOfTwoMinMax, .powerOfTwoMSE: PowerOfTwoObserver(spec: self)
        }
    }

    /// The observers amd-quark 0.13 runs for this spec's format and granularity (its QTensorConfig
    /// and observer constructors refuse the others).
    public var validObservers: [ObserverKind] {
        // Dynamic scales come from each tensor's own range (Quark's histogram observers would pile
        // every input into one histogram there; QuantKit does not run them dynamically).
        if isDynamic || isMX || format.minifloat == nil && !format.isInteger { return [.minMax] }
        switch granularity {
        case .perGroup: return [.minMax]
        case .perChannel: return [.minMax] + (format == .int8 || format == .uint8 ? [.powerOfTwoMinMax, .powerOfTwoMSE] : [])
        case .perTensor:
            // Quark has no per-tensor fp4 / fp6 quantizer; its MSE search knows ints and fp8 only.
            var kinds: [ObserverKind] = [.minMax]
            if format.isInteger || format.bitWidth == 8 { kinds += [.percentile, .mse] }
            if format == .int8 || format == .uint8 { kinds += [.powerOfTwoMinMax, .powerOfTwoMSE] }
            return kinds
        }
    }

    /// Throws when amd-quark would refuse this observer for this spec, naming the valid ones.
    public func checkObserver(source: String) throws(QuantizationError) {
        guard validObservers.contains(observer) else {
            throw .invalidValue(key: "observer_cls", value: observer.quarkName(for: self) ?? "null",
                                valid: validObservers.compactMap { $0.quarkName(for: self) }, source: source)
        }
    }
}
