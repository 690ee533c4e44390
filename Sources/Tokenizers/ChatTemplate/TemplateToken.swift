/// A position in template source: 1-based line and column (in Unicode scalars).
struct SourceLocation: Sendable, Equatable, CustomStringConvertible {
    var line: Int
    var column: Int
    var description: String { "\(line):\(column)" }
}

/// One lexical token of a template, in the shape of Jinja2's token stream
/// (comments are dropped; whitespace control is already applied to `data`).
struct TemplateToken: Sendable, Equatable {
    enum Kind: Sendable, Equatable {
        /// Literal template text between tags.
        case data(String)
        case variableBegin, variableEnd, blockBegin, blockEnd
        case name(String)
        case string(String)
        case integer(Int)
        case float(Double)
        /// An operator or punctuation: `+`, `//`, `==`, `(`, `|`, `.`, ...
        case symbol(String)
        case endOfTemplate
    }

    var kind: Kind
    var location: SourceLocation

    /// How the token reads in an error message.
    var spelling: String {
        switch kind {
        case let .data(text): return "template text \(text.prefix(20).debugDescription)"
        case .variableBegin: return "'{{'"
        case .variableEnd: return "'}}'"
        case .blockBegin: return "'{%'"
        case .blockEnd: return "'%}'"
        case let .name(name): return "'\(name)'"
        case let .string(text): return "string \(text.prefix(20).debugDescription)"
        case let .integer(value): return "integer \(value)"
        case let .float(value): return "float \(value)"
        case let .symbol(symbol): return "'\(symbol)'"
        case .endOfTemplate: return "end of template"
        }
    }

    func isSymbol(_ symbol: String) -> Bool {
        if case .symbol(symbol) = kind { return true }
        return false
    }

    func isName(_ name: String) -> Bool {
        if case .name(name) = kind { return true }
        return false
    }
}
