import Foundation

/// A chat template (the Jinja `chat_template` of tokenizer_config.json, chat_template.jinja or
/// GGUF `tokenizer.chat_template`), parsed once and rendered like transformers'
/// `apply_chat_template(..., tokenize=False)`.
///
/// Rendering matches transformers' environment: `trim_blocks` and `lstrip_blocks` on,
/// `keep_trailing_newline` off, `break`/`continue` available, `raise_exception(message)` and
/// `strftime_now(format)` as globals, `tojson` with `json.dumps` arguments, and `tools` and
/// `documents` defined (as none) even when not given. Constructs outside the supported subset
/// fail at parse time with their line and column.
public struct ChatTemplate: Sendable {
    /// The template text as given.
    public let source: String
    private let statements: [Statement]
    /// Time source for `strftime_now`; replace it in tests to pin the date.
    public var clock: @Sendable () -> Date = { Date() }

    /// Parses `source`.
    /// - Throws: `ChatTemplateError.syntax` or `.unsupported` with the line and column.
    public init(source: String) throws(ChatTemplateError) {
        self.source = source
        var lexer = TemplateLexer(source)
        var parser = TemplateParser(tokens: try lexer.tokenize())
        statements = try parser.parseTemplate()
    }

    /// Renders a conversation.
    /// - Parameters:
    ///   - messages: the conversation, passed to the template as `messages`.
    ///   - addGenerationPrompt: passed as `add_generation_prompt`.
    ///   - specialTokens: `bos_token`, `eos_token`, ... passed as variables of those names
    ///     (transformers passes the tokenizer's `special_tokens_map` this way).
    ///   - extra: further variables (`tools`, `documents`, `date_string`, ...); they override
    ///     special tokens of the same name, as transformers' keyword arguments do.
    /// - Throws: `ChatTemplateError.raisedByTemplate` when the template calls `raise_exception`,
    ///   `.rendering` / `.unsupported` with the line and column otherwise.
    public func render(
        messages: [ChatMessage], addGenerationPrompt: Bool, specialTokens: [String: String],
        extra: [String: TemplateValue] = [:]
    ) throws(ChatTemplateError) -> String {
        var variables: [String: RuntimeValue] = [
            "messages": .array(messages.map { RuntimeValue($0.templateValue) }),
            "add_generation_prompt": .bool(addGenerationPrompt),
            "tools": .none,
            "documents": .none,
        ]
        for (name, token) in specialTokens { variables[name] = .string(token) }
        for (name, value) in extra { variables[name] = RuntimeValue(value) }
        let interpreter = TemplateInterpreter(variables: variables, clock: clock)
        return try interpreter.render(statements)
    }
}
