import Foundation
import Models
import Tensors

/// Measures what quantizing one linear costs on the inputs it really sees: for each batch of input
/// rows X it accumulates ‖O(Q(X)·Ŵᵀ) − X·Wᵀ‖² and ‖X·Wᵀ‖² (W the float weight, Ŵ the quantized one,
/// Q and O the input and output quantizers; the bias cancels), then applies Q to the rows so the
/// forward continues exactly as it would without the probe. Installed as a linear's input quantizer
/// on a few calibration windows only: it costs two extra products per call.
final class OutputErrorProbe: ActivationQuantizer, @unchecked Sendable {
    private let floatLinear: Linear
    private let quantizedLinear: Linear
    private let inputQuantizer: (any ActivationQuantizer)?
    private let lock = NSLock()
    private var squaredError = 0.0
    private var squaredNorm = 0.0

    /// `original`: the layer before quantization; `quantized`: after, with its quantizers installed.
    init(original: Linear, quantized: Linear) {
        floatLinear = Linear(weight: original.weight)
        var bare = Linear(weight: quantized.weight)
        bare.outputQuantizer = quantized.outputQuantizer
        quantizedLinear = bare
        inputQuantizer = quantized.inputQuantizer
    }

    /// ‖error‖² / ‖reference output‖² over everything seen so far (0 when nothing was).
    var relativeError: Double {
        lock.withLock { squaredNorm > 0 ? squaredError / squaredNorm : 0 }
    }

    func apply(_ values: UnsafeMutableBufferPointer<Float>, rows: Int, columns: Int) {
        let reference = floatLinear(Tensor(shape: [rows, columns], floats: Array(values)))
        inputQuantizer?.apply(values, rows: rows, columns: columns)
        let actual = quantizedLinear(Tensor(shape: [rows, columns], floats: Array(values)))
        var error = 0.0, norm = 0.0
        reference.withUnsafeBufferPointer(as: Float.self) { expected in
            actual.withUnsafeBufferPointer(as: Float.self) { got in
                for i in 0..<expected.count {
                    let difference = Double(got[i]) - Double(expected[i])
                    error += difference * difference
                    norm += Double(expected[i]) * Double(expected[i])
                }
            }
        }
        lock.withLock {
            squaredError += error
            squaredNorm += norm
        }
    }
}
