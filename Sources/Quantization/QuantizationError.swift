/// Why a quantization configuration or run cannot proceed; each case names the key, flag, layer or
/// file and, where the set is finite, the valid values.
public enum QuantizationError: Error, Equatable, CustomStringConvertible {
    case invalidValue(key: String, value: String, valid: [String], source: String)
    case missingKey(key: String, source: String)
    case unsupported(feature: String, source: String)
    case groupSizeDoesNotDivide(inFeatures: Int, groupSize: Int, layer: String)
    case unknownScheme(String, valid: [String])
    case invalidFile(path: String, reason: String)
    /// Data on which amd-quark's own observer fails (QuantKit reproduces Quark, so it stops too).
    case observerFailure(observer: String, reason: String, source: String)
    /// A checkpoint (activations, progress state) that cannot be written or does not fit this run.
    case checkpoint(path: String, reason: String)

    public var description: String {
        switch self {
        case let .invalidValue(key, value, valid, source):
            "\(source): \(key) '\(value)' is not valid" + (valid.isEmpty ? "" : "; valid: \(valid.joined(separator: ", "))")
        case let .missingKey(key, source): "\(source): required key '\(key)' is missing"
        case let .unsupported(feature, source): "\(source): \(feature) is not supported"
        case let .groupSizeDoesNotDivide(inFeatures, groupSize, layer):
            "\(layer): group size \(groupSize) does not divide its \(inFeatures) input features; " + Self.groupSizeAdvice(inFeatures)
        case let .unknownScheme(name, valid): "unknown scheme '\(name)'; valid: \(valid.joined(separator: ", "))"
        case let .invalidFile(path, reason): "\(path): \(reason)"
        case let .checkpoint(path, reason): "\(path): \(reason)"
        case let .observerFailure(observer, reason, source):
            "\(source): amd-quark's \(observer) fails on this data: \(reason); choose another observer_cls (valid: \(ObserverKind.quarkNames.joined(separator: ", ")))"
        }
    }

    /// An observer failure attributed to `source` (the layer and tensor being observed).
    func located(at source: String) -> QuantizationError {
        guard case let .observerFailure(observer, reason, _) = self else { return self }
        return .observerFailure(observer: observer, reason: reason, source: source)
    }

    static func divisors(_ n: Int) -> [Int] { [16, 32, 64, 128, 256].filter { n % $0 == 0 } }

    /// Group sizes that would fit `inFeatures`: the usual powers of two when some divide it, else any
    /// proper divisor; a prime width has none, so per-channel is the way out.
    static func groupSizeAdvice(_ inFeatures: Int) -> String {
        var fitting = divisors(inFeatures)
        if fitting.isEmpty { fitting = inFeatures > 2 ? (2..<inFeatures).filter { inFeatures % $0 == 0 } : [] }
        guard !fitting.isEmpty else { return "no group size divides it; quantize it per channel or exclude it" }
        return "choose a divisor (e.g. \(fitting.suffix(3).map(String.init).joined(separator: ", ")))"
    }
}
