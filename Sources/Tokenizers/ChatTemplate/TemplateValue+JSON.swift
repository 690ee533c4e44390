import Foundation

extension TemplateValue {
    /// Parses JSON text into a value, keeping object key order and telling integers
    /// (`3`) from floats (`3.0`, `1e3`) as Python's `json.loads` does.
    /// - Throws: `ChatTemplateError.invalidJSON` naming the offset and what was found.
    public init(json text: String) throws(ChatTemplateError) {
        var parser = JSONValueParser(scalars: Array(text.unicodeScalars))
        parser.skipWhitespace()
        let value = try parser.parseValue()
        parser.skipWhitespace()
        if parser.position < parser.scalars.count {
            throw parser.failure("end of input")
        }
        self = value
    }
}

/// A small recursive-descent JSON reader (RFC 8259) that preserves key order.
private struct JSONValueParser {
    let scalars: [Unicode.Scalar]
    var position = 0
    var depth = 0

    init(scalars: [Unicode.Scalar]) { self.scalars = scalars }

    func failure(_ expected: String) -> ChatTemplateError {
        let found = position < scalars.count ? "'\(Character(scalars[position]))'" : "end of input"
        return .invalidJSON(offset: position, expected: expected, found: found)
    }

    mutating func skipWhitespace() {
        while position < scalars.count, [" ", "\n", "\r", "\t"].contains(scalars[position]) {
            position += 1
        }
    }

    mutating func parseValue() throws(ChatTemplateError) -> TemplateValue {
        guard position < scalars.count else { throw failure("a value") }
        depth += 1
        defer { depth -= 1 }
        // Deep nesting is bad input, not a reason to overflow the stack.
        if depth > 512 { throw failure("nesting at most 512 deep") }
        switch scalars[position] {
        case "{": return try parseObject()
        case "[": return try parseArray()
        case "\"": return .string(try parseString())
        case "t": return try parseWord("true", .bool(true))
        case "f": return try parseWord("false", .bool(false))
        case "n": return try parseWord("null", .none)
        default: return try parseNumber()
        }
    }

    mutating func parseWord(_ word: String, _ value: TemplateValue) throws(ChatTemplateError) -> TemplateValue {
        for scalar in word.unicodeScalars {
            guard position < scalars.count, scalars[position] == scalar else { throw failure("'\(word)'") }
            position += 1
        }
        return value
    }

    mutating func parseObject() throws(ChatTemplateError) -> TemplateValue {
        position += 1
        var dictionary = TemplateDictionary()
        skipWhitespace()
        if position < scalars.count, scalars[position] == "}" {
            position += 1
            return .dictionary(dictionary)
        }
        while true {
            skipWhitespace()
            guard position < scalars.count, scalars[position] == "\"" else { throw failure("a string key") }
            let key = try parseString()
            skipWhitespace()
            guard position < scalars.count, scalars[position] == ":" else { throw failure("':'") }
            position += 1
            skipWhitespace()
            dictionary[key] = try parseValue()
            skipWhitespace()
            guard position < scalars.count else { throw failure("',' or '}'") }
            if scalars[position] == "," { position += 1; continue }
            if scalars[position] == "}" { position += 1; return .dictionary(dictionary) }
            throw failure("',' or '}'")
        }
    }

    mutating func parseArray() throws(ChatTemplateError) -> TemplateValue {
        position += 1
        var items: [TemplateValue] = []
        skipWhitespace()
        if position < scalars.count, scalars[position] == "]" {
            position += 1
            return .array(items)
        }
        while true {
            skipWhitespace()
            items.append(try parseValue())
            skipWhitespace()
            guard position < scalars.count else { throw failure("',' or ']'") }
            if scalars[position] == "," { position += 1; continue }
            if scalars[position] == "]" { position += 1; return .array(items) }
            throw failure("',' or ']'")
        }
    }

    mutating func parseHex4() throws(ChatTemplateError) -> UInt32 {
        var code: UInt32 = 0
        for _ in 0..<4 {
            guard position < scalars.count, let digit = UInt32(String(scalars[position]), radix: 16)
            else { throw failure("four hex digits") }
            code = code * 16 + digit
            position += 1
        }
        return code
    }

    mutating func parseString() throws(ChatTemplateError) -> String {
        position += 1
        var result = String.UnicodeScalarView()
        while true {
            guard position < scalars.count else { throw failure("closing '\"'") }
            let scalar = scalars[position]
            position += 1
            if scalar == "\"" { return String(result) }
            if scalar != "\\" {
                if scalar.value < 0x20 { position -= 1; throw failure("no raw control character in a string") }
                result.append(scalar)
                continue
            }
            guard position < scalars.count else { throw failure("an escape") }
            let escape = scalars[position]
            position += 1
            switch escape {
            case "\"": result.append("\"")
            case "\\": result.append("\\")
            case "/": result.append("/")
            case "b": result.append("\u{08}")
            case "f": result.append("\u{0C}")
            case "n": result.append("\n")
            case "r": result.append("\r")
            case "t": result.append("\t")
            case "u":
                var code = try parseHex4()
                // A surrogate pair spells one scalar; a lone surrogate becomes U+FFFD.
                if (0xD800..<0xDC00).contains(code), position + 1 < scalars.count,
                    scalars[position] == "\\", scalars[position + 1] == "u"
                {
                    let save = position
                    position += 2
                    let low = try parseHex4()
                    if (0xDC00..<0xE000).contains(low) {
                        code = 0x10000 + ((code - 0xD800) << 10) + (low - 0xDC00)
                    } else {
                        position = save
                    }
                }
                result.append(Unicode.Scalar(code) ?? "\u{FFFD}")
            default:
                position -= 1
                throw failure("a valid escape")
            }
        }
    }

    mutating func parseNumber() throws(ChatTemplateError) -> TemplateValue {
        let start = position
        var isFloat = false
        if position < scalars.count, scalars[position] == "-" { position += 1 }
        let digitsStart = position
        while position < scalars.count, ("0"..."9").contains(scalars[position]) { position += 1 }
        if position == digitsStart { position = start; throw failure("a value") }
        if position < scalars.count, scalars[position] == "." {
            isFloat = true
            position += 1
            while position < scalars.count, ("0"..."9").contains(scalars[position]) { position += 1 }
        }
        if position < scalars.count, scalars[position] == "e" || scalars[position] == "E" {
            isFloat = true
            position += 1
            if position < scalars.count, scalars[position] == "+" || scalars[position] == "-" { position += 1 }
            while position < scalars.count, ("0"..."9").contains(scalars[position]) { position += 1 }
        }
        let text = String(String.UnicodeScalarView(scalars[start..<position]))
        if !isFloat, let integer = Int(text) { return .int(integer) }
        guard let double = Double(text) else { position = start; throw failure("a number") }
        return .double(double)
    }
}
