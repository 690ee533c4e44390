/// Expression tree of the supported Jinja subset. Every node keeps its source location so
/// rendering errors can name line and column.
indirect enum Expression: Sendable {
    case literal(LiteralValue, SourceLocation)
    case name(String, SourceLocation)
    case list([Expression], SourceLocation)
    /// Parenthesized comma list `(a, b)`; behaves as a list.
    case tuple([Expression], SourceLocation)
    case dictionary([(key: Expression, value: Expression)], SourceLocation)
    /// `object.name`
    case attribute(Expression, String, SourceLocation)
    /// `object[index]`
    case item(Expression, Expression, SourceLocation)
    /// `object[start:stop:step]`
    case slice(Expression, start: Expression?, stop: Expression?, step: Expression?, SourceLocation)
    case call(Expression, CallArguments, SourceLocation)
    case filter(Expression, name: String, CallArguments, SourceLocation)
    /// `value is [not] test(args)`
    case test(Expression, name: String, CallArguments, negated: Bool, SourceLocation)
    case unary(String, Expression, SourceLocation)
    case binary(String, Expression, Expression, SourceLocation)
    /// Chained comparison `a < b <= c`, operators `==`, `!=`, `<`, `<=`, `>`, `>=`, `in`, `not in`.
    case compare(Expression, [(op: String, right: Expression)], SourceLocation)
    case and(Expression, Expression, SourceLocation)
    case or(Expression, Expression, SourceLocation)
    case not(Expression, SourceLocation)
    /// `then if condition else otherwise` (`otherwise` nil renders undefined).
    case conditional(then: Expression, condition: Expression, otherwise: Expression?, SourceLocation)

    var location: SourceLocation {
        switch self {
        case let .literal(_, location), let .name(_, location), let .list(_, location),
            let .tuple(_, location), let .dictionary(_, location), let .attribute(_, _, location),
            let .item(_, _, location), let .slice(_, _, _, _, location), let .call(_, _, location),
            let .filter(_, _, _, location), let .test(_, _, _, _, location), let .unary(_, _, location),
            let .binary(_, _, _, location), let .compare(_, _, location), let .and(_, _, location),
            let .or(_, _, location), let .not(_, location), let .conditional(_, _, _, location):
            return location
        }
    }
}

/// A constant written in the template.
enum LiteralValue: Sendable {
    case none, bool(Bool), int(Int), double(Double), string(String)
}

/// Positional and keyword arguments of a call, filter or test.
struct CallArguments: Sendable {
    var positional: [Expression] = []
    var keywords: [(name: String, value: Expression)] = []
}

/// Target of `{% set %}` or a `for` loop variable.
enum AssignmentTarget: Sendable {
    case name(String)
    /// `ns.attribute` (namespace attribute assignment)
    case attribute(String, String)
    /// `a, b` unpacking
    case tuple([String])
}

/// Statement tree of a template body.
indirect enum Statement: Sendable {
    case output(String)
    case expression(Expression)
    /// `if` with its `elif` branches flattened into `branches`; `otherwise` is the `else` body.
    case conditional(branches: [(condition: Expression, body: [Statement])], otherwise: [Statement])
    case forLoop(ForLoop)
    case set(AssignmentTarget, Expression, SourceLocation)
    /// `{% set name %}...{% endset %}`
    case setBlock(AssignmentTarget, [Statement], SourceLocation)
    case breakLoop(SourceLocation)
    case continueLoop(SourceLocation)
    /// transformers' `{% generation %}` marker: renders its body unchanged.
    case generation([Statement])
}

/// `{% for target in iterable [if condition] %}body{% else %}otherwise{% endfor %}`
struct ForLoop: Sendable {
    var target: AssignmentTarget
    var iterable: Expression
    var condition: Expression?
    var body: [Statement]
    var otherwise: [Statement]
    var location: SourceLocation
}
