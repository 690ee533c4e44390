import Foundation
import Testing
@testable import Tokenizers

/// tokenizer.json pipelines against the HF `tokenizers` library (Scripts/fixtures/make_tokenizer_fixtures.py):
/// identical ids on mixed text, and decode(encode(x)) == x. The full ≥ 1 MB comparison runs in
/// Scripts/interop/check_tokenizer.py.
struct HFTokenizersGoldenTests {
    static let fixtures = Bundle.module.resourceURL!.appendingPathComponent("Fixtures")
    static let models = ProcessInfo.processInfo.environment["QUANTKIT_MODELS"]
        ?? FileManager.default.homeDirectoryForCurrentUser.appendingPathComponent(".cache/quantkit/models").path
    static let smolLM2 = URL(fileURLWithPath: models).appendingPathComponent("smollm2-135m-f32")
    static let smolLM2Available = FileManager.default.fileExists(atPath: smolLM2.appendingPathComponent("tokenizer.json").path)

    struct Golden: Decodable {
        let lines: [String]
        let spm_bpe: [[Int]]
        let smollm2: [[Int]]?
    }

    static func golden() throws -> Golden {
        try JSONDecoder().decode(Golden.self, from: Data(contentsOf: fixtures.appendingPathComponent("hf_golden.json")))
    }

    func check(_ tokenizer: Tokenizer, lines: [String], expected: [[Int]], name: String) {
        var failures: [String] = []
        for (line, ids) in zip(lines, expected) {
            let actual = tokenizer.encode(line)
            if actual != ids {
                let firstDifference = zip(actual, ids).enumerated().first { $1.0 != $1.1 }?.offset ?? min(actual.count, ids.count)
                failures.append("line \(line.prefix(60).debugDescription)…: first difference at \(firstDifference), expected \(ids.dropFirst(firstDifference).prefix(5)), got \(actual.dropFirst(firstDifference).prefix(5))")
            }
            // Round trip without BOS/EOS: special tokens written in the text must come back too.
            let roundTrip = tokenizer.decode(tokenizer.encode(line, addSpecialTokens: false))
            if roundTrip != line { failures.append("round trip of \(line.prefix(60).debugDescription) gave \(roundTrip.prefix(60).debugDescription)") }
        }
        #expect(lines.count == expected.count && lines.count > 10)
        if !failures.isEmpty { Issue.record("\(name): \(failures.count) failures:\n\(failures.prefix(4).joined(separator: "\n"))") }
    }

    @Test func sentencePieceBPEMatchesHF() throws {
        let golden = try Self.golden()
        let tokenizer = try Tokenizer(directory: Self.fixtures.appendingPathComponent("spm_bpe"))
        check(tokenizer, lines: golden.lines, expected: golden.spm_bpe, name: "spm_bpe")
    }

    @Test(.enabled(if: smolLM2Available, "SmolLM2 is not in the model cache; run Scripts/fetch-smollm2.sh"))
    func smolLM2MatchesHF() throws {
        let golden = try Self.golden()
        let expected = try #require(golden.smollm2)
        let tokenizer = try Tokenizer(directory: Self.smolLM2)
        check(tokenizer, lines: golden.lines, expected: expected, name: "smollm2")
        #expect(tokenizer.bosTokenId == 1 && tokenizer.eosTokenId == 2)
    }
}
