import Foundation

/// Global functions (transformers' `raise_exception` and `strftime_now`, Jinja's `range`,
/// `namespace`, `dict`) and the Python methods templates call on strings, dicts and `loop`.
extension TemplateInterpreter {
    static let supportedStringMethods = [
        "strip", "lstrip", "rstrip", "startswith", "endswith", "split", "upper", "lower", "title", "capitalize",
        "replace", "join", "find", "count", "isdigit", "isalpha", "isalnum", "isspace", "islower", "isupper",
    ]
    static let supportedDictionaryMethods = ["items", "keys", "values", "get"]

    func call(
        _ function: RuntimeValue, _ positional: [RuntimeValue], _ keywords: OrderedMap<RuntimeValue>,
        at location: SourceLocation
    ) throws(ChatTemplateError) -> RuntimeValue {
        switch function {
        case let .function(name):
            return try callGlobal(name, positional, keywords, at: location)
        case let .method(receiver, name):
            return try callMethod(receiver, name, positional, keywords, at: location)
        case let .undefined(reason):
            throw renderingError(reason, at: location)
        default:
            throw renderingError("'\(function.typeName)' object is not callable", at: location)
        }
    }

    func stringArgument(_ value: RuntimeValue, _ role: String, at location: SourceLocation) throws(ChatTemplateError) -> String {
        guard case let .string(text) = value else {
            throw renderingError("\(role) must be a string, not '\(value.typeName)'", at: location)
        }
        return text
    }

    func integerArgument(_ value: RuntimeValue, _ role: String, at location: SourceLocation) throws(ChatTemplateError) -> Int {
        guard let integer = value.integer else {
            throw renderingError("\(role) must be an integer, not '\(value.typeName)'", at: location)
        }
        return integer
    }

    private func callGlobal(
        _ name: String, _ positional: [RuntimeValue], _ keywords: OrderedMap<RuntimeValue>, at location: SourceLocation
    ) throws(ChatTemplateError) -> RuntimeValue {
        switch name {
        case "raise_exception":
            throw .raisedByTemplate(message: positional.first?.pythonString ?? "")
        case "strftime_now":
            let format = try stringArgument(positional.first ?? .undefined("format"), "strftime_now format", at: location)
            let (text, badDirective) = Strftime.format(format, date: clock())
            guard let text else {
                throw ChatTemplateError.unsupported(
                    construct: "strftime directive '%\(badDirective ?? "?")'", line: location.line,
                    column: location.column, supported: Strftime.supportedDirectives.map { "%\($0)" })
            }
            return .string(text)
        case "range":
            guard (1...3).contains(positional.count) else {
                throw renderingError("range expects 1 to 3 integer arguments, got \(positional.count)", at: location)
            }
            var bounds: [Int] = []
            for value in positional { bounds.append(try integerArgument(value, "range argument", at: location)) }
            let (start, stop, step) = bounds.count == 1 ? (0, bounds[0], 1)
                : (bounds[0], bounds[1], bounds.count == 3 ? bounds[2] : 1)
            guard step != 0 else { throw renderingError("range() arg 3 must not be zero", at: location) }
            // Jinja's sandbox caps ranges at MAX_RANGE = 100000 items.
            let length = step > 0 ? max(0, (stop - start + step - 1) / step) : max(0, (start - stop - step - 1) / -step)
            guard length <= 100_000 else {
                throw renderingError("range too big, maximum size for range is 100000", at: location)
            }
            return .array((0..<length).map { .int(start + $0 * step) })
        case "namespace", "dict":
            var map = OrderedMap<RuntimeValue>()
            for value in positional {
                guard case let .dictionary(initial) = value else {
                    throw renderingError("\(name)() takes only a dict or keyword arguments", at: location)
                }
                for (key, item) in initial.pairs { map[key] = item }
            }
            for (key, item) in keywords.pairs { map[key] = item }
            if name == "dict" { return .dictionary(map) }
            let namespace = NamespaceObject()
            namespace.attributes = map
            return .namespace(namespace)
        default:
            throw ChatTemplateError.unsupported(
                construct: "function '\(name)'", line: location.line, column: location.column,
                supported: TemplateInterpreter.globalFunctions)
        }
    }

    private func callMethod(
        _ receiver: RuntimeValue, _ name: String, _ positional: [RuntimeValue], _ keywords: OrderedMap<RuntimeValue>,
        at location: SourceLocation
    ) throws(ChatTemplateError) -> RuntimeValue {
        func argument(_ position: Int, _ keyword: String) -> RuntimeValue? {
            position < positional.count ? positional[position] : keywords[keyword]
        }
        switch receiver {
        case let .string(text):
            switch name {
            case "strip", "lstrip", "rstrip":
                var characters: String?
                if let value = argument(0, "chars"), !(value.isNone) {
                    characters = try stringArgument(value, "\(name) argument", at: location)
                }
                return .string(PythonStrings.strip(
                    text, characters, leading: name != "rstrip", trailing: name != "lstrip"))
            case "startswith", "endswith":
                var candidates: [String] = []
                switch argument(0, "prefix") ?? .undefined("prefix") {
                case let .string(single): candidates = [single]
                case let .array(items):
                    for item in items { candidates.append(try stringArgument(item, "\(name) argument", at: location)) }
                default: throw renderingError("\(name) first arg must be str or a tuple of str", at: location)
                }
                let test = name == "startswith" ? PythonStrings.startsWith : PythonStrings.endsWith
                return .bool(candidates.contains { test(text, $0) })
            case "split":
                var separator: String?
                if let value = argument(0, "sep"), !value.isNone {
                    separator = try stringArgument(value, "split separator", at: location)
                    if separator!.isEmpty { throw renderingError("empty separator", at: location) }
                }
                let maxSplit = try argument(1, "maxsplit").map { v throws(ChatTemplateError) in try integerArgument(v, "maxsplit", at: location) } ?? -1
                return .array(PythonStrings.split(text, separator: separator, maxSplit: maxSplit).map { .string($0) })
            case "upper": return .string(PythonStrings.upper(text))
            case "lower": return .string(PythonStrings.lower(text))
            case "title": return .string(PythonStrings.pythonTitle(text))
            case "capitalize": return .string(PythonStrings.capitalize(text))
            case "replace":
                let old = try stringArgument(argument(0, "old") ?? .undefined("old"), "replace old", at: location)
                let new = try stringArgument(argument(1, "new") ?? .undefined("new"), "replace new", at: location)
                let count = try argument(2, "count").map { v throws(ChatTemplateError) in try integerArgument(v, "count", at: location) } ?? -1
                return .string(PythonStrings.replace(text, old, new, count: count))
            case "join":
                var parts: [String] = []
                for item in try iterate(argument(0, "iterable") ?? .undefined("iterable"), at: location) {
                    parts.append(try stringArgument(item, "join item", at: location))
                }
                return .string(parts.joined(separator: text))
            case "find", "count":
                let needle = try stringArgument(argument(0, "sub") ?? .undefined("sub"), "\(name) argument", at: location)
                return .int(name == "find" ? PythonStrings.find(text, needle) : PythonStrings.count(text, needle))
            case "isdigit", "isalpha", "isalnum", "isspace", "islower", "isupper":
                return .bool(characterClassTest(name, text))
            default:
                break
            }
            throw ChatTemplateError.unsupported(
                construct: "str method '\(name)'", line: location.line, column: location.column,
                supported: TemplateInterpreter.supportedStringMethods)
        case let .dictionary(map):
            switch name {
            case "items": return .array(map.pairs.map { .array([.string($0.key), $0.value]) })
            case "keys": return .array(map.keys.map { .string($0) })
            case "values": return .array(map.values)
            case "get":
                let key = argument(0, "key") ?? .undefined("key")
                if case let .string(name) = key, let found = map[name] { return found }
                return argument(1, "default") ?? .none
            default:
                throw ChatTemplateError.unsupported(
                    construct: "dict method '\(name)'", line: location.line, column: location.column,
                    supported: TemplateInterpreter.supportedDictionaryMethods)
            }
        case let .loop(loop) where name == "cycle":
            guard !positional.isEmpty else { throw renderingError("no items for cycling given", at: location) }
            return positional[loop.index0 % positional.count]
        default:
            throw ChatTemplateError.unsupported(
                construct: "\(receiver.typeName) method '\(name)'", line: location.line, column: location.column,
                supported: TemplateInterpreter.supportedStringMethods.map { "str.\($0)" }
                    + TemplateInterpreter.supportedDictionaryMethods.map { "dict.\($0)" } + ["loop.cycle"])
        }
    }

    /// Python's `str.isdigit()` and friends (false for the empty string).
    private func characterClassTest(_ name: String, _ text: String) -> Bool {
        let scalars = Array(text.unicodeScalars)
        switch name {
        case "isdigit": return !scalars.isEmpty && scalars.allSatisfy { $0.properties.numericType == .decimal || $0.properties.numericType == .digit }
        case "isalpha": return !scalars.isEmpty && scalars.allSatisfy { $0.properties.isAlphabetic }
        case "isalnum": return !scalars.isEmpty && scalars.allSatisfy { $0.properties.isAlphabetic || $0.properties.numericType != nil }
        case "isspace": return !scalars.isEmpty && scalars.allSatisfy(isPythonWhitespace)
        case "islower":
            let cased = scalars.filter { $0.properties.isCased }
            return !cased.isEmpty && cased.allSatisfy { $0.properties.isLowercase }
        default:
            let cased = scalars.filter { $0.properties.isCased }
            return !cased.isEmpty && cased.allSatisfy { $0.properties.isUppercase }
        }
    }
}

extension RuntimeValue {
    var isNone: Bool {
        if case .none = self { return true }
        return false
    }
}
