/// Attribute, item and slice access with Jinja's sandboxed `getattr` / `getitem` rules:
/// `a.b` tries the Python attribute (a method) then the item; `a[b]` tries the item then the
/// attribute; whatever is missing is `Undefined`, and only touching an `Undefined` fails.
extension TemplateInterpreter {
    /// Python attributes of `dict`; `d.items` is the method even when the dict has an `items` key.
    static let dictionaryAttributes: Set<String> = [
        "items", "keys", "values", "get", "copy", "pop", "popitem", "setdefault", "update", "clear", "fromkeys",
    ]
    static let stringAttributes: Set<String> = [
        "strip", "lstrip", "rstrip", "startswith", "endswith", "split", "rsplit", "splitlines", "upper",
        "lower", "title", "capitalize", "replace", "format", "join", "find", "rfind", "count", "index",
        "isdigit", "isalpha", "isalnum", "isspace", "islower", "isupper", "center", "zfill", "swapcase",
        "casefold", "encode", "ljust", "rjust", "partition", "rpartition", "expandtabs", "removeprefix",
        "removesuffix",
    ]
    static let listAttributes: Set<String> = [
        "append", "extend", "insert", "remove", "pop", "clear", "index", "count", "sort", "reverse", "copy",
    ]

    func attribute(of value: RuntimeValue, _ name: String, at location: SourceLocation) throws(ChatTemplateError) -> RuntimeValue {
        switch value {
        case let .undefined(reason):
            throw renderingError(reason, at: location)
        case let .dictionary(map):
            if TemplateInterpreter.dictionaryAttributes.contains(name) { return .method(value, name) }
            return map[name] ?? .undefined("'dict object' has no attribute '\(name)'")
        case .string:
            if TemplateInterpreter.stringAttributes.contains(name) { return .method(value, name) }
            return .undefined("'str object' has no attribute '\(name)'")
        case .array:
            if TemplateInterpreter.listAttributes.contains(name) { return .method(value, name) }
            return .undefined("'list object' has no attribute '\(name)'")
        case let .namespace(namespace):
            return namespace.attributes[name] ?? .undefined("'Namespace object' has no attribute '\(name)'")
        case let .loop(loop):
            if name == "cycle" { return .method(value, name) }
            return loop.attribute(name) ?? .undefined("'LoopContext object' has no attribute '\(name)'")
        default:
            return .undefined("'\(value.typeName) object' has no attribute '\(name)'")
        }
    }

    func item(of value: RuntimeValue, _ key: RuntimeValue, at location: SourceLocation) throws(ChatTemplateError) -> RuntimeValue {
        switch (value, key) {
        case let (.undefined(reason), _):
            throw renderingError(reason, at: location)
        case let (.dictionary(map), .string(name)):
            if let found = map[name] { return found }
            if TemplateInterpreter.dictionaryAttributes.contains(name) { return .method(value, name) }
            return .undefined("'dict object' has no attribute '\(name)'")
        case let (.array(items), _):
            guard let position = key.integer, case .int = key else {
                if case let .string(name) = key { return try attribute(of: value, name, at: location) }
                return .undefined("list indices must be integers")
            }
            let index = position < 0 ? items.count + position : position
            return items.indices.contains(index) ? items[index] : .undefined("list object has no element \(position)")
        case let (.string(text), .int(position)):
            let scalars = Array(text.unicodeScalars)
            let index = position < 0 ? scalars.count + position : position
            return scalars.indices.contains(index)
                ? .string(String(scalars[index])) : .undefined("str object has no element \(position)")
        case let (_, .string(name)):
            return try attribute(of: value, name, at: location)
        default:
            return .undefined("'\(value.typeName) object' has no element \(key.pythonRepr)")
        }
    }

    /// Python slicing (`slice.indices`) of lists and strings, negative steps included.
    func slice(
        _ value: RuntimeValue, start: RuntimeValue?, stop: RuntimeValue?, step: RuntimeValue?,
        at location: SourceLocation
    ) throws(ChatTemplateError) -> RuntimeValue {
        func bound(_ value: RuntimeValue?) throws(ChatTemplateError) -> Int? {
            guard let value else { return nil }
            if case .none = value { return nil }
            guard let integer = value.integer else {
                throw renderingError("slice indices must be integers or None", at: location)
            }
            return integer
        }
        let stepValue = try bound(step) ?? 1
        guard stepValue != 0 else { throw renderingError("slice step cannot be zero", at: location) }
        func indices(count: Int) throws(ChatTemplateError) -> [Int] {
            func clamp(_ raw: Int?, default fallback: Int) -> Int {
                guard var index = raw else { return fallback }
                if index < 0 { index += count }
                if stepValue > 0 { return min(max(index, 0), count) }
                return min(max(index, -1), count - 1)
            }
            let first = clamp(try bound(start), default: stepValue > 0 ? 0 : count - 1)
            let last = clamp(try bound(stop), default: stepValue > 0 ? count : -1)
            var result: [Int] = []
            var index = first
            while stepValue > 0 ? index < last : index > last {
                result.append(index)
                index += stepValue
            }
            return result
        }
        switch value {
        case let .array(items):
            return .array(try indices(count: items.count).map { items[$0] })
        case let .string(text):
            let scalars = Array(text.unicodeScalars)
            let picked = try indices(count: scalars.count).map { scalars[$0] }
            return .string(String(String.UnicodeScalarView(picked)))
        case let .undefined(reason):
            throw renderingError(reason, at: location)
        default:
            throw renderingError("'\(value.typeName)' object is not subscriptable", at: location)
        }
    }
}
