/// An insertion-ordered map with string keys (a Python dict as the interpreter sees it).
struct OrderedMap<Value> {
    private(set) var keys: [String] = []
    private var storage: [String: Value] = [:]

    init() {}

    subscript(key: String) -> Value? {
        get { storage[key] }
        set {
            if let newValue {
                if storage.updateValue(newValue, forKey: key) == nil { keys.append(key) }
            } else if storage.removeValue(forKey: key) != nil {
                keys.removeAll { $0 == key }
            }
        }
    }

    var pairs: [(key: String, value: Value)] { keys.map { ($0, storage[$0]!) } }
    var values: [Value] { keys.map { storage[$0]! } }
    var count: Int { keys.count }
}

/// Jinja's `namespace()`: a mutable attribute bag shared by reference, so `{% set ns.x = ... %}`
/// inside a loop is visible after it.
final class NamespaceObject {
    var attributes = OrderedMap<RuntimeValue>()
}

/// The `loop` variable inside `{% for %}`.
final class LoopObject {
    let items: [RuntimeValue]
    var index0 = 0
    init(items: [RuntimeValue]) { self.items = items }

    func attribute(_ name: String) -> RuntimeValue? {
        let length = items.count
        switch name {
        case "index": return .int(index0 + 1)
        case "index0": return .int(index0)
        case "revindex": return .int(length - index0)
        case "revindex0": return .int(length - index0 - 1)
        case "first": return .bool(index0 == 0)
        case "last": return .bool(index0 == length - 1)
        case "length": return .int(length)
        case "depth": return .int(1)
        case "depth0": return .int(0)
        case "previtem":
            return index0 > 0 ? items[index0 - 1] : .undefined("there is no previous item")
        case "nextitem":
            return index0 + 1 < length ? items[index0 + 1] : .undefined("there is no next item")
        default: return nil
        }
    }
}

/// A value during rendering: the JSON-like data plus Jinja's own objects.
indirect enum RuntimeValue {
    /// Jinja's `Undefined`; the text says what was missing, for error messages.
    case undefined(String)
    case none
    case bool(Bool)
    case int(Int)
    case double(Double)
    case string(String)
    case array([RuntimeValue])
    case dictionary(OrderedMap<RuntimeValue>)
    case namespace(NamespaceObject)
    case loop(LoopObject)
    /// A global function: `raise_exception`, `strftime_now`, `range`, `namespace`, `dict`.
    case function(String)
    /// A method looked up on a value, e.g. `message.content.strip`.
    case method(RuntimeValue, String)

    init(_ value: TemplateValue) {
        switch value {
        case let .string(text): self = .string(text)
        case let .int(number): self = .int(number)
        case let .double(number): self = .double(number)
        case let .bool(flag): self = .bool(flag)
        case .none: self = .none
        case let .array(items): self = .array(items.map(RuntimeValue.init))
        case let .dictionary(dictionary):
            var map = OrderedMap<RuntimeValue>()
            for (key, item) in dictionary.pairs { map[key] = RuntimeValue(item) }
            self = .dictionary(map)
        case .undefined: self = .undefined("value is undefined")
        }
    }

    init(_ literal: LiteralValue) {
        switch literal {
        case .none: self = .none
        case let .bool(flag): self = .bool(flag)
        case let .int(number): self = .int(number)
        case let .double(number): self = .double(number)
        case let .string(text): self = .string(text)
        }
    }

    var isUndefined: Bool {
        if case .undefined = self { return true }
        return false
    }

    /// Python truthiness (`Undefined` is false).
    var isTruthy: Bool {
        switch self {
        case .undefined, .none: return false
        case let .bool(flag): return flag
        case let .int(number): return number != 0
        case let .double(number): return number != 0
        case let .string(text): return !text.isEmpty
        case let .array(items): return !items.isEmpty
        case let .dictionary(map): return map.count > 0
        case .namespace, .loop, .function, .method: return true
        }
    }

    /// Python's type name, for error messages that match Python's wording.
    var typeName: String {
        switch self {
        case .undefined: return "Undefined"
        case .none: return "NoneType"
        case .bool: return "bool"
        case .int: return "int"
        case .double: return "float"
        case .string: return "str"
        case .array: return "list"
        case .dictionary: return "dict"
        case .namespace: return "Namespace"
        case .loop: return "LoopContext"
        case .function, .method: return "builtin_function_or_method"
        }
    }

    /// Numeric value for arithmetic; bools count as 0/1 as in Python.
    var number: Double? {
        switch self {
        case let .int(value): return Double(value)
        case let .double(value): return value
        case let .bool(flag): return flag ? 1 : 0
        default: return nil
        }
    }

    var integer: Int? {
        switch self {
        case let .int(value): return value
        case let .bool(flag): return flag ? 1 : 0
        default: return nil
        }
    }

    /// Python `==`: numbers across int/float/bool, exact code-point string equality,
    /// element-wise lists and dicts; `Undefined == Undefined` is true.
    func isEqual(to other: RuntimeValue) -> Bool {
        switch (self, other) {
        case (.undefined, .undefined), (.none, .none): return true
        case let (.string(left), .string(right)):
            return left.unicodeScalars.elementsEqual(right.unicodeScalars)
        case let (.array(left), .array(right)):
            return left.count == right.count && zip(left, right).allSatisfy { $0.isEqual(to: $1) }
        case let (.dictionary(left), .dictionary(right)):
            guard left.count == right.count else { return false }
            return left.pairs.allSatisfy { pair in right[pair.key].map { pair.value.isEqual(to: $0) } ?? false }
        case let (.namespace(left), .namespace(right)): return left === right
        case let (.loop(left), .loop(right)): return left === right
        case let (.function(left), .function(right)): return left == right
        default:
            if let left = integer, let right = other.integer { return left == right }
            if let left = number, let right = other.number { return left == right }
            return false
        }
    }

    /// Python `str(value)`; `Undefined` renders as the empty string.
    var pythonString: String {
        switch self {
        case .undefined: return ""
        case let .string(text): return text
        default: return pythonRepr
        }
    }

    /// Python `repr(value)`, as used for items inside a printed list or dict.
    var pythonRepr: String {
        switch self {
        case .undefined: return "Undefined"
        case .none: return "None"
        case let .bool(flag): return flag ? "True" : "False"
        case let .int(number): return String(number)
        case let .double(number): return pythonFloatRepr(number)
        case let .string(text): return pythonStringRepr(text)
        case let .array(items): return "[" + items.map(\.pythonRepr).joined(separator: ", ") + "]"
        case let .dictionary(map):
            return "{" + map.pairs.map { pythonStringRepr($0.key) + ": " + $0.value.pythonRepr }
                .joined(separator: ", ") + "}"
        case let .namespace(object):
            return "<Namespace " + RuntimeValue.dictionary(object.attributes).pythonRepr + ">"
        case let .loop(object): return "<LoopContext \(object.index0 + 1)/\(object.items.count)>"
        case let .function(name): return "<built-in function \(name)>"
        case let .method(_, name): return "<built-in method \(name)>"
        }
    }
}
