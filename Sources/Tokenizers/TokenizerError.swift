/// Why a tokenizer could not be built; each case names the file and JSON path or metadata key.
public enum TokenizerError: Error, Equatable, CustomStringConvertible {
    case cannotRead(path: String)
    case invalidJSON(path: String)
    case unsupported(path: String, field: String, value: String, supported: [String])
    case missingField(path: String, field: String)
    case invalidVocabulary(reason: String)

    public var description: String {
        switch self {
        case let .cannotRead(path): "\(path): cannot read the file"
        case let .invalidJSON(path): "\(path): not a valid JSON object"
        case let .unsupported(path, field, value, supported):
            "\(path): \(field) '\(value)' is not supported; supported: \(supported.joined(separator: ", "))"
        case let .missingField(path, field): "\(path): \(field) is missing"
        case let .invalidVocabulary(reason): "invalid vocabulary: \(reason)"
        }
    }
}
