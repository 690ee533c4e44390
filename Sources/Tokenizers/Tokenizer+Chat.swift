import Foundation

/// Why a conversation could not be turned into prompt ids.
public enum ChatPromptError: Error, Equatable, CustomStringConvertible {
    /// Neither tokenizer_config.json, chat_template.jinja nor GGUF `tokenizer.chat_template` gave a template.
    case noChatTemplate
    /// The template failed to parse or render.
    case template(ChatTemplateError)

    public var description: String {
        switch self {
        case .noChatTemplate:
            "the model has no chat template (tokenizer_config.json chat_template, chat_template.jinja or GGUF tokenizer.chat_template); drop --chat"
        case let .template(error): error.description
        }
    }
}

extension Tokenizer {
    /// Renders `messages` with the model's chat template and tokenizes the text the way
    /// transformers' `apply_chat_template(..., tokenize=True)` does: special tokens in the text are
    /// parsed, and none are added around it (the template writes its own BOS when it wants one).
    public func encodeChat(_ messages: [ChatMessage], addGenerationPrompt: Bool = true) throws(ChatPromptError) -> [Int] {
        guard let source = chatTemplate else { throw .noChatTemplate }
        let text: String
        do {
            let template = try ChatTemplate(source: source)
            text = try template.render(messages: messages, addGenerationPrompt: addGenerationPrompt,
                                       specialTokens: specialTokenStrings)
        } catch {
            throw .template(error)
        }
        return encode(text, addSpecialTokens: false)
    }
}
