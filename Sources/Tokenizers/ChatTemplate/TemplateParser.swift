/// Builds the statement tree from tokens, following Jinja2 3.1's parser (`jinja2/parser.py`):
/// same statement set for the supported subset and the same operator precedence
/// (`or` < `and` < `not` < comparisons < `+ -` < `~` < `* / // %` < `**` < unary < filters/tests).
struct TemplateParser {
    private var tokens: [TemplateToken]
    private var index = 0
    /// Nesting of blocks and expressions; bounded so hostile input cannot overflow the stack.
    private var depth = 0
    static let maximumDepth = 200

    /// Jinja statements this interpreter deliberately leaves out.
    static let unsupportedTags: Set<String> = [
        "macro", "call", "filter", "block", "extends", "include", "import", "from", "with",
        "autoescape", "do", "endmacro", "endcall", "endfilter", "endblock", "endwith", "endautoescape",
    ]
    static let supportedTags = [
        "if", "elif", "else", "endif", "for", "endfor", "set", "endset", "break", "continue",
        "generation", "endgeneration", "raw",
    ]

    init(tokens: [TemplateToken]) { self.tokens = tokens }

    /// Parses a whole template.
    mutating func parseTemplate() throws(ChatTemplateError) -> [Statement] {
        let (body, end) = try parseBody(until: [])
        if let end { throw syntaxError("unexpected '\(end.name)'", at: end.location) }
        return body
    }

    // MARK: - Token helpers

    private var current: TemplateToken { tokens[index] }

    var peekToken: TemplateToken { tokens[index] }
    var tokenAfterPeek: TemplateToken { tokens[min(index + 1, tokens.count - 1)] }
    mutating func takeToken() -> TemplateToken { advance() }
    mutating func takeName() throws(ChatTemplateError) -> String { try expectName() }
    mutating func expect(_ symbol: String) throws(ChatTemplateError) { try expectSymbol(symbol) }

    private mutating func advance() -> TemplateToken {
        let token = tokens[index]
        if index < tokens.count - 1 { index += 1 }
        return token
    }

    private func syntaxError(_ message: String, at location: SourceLocation) -> ChatTemplateError {
        .syntax(message: message, line: location.line, column: location.column)
    }

    private mutating func expectSymbol(_ symbol: String) throws(ChatTemplateError) {
        guard current.isSymbol(symbol) else {
            throw syntaxError("expected '\(symbol)', found \(current.spelling)", at: current.location)
        }
        _ = advance()
    }

    private mutating func expectName() throws(ChatTemplateError) -> String {
        guard case let .name(name) = current.kind else {
            throw syntaxError("expected a name, found \(current.spelling)", at: current.location)
        }
        _ = advance()
        return name
    }

    private mutating func expectKeyword(_ keyword: String) throws(ChatTemplateError) {
        guard current.isName(keyword) else {
            throw syntaxError("expected '\(keyword)', found \(current.spelling)", at: current.location)
        }
        _ = advance()
    }

    private mutating func expectBlockEnd() throws(ChatTemplateError) {
        guard case .blockEnd = current.kind else {
            throw syntaxError("expected '%}', found \(current.spelling)", at: current.location)
        }
        _ = advance()
    }

    // MARK: - Statements

    /// Parses statements until a block tag whose name is in `endings`; returns that tag (the
    /// parser stands after its name) or nil at end of template.
    private mutating func parseBody(until endings: Set<String>)
        throws(ChatTemplateError) -> ([Statement], (name: String, location: SourceLocation)?)
    {
        var body: [Statement] = []
        while true {
            let token = advance()
            switch token.kind {
            case .endOfTemplate:
                return (body, nil)
            case let .data(text):
                body.append(.output(text))
            case .variableBegin:
                let expression = try parseTuple()
                guard case .variableEnd = current.kind else {
                    throw syntaxError("expected '}}', found \(current.spelling)", at: current.location)
                }
                _ = advance()
                body.append(.expression(expression))
            case .blockBegin:
                guard case let .name(tag) = current.kind else {
                    throw syntaxError("expected a tag name after '{%', found \(current.spelling)", at: current.location)
                }
                let location = current.location
                if endings.contains(tag) {
                    _ = advance()
                    return (body, (tag, location))
                }
                body.append(try parseStatement(tag: tag, at: location))
            default:
                throw syntaxError("unexpected \(token.spelling)", at: token.location)
            }
        }
    }

    private mutating func parseStatement(tag: String, at location: SourceLocation) throws(ChatTemplateError) -> Statement {
        try enterNesting(at: location)
        defer { leaveNesting() }
        if TemplateParser.unsupportedTags.contains(tag) {
            throw .unsupported(
                construct: "tag '\(tag)'", line: location.line, column: location.column,
                supported: TemplateParser.supportedTags)
        }
        _ = advance()
        switch tag {
        case "if":
            return try parseIf()
        case "for":
            return try parseFor(at: location)
        case "set":
            return try parseSet(at: location)
        case "break":
            try expectBlockEnd()
            return .breakLoop(location)
        case "continue":
            try expectBlockEnd()
            return .continueLoop(location)
        case "generation":
            try expectBlockEnd()
            let (body, end) = try parseBody(until: ["endgeneration"])
            guard end != nil else { throw syntaxError("missing '{% endgeneration %}'", at: location) }
            try expectBlockEnd()
            return .generation(body)
        case "elif", "else", "endif", "endfor", "endset", "endgeneration", "endraw":
            throw syntaxError("unexpected '\(tag)' with no open block it could close", at: location)
        default:
            throw syntaxError("unknown tag '\(tag)'", at: location)
        }
    }

    private mutating func parseIf() throws(ChatTemplateError) -> Statement {
        var branches: [(condition: Expression, body: [Statement])] = []
        var condition = try parseExpression()
        while true {
            try expectBlockEnd()
            let (body, end) = try parseBody(until: ["elif", "else", "endif"])
            branches.append((condition, body))
            guard let end else {
                throw syntaxError("missing '{% endif %}'", at: condition.location)
            }
            switch end.name {
            case "elif":
                condition = try parseExpression()
            case "else":
                try expectBlockEnd()
                let (otherwise, close) = try parseBody(until: ["endif"])
                guard close != nil else { throw syntaxError("missing '{% endif %}'", at: end.location) }
                try expectBlockEnd()
                return .conditional(branches: branches, otherwise: otherwise)
            default:
                try expectBlockEnd()
                return .conditional(branches: branches, otherwise: [])
            }
        }
    }

    private mutating func parseAssignTarget(allowAttribute: Bool) throws(ChatTemplateError) -> AssignmentTarget {
        let first = try expectName()
        if allowAttribute, current.isSymbol(".") {
            _ = advance()
            return .attribute(first, try expectName())
        }
        guard current.isSymbol(",") else { return .name(first) }
        var names = [first]
        while current.isSymbol(",") {
            _ = advance()
            guard case .name = current.kind else { break }
            names.append(try expectName())
        }
        return .tuple(names)
    }

    private mutating func parseFor(at location: SourceLocation) throws(ChatTemplateError) -> Statement {
        let target = try parseAssignTarget(allowAttribute: false)
        try expectKeyword("in")
        let iterable = try parseTuple(allowConditional: false)
        var condition: Expression?
        if current.isName("if") {
            _ = advance()
            condition = try parseExpression()
        }
        if current.isName("recursive") {
            throw .unsupported(
                construct: "recursive for loop", line: current.location.line, column: current.location.column,
                supported: ["for ... in ...", "for ... in ... if ..."])
        }
        try expectBlockEnd()
        let (body, end) = try parseBody(until: ["endfor", "else"])
        guard let end else { throw syntaxError("missing '{% endfor %}'", at: location) }
        var otherwise: [Statement] = []
        if end.name == "else" {
            try expectBlockEnd()
            let (elseBody, close) = try parseBody(until: ["endfor"])
            guard close != nil else { throw syntaxError("missing '{% endfor %}'", at: location) }
            otherwise = elseBody
        }
        try expectBlockEnd()
        return .forLoop(ForLoop(
            target: target, iterable: iterable, condition: condition, body: body, otherwise: otherwise,
            location: location))
    }

    private mutating func parseSet(at location: SourceLocation) throws(ChatTemplateError) -> Statement {
        let target = try parseAssignTarget(allowAttribute: true)
        if current.isSymbol("=") {
            _ = advance()
            let value = try parseTuple()
            try expectBlockEnd()
            return .set(target, value, location)
        }
        if current.isSymbol("|") {
            throw .unsupported(
                construct: "filtered block set", line: current.location.line, column: current.location.column,
                supported: ["{% set x = ... %}", "{% set x %}...{% endset %}"])
        }
        try expectBlockEnd()
        let (body, end) = try parseBody(until: ["endset"])
        guard end != nil else { throw syntaxError("missing '{% endset %}'", at: location) }
        try expectBlockEnd()
        return .setBlock(target, body, location)
    }

    // MARK: - Expressions

    /// `a, b` without parentheses makes a tuple (Jinja `parse_tuple`).
    mutating func parseTuple(allowConditional: Bool = true) throws(ChatTemplateError) -> Expression {
        let location = current.location
        let first = allowConditional ? try parseExpression() : try parseOr()
        guard current.isSymbol(",") else { return first }
        var items = [first]
        while current.isSymbol(",") {
            _ = advance()
            if case .variableEnd = current.kind { break }
            if case .blockEnd = current.kind { break }
            if current.isName("if") { break }
            items.append(allowConditional ? try parseExpression() : try parseOr())
        }
        return .tuple(items, location)
    }

    /// Counts one level of nesting for the duration of the caller.
    mutating func enterNesting(at location: SourceLocation) throws(ChatTemplateError) {
        depth += 1
        if depth > TemplateParser.maximumDepth {
            throw syntaxError("nested more than \(TemplateParser.maximumDepth) levels deep", at: location)
        }
    }

    mutating func leaveNesting() { depth -= 1 }

    mutating func parseExpression() throws(ChatTemplateError) -> Expression {
        try enterNesting(at: current.location)
        defer { leaveNesting() }
        var expression = try parseOr()
        while current.isName("if") {
            let location = current.location
            _ = advance()
            let condition = try parseOr()
            var otherwise: Expression?
            if current.isName("else") {
                _ = advance()
                otherwise = try parseExpression()
            }
            expression = .conditional(then: expression, condition: condition, otherwise: otherwise, location)
        }
        return expression
    }

    private mutating func parseOr() throws(ChatTemplateError) -> Expression {
        var left = try parseAnd()
        var levels = 0
        defer { depth -= levels }
        while current.isName("or") {
            let location = advance().location
            // A left-deep chain is evaluated recursively, so each link counts as nesting.
            try enterNesting(at: location)
            levels += 1
            left = .or(left, try parseAnd(), location)
        }
        return left
    }

    private mutating func parseAnd() throws(ChatTemplateError) -> Expression {
        var left = try parseNot()
        var levels = 0
        defer { depth -= levels }
        while current.isName("and") {
            let location = advance().location
            try enterNesting(at: location)
            levels += 1
            left = .and(left, try parseNot(), location)
        }
        return left
    }

    private mutating func parseNot() throws(ChatTemplateError) -> Expression {
        if current.isName("not") {
            let location = advance().location
            try enterNesting(at: location)
            defer { leaveNesting() }
            return .not(try parseNot(), location)
        }
        return try parseCompare()
    }

    private mutating func parseCompare() throws(ChatTemplateError) -> Expression {
        let location = current.location
        let left = try parseMath1()
        var operations: [(op: String, right: Expression)] = []
        while true {
            if case let .symbol(symbol) = current.kind, ["==", "!=", "<", "<=", ">", ">="].contains(symbol) {
                _ = advance()
                operations.append((symbol, try parseMath1()))
            } else if current.isName("in") {
                _ = advance()
                operations.append(("in", try parseMath1()))
            } else if current.isName("not"), index + 1 < tokens.count, tokens[index + 1].isName("in") {
                _ = advance()
                _ = advance()
                operations.append(("not in", try parseMath1()))
            } else {
                break
            }
        }
        return operations.isEmpty ? left : .compare(left, operations, location)
    }

    private mutating func parseBinary(
        _ symbols: [String], next: (inout TemplateParser) throws(ChatTemplateError) -> Expression
    ) throws(ChatTemplateError) -> Expression {
        var left = try next(&self)
        var levels = 0
        defer { depth -= levels }
        while case let .symbol(symbol) = current.kind, symbols.contains(symbol) {
            let location = advance().location
            try enterNesting(at: location)
            levels += 1
            left = .binary(symbol, left, try next(&self), location)
        }
        return left
    }

    private mutating func parseMath1() throws(ChatTemplateError) -> Expression {
        try parseBinary(["+", "-"]) { (parser: inout TemplateParser) throws(ChatTemplateError) in try parser.parseConcat() }
    }

    private mutating func parseConcat() throws(ChatTemplateError) -> Expression {
        try parseBinary(["~"]) { (parser: inout TemplateParser) throws(ChatTemplateError) in try parser.parseMath2() }
    }

    private mutating func parseMath2() throws(ChatTemplateError) -> Expression {
        try parseBinary(["*", "/", "//", "%"]) { (parser: inout TemplateParser) throws(ChatTemplateError) in try parser.parsePow() }
    }

    private mutating func parsePow() throws(ChatTemplateError) -> Expression {
        try parseBinary(["**"]) { (parser: inout TemplateParser) throws(ChatTemplateError) in try parser.parseUnary() }
    }

    private mutating func parseUnary(withFilter: Bool = true) throws(ChatTemplateError) -> Expression {
        var node: Expression
        if current.isSymbol("-") || current.isSymbol("+") {
            let token = advance()
            try enterNesting(at: token.location)
            defer { leaveNesting() }
            guard case let .symbol(symbol) = token.kind else { fatalError("checked above") }
            node = .unary(symbol, try parseUnary(withFilter: false), token.location)
        } else {
            node = try parsePrimary()
        }
        node = try parsePostfix(node)
        if withFilter { node = try parseFilterExpression(node) }
        return node
    }
}
