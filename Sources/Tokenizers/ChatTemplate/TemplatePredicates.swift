/// Names of the Jinja tests (`x is name`) the interpreter implements, as in `jinja2/tests.py`.
enum TemplatePredicates {
    static let supportedNames: Set<String> = [
        "defined", "undefined", "none", "boolean", "true", "false", "integer", "float", "number", "string",
        "mapping", "iterable", "sequence", "callable", "sameas", "odd", "even", "divisibleby", "lower", "upper",
        "eq", "equalto", "==", "ne", "!=", "lt", "lessthan", "<", "le", "<=", "gt", "greaterthan", ">", "ge", ">=",
        "in",
    ]
}

extension TemplateInterpreter {
    /// Evaluates `value is name(arguments)`.
    func applyTest(_ name: String, _ value: RuntimeValue, _ arguments: [RuntimeValue], at location: SourceLocation) throws(ChatTemplateError) -> Bool {
        func argument() throws(ChatTemplateError) -> RuntimeValue {
            guard let first = arguments.first else {
                throw renderingError("test '\(name)' needs an argument", at: location)
            }
            return first
        }
        switch name {
        case "defined": return !value.isUndefined
        case "undefined": return value.isUndefined
        case "none": return value.isNone
        case "boolean": if case .bool = value { return true } else { return false }
        case "true": if case .bool(true) = value { return true } else { return false }
        case "false": if case .bool(false) = value { return true } else { return false }
        case "integer": if case .int = value { return true } else { return false }
        case "float": if case .double = value { return true } else { return false }
        // Python's numbers.Number includes bool.
        case "number": return value.number != nil
        case "string": if case .string = value { return true } else { return false }
        case "mapping": if case .dictionary = value { return true } else { return false }
        case "iterable":
            switch value {
            case .string, .array, .dictionary, .undefined, .loop: return true
            default: return false
            }
        case "sequence":
            switch value {
            case .string, .array, .dictionary, .undefined: return true
            default: return false
            }
        case "callable":
            switch value {
            case .function, .method: return true
            default: return false
            }
        case "sameas":
            let other = try argument()
            switch (value, other) {
            case (.none, .none), (.undefined, .undefined): return true
            case let (.bool(a), .bool(b)): return a == b
            case let (.namespace(a), .namespace(b)): return a === b
            case (.int, .int), (.string, .string): return value.isEqual(to: other)
            default: return false
            }
        case "odd", "even":
            guard case let .int(number) = value else {
                throw renderingError("test '\(name)' needs an integer, not '\(value.typeName)'", at: location)
            }
            return (abs(number % 2) == 1) == (name == "odd")
        case "divisibleby":
            guard let number = value.integer, let divisor = try argument().integer, divisor != 0 else {
                throw renderingError("test 'divisibleby' needs integers and a non-zero divisor", at: location)
            }
            return number % divisor == 0
        case "lower", "upper":
            let text = value.pythonString
            let cased = text.unicodeScalars.filter { $0.properties.isCased }
            return !cased.isEmpty
                && cased.allSatisfy { name == "lower" ? $0.properties.isLowercase : $0.properties.isUppercase }
        case "eq", "equalto", "==": return value.isEqual(to: try argument())
        case "ne", "!=": return !value.isEqual(to: try argument())
        case "lt", "lessthan", "<": return try compare("<", value, try argument(), at: location)
        case "le", "<=": return try compare("<=", value, try argument(), at: location)
        case "gt", "greaterthan", ">": return try compare(">", value, try argument(), at: location)
        case "ge", ">=": return try compare(">=", value, try argument(), at: location)
        case "in": return try contains(try argument(), value, at: location)
        default:
            throw ChatTemplateError.unsupported(
                construct: "test '\(name)'", line: location.line, column: location.column,
                supported: TemplatePredicates.supportedNames.sorted())
        }
    }
}
