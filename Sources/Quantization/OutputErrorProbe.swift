import Foundation
import Models
import Tensors

/// Keeps evenly spaced rows of the inputs a linear receives during the float calibration pass (the
/// first `calls` calls, `rowsPerCall` rows each), passing everything on to `next` (the range
/// observer, when there is one) unchanged. The rows later measure the linear's output error.
final class InputSampler: ActivationQuantizer, @unchecked Sendable {
    private let next: (any ActivationQuantizer)?
    private let calls: Int
    private let rowsPerCall: Int
    private let lock = NSLock()
    private var seen = 0
    private var rows: [Float] = []
    private var columns = 0

    init(next: (any ActivationQuantizer)?, calls: Int, rowsPerCall: Int = 128) {
        self.next = next
        self.calls = calls
        self.rowsPerCall = rowsPerCall
    }

    func apply(_ values: UnsafeMutableBufferPointer<Float>, rows count: Int, columns width: Int) {
        lock.withLock {
            guard seen < calls else { return }
            seen += 1
            columns = width
            let stride = max(1, count / rowsPerCall)
            for row in Swift.stride(from: 0, to: count, by: stride).prefix(rowsPerCall) {
                rows.append(contentsOf: values[(row * width)..<((row + 1) * width)])
            }
        }
        next?.apply(values, rows: count, columns: width)
    }

    /// The kept rows, [n, columns] (nil when nothing was kept).
    var samples: Tensor? {
        lock.withLock { rows.isEmpty ? nil : Tensor(shape: [rows.count / columns, columns], floats: rows) }
    }
}

/// What quantizing one linear costs on the inputs it sees: ‖O(Q(X)·Ŵᵀ) − X·Wᵀ‖² / ‖X·Wᵀ‖², with W the
/// float weight, Ŵ the quantized one, Q and O the input and output quantizers of `quantized` (the
/// bias cancels).
func relativeOutputError(inputs: Tensor, original: Linear, quantized: Linear) -> Double {
    let reference = Linear(weight: original.weight)(inputs)
    var bare = Linear(weight: quantized.weight)
    bare.inputQuantizer = quantized.inputQuantizer
    bare.outputQuantizer = quantized.outputQuantizer
    let actual = bare(inputs)
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
    return norm > 0 ? error / norm : 0
}
