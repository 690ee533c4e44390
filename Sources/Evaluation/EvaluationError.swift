import Models

/// Why an evaluation cannot run on the given model and data; each case names the option or file.
public enum EvaluationError: Error, Equatable, CustomStringConvertible {
    case sequenceLengthTooSmall(Int)
    case sequenceLengthExceedsContext(sequenceLength: Int, maxPositions: Int)
    case tooFewTokens(tokens: Int, sequenceLength: Int, source: String)

    public var description: String {
        switch self {
        case let .sequenceLengthTooSmall(length): "--seq-len must be at least 2, got \(length)"
        case let .sequenceLengthExceedsContext(length, maximum):
            "--seq-len \(length) exceeds the model's \(maximum) positions (max_position_embeddings)"
        case let .tooFewTokens(tokens, length, source):
            "\(source): \(tokens) tokens is shorter than one window of --seq-len \(length)"
        }
    }

    /// Checks that `tokens` make at least one window of `sequenceLength` the model can score.
    public static func check(tokens: Int, sequenceLength: Int, model: LlamaModel, source: String) throws(EvaluationError) {
        guard sequenceLength >= 2 else { throw .sequenceLengthTooSmall(sequenceLength) }
        guard sequenceLength <= model.configuration.maxPositions else {
            throw .sequenceLengthExceedsContext(sequenceLength: sequenceLength, maxPositions: model.configuration.maxPositions)
        }
        guard tokens >= sequenceLength else { throw .tooFewTokens(tokens: tokens, sequenceLength: sequenceLength, source: source) }
    }
}
