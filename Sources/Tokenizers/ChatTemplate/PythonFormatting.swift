/// Python's `repr(float)`: the shortest digits that round-trip, positional when the decimal
/// exponent is in [-4, 16), otherwise `d.ddde+XX`; integral values keep `.0`.
func pythonFloatRepr(_ value: Double) -> String {
    if value.isNaN { return "nan" }
    if value.isInfinite { return value < 0 ? "-inf" : "inf" }
    if value == 0 { return value.sign == .minus ? "-0.0" : "0.0" }
    // Swift's description is also shortest round-trip; only the layout differs from Python's.
    var text = "\(value.magnitude)"
    var exponent = 0
    if let e = text.firstIndex(where: { $0 == "e" || $0 == "E" }) {
        exponent = Int(text[text.index(after: e)...]) ?? 0
        text = String(text[..<e])
    }
    let parts = text.split(separator: ".", omittingEmptySubsequences: false)
    let integerPart = String(parts[0])
    let fractionPart = parts.count > 1 ? String(parts[1]) : ""
    var digits = integerPart + fractionPart
    // value = 0.digits * 10^(pointPosition)
    var pointPosition = integerPart.count + exponent
    while digits.first == "0", digits.count > 1 {
        digits.removeFirst()
        pointPosition -= 1
    }
    while digits.last == "0", digits.count > 1 { digits.removeLast() }
    let scientificExponent = pointPosition - 1
    let sign = value < 0 ? "-" : ""
    if scientificExponent < -4 || scientificExponent >= 16 {
        var mantissa = String(digits.first!)
        if digits.count > 1 { mantissa += "." + digits.dropFirst() }
        let exponentDigits = String(abs(scientificExponent))
        let padded = exponentDigits.count < 2 ? "0" + exponentDigits : exponentDigits
        return sign + mantissa + "e" + (scientificExponent < 0 ? "-" : "+") + padded
    }
    if pointPosition <= 0 {
        return sign + "0." + String(repeating: "0", count: -pointPosition) + digits
    }
    if digits.count <= pointPosition {
        return sign + digits + String(repeating: "0", count: pointPosition - digits.count) + ".0"
    }
    let split = digits.index(digits.startIndex, offsetBy: pointPosition)
    return sign + digits[..<split] + "." + digits[split...]
}

/// Python's `str.isprintable` for one scalar (space is printable; other separators,
/// controls, format, private-use, surrogate and unassigned scalars are not).
private func isPythonPrintable(_ scalar: Unicode.Scalar) -> Bool {
    if scalar == " " { return true }
    switch scalar.properties.generalCategory {
    case .control, .format, .surrogate, .privateUse, .unassigned, .lineSeparator, .paragraphSeparator,
        .spaceSeparator:
        return false
    default:
        return true
    }
}

/// Python's `repr(str)`: single quotes unless the text has `'` and no `"`.
func pythonStringRepr(_ text: String) -> String {
    let useDouble = text.contains("'") && !text.contains("\"")
    let quote: Unicode.Scalar = useDouble ? "\"" : "'"
    var result = String.UnicodeScalarView()
    result.append(quote)
    for scalar in text.unicodeScalars {
        switch scalar {
        case "\\": result.append(contentsOf: "\\\\".unicodeScalars)
        case "\n": result.append(contentsOf: "\\n".unicodeScalars)
        case "\r": result.append(contentsOf: "\\r".unicodeScalars)
        case "\t": result.append(contentsOf: "\\t".unicodeScalars)
        case quote: result.append("\\"); result.append(quote)
        default:
            if isPythonPrintable(scalar) {
                result.append(scalar)
            } else {
                let hex = String(scalar.value, radix: 16)
                let (prefix, width) = scalar.value <= 0xFF ? ("\\x", 2) : scalar.value <= 0xFFFF ? ("\\u", 4) : ("\\U", 8)
                result.append(contentsOf: (prefix + String(repeating: "0", count: width - hex.count) + hex).unicodeScalars)
            }
        }
    }
    result.append(quote)
    return String(result)
}

/// Options of transformers' `tojson` filter, which calls `json.dumps(x, ensure_ascii=False,
/// indent=indent, separators=separators, sort_keys=sort_keys)`.
struct JSONDumpOptions {
    /// Spaces (or text) per nesting level; nil prints on one line.
    var indent: String?
    var itemSeparator: String?
    var keySeparator: String?
    var sortKeys = false
}

/// Python `json.dumps` with `ensure_ascii=False`; returns nil for a value JSON cannot hold
/// (Undefined, namespace, functions), naming its type in `unserializable`.
func pythonJSONDump(_ value: RuntimeValue, options: JSONDumpOptions, unserializable: inout String?) -> String? {
    let itemSeparator = options.itemSeparator ?? (options.indent == nil ? ", " : ",")
    let keySeparator = options.keySeparator ?? ": "
    var output = ""
    func write(_ value: RuntimeValue, level: Int) -> Bool {
        switch value {
        case .none: output += "null"
        case let .bool(flag): output += flag ? "true" : "false"
        case let .int(number): output += String(number)
        case let .double(number):
            if number.isNaN { output += "NaN" } else if number.isInfinite {
                output += number < 0 ? "-Infinity" : "Infinity"
            } else { output += pythonFloatRepr(number) }
        case let .string(text): output += jsonQuote(text)
        case let .array(items):
            if items.isEmpty { output += "[]"; return true }
            output += "["
            for (position, item) in items.enumerated() {
                output += position == 0 ? "" : itemSeparator
                if let indent = options.indent { output += "\n" + String(repeating: indent, count: level + 1) }
                guard write(item, level: level + 1) else { return false }
            }
            if let indent = options.indent { output += "\n" + String(repeating: indent, count: level) }
            output += "]"
        case let .dictionary(map):
            if map.count == 0 { output += "{}"; return true }
            output += "{"
            var pairs = map.pairs
            if options.sortKeys {
                pairs.sort { $0.key.unicodeScalars.lexicographicallyPrecedes($1.key.unicodeScalars) }
            }
            for (position, pair) in pairs.enumerated() {
                output += position == 0 ? "" : itemSeparator
                if let indent = options.indent { output += "\n" + String(repeating: indent, count: level + 1) }
                output += jsonQuote(pair.key) + keySeparator
                guard write(pair.value, level: level + 1) else { return false }
            }
            if let indent = options.indent { output += "\n" + String(repeating: indent, count: level) }
            output += "}"
        default:
            unserializable = value.typeName
            return false
        }
        return true
    }
    return write(value, level: 0) ? output : nil
}

/// JSON string literal as Python's `json.dumps(..., ensure_ascii=False)` writes it.
func jsonQuote(_ text: String) -> String {
    var result = String.UnicodeScalarView()
    result.append("\"")
    for scalar in text.unicodeScalars {
        switch scalar {
        case "\"": result.append(contentsOf: "\\\"".unicodeScalars)
        case "\\": result.append(contentsOf: "\\\\".unicodeScalars)
        case "\n": result.append(contentsOf: "\\n".unicodeScalars)
        case "\r": result.append(contentsOf: "\\r".unicodeScalars)
        case "\t": result.append(contentsOf: "\\t".unicodeScalars)
        case "\u{08}": result.append(contentsOf: "\\b".unicodeScalars)
        case "\u{0C}": result.append(contentsOf: "\\f".unicodeScalars)
        default:
            if scalar.value < 0x20 {
                let hex = String(scalar.value, radix: 16)
                result.append(contentsOf: ("\\u" + String(repeating: "0", count: 4 - hex.count) + hex).unicodeScalars)
            } else {
                result.append(scalar)
            }
        }
    }
    result.append("\"")
    return String(result)
}
