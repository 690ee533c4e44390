/// One message of a conversation, as a chat template sees it: a dict with `role`, `content`
/// and any extra fields (`tool_calls`, `tool_call_id`, `name`, ...), in that order.
public struct ChatMessage: Sendable, Equatable {
    /// `system`, `user`, `assistant`, `tool`, ...
    public var role: String
    /// Usually a string; `.none` for an assistant message that only carries tool calls,
    /// or a list of content parts for multimodal messages.
    public var content: TemplateValue
    /// Other fields, in the order the template should see them (e.g. `tool_calls`).
    public var fields: [(name: String, value: TemplateValue)]

    /// A message with text content and optional extra fields.
    public init(role: String, content: String, fields: [(name: String, value: TemplateValue)] = []) {
        self.init(role: role, content: .string(content), fields: fields)
    }

    /// A message with any content value and optional extra fields.
    public init(role: String, content: TemplateValue, fields: [(name: String, value: TemplateValue)] = []) {
        self.role = role
        self.content = content
        self.fields = fields
    }

    /// A message from a dict with at least `role` (a string); `content` defaults to `.none`.
    /// Returns nil when `role` is missing or not a string.
    public init?(_ dictionary: TemplateDictionary) {
        guard case let .string(role)? = dictionary["role"] else { return nil }
        self.role = role
        self.content = dictionary["content"] ?? .none
        self.fields = dictionary.pairs.filter { $0.key != "role" && $0.key != "content" }
            .map { (name: $0.key, value: $0.value) }
    }

    /// The dict the template receives: `role`, `content`, then the extra fields.
    public var templateValue: TemplateValue {
        var dictionary: TemplateDictionary = ["role": .string(role), "content": content]
        for field in fields { dictionary[field.name] = field.value }
        return .dictionary(dictionary)
    }

    /// Equal when role, content and fields (in order) are equal.
    public static func == (lhs: ChatMessage, rhs: ChatMessage) -> Bool {
        lhs.role == rhs.role && lhs.content == rhs.content
            && lhs.fields.map(\.name) == rhs.fields.map(\.name)
            && lhs.fields.map(\.value) == rhs.fields.map(\.value)
    }
}
