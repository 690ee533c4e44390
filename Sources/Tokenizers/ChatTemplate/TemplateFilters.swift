import Foundation

/// Names of the filters (`value | name`) the interpreter implements: Jinja's built-ins from
/// `jinja2/filters.py` that chat templates use, plus transformers' `tojson`.
enum TemplateFilters {
    static let supportedNames: Set<String> = [
        "trim", "tojson", "length", "count", "upper", "lower", "capitalize", "title", "default", "d", "join",
        "first", "last", "list", "string", "int", "float", "items", "selectattr", "rejectattr", "select",
        "reject", "map", "replace", "round", "abs", "safe", "unique", "reverse", "sort", "sum",
    ]
}

extension TemplateInterpreter {
    func applyFilter(
        _ name: String, _ value: RuntimeValue, _ positional: [RuntimeValue], _ keywords: OrderedMap<RuntimeValue>,
        at location: SourceLocation
    ) throws(ChatTemplateError) -> RuntimeValue {
        func argument(_ position: Int, _ keyword: String) -> RuntimeValue? {
            position < positional.count ? positional[position] : keywords[keyword]
        }
        switch name {
        case "trim":
            var characters: String?
            if let chars = argument(0, "chars"), !chars.isNone { characters = chars.pythonString }
            return .string(PythonStrings.strip(value.pythonString, characters, leading: true, trailing: true))
        case "upper": return .string(PythonStrings.upper(value.pythonString))
        case "lower": return .string(PythonStrings.lower(value.pythonString))
        case "capitalize": return .string(PythonStrings.capitalize(value.pythonString))
        case "title": return .string(PythonStrings.jinjaTitle(value.pythonString))
        case "string", "safe":
            if name == "safe", case .string = value { return value }
            return .string(value.pythonString)
        case "length", "count":
            switch value {
            case let .string(text): return .int(text.unicodeScalars.count)
            case let .array(items): return .int(items.count)
            case let .dictionary(map): return .int(map.count)
            case .undefined: return .int(0)
            case let .namespace(namespace): return .int(namespace.attributes.count)
            default: throw renderingError("object of type '\(value.typeName)' has no len()", at: location)
            }
        case "default", "d":
            let fallback = argument(0, "default_value") ?? .string("")
            let boolean = argument(1, "boolean")?.isTruthy ?? false
            if value.isUndefined || (boolean && !value.isTruthy) { return fallback }
            return value
        case "join":
            var items = try iterate(value, at: location)
            if let attribute = argument(1, "attribute") {
                var mapped: [RuntimeValue] = []
                for item in items { mapped.append(try attributePath(item, attribute, at: location)) }
                items = mapped
            }
            let separator = argument(0, "d")?.pythonString ?? ""
            return .string(items.map(\.pythonString).joined(separator: separator))
        case "first":
            return try iterate(value, at: location).first ?? .undefined("No first item, sequence was empty.")
        case "last":
            return try iterate(value, at: location).last ?? .undefined("No last item, sequence was empty.")
        case "list":
            return .array(try iterate(value, at: location))
        case "reverse":
            if case let .string(text) = value { return .string(PythonStrings.string(text.unicodeScalars.reversed())) }
            return .array(try iterate(value, at: location).reversed())
        case "int":
            return .int(integerConversion(value, base: argument(1, "base")?.integer ?? 10)
                ?? argument(0, "default")?.integer ?? 0)
        case "float":
            return .double(floatConversion(value) ?? argument(0, "default")?.number ?? 0)
        case "abs":
            switch value {
            case let .int(number): return .int(abs(number))
            case let .bool(flag): return .int(flag ? 1 : 0)
            case let .double(number): return .double(abs(number))
            default: throw renderingError("bad operand type for abs(): '\(value.typeName)'", at: location)
            }
        case "round":
            return try round(value, precision: argument(0, "precision")?.integer ?? 0,
                             method: argument(1, "method")?.pythonString ?? "common", at: location)
        case "items":
            switch value {
            case let .dictionary(map): return .array(map.pairs.map { .array([.string($0.key), $0.value]) })
            case .undefined: return .array([])
            default: throw renderingError("Can only get item pairs from a mapping.", at: location)
            }
        case "replace":
            let old = argument(0, "old")?.pythonString ?? ""
            let new = argument(1, "new")?.pythonString ?? ""
            let count = argument(2, "count").flatMap(\.integer) ?? -1
            return .string(PythonStrings.replace(value.pythonString, old, new, count: count))
        case "selectattr", "rejectattr", "select", "reject":
            return try selectFilter(name, value, positional, at: location)
        case "map":
            return try mapFilter(value, positional, keywords, at: location)
        case "unique", "sort":
            return try uniqueOrSort(name, value, keywords, positional, at: location)
        case "sum":
            var total: RuntimeValue = argument(1, "start") ?? .int(0)
            for item in try iterate(value, at: location) {
                let term = try argument(0, "attribute").map { a throws(ChatTemplateError) in try attributePath(item, a, at: location) } ?? item
                total = try binary("+", total, term, at: location)
            }
            return total
        case "tojson":
            return try toJSON(value, argument: argument, at: location)
        default:
            throw ChatTemplateError.unsupported(
                construct: "filter '\(name)'", line: location.line, column: location.column,
                supported: TemplateFilters.supportedNames.sorted())
        }
    }

    /// Jinja's `make_attrgetter`: a dotted path looked up with `getitem` at each step.
    func attributePath(_ item: RuntimeValue, _ path: RuntimeValue, at location: SourceLocation) throws(ChatTemplateError) -> RuntimeValue {
        if let index = path.integer, case .int = path { return try self.item(of: item, .int(index), at: location) }
        var current = item
        for part in path.pythonString.split(separator: ".", omittingEmptySubsequences: false) {
            let key: RuntimeValue = Int(part).map { .int($0) } ?? .string(String(part))
            if current.isUndefined { return current }
            current = try self.item(of: current, key, at: location)
        }
        return current
    }

    private func selectFilter(
        _ name: String, _ value: RuntimeValue, _ positional: [RuntimeValue], at location: SourceLocation
    ) throws(ChatTemplateError) -> RuntimeValue {
        let byAttribute = name.hasSuffix("attr")
        let keep = name.hasPrefix("select")
        var arguments = positional
        var attribute: RuntimeValue?
        if byAttribute {
            guard !arguments.isEmpty else { throw renderingError("\(name) needs an attribute name", at: location) }
            attribute = arguments.removeFirst()
        }
        var testName: String?
        if !arguments.isEmpty { testName = arguments.removeFirst().pythonString }
        if let testName, !TemplatePredicates.supportedNames.contains(testName) {
            throw ChatTemplateError.unsupported(
                construct: "test '\(testName)'", line: location.line, column: location.column,
                supported: TemplatePredicates.supportedNames.sorted())
        }
        var result: [RuntimeValue] = []
        for item in try iterate(value, at: location) {
            let subject = try attribute.map { a throws(ChatTemplateError) in try attributePath(item, a, at: location) } ?? item
            let passed = try testName.map { t throws(ChatTemplateError) in try applyTest(t, subject, arguments, at: location) } ?? subject.isTruthy
            if passed == keep { result.append(item) }
        }
        return .array(result)
    }

    private func mapFilter(
        _ value: RuntimeValue, _ positional: [RuntimeValue], _ keywords: OrderedMap<RuntimeValue>, at location: SourceLocation
    ) throws(ChatTemplateError) -> RuntimeValue {
        let items = try iterate(value, at: location)
        if let attribute = keywords["attribute"] {
            var result: [RuntimeValue] = []
            for item in items {
                var mapped = try attributePath(item, attribute, at: location)
                if mapped.isUndefined, let fallback = keywords["default"] { mapped = fallback }
                result.append(mapped)
            }
            return .array(result)
        }
        guard let filterName = positional.first?.pythonString, TemplateFilters.supportedNames.contains(filterName) else {
            throw ChatTemplateError.unsupported(
                construct: "map without attribute= or a supported filter name", line: location.line,
                column: location.column, supported: TemplateFilters.supportedNames.sorted())
        }
        var result: [RuntimeValue] = []
        for item in items {
            result.append(try applyFilter(filterName, item, Array(positional.dropFirst()), keywords, at: location))
        }
        return .array(result)
    }

    private func uniqueOrSort(
        _ name: String, _ value: RuntimeValue, _ keywords: OrderedMap<RuntimeValue>, _ positional: [RuntimeValue],
        at location: SourceLocation
    ) throws(ChatTemplateError) -> RuntimeValue {
        let caseSensitive = keywords["case_sensitive"]?.isTruthy ?? (name == "unique" ? positional.first?.isTruthy : positional.dropFirst().first?.isTruthy) ?? false
        let attribute = keywords["attribute"]
        let items = try iterate(value, at: location)
        func key(_ item: RuntimeValue) throws(ChatTemplateError) -> RuntimeValue {
            let subject = try attribute.map { a throws(ChatTemplateError) in try attributePath(item, a, at: location) } ?? item
            if !caseSensitive, case let .string(text) = subject { return .string(text.lowercased()) }
            return subject
        }
        if name == "unique" {
            var seen: [RuntimeValue] = []
            var result: [RuntimeValue] = []
            for item in items {
                let itemKey = try key(item)
                if !seen.contains(where: { $0.isEqual(to: itemKey) }) {
                    seen.append(itemKey)
                    result.append(item)
                }
            }
            return .array(result)
        }
        var keyed: [(key: RuntimeValue, item: RuntimeValue)] = []
        for item in items { keyed.append((try key(item), item)) }
        // Insertion sort is stable in both directions, as Python's sorted(reverse=...) is,
        // and lets comparison errors propagate.
        let reverse = keywords["reverse"]?.isTruthy ?? positional.first?.isTruthy ?? false
        var sorted: [(key: RuntimeValue, item: RuntimeValue)] = []
        for entry in keyed {
            var position = sorted.count
            while position > 0 {
                guard let order = try ordering(sorted[position - 1].key, entry.key) else {
                    throw renderingError("'<' not supported between these sort keys", at: location)
                }
                if reverse ? order >= 0 : order <= 0 { break }
                position -= 1
            }
            sorted.insert(entry, at: position)
        }
        return .array(sorted.map(\.item))
    }
}
