/// Errors from building or running a model. Each case names the file, tensor or key at fault and
/// what was expected, so the message alone tells a user what to fix.
public enum ModelError: Error, Equatable, CustomStringConvertible {
    case unsupportedArchitecture(String, source: String, supported: [String])
    case missingTensor(name: String, source: String)
    case unexpectedTensors(names: [String], source: String)
    case shapeMismatch(tensor: String, expected: [Int], actual: [Int], source: String)
    case invalidConfiguration(key: String, reason: String, source: String)
    case contextTooLong(tokens: Int, maximum: Int)
    case tokenOutOfRange(id: Int, vocabularySize: Int)

    public var description: String {
        switch self {
        case let .unsupportedArchitecture(name, source, supported):
            "\(source): model_type '\(name)' is not supported; supported: \(supported.joined(separator: ", "))"
        case let .missingTensor(name, source):
            "\(source): tensor '\(name)' is missing"
        case let .unexpectedTensors(names, source):
            "\(source): unexpected tensors \(names.prefix(5).joined(separator: ", "))\(names.count > 5 ? " and \(names.count - 5) more" : "")"
        case let .shapeMismatch(tensor, expected, actual, source):
            "\(source): tensor '\(tensor)' has shape \(actual) but config.json implies \(expected)"
        case let .invalidConfiguration(key, reason, source):
            "\(source): '\(key)' \(reason)"
        case let .contextTooLong(tokens, maximum):
            "\(tokens) tokens exceed the model's \(maximum) positions (max_position_embeddings)"
        case let .tokenOutOfRange(id, vocabularySize):
            "token id \(id) is outside the vocabulary of \(vocabularySize)"
        }
    }
}
