import Foundation
import Testing

@testable import Tokenizers

/// Renders every case of Fixtures/chat_templates/*.json (written by
/// Scripts/fixtures/make_chat_template_goldens.py with transformers' render_jinja_template)
/// and compares the text exactly, or checks that the same exception is raised.
struct ChatTemplateGoldenTests {
    static let families = [
        "smollm2", "qwen2", "qwen2.5", "phi3", "llama2", "llama3", "llama3.1", "mistral-v0.1", "mistral-v0.3",
    ]

    struct Fixture {
        var template: String
        var specialTokens: [String: String]
        var cases: [TemplateDictionary]
    }

    static func loadFixture(_ family: String) throws -> Fixture {
        let url = Bundle.module.resourceURL!.appendingPathComponent("Fixtures/chat_templates/\(family).json")
        let text = try String(contentsOf: url, encoding: .utf8)
        guard case let .dictionary(root) = try TemplateValue(json: text),
            case let .string(template)? = root["template"],
            case let .dictionary(tokens)? = root["special_tokens"],
            case let .array(cases)? = root["cases"]
        else { throw FixtureError.malformed(family) }
        var specialTokens: [String: String] = [:]
        for (name, value) in tokens.pairs {
            if case let .string(token) = value { specialTokens[name] = token }
        }
        return Fixture(
            template: template, specialTokens: specialTokens,
            cases: cases.compactMap { if case let .dictionary(item) = $0 { return item } else { return nil } })
    }

    enum FixtureError: Error { case malformed(String) }

    @Test(arguments: families)
    func rendersLikeTransformers(family: String) throws {
        let fixture = try Self.loadFixture(family)
        let template = try ChatTemplate(source: fixture.template)
        #expect(fixture.cases.count >= 8)
        for testCase in fixture.cases {
            guard case let .string(name)? = testCase["name"], case let .array(rawMessages)? = testCase["messages"],
                case let .bool(addGenerationPrompt)? = testCase["add_generation_prompt"],
                case let .dictionary(extraValues)? = testCase["extra"]
            else { throw FixtureError.malformed("\(family) case") }
            let messages = rawMessages.compactMap { value -> ChatMessage? in
                guard case let .dictionary(fields) = value else { return nil }
                return ChatMessage(fields)
            }
            #expect(messages.count == rawMessages.count)
            var extra: [String: TemplateValue] = [:]
            for (key, value) in extraValues.pairs { extra[key] = value }
            let result = Result { () throws(ChatTemplateError) -> String in
                try template.render(
                    messages: messages, addGenerationPrompt: addGenerationPrompt,
                    specialTokens: fixture.specialTokens, extra: extra)
            }
            if case let .string(expected)? = testCase["expected"] {
                switch result {
                case let .success(rendered):
                    #expect(rendered == expected, "\(family)/\(name)")
                case let .failure(error):
                    Issue.record("\(family)/\(name) threw \(error)")
                }
            } else if case let .dictionary(expectedError)? = testCase["expected_error"],
                case let .string(message)? = expectedError["message"]
            {
                switch result {
                case .success(let rendered):
                    Issue.record("\(family)/\(name) rendered \(rendered.debugDescription) but transformers raised \(message)")
                case let .failure(error):
                    #expect(error == .raisedByTemplate(message: message), "\(family)/\(name)")
                }
            } else {
                throw FixtureError.malformed("\(family)/\(name) has neither expected nor expected_error")
            }
        }
    }
}
