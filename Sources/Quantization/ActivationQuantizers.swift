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

/// Records the running minimum and maximum of everything that passes (Quark's static
/// `PerTensorMinMaxObserver` over the calibration set), leaving the values unchanged.
public final class RangeObserver: ActivationQuantizer, @unchecked Sendable {
    private let lock = NSLock()
    public private(set) var minimum = Float.infinity
    public private(set) var maximum = -Float.infinity

    public init() {}

    public func apply(_ values: UnsafeMutableBufferPointer<Float>, rows: Int, columns: Int) {
        var low = Float.infinity, high = -Float.infinity
        for value in values {
            low = Swift.min(low, value)
            high = Swift.max(high, value)
        }
        lock.withLock {
            minimum = Swift.min(minimum, low)
            maximum = Swift.max(maximum, high)
        }
    }

    /// Per-tensor parameters for `spec` from the observed range.
    public func parameters(for spec: QuantSpec) -> QuantParameters {
        lock.withLock { QuantParameters(minimum: [minimum], maximum: [maximum], spec: spec, groupLength: 1) }
    }
}

/// The quantizer a spec calls for at run time: dynamic specs compute their own parameters, static
/// specs need calibrated `parameters`.
func activationQuantizer(_ spec: QuantSpec, parameters: QuantParameters?) -> (any ActivationQuantizer)? {
    if spec.isDynamic { return DynamicActivationQuantizer(spec: spec) }
    return parameters.map { StaticActivationQuantizer(spec: spec, parameters: $0) }
}
