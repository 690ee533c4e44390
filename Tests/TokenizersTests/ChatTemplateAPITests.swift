import Foundation
import Testing

@testable import Tokenizers

/// The public surface: values, messages, JSON input, special tokens, extra variables and the
/// injectable clock for `strftime_now`.
struct ChatTemplateAPITests {
    /// 2024-07-26 12:00:00 UTC: the same calendar day in every time zone within ±11 hours.
    static let fixedDate = Date(timeIntervalSince1970: 1_721_995_200)

    @Test func strftimeNowUsesTheInjectedClock() throws {
        // The Llama 3.2 date block: strftime_now is defined, so the date comes from the clock.
        var template = try ChatTemplate(source: """
            {%- if not date_string is defined %}
                {%- if strftime_now is defined %}
                    {%- set date_string = strftime_now("%d %b %Y") %}
                {%- else %}
                    {%- set date_string = "26 Jul 2024" %}
                {%- endif %}
            {%- endif %}
            Today Date: {{ date_string }}
            """)
        template.clock = { ChatTemplateAPITests.fixedDate }
        #expect(try template.render(messages: [], addGenerationPrompt: false, specialTokens: [:]) == "Today Date: 26 Jul 2024")
        let pinned = try template.render(
            messages: [], addGenerationPrompt: false, specialTokens: [:], extra: ["date_string": "01 Jan 2030"])
        #expect(pinned == "Today Date: 01 Jan 2030")
    }

    @Test func strftimeDirectivesInUTC() {
        let date = Date(timeIntervalSince1970: 1_721_999_109)  // 2024-07-26 13:05:09 UTC, a Friday
        let (text, bad) = Strftime.format("%a %A %b %B %d %e %m %y %Y %H %I %M %S %p %j %F %T %%", date: date, timeZone: TimeZone(identifier: "UTC")!)
        #expect(bad == nil)
        #expect(text == "Fri Friday Jul July 26 26 07 24 2024 13 01 05 09 PM 208 2024-07-26 13:05:09 %")
    }

    @Test func specialTokensAndExtraVariablesReachTheTemplate() throws {
        let template = try ChatTemplate(source: "{{ bos_token }}{% for m in messages %}{{ m.role }}:{{ m.content }}{% endfor %}{{ eos_token }}{{ suffix }}{{ tools is none }}{{ documents is none }}")
        let rendered = try template.render(
            messages: [ChatMessage(role: "user", content: "hi")], addGenerationPrompt: true,
            specialTokens: ["bos_token": "<s>", "eos_token": "</s>"], extra: ["suffix": "!", "eos_token": "<e>"])
        #expect(rendered == "<s>user:hi<e>!TrueTrue")
    }

    @Test func messageFieldsKeepTheirOrderAndTypes() throws {
        let call: TemplateValue = ["id": "abc", "function": ["name": "f", "arguments": ["b": 2, "a": 1.5]]]
        let message = ChatMessage(role: "assistant", content: .none, fields: [("tool_calls", [call])])
        let template = try ChatTemplate(source: "{{ messages[0] | tojson }}|{{ 'tool_calls' in messages[0] }}|{{ messages[0].content is none }}")
        let rendered = try template.render(messages: [message], addGenerationPrompt: false, specialTokens: [:])
        #expect(rendered == #"{"role": "assistant", "content": null, "tool_calls": [{"id": "abc", "function": {"name": "f", "arguments": {"b": 2, "a": 1.5}}}]}|True|True"#)
        let roundTrip = try #require(ChatMessage(["role": "tool", "content": "x", "tool_call_id": "id9"]))
        #expect(roundTrip == ChatMessage(role: "tool", content: "x", fields: [("tool_call_id", "id9")]))
        #expect(ChatMessage(["content": "no role"]) == nil)
    }

    @Test func jsonInputKeepsKeyOrderAndNumberKinds() throws {
        let value = try TemplateValue(json: #" {"z": 1, "a": [1.0, 2e3, -0, true, null, "\u00e9\ud83d\ude00\n"], "m": {}} "#)
        guard case let .dictionary(map) = value else {
            Issue.record("not a dictionary: \(value)")
            return
        }
        #expect(map.keys == ["z", "a", "m"])
        #expect(map["z"] == .int(1))
        #expect(map["a"] == [.double(1.0), .double(2000), .int(0), true, nil, "é😀\n"])
        #expect(map["m"] == .dictionary(TemplateDictionary()))
    }

    @Test func malformedJSONIsRejectedWithItsOffset() {
        #expect(throws: ChatTemplateError.invalidJSON(offset: 6, expected: "a value", found: "'}'")) {
            try TemplateValue(json: #"{"a": }"#)
        }
        #expect(throws: ChatTemplateError.invalidJSON(offset: 2, expected: "end of input", found: "'x'")) {
            try TemplateValue(json: "1 x")
        }
        let deep = String(repeating: "[", count: 600) + String(repeating: "]", count: 600)
        #expect(throws: ChatTemplateError.self) { try TemplateValue(json: deep) }
    }

    @Test func dictionaryEqualityIgnoresOrderLikePython() {
        let first: TemplateDictionary = ["a": 1, "b": 2]
        let second: TemplateDictionary = ["b": 2, "a": 1]
        #expect(first == second)
        #expect(first.keys == ["a", "b"] && second.keys == ["b", "a"])
    }

    @Test func pythonFloatReprMatchesPython() {
        // Values and spellings from CPython's repr().
        let cases: [(Double, String)] = [
            (1.0, "1.0"), (0.1, "0.1"), (1e16, "1e+16"), (1e15, "1000000000000000.0"), (1.5e-7, "1.5e-07"),
            (0.0001, "0.0001"), (0.00001, "1e-05"), (-2.5, "-2.5"), (123456789.125, "123456789.125"),
            (1.0 / 3.0, "0.3333333333333333"), (5e-324, "5e-324"), (1.7976931348623157e308, "1.7976931348623157e+308"),
            (-0.0, "-0.0"), (.infinity, "inf"), (2.0e22, "2e+22"),
        ]
        for (value, expected) in cases {
            #expect(pythonFloatRepr(value) == expected, "\(value)")
        }
    }

    @Test func templatesAreReusableAndSendable() async throws {
        let template = try ChatTemplate(source: "{% for m in messages %}{{ m.content }}{% endfor %}")
        let results = try await withThrowingTaskGroup(of: String.self) { group in
            for index in 0..<4 {
                group.addTask {
                    try template.render(
                        messages: [ChatMessage(role: "user", content: "\(index)")], addGenerationPrompt: false,
                        specialTokens: [:])
                }
            }
            return try await group.reduce(into: []) { $0.append($1) }
        }
        #expect(Set(results) == ["0", "1", "2", "3"])
    }
}
