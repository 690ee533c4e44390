import Testing

@testable import Tokenizers

/// Constructs outside the subset and malformed templates fail with the construct and its
/// line:column, at parse time where Jinja would also fail at compile time.
struct ChatTemplateErrorTests {
    static func parseError(_ source: String) -> ChatTemplateError? {
        do {
            _ = try ChatTemplate(source: source)
            return nil
        } catch {
            return error
        }
    }

    static func renderError(_ source: String, extra: [String: TemplateValue] = [:]) -> ChatTemplateError? {
        do {
            let template = try ChatTemplate(source: source)
            _ = try template.render(messages: [], addGenerationPrompt: false, specialTokens: [:], extra: extra)
            return nil
        } catch {
            return error
        }
    }

    @Test func unsupportedFilterNamesItsPositionAndAlternatives() throws {
        let error = try #require(Self.parseError("{{ x | xmlattr }}"))
        guard case let .unsupported(construct, line, column, supported) = error else {
            Issue.record("expected .unsupported, got \(error)")
            return
        }
        #expect(construct == "filter 'xmlattr'")
        #expect(line == 1 && column == 8)
        #expect(supported.contains("tojson") && supported.contains("selectattr"))
        #expect(error.description.hasPrefix("chat template uses unsupported filter 'xmlattr' at 1:8; supported: "))
    }

    @Test func unsupportedTagsAreRejected() throws {
        let macro = try #require(Self.parseError("{% macro f() %}x{% endmacro %}"))
        #expect(macro == .unsupported(
            construct: "tag 'macro'", line: 1, column: 4, supported: TemplateParser.supportedTags))
        let include = try #require(Self.parseError("a\n\n  {% include 'other.jinja' %}"))
        guard case .unsupported("tag 'include'", 3, 6, _) = include else {
            Issue.record("got \(include)")
            return
        }
    }

    @Test func unsupportedTestOnSecondLine() throws {
        let error = try #require(Self.parseError("line one\n  {{ x is foo }}"))
        guard case .unsupported("test 'foo'", 2, 11, _) = error else {
            Issue.record("got \(error)")
            return
        }
    }

    @Test func unsupportedStringMethodAtRenderTime() throws {
        let error = try #require(Self.renderError("{{ 'abc'.zfill(5) }}"))
        guard case let .unsupported("str method 'zfill'", 1, 15, supported) = error else {
            Issue.record("got \(error)")
            return
        }
        #expect(supported.contains("strip"))
    }

    @Test func unsupportedRecursiveLoopAndFilteredBlockSet() throws {
        let recursive = try #require(Self.parseError("{% for x in xs recursive %}{% endfor %}"))
        guard case .unsupported("recursive for loop", 1, 16, _) = recursive else {
            Issue.record("got \(recursive)")
            return
        }
        let filtered = try #require(Self.parseError("{% set x | upper %}a{% endset %}"))
        guard case .unsupported("filtered block set", 1, 10, _) = filtered else {
            Issue.record("got \(filtered)")
            return
        }
    }

    @Test func unsupportedStrftimeDirectiveAndPercentFormatting() throws {
        let directive = try #require(Self.renderError("{{ strftime_now('%Q') }}"))
        guard case .unsupported("strftime directive '%Q'", 1, 16, _) = directive else {
            Issue.record("got \(directive)")
            return
        }
        let percent = try #require(Self.renderError("{{ '%s' % x }}", extra: ["x": 1]))
        guard case .unsupported("printf-style string formatting with '%'", 1, 9, _) = percent else {
            Issue.record("got \(percent)")
            return
        }
    }

    @Test func syntaxErrorsCarryLineAndColumn() throws {
        #expect(Self.parseError("{% if x %}never closed") == .syntax(message: "missing '{% endif %}'", line: 1, column: 7))
        #expect(Self.parseError("ok\n{{ x") == .syntax(message: "unclosed '{{': missing '}}'", line: 2, column: 1))
        #expect(Self.parseError("{{ x + }}") == .syntax(message: "unexpected '}}'", line: 1, column: 8))
        #expect(Self.parseError("a{% endfor %}") == .syntax(
            message: "unexpected 'endfor' with no open block it could close", line: 1, column: 5))
        #expect(Self.parseError("{# open comment") == .syntax(message: "missing end of comment tag '#}'", line: 1, column: 1))
        #expect(Self.parseError("{{ (1 ] }}") == .syntax(message: "unexpected ']', expected ')'", line: 1, column: 7))
        #expect(Self.parseError("{% frobnicate %}") == .syntax(message: "unknown tag 'frobnicate'", line: 1, column: 4))
        #expect(Self.parseError("{{ 'unterminated }}") == .syntax(message: "unterminated string", line: 1, column: 4))
    }

    @Test func renderingErrorsNameTheProblem() {
        #expect(Self.renderError("{{ foo(1) }}") == .rendering(message: "'foo' is undefined", line: 1, column: 7))
        #expect(Self.renderError("{{ 1 // 0 }}") == .rendering(
            message: "integer division or modulo by zero", line: 1, column: 6))
        #expect(Self.renderError("{% for x in 3 %}{% endfor %}") == .rendering(
            message: "'int' object is not iterable", line: 1, column: 13))
        #expect(Self.renderError("{{ raise_exception('Only user and assistant roles are supported!') }}")
            == .raisedByTemplate(message: "Only user and assistant roles are supported!"))
        #expect(Self.renderError("{{ x | tojson }}", extra: ["x": .undefined]) == .rendering(
            message: "Object of type Undefined is not JSON serializable", line: 1, column: 8))
    }

    @Test func descriptionsAreSentences() {
        #expect(ChatTemplateError.syntax(message: "unexpected '}}'", line: 3, column: 17).description
            == "chat template syntax error at 3:17: unexpected '}}'")
        #expect(ChatTemplateError.raisedByTemplate(message: "boom").description
            == "chat template raised an exception: boom")
        #expect(ChatTemplateError.rendering(message: "'x' is undefined", line: 2, column: 4).description
            == "chat template failed at 2:4: 'x' is undefined")
    }
}

/// Hostile templates fail cleanly instead of exhausting the stack, memory or time.
struct ChatTemplateLimitTests {
    @Test func deepNestingIsASyntaxError() {
        let parentheses = "{{ " + String(repeating: "(", count: 5000) + "1" + String(repeating: ")", count: 5000) + " }}"
        guard case .syntax(let message, 1, _)? = ChatTemplateErrorTests.parseError(parentheses) else {
            Issue.record("expected a syntax error")
            return
        }
        #expect(message == "nested more than 200 levels deep")
        let chain = "{{ " + Array(repeating: "1", count: 5000).joined(separator: " + ") + " }}"
        #expect(ChatTemplateErrorTests.parseError(chain) != nil)
        let blocks = String(repeating: "{% if true %}", count: 5000) + String(repeating: "{% endif %}", count: 5000)
        #expect(ChatTemplateErrorTests.parseError(blocks) != nil)
    }

    @Test func hugeRepetitionAndRangeAreRefused() {
        #expect(ChatTemplateErrorTests.renderError("{{ 'ab' * 100000000 }}") == .rendering(
            message: "repetition result too large (more than 10000000 items)", line: 1, column: 9))
        #expect(ChatTemplateErrorTests.renderError("{{ range(1000000) | length }}") == .rendering(
            message: "range too big, maximum size for range is 100000", line: 1, column: 9))
        #expect(ChatTemplateErrorTests.renderError("{{ 1 ** 4000000000000 }}") == nil)
    }
}
