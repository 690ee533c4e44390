import Foundation

/// Number conversions, `round` and transformers' `tojson`.
extension TemplateInterpreter {
    /// Jinja `int` filter: `int(value, base)`, falling back to `int(float(value))` for strings.
    func integerConversion(_ value: RuntimeValue, base: Int) -> Int? {
        switch value {
        case let .int(number): return number
        case let .bool(flag): return flag ? 1 : 0
        case let .double(number):
            guard number.isFinite, abs(number) < 9.2e18 else { return nil }
            return Int(number.rounded(.towardZero))
        case let .string(text):
            let stripped = PythonStrings.strip(text, nil, leading: true, trailing: true)
                .replacingOccurrences(of: "_", with: "")
            if let number = Int(stripped, radix: base) { return number }
            if base == 10, let number = Double(stripped) { return integerConversion(.double(number), base: base) }
            return nil
        default:
            return nil
        }
    }

    /// Jinja `float` filter: Python `float(value)`, nil when that raises.
    func floatConversion(_ value: RuntimeValue) -> Double? {
        switch value {
        case let .int(number): return Double(number)
        case let .bool(flag): return flag ? 1 : 0
        case let .double(number): return number
        case let .string(text):
            return Double(PythonStrings.strip(text, nil, leading: true, trailing: true).replacingOccurrences(of: "_", with: ""))
        default:
            return nil
        }
    }

    /// Jinja `round`: method `common` is Python's `round(value, precision)` (half to even on the
    /// exact binary value), `ceil` / `floor` scale by 10**precision.
    func round(_ value: RuntimeValue, precision: Int, method: String, at location: SourceLocation) throws(ChatTemplateError) -> RuntimeValue {
        guard ["common", "ceil", "floor"].contains(method) else {
            throw renderingError("method must be common, ceil or floor", at: location)
        }
        if method == "common", let integer = value.integer { return .int(integer) }
        guard let number = value.number else {
            throw renderingError("type \(value.typeName) doesn't define __round__ method", at: location)
        }
        let scale = pow(10.0, Double(precision))
        switch method {
        case "ceil": return .double((number * scale).rounded(.up) / scale)
        case "floor": return .double((number * scale).rounded(.down) / scale)
        default:
            guard number.isFinite else { return .double(number) }
            if precision <= 0 { return .double((number / scale).rounded(.toNearestOrEven) * scale) }
            // Python rounds the exact decimal expansion, which is what printf's %.Nf does.
            return .double(Double(String(format: "%.\(precision)f", number)) ?? number)
        }
    }

    /// transformers' `tojson(x, ensure_ascii=False, indent=None, separators=None, sort_keys=False)`,
    /// i.e. `json.dumps` with those arguments.
    func toJSON(_ value: RuntimeValue, argument: (Int, String) -> RuntimeValue?, at location: SourceLocation) throws(ChatTemplateError) -> RuntimeValue {
        var options = JSONDumpOptions()
        let ensureASCII = argument(0, "ensure_ascii")?.isTruthy ?? false
        switch argument(1, "indent") {
        case nil, .none?: break
        case let .string(text)?: options.indent = text
        case let indent?:
            guard let spaces = indent.integer else { throw renderingError("tojson indent must be an integer or string", at: location) }
            options.indent = String(repeating: " ", count: max(spaces, 0))
        }
        if let separators = argument(2, "separators"), !separators.isNone {
            guard case let .array(pair) = separators, pair.count == 2,
                case let .string(item) = pair[0], case let .string(key) = pair[1]
            else { throw renderingError("tojson separators must be a pair of strings", at: location) }
            options.itemSeparator = item
            options.keySeparator = key
        }
        options.sortKeys = argument(3, "sort_keys")?.isTruthy ?? false
        var unserializable: String?
        guard var text = pythonJSONDump(value, options: options, unserializable: &unserializable) else {
            throw renderingError("Object of type \(unserializable ?? "?") is not JSON serializable", at: location)
        }
        if ensureASCII {
            var escaped = ""
            for scalar in text.unicodeScalars {
                if scalar.isASCII { escaped.unicodeScalars.append(scalar); continue }
                for unit in String(scalar).utf16 {
                    let hex = String(unit, radix: 16)
                    escaped += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
                }
            }
            text = escaped
        }
        return .string(text)
    }
}
