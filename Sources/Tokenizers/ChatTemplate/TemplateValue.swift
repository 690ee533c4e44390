/// A value handed to a chat template: the JSON-like data transformers passes to Jinja
/// (messages, tools, special tokens, extra variables).
///
/// Dictionaries keep insertion order, as Python dicts do, because templates iterate them and
/// `tojson` prints them in that order.
public enum TemplateValue: Sendable, Equatable {
    /// A Python `str`.
    case string(String)
    /// A Python `int`.
    case int(Int)
    /// A Python `float`.
    case double(Double)
    /// A Python `bool`.
    case bool(Bool)
    /// Python `None` (JSON `null`).
    case none
    /// A Python `list`.
    case array([TemplateValue])
    /// A Python `dict` with string keys, in insertion order.
    case dictionary(TemplateDictionary)
    /// A variable the template may test with `is defined`; renders as the empty string.
    case undefined
}

/// An insertion-ordered dictionary with string keys, like a Python `dict` built from JSON.
public struct TemplateDictionary: Sendable, Equatable {
    /// Keys in insertion order.
    public private(set) var keys: [String] = []
    private var storage: [String: TemplateValue] = [:]

    /// An empty dictionary.
    public init() {}

    /// A dictionary holding `pairs` in order; a repeated key keeps its first position and last value,
    /// as Python's `dict(pairs)` does.
    public init(_ pairs: [(String, TemplateValue)]) {
        for (key, value) in pairs { self[key] = value }
    }

    /// The value for `key`, or nil; setting nil removes the key.
    public subscript(key: String) -> TemplateValue? {
        get { storage[key] }
        set {
            if let newValue {
                if storage.updateValue(newValue, forKey: key) == nil { keys.append(key) }
            } else if storage.removeValue(forKey: key) != nil {
                keys.removeAll { $0 == key }
            }
        }
    }

    /// Key-value pairs in insertion order.
    public var pairs: [(key: String, value: TemplateValue)] {
        keys.map { ($0, storage[$0]!) }
    }

    /// Number of entries.
    public var count: Int { keys.count }

    /// Equal when both hold the same keys with equal values, whatever the order (Python `==`).
    public static func == (lhs: TemplateDictionary, rhs: TemplateDictionary) -> Bool {
        lhs.storage == rhs.storage
    }
}

extension TemplateDictionary: ExpressibleByDictionaryLiteral {
    /// Keeps the literal's order.
    public init(dictionaryLiteral elements: (String, TemplateValue)...) {
        self.init(elements)
    }
}

extension TemplateValue: ExpressibleByStringLiteral, ExpressibleByIntegerLiteral,
    ExpressibleByFloatLiteral, ExpressibleByBooleanLiteral, ExpressibleByArrayLiteral,
    ExpressibleByDictionaryLiteral, ExpressibleByNilLiteral
{
    /// `.string`.
    public init(stringLiteral value: String) { self = .string(value) }
    /// `.int`.
    public init(integerLiteral value: Int) { self = .int(value) }
    /// `.double`.
    public init(floatLiteral value: Double) { self = .double(value) }
    /// `.bool`.
    public init(booleanLiteral value: Bool) { self = .bool(value) }
    /// `.array`.
    public init(arrayLiteral elements: TemplateValue...) { self = .array(elements) }
    /// `.dictionary`, in literal order.
    public init(dictionaryLiteral elements: (String, TemplateValue)...) {
        self = .dictionary(TemplateDictionary(elements))
    }
    /// `.none`.
    public init(nilLiteral: ()) { self = .none }
}
