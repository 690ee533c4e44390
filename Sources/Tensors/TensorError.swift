/// Errors from tensor construction and I/O. Each case carries the evidence a user needs to act.
public enum TensorError: Error, Equatable, CustomStringConvertible {
    case cannotOpen(path: String, reason: String)
    case shapeMismatch(expected: [Int], actual: [Int], context: String)
    case byteCountMismatch(expected: Int, actual: Int, context: String)
    case unsupportedDType(DType, operation: String)

    public var description: String {
        switch self {
        case let .cannotOpen(path, reason): "\(path): cannot open: \(reason)"
        case let .shapeMismatch(expected, actual, context): "\(context): expected shape \(expected), got \(actual)"
        case let .byteCountMismatch(expected, actual, context): "\(context): expected \(expected) bytes, got \(actual)"
        case let .unsupportedDType(dtype, operation): "\(operation) does not support dtype \(dtype.rawValue)"
        }
    }
}
