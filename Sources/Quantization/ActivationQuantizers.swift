import Foundation
import Models

/// Static activation quantization: fixed per-tensor parameters from calibration, applied as
/// quantize-dequantize to every input (what Quark and vLLM compute with `input_scale`).
public struct StaticActivationQuantizer: ActivationQuantizer {
    public let spec: QuantSpec
    /// One scale (and zero point): static activations are per tensor.
    public let parameters: QuantParameters

    public init(spec: QuantSpec, parameters: QuantParameters) {
        self.spec = spec
        self.parameters = parameters
    }

    public func apply(_ values: UnsafeMutableBufferPointer<Float>, rows: Int, columns: Int) {
        var whole = parameters
        whole.groupLength = values.count
        Quantizer.fakeQuantize(values, parameters: whole, spec: spec)
    }
}

/// Dynamic activation quantization: parameters computed from each input as it arrives (per tensor,
/// per token, or per MX block), with no calibration data.
public struct DynamicActivationQuantizer: ActivationQuantizer {
    public let spec: QuantSpec
    public init(spec: QuantSpec) { self.spec = spec }

    public func apply(_ values: UnsafeMutableBufferPointer<Float>, rows: Int, columns: Int) {
        let groupLength = spec.granularity.groupLength(rows: rows, columns: columns)
        let (minimum, maximum) = Quantizer.groupRanges(UnsafeBufferPointer(values), groupLength: groupLength)
        let parameters = QuantParameters(minimum: minimum, maximum: maximum, spec: spec, groupLength: groupLength)
        Quantizer.fakeQuantize(values, parameters: parameters, spec: spec)
    }
}

/// Feeds every calibration batch that passes to the spec's observer (min-max, percentile, MSE or
/// power-of-two, as Quark's static quantizers observe theirs), leaving the values unchanged. Batches
/// are observed in the order they arrive; the first observer failure is kept and thrown by
/// `parameters()`, since `apply` cannot throw.
public final class CalibrationObserver: ActivationQuantizer, @unchecked Sendable {
    private let lock = NSLock()
    public let spec: QuantSpec
    private var observer: any Observer
    private var failure: QuantizationError?
    /// The last answer of `parameters()`: an MSE search over a wide histogram is worth doing once.
    private var cached: QuantParameters?

    public init(spec: QuantSpec) {
        self.spec = spec
        observer = spec.makeObserver()
    }

    public func apply(_ values: UnsafeMutableBufferPointer<Float>, rows: Int, columns: Int) {
        lock.withLock {
            guard failure == nil else { return }
            cached = nil
            do throws(QuantizationError) {
                try observer.observe(UnsafeBufferPointer(values), rows: rows, columns: columns)
            } catch {
                failure = error
            }
        }
    }

    /// The parameters of everything observed, or the observer's failure.
    public func parameters() throws(QuantizationError) -> QuantParameters {
        lock.lock()
        defer { lock.unlock() }
        if let failure { throw failure }
        if let cached { return cached }
        cached = try observer.parameters()
        return cached!
    }
}

/// The quantizer a spec calls for at run time: dynamic specs compute their own parameters, static
/// specs need calibrated `parameters`.
func activationQuantizer(_ spec: QuantSpec, parameters: QuantParameters?) -> (any ActivationQuantizer)? {
    if spec.isDynamic { return DynamicActivationQuantizer(spec: spec) }
    return parameters.map { StaticActivationQuantizer(spec: spec, parameters: $0) }
}
