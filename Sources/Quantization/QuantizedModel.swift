import Models
import Tensors

/// One quantized linear layer: its codes and parameters, and the static activation parameters
/// calibration chose (what an exporter writes).
public struct QuantizedLinear: Sendable {
    /// HF module name, e.g. `model.layers.0.self_attn.q_proj`.
    public var name: String
    public var spec: LayerQuantSpec
    public var weight: QuantizedTensor?
    public var inputParameters: QuantParameters?
    public var outputParameters: QuantParameters?
    public var bias: Tensor?
}

/// What a quantization run produced: the model, its forward now computing what a consumer of the
/// export computes (dequantized weights, activation and KV quantizers in place), and the quantized
/// layers with their parameters for the exporters.
public struct QuantizedModel: Sendable {
    public var model: LlamaModel
    public var config: QuantConfig
    public var linears: [QuantizedLinear]
    public var report: [LayerReport]
}

/// Per-linear figures of the closing table and `--json`.
public struct LayerReport: Codable, Sendable {
    public var name: String
    /// ‖W − Ŵ‖² / ‖W‖² of the weight.
    public var weightError: Double
    /// ‖y − ŷ‖² / ‖y‖² of the linear's output on rows of its float calibration inputs (quantized
    /// weight and activations against the float weight); nil when not measured.
    public var outputError: Double?
    /// GPTQ only: the reference's loss (Σ (w − q)² / U[i,i]², halved), the dampening fraction used,
    /// whether it had to grow (or fell back to RTN), and the inputs no calibration token reached.
    public var gptqLoss: Double?
    public var dampingFraction: Double?
    public var dampingEscalated: Bool?
    public var deadColumns: Int?
    /// SmoothQuant only: the smallest and largest factor this linear's input columns were scaled by.
    public var smoothingScales: [Double]?
    /// AutoSmoothQuant only: the ratio its search chose (s = max|x|^ratio).
    public var smoothingRatio: Double?
    /// AWQ only: the decoder layer's output MSE on the search windows with the pair's kept scales and
    /// with the pair unscaled (equal when no scaling was kept), and how many (row, group) cells the
    /// clipping search clamped.
    public var scaleSearchLoss: Double?
    public var scaleSearchIdentityLoss: Double?
    public var clippedGroups: Int?
    public var seconds: Double

    public init(name: String, weightError: Double, outputError: Double? = nil, seconds: Double) {
        self.name = name
        self.weightError = weightError
        self.outputError = outputError
        self.seconds = seconds
    }

    enum CodingKeys: String, CodingKey {
        case name, seconds
        case weightError = "weight_error"
        case outputError = "output_error"
        case gptqLoss = "gptq_loss"
        case dampingFraction = "damp"
        case dampingEscalated = "damp_escalated"
        case deadColumns = "dead_columns"
        case smoothingScales = "smoothing_scales"
        case smoothingRatio = "smoothing_ratio"
        case scaleSearchLoss = "awq_loss"
        case scaleSearchIdentityLoss = "awq_identity_loss"
        case clippedGroups = "clipped_groups"
    }
}
