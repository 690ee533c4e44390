import Foundation

/// Quark's observer class names (`observer_cls`) for each observer kind, and the reverse.
extension ObserverKind {
    /// Quark's observer class for this kind at the spec's granularity (nil for MXINT8, which has none).
    func quarkName(for spec: QuantSpec) -> String? {
        if spec.isMX { return spec.format == .int8 ? nil : "PerBlockMXObserver" }
        let level = spec.granularity == .perChannel ? "PerChannel" : "PerTensor"
        switch self {
        case .minMax:
            switch spec.granularity {
            case .perTensor: return "PerTensorMinMaxObserver"
            case .perChannel: return "PerChannelMinMaxObserver"
            // Quark's fp4 / fp6 per-group specs (FP4PerGroupSpec, FP6…PerGroupSpec) use the MX block
            // observer even with float32 scales.
            case .perGroup: return spec.format.minifloat != nil && spec.format.bitWidth < 8 ? "PerBlockMXObserver" : "PerGroupMinMaxObserver"
            }
        case .percentile: return "PerTensorPercentileObserver"
        case .mse: return "PerTensorMSEObserver"
        case .powerOfTwoMinMax: return level + "PowOf2MinMaxObserver"
        case .powerOfTwoMSE: return level + "PowOf2MinMSEObserver"
        }
    }

    /// The Quark observer classes QuantKit runs, by name.
    static let quarkClasses: [String: ObserverKind] = [
        "PerTensorMinMaxObserver": .minMax, "PerChannelMinMaxObserver": .minMax, "PerGroupMinMaxObserver": .minMax,
        "PerBlockMXObserver": .minMax, "PlaceholderObserver": .minMax,
        "PerTensorPercentileObserver": .percentile, "PerTensorMSEObserver": .mse,
        "PerTensorPowOf2MinMaxObserver": .powerOfTwoMinMax, "PerChannelPowOf2MinMaxObserver": .powerOfTwoMinMax,
        "PerTensorPowOf2MinMSEObserver": .powerOfTwoMSE, "PerChannelPowOf2MinMSEObserver": .powerOfTwoMSE,
    ]
    static var quarkNames: [String] { quarkClasses.keys.sorted() }

    init?(quarkName: String) {
        guard let kind = Self.quarkClasses[quarkName] else { return nil }
        self = kind
    }
}

