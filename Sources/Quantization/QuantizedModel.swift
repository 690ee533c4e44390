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
    public var seconds: Double

    enum CodingKeys: String, CodingKey {
        case name, seconds
        case weightError = "weight_error"
        case outputError = "output_error"
    }
}
