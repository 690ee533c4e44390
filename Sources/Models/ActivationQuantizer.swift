/// Something applied to a linear layer's input or output rows in place: quantize-dequantize with
/// static or dynamic scales (so the float forward computes what a quantized consumer computes), or
/// an observer recording ranges during calibration. Models knows only this protocol; the
/// Quantization module implements it.
public protocol ActivationQuantizer: Sendable {
    /// `values` [rows, columns] row-major float32, changed in place.
    func apply(_ values: UnsafeMutableBufferPointer<Float>, rows: Int, columns: Int)
}
