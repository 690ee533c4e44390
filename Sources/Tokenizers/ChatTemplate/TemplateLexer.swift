/// Splits template source into tokens exactly as Jinja2 3.1's lexer does with transformers'
/// settings: `trim_blocks=True` (one newline after `%}` / `#}` is dropped), `lstrip_blocks=True`
/// (spaces and tabs before a `{%` / `{#` that starts a line are dropped), `-` strips all
/// whitespace on that side, `+` disables lstrip/trim for that tag, and
/// `keep_trailing_newline=False` (one final newline of the source is dropped).
struct TemplateLexer {
    private let source: [Unicode.Scalar]
    private var lineStarts: [Int] = [0]
    private var position = 0
    private var tokens: [TemplateToken] = []
    /// Jinja's `line_starting`: the previous match ended with a newline (or nothing came before).
    private var lineStarting = true

    init(_ text: String) {
        source = TemplateLexer.normalizeNewlines(text)
        for (index, scalar) in source.enumerated() where scalar == "\n" {
            lineStarts.append(index + 1)
        }
    }

    /// `\r\n`, `\r` and `\n` all become `\n`; one trailing newline is removed
    /// (Jinja2 `tokeniter`: `newline_re.split(source)[::2]`, drop a final empty line).
    static func normalizeNewlines(_ text: String) -> [Unicode.Scalar] {
        var result: [Unicode.Scalar] = []
        result.reserveCapacity(text.unicodeScalars.count)
        var previousWasCarriageReturn = false
        for scalar in text.unicodeScalars {
            if scalar == "\r" {
                result.append("\n")
                previousWasCarriageReturn = true
                continue
            }
            if scalar == "\n" && previousWasCarriageReturn {
                previousWasCarriageReturn = false
                continue
            }
            previousWasCarriageReturn = false
            result.append(scalar)
        }
        if result.last == "\n" { result.removeLast() }
        return result
    }

    func location(of offset: Int) -> SourceLocation {
        var low = 0
        var high = lineStarts.count - 1
        while low < high {
            let middle = (low + high + 1) / 2
            if lineStarts[middle] <= offset { low = middle } else { high = middle - 1 }
        }
        return SourceLocation(line: low + 1, column: offset - lineStarts[low] + 1)
    }

    private func matches(_ text: String, at offset: Int) -> Bool {
        var index = offset
        for scalar in text.unicodeScalars {
            guard index < source.count, source[index] == scalar else { return false }
            index += 1
        }
        return true
    }

    private func syntaxError(_ message: String, at offset: Int) -> ChatTemplateError {
        let place = location(of: offset)
        return .syntax(message: message, line: place.line, column: place.column)
    }

    private mutating func emit(_ kind: TemplateToken.Kind, at offset: Int) {
        tokens.append(TemplateToken(kind: kind, location: location(of: offset)))
    }

    /// The whole token stream, ending with `.endOfTemplate`.
    mutating func tokenize() throws(ChatTemplateError) -> [TemplateToken] {
        while position < source.count {
            try lexRoot()
        }
        emit(.endOfTemplate, at: source.count)
        return tokens
    }

    private enum TagKind { case variable, block, comment }

    private mutating func lexRoot() throws(ChatTemplateError) {
        // Find the first `{{`, `{%` or `{#`.
        var tagStart = position
        var tag: TagKind?
        while tagStart + 1 < source.count {
            if source[tagStart] == "{" {
                switch source[tagStart + 1] {
                case "{": tag = .variable
                case "%": tag = .block
                case "#": tag = .comment
                default: break
                }
                if tag != nil { break }
            }
            tagStart += 1
        }
        guard let tag else {
            emitData(from: position, to: source.count)
            position = source.count
            return
        }
        var sign: Unicode.Scalar?
        if tagStart + 2 < source.count, source[tagStart + 2] == "-" || source[tagStart + 2] == "+" {
            sign = source[tagStart + 2]
        }
        var textEnd = tagStart
        if sign == "-" {
            while textEnd > position, isPythonWhitespace(source[textEnd - 1]) { textEnd -= 1 }
        } else if sign != "+", tag != .variable {
            // lstrip_blocks: drop the spaces between the line start and the tag.
            var lineStart = tagStart
            while lineStart > position, source[lineStart - 1] != "\n" { lineStart -= 1 }
            let atLineStart = lineStart > position || (lineStart == position && lineStarting)
            if atLineStart, lineStart < tagStart,
                source[lineStart..<tagStart].allSatisfy(isPythonWhitespace)
            {
                textEnd = lineStart
            }
        }
        emitData(from: position, to: textEnd)
        let afterOpening = tagStart + 2 + (sign == nil ? 0 : 1)
        if tag == .block, try lexRawBlock(tagStart: tagStart, after: afterOpening) { return }
        switch tag {
        case .comment:
            try skipComment(tagStart: tagStart, from: afterOpening)
        case .block:
            emit(.blockBegin, at: tagStart)
            position = afterOpening
            try lexInsideTag(opening: tagStart, isBlock: true)
        case .variable:
            emit(.variableBegin, at: tagStart)
            position = afterOpening
            try lexInsideTag(opening: tagStart, isBlock: false)
        }
    }

    private mutating func emitData(from start: Int, to end: Int) {
        guard end > start else { return }
        emit(.data(String(String.UnicodeScalarView(source[start..<end]))), at: start)
    }

    /// After a closing tag: `-` eats all following whitespace, trim_blocks eats one newline.
    private mutating func consumeAfterClosing(stripSign: Unicode.Scalar?, trims: Bool) {
        if stripSign == "-" {
            while position < source.count, isPythonWhitespace(source[position]) { position += 1 }
        } else if stripSign == nil, trims, position < source.count, source[position] == "\n" {
            position += 1
        }
        lineStarting = position > 0 && source[position - 1] == "\n"
    }

    private mutating func skipComment(tagStart: Int, from start: Int) throws(ChatTemplateError) {
        var index = start
        while index < source.count {
            for sign in ["+", "-"] where matches(sign + "#}", at: index) {
                position = index + 3
                consumeAfterClosing(stripSign: sign.unicodeScalars.first, trims: true)
                return
            }
            if matches("#}", at: index) {
                position = index + 2
                consumeAfterClosing(stripSign: nil, trims: true)
                return
            }
            index += 1
        }
        throw syntaxError("missing end of comment tag '#}'", at: tagStart)
    }

    /// `{% raw %}...{% endraw %}` emits its body as data; returns false if this is not a raw tag.
    private mutating func lexRawBlock(tagStart: Int, after: Int) throws(ChatTemplateError) -> Bool {
        var index = after
        while index < source.count, isPythonWhitespace(source[index]) { index += 1 }
        guard matches("raw", at: index) else { return false }
        index += 3
        while index < source.count, isPythonWhitespace(source[index]) { index += 1 }
        var openSign: Unicode.Scalar?
        if matches("-%}", at: index) { openSign = "-"; index += 3 } else if matches("%}", at: index) {
            index += 2
        } else { return false }
        position = index
        if openSign == "-" { while position < source.count, isPythonWhitespace(source[position]) { position += 1 } }
        let bodyStart = position
        var search = position
        while search + 1 < source.count {
            if matches("{%", at: search) {
                var probe = search + 2
                var sign: Unicode.Scalar?
                if probe < source.count, source[probe] == "-" || source[probe] == "+" { sign = source[probe]; probe += 1 }
                while probe < source.count, isPythonWhitespace(source[probe]) { probe += 1 }
                if matches("endraw", at: probe) {
                    probe += 6
                    while probe < source.count, isPythonWhitespace(source[probe]) { probe += 1 }
                    var closeSign: Unicode.Scalar?
                    if matches("-%}", at: probe) || matches("+%}", at: probe) { closeSign = source[probe]; probe += 3 }
                    else if matches("%}", at: probe) { probe += 2 }
                    else { search += 1; continue }
                    var bodyEnd = search
                    if sign == "-" { while bodyEnd > bodyStart, isPythonWhitespace(source[bodyEnd - 1]) { bodyEnd -= 1 } }
                    emitData(from: bodyStart, to: bodyEnd)
                    position = probe
                    consumeAfterClosing(stripSign: closeSign == "+" ? "+" : closeSign, trims: true)
                    return true
                }
            }
            search += 1
        }
        throw syntaxError("missing '{% endraw %}' for this raw block", at: tagStart)
    }

    private static let symbols2: [String] = ["//", "**", "==", "!=", "<=", ">="]
    private static let symbols1: Set<Unicode.Scalar> = [
        "+", "-", "/", "*", "%", "~", "[", "]", "(", ")", "{", "}", "<", ">", "=", ".", ",", ":", "|", ";",
    ]

    private mutating func lexInsideTag(opening: Int, isBlock: Bool) throws(ChatTemplateError) {
        var brackets: [Unicode.Scalar] = []
        let closer = isBlock ? "%}" : "}}"
        while true {
            guard position < source.count else {
                throw syntaxError("unclosed '\(isBlock ? "{%" : "{{")': missing '\(closer)'", at: opening)
            }
            if brackets.isEmpty {
                if matches("-" + closer, at: position) {
                    emit(isBlock ? .blockEnd : .variableEnd, at: position)
                    position += 3
                    consumeAfterClosing(stripSign: "-", trims: isBlock)
                    return
                }
                if isBlock, matches("+" + closer, at: position) {
                    emit(.blockEnd, at: position)
                    position += 3
                    consumeAfterClosing(stripSign: "+", trims: true)
                    return
                }
                if matches(closer, at: position) {
                    emit(isBlock ? .blockEnd : .variableEnd, at: position)
                    position += 2
                    consumeAfterClosing(stripSign: nil, trims: isBlock)
                    return
                }
            }
            let scalar = source[position]
            if isPythonWhitespace(scalar) {
                position += 1
            } else if scalar == "'" || scalar == "\"" {
                try lexString(quote: scalar)
            } else if ("0"..."9").contains(scalar) {
                lexNumber()
            } else if scalar == "_" || scalar.properties.isAlphabetic {
                let start = position
                while position < source.count,
                    source[position] == "_" || source[position].properties.isAlphabetic
                        || ("0"..."9").contains(source[position])
                {
                    position += 1
                }
                emit(.name(String(String.UnicodeScalarView(source[start..<position]))), at: start)
            } else if let two = TemplateLexer.symbols2.first(where: { matches($0, at: position) }) {
                emit(.symbol(two), at: position)
                position += 2
            } else if TemplateLexer.symbols1.contains(scalar) {
                switch scalar {
                case "(": brackets.append(")")
                case "[": brackets.append("]")
                case "{": brackets.append("}")
                case ")", "]", "}":
                    guard let expected = brackets.popLast() else {
                        throw syntaxError("unexpected '\(scalar)'", at: position)
                    }
                    if expected != scalar {
                        throw syntaxError("unexpected '\(scalar)', expected '\(expected)'", at: position)
                    }
                default: break
                }
                emit(.symbol(String(scalar)), at: position)
                position += 1
            } else {
                throw syntaxError("unexpected character '\(Character(scalar))'", at: position)
            }
        }
    }

    private mutating func lexNumber() {
        let start = position
        func digits() {
            while position < source.count, ("0"..."9").contains(source[position]) || source[position] == "_" {
                position += 1
            }
        }
        digits()
        var isFloat = false
        // No float right after '.', so `items.0.1` stays attribute access (Jinja's `(?<!\.)`).
        let afterDot = tokens.last?.isSymbol(".") ?? false
        if !afterDot, position + 1 < source.count, source[position] == ".",
            ("0"..."9").contains(source[position + 1])
        {
            isFloat = true
            position += 1
            digits()
        }
        if !afterDot, position < source.count, source[position] == "e" || source[position] == "E" {
            var probe = position + 1
            if probe < source.count, source[probe] == "+" || source[probe] == "-" { probe += 1 }
            if probe < source.count, ("0"..."9").contains(source[probe]) {
                isFloat = true
                position = probe
                digits()
            }
        }
        let text = String(String.UnicodeScalarView(source[start..<position].filter { $0 != "_" }))
        if !isFloat, let value = Int(text) {
            emit(.integer(value), at: start)
        } else {
            emit(.float(Double(text) ?? .infinity), at: start)
        }
    }

    private mutating func lexString(quote: Unicode.Scalar) throws(ChatTemplateError) {
        let start = position
        position += 1
        var raw = String.UnicodeScalarView()
        while true {
            guard position < source.count else { throw syntaxError("unterminated string", at: start) }
            let scalar = source[position]
            if scalar == quote { position += 1; break }
            if scalar == "\\", position + 1 < source.count {
                raw.append(scalar)
                raw.append(source[position + 1])
                position += 2
                continue
            }
            raw.append(scalar)
            position += 1
        }
        emit(.string(decodePythonEscapes(Array(raw))), at: start)
    }
}
