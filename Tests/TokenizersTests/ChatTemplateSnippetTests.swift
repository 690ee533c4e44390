import Foundation
import Testing

@testable import Tokenizers

/// Small templates rendered by transformers' compiled Jinja environment
/// (Fixtures/chat_templates/snippets.json): whitespace control, loop variables, scoping,
/// namespace, operators, slicing, printing, filters, tests, methods and error messages.
struct ChatTemplateSnippetTests {
    struct Snippet: CustomTestStringConvertible, Sendable {
        var name: String
        var template: String
        var expected: String?
        var errorType: String?
        var errorMessage: String?
        var testDescription: String { name }
    }

    static let fixture: (variables: [String: TemplateValue], snippets: [Snippet]) = {
        let url = Bundle.module.resourceURL!.appendingPathComponent("Fixtures/chat_templates/snippets.json")
        guard let text = try? String(contentsOf: url, encoding: .utf8),
            case let .dictionary(root)? = try? TemplateValue(json: text),
            case let .dictionary(variables)? = root["variables"], case let .array(cases)? = root["cases"]
        else { return ([:], []) }
        var values: [String: TemplateValue] = [:]
        for (key, value) in variables.pairs { values[key] = value }
        let snippets = cases.compactMap { value -> Snippet? in
            guard case let .dictionary(item) = value, case let .string(name)? = item["name"],
                case let .string(template)? = item["template"]
            else { return nil }
            var snippet = Snippet(name: name, template: template)
            if case let .string(expected)? = item["expected"] { snippet.expected = expected }
            if case let .dictionary(error)? = item["expected_error"],
                case let .string(type)? = error["type"], case let .string(message)? = error["message"]
            {
                snippet.errorType = type
                snippet.errorMessage = message
            }
            return snippet
        }
        return (values, snippets)
    }()

    @Test func fixtureIsPresent() {
        #expect(Self.fixture.snippets.count >= 50)
    }

    @Test(arguments: fixture.snippets)
    func rendersLikeJinja(snippet: Snippet) throws {
        let template = try ChatTemplate(source: snippet.template)
        let result = Result { () throws(ChatTemplateError) -> String in
            try template.render(
                messages: [], addGenerationPrompt: false, specialTokens: [:], extra: Self.fixture.variables)
        }
        switch (result, snippet.expected) {
        case let (.success(rendered), expected?):
            #expect(rendered == expected)
        case let (.success(rendered), nil):
            Issue.record("rendered \(rendered.debugDescription); Jinja raised \(snippet.errorType ?? "?"): \(snippet.errorMessage ?? "")")
        case let (.failure(error), nil):
            if snippet.errorType == "TemplateError" {
                #expect(error == .raisedByTemplate(message: snippet.errorMessage ?? ""))
            } else if case let .rendering(message, _, _) = error {
                #expect(message == snippet.errorMessage)
            } else {
                Issue.record("threw \(error); Jinja raised \(snippet.errorType ?? "?"): \(snippet.errorMessage ?? "")")
            }
        case let (.failure(error), expected?):
            Issue.record("threw \(error); Jinja rendered \(expected.debugDescription)")
        }
    }
}
