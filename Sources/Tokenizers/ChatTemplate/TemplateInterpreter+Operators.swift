import Foundation

/// Python semantics of Jinja's operators: `+` adds numbers and concatenates strings or lists,
/// `/` is true division, `//` and `%` floor, `~` joins string forms, comparisons order
/// numbers, strings (by code point) and lists; using `Undefined` in arithmetic fails.
extension TemplateInterpreter {
    private func undefinedOperand(_ left: RuntimeValue, _ right: RuntimeValue) -> String? {
        if case let .undefined(reason) = left { return reason }
        if case let .undefined(reason) = right { return reason }
        return nil
    }

    private func operandError(_ symbol: String, _ left: RuntimeValue, _ right: RuntimeValue, at location: SourceLocation) -> ChatTemplateError {
        if case .string = left, symbol == "+" {
            return renderingError("can only concatenate str (not \"\(right.typeName)\") to str", at: location)
        }
        return renderingError(
            "unsupported operand type(s) for \(symbol): '\(left.typeName)' and '\(right.typeName)'", at: location)
    }

    /// Repetition is capped so a template cannot ask for gigabytes (Jinja's sandbox caps ranges likewise).
    private func checkRepetition(_ length: Int, _ count: Int, at location: SourceLocation) throws(ChatTemplateError) {
        let total = length.multipliedReportingOverflow(by: max(count, 0))
        guard !total.overflow, total.partialValue <= 10_000_000 else {
            throw renderingError("repetition result too large (more than 10000000 items)", at: location)
        }
    }

    func unary(_ symbol: String, _ operand: RuntimeValue, at location: SourceLocation) throws(ChatTemplateError) -> RuntimeValue {
        if case let .undefined(reason) = operand { throw renderingError(reason, at: location) }
        switch operand {
        case let .int(value): return .int(symbol == "-" ? -value : value)
        case let .bool(flag): return .int(symbol == "-" ? -(flag ? 1 : 0) : (flag ? 1 : 0))
        case let .double(value): return .double(symbol == "-" ? -value : value)
        default:
            throw renderingError("bad operand type for unary \(symbol): '\(operand.typeName)'", at: location)
        }
    }

    func binary(_ symbol: String, _ left: RuntimeValue, _ right: RuntimeValue, at location: SourceLocation) throws(ChatTemplateError) -> RuntimeValue {
        if symbol == "~" { return .string(left.pythonString + right.pythonString) }
        if let reason = undefinedOperand(left, right) { throw renderingError(reason, at: location) }
        switch (symbol, left, right) {
        case let ("+", .string(a), .string(b)): return .string(a + b)
        case let ("+", .array(a), .array(b)): return .array(a + b)
        case let ("*", .string(text), .int(count)), let ("*", .int(count), .string(text)):
            try checkRepetition(text.unicodeScalars.count, count, at: location)
            return .string(String(repeating: text, count: max(count, 0)))
        case let ("*", .array(items), .int(count)), let ("*", .int(count), .array(items)):
            try checkRepetition(items.count, count, at: location)
            return .array(Array([[RuntimeValue]](repeating: items, count: max(count, 0)).joined()))
        case ("%", .string, _):
            throw ChatTemplateError.unsupported(
                construct: "printf-style string formatting with '%'", line: location.line, column: location.column,
                supported: ["'~' concatenation", "'+' concatenation"])
        default:
            break
        }
        // `integer` is non-nil only for ints and bools, Python's int family.
        if let a = left.integer, let b = right.integer {
            return try integerArithmetic(symbol, a, b, left, right, at: location)
        }
        guard let a = left.number, let b = right.number else { throw operandError(symbol, left, right, at: location) }
        switch symbol {
        case "+": return .double(a + b)
        case "-": return .double(a - b)
        case "*": return .double(a * b)
        case "/":
            guard b != 0 else { throw renderingError("float division by zero", at: location) }
            return .double(a / b)
        case "//":
            guard b != 0 else { throw renderingError("float floor division by zero", at: location) }
            return .double((a / b).rounded(.down))
        case "%":
            guard b != 0 else { throw renderingError("float modulo", at: location) }
            let remainder = fmod(a, b)
            return .double(remainder != 0 && (remainder < 0) != (b < 0) ? remainder + b : remainder)
        case "**": return .double(pow(a, b))
        default: throw operandError(symbol, left, right, at: location)
        }
    }

    private func integerArithmetic(
        _ symbol: String, _ a: Int, _ b: Int, _ left: RuntimeValue, _ right: RuntimeValue, at location: SourceLocation
    ) throws(ChatTemplateError) -> RuntimeValue {
        func checked(_ result: (partialValue: Int, overflow: Bool)) throws(ChatTemplateError) -> RuntimeValue {
            guard !result.overflow else { throw renderingError("integer overflow in '\(symbol)'", at: location) }
            return .int(result.partialValue)
        }
        switch symbol {
        case "+": return try checked(a.addingReportingOverflow(b))
        case "-": return try checked(a.subtractingReportingOverflow(b))
        case "*": return try checked(a.multipliedReportingOverflow(by: b))
        case "/":
            guard b != 0 else { throw renderingError("division by zero", at: location) }
            return .double(Double(a) / Double(b))
        case "//", "%":
            guard b != 0 else { throw renderingError("integer division or modulo by zero", at: location) }
            var quotient = a / b
            var remainder = a % b
            // Python floors toward negative infinity; Swift truncates toward zero.
            if remainder != 0 && (remainder < 0) != (b < 0) {
                quotient -= 1
                remainder += b
            }
            return .int(symbol == "//" ? quotient : remainder)
        case "**":
            if b < 0 { return .double(pow(Double(a), Double(b))) }
            // Square-and-multiply: a huge exponent on 0, 1 or -1 must not loop for ages.
            var result = 1
            var base = a
            var exponent = b
            while exponent > 0 {
                if exponent & 1 == 1 {
                    let next = result.multipliedReportingOverflow(by: base)
                    guard !next.overflow else { throw renderingError("integer overflow in '**'", at: location) }
                    result = next.partialValue
                }
                exponent >>= 1
                if exponent > 0 {
                    let squared = base.multipliedReportingOverflow(by: base)
                    guard !squared.overflow else { throw renderingError("integer overflow in '**'", at: location) }
                    base = squared.partialValue
                }
            }
            return .int(result)
        default:
            throw operandError(symbol, left, right, at: location)
        }
    }

    func compare(_ op: String, _ left: RuntimeValue, _ right: RuntimeValue, at location: SourceLocation) throws(ChatTemplateError) -> Bool {
        switch op {
        case "==": return left.isEqual(to: right)
        case "!=": return !left.isEqual(to: right)
        case "in": return try contains(right, left, at: location)
        case "not in": return !(try contains(right, left, at: location))
        default: break
        }
        if let reason = undefinedOperand(left, right) { throw renderingError(reason, at: location) }
        guard let order = try ordering(left, right) else {
            throw renderingError(
                "'\(op)' not supported between instances of '\(left.typeName)' and '\(right.typeName)'", at: location)
        }
        switch op {
        case "<": return order < 0
        case "<=": return order <= 0
        case ">": return order > 0
        default: return order >= 0
        }
    }

    /// -1, 0, 1 for comparable values; nil when Python would raise TypeError.
    func ordering(_ left: RuntimeValue, _ right: RuntimeValue) throws(ChatTemplateError) -> Int? {
        switch (left, right) {
        case let (.string(a), .string(b)):
            if a.unicodeScalars.elementsEqual(b.unicodeScalars) { return 0 }
            return a.unicodeScalars.lexicographicallyPrecedes(b.unicodeScalars) ? -1 : 1
        case let (.array(a), .array(b)):
            for (x, y) in zip(a, b) where !x.isEqual(to: y) { return try ordering(x, y) }
            return a.count == b.count ? 0 : (a.count < b.count ? -1 : 1)
        default:
            if let a = left.integer, let b = right.integer { return a == b ? 0 : (a < b ? -1 : 1) }
            guard let a = left.number, let b = right.number else { return nil }
            return a == b ? 0 : (a < b ? -1 : 1)
        }
    }

    /// Python `needle in container`.
    func contains(_ container: RuntimeValue, _ needle: RuntimeValue, at location: SourceLocation) throws(ChatTemplateError) -> Bool {
        switch container {
        case let .string(text):
            guard case let .string(part) = needle else {
                throw renderingError("'in <string>' requires string as left operand, not \(needle.typeName)", at: location)
            }
            if part.isEmpty { return true }
            return Array(text.unicodeScalars).firstRange(of: Array(part.unicodeScalars)) != nil
        case let .array(items):
            return items.contains { $0.isEqual(to: needle) }
        case let .dictionary(map):
            guard case let .string(key) = needle else { return false }
            return map[key] != nil
        case .undefined:
            return false
        case let .namespace(namespace):
            guard case let .string(key) = needle else { return false }
            return namespace.attributes[key] != nil
        default:
            throw renderingError("argument of type '\(container.typeName)' is not iterable", at: location)
        }
    }
}
