/// Why a chat template could not be parsed or rendered.
///
/// Positions are 1-based line and column in the template source (columns count Unicode scalars).
public enum ChatTemplateError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The template text is not valid Jinja, e.g. an unclosed tag or an unexpected token.
    case syntax(message: String, line: Int, column: Int)
    /// The template uses a valid Jinja construct this interpreter does not implement.
    case unsupported(construct: String, line: Int, column: Int, supported: [String])
    /// The template called `raise_exception(message)`, as chat templates do for bad conversations.
    case raisedByTemplate(message: String)
    /// Rendering failed on the given data, e.g. an undefined variable used in arithmetic.
    case rendering(message: String, line: Int, column: Int)
    /// JSON handed to `TemplateValue(json:)` is malformed.
    case invalidJSON(offset: Int, expected: String, found: String)

    /// One sentence naming the place and the problem.
    public var description: String {
        switch self {
        case let .syntax(message, line, column):
            return "chat template syntax error at \(line):\(column): \(message)"
        case let .unsupported(construct, line, column, supported):
            return "chat template uses unsupported \(construct) at \(line):\(column); supported: "
                + supported.joined(separator: ", ")
        case let .raisedByTemplate(message):
            return "chat template raised an exception: \(message)"
        case let .rendering(message, line, column):
            return "chat template failed at \(line):\(column): \(message)"
        case let .invalidJSON(offset, expected, found):
            return "invalid JSON at offset \(offset): expected \(expected), found \(found)"
        }
    }
}
