/// How the scales of a tensor are grouped. A weight is viewed as [rows = outFeatures, columns =
/// inFeatures] and an activation as [tokens, features]; every group is a contiguous run of that
/// row-major view, which is what makes one quantization loop serve every granularity.
public enum Granularity: Hashable, Sendable {
    /// One scale for the whole tensor.
    case perTensor
    /// One scale per row: per output channel for weights (Quark ch_axis 0), per token for activations.
    case perChannel
    /// One scale per `size` consecutive elements of a row (per group; MX blocks are groups of 32).
    case perGroup(size: Int)

    /// Elements that share one scale in a [rows, columns] tensor.
    public func groupLength(rows: Int, columns: Int) -> Int {
        switch self {
        case .perTensor: rows * columns
        case .perChannel: columns
        case let .perGroup(size): size
        }
    }
}

/// The number type scales are stored in, and the rule that picks them.
public enum ScaleType: String, Hashable, Sendable {
    case float32 = "float", float16, bfloat16
    /// Shared power-of-two exponents stored as E8M0 bytes (the OCP MX formats).
    case e8m0
    /// Quark's `pof2` label: float32 scales that its power-of-two observers round to powers of two.
    /// The label alone changes nothing — with a min-max observer Quark's scales stay as they are.
    case powerOfTwo = "pof2"
}

/// How an MX block's shared exponent is chosen from its largest magnitude (Quark `scale_calculation_mode`).
public enum MXScaleRounding: String, Hashable, Sendable {
    /// Round amax to the element's mantissa width first (Quark's default, its kernels' rule).
    case even
    /// The OCP spec: floor(log2 amax) − emax.
    case floor
    /// ceil(log2 amax) − emax: never clips.
    case ceil
}

/// How a tensor's range is measured: amd-quark 0.13's observer classes (`observer_cls`). Weights
/// are observed once; static activations over every calibration batch, in order.
public enum ObserverKind: String, Hashable, Sendable, CaseIterable {
    /// Running minimum and maximum (`PerTensor…` / `PerChannel…` / `PerGroupMinMaxObserver`, MX blocks).
    case minMax
    /// `PerTensorPercentileObserver`: a 4200-bin histogram of the nonzero |x|, clipped at its
    /// 99.99999999th percentile (both fixed in Quark's code).
    case percentile
    /// `PerTensorMSEObserver`: a 2048-bin histogram; the clip (a bin center from bin 2045 on) with
    /// the least count-weighted squared quantization error.
    case mse
    /// `PerTensor…` / `PerChannelPowOf2MinMaxObserver`: min-max scales rounded to powers of two
    /// (int8 / uint8), the most frequent over the calibration batches.
    case powerOfTwoMinMax
    /// `PerTensor…` / `PerChannelPowOf2MinMSEObserver`: that power of two or one of its four
    /// neighbours, whichever quantizes the batch with the least squared error.
    case powerOfTwoMSE
}

/// One tensor's quantization recipe: element format, granularity, symmetry, scale type, static or
/// dynamic, and the observer for static ranges.
public struct QuantSpec: Hashable, Sendable {
    public var format: ElementFormat
    public var granularity: Granularity
    /// Symmetric (zero point 0) or asymmetric with an integer zero point; floats are always symmetric.
    public var symmetric: Bool
    public var scaleType: ScaleType
    public var mxScaleRounding: MXScaleRounding
    /// Dynamic: scales computed from each input at run time; static: fixed from calibration.
    public var isDynamic: Bool
    public var observer: ObserverKind
    /// Quark leaves `scale_type` null in some specs (KV-cache outputs, the fp8 input of mxfp4_fp8);
    /// float32 is then used. Kept so a config is written back exactly as Quark wrote it.
    public var scaleTypeUnset: Bool

    public init(format: ElementFormat, granularity: Granularity = .perTensor, symmetric: Bool = true,
                scaleType: ScaleType = .float32, mxScaleRounding: MXScaleRounding = .even, isDynamic: Bool = false,
                observer: ObserverKind = .minMax, scaleTypeUnset: Bool = false) {
        self.format = format
        self.granularity = granularity
        self.symmetric = format.isInteger ? symmetric : true
        self.scaleType = scaleType
        self.mxScaleRounding = mxScaleRounding
        // Quark has no static MXINT8: its non-scaled fake quantizer takes the block scales from every
        // tensor it sees, so an MXINT8 spec is dynamic whatever it says.
        self.isDynamic = isDynamic || (format == .int8 && scaleType == .e8m0)
        self.observer = observer
        self.scaleTypeUnset = scaleTypeUnset
    }

    /// An OCP MX spec: blocks of 32 along the row with E8M0 scales.
    public static func mx(_ format: ElementFormat, isDynamic: Bool = false) -> QuantSpec {
        QuantSpec(format: format, granularity: .perGroup(size: 32), scaleType: .e8m0, isDynamic: isDynamic)
    }

    public var isMX: Bool { scaleType == .e8m0 }

    /// Whether the parameters carry integer zero points: asymmetric integer specs, and symmetric
    /// ones under Quark's power-of-two observers, which move the zero point (uint8: 128).
    public var hasZeroPoints: Bool {
        format.isInteger && !isMX && (!symmetric || observer == .powerOfTwoMinMax || observer == .powerOfTwoMSE)
    }
}

/// The specs of one linear layer: its weight, its input activations and (for the KV cache) its outputs.
public struct LayerQuantSpec: Hashable, Sendable {
    public var weight: QuantSpec?
    public var input: QuantSpec?
    public var output: QuantSpec?

    public init(weight: QuantSpec? = nil, input: QuantSpec? = nil, output: QuantSpec? = nil) {
        self.weight = weight
        self.input = input
        self.output = output
    }
}
