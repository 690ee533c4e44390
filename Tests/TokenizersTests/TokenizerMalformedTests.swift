import Foundation
import Testing
@testable import Tokenizers

/// Unsupported or broken tokenizer files are named errors listing what is supported.
struct TokenizerMalformedTests {
    func write(_ json: String) throws -> URL {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("quantkit-tok-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let url = directory.appendingPathComponent("tokenizer.json")
        try Data(json.utf8).write(to: url)
        return url
    }

    func expectError(_ json: String, mentioning fragments: [String]) throws {
        let url = try write(json)
        let error = #expect(throws: TokenizerError.self) { try Tokenizer(tokenizerJSON: url) }
        #expect(error?.description.contains(url.path) == true, "\(String(describing: error))")
        for fragment in fragments { #expect(error?.description.contains(fragment) == true, "\(String(describing: error))") }
    }

    static let vocabulary = #""vocab": {"a": 0, "b": 1, "ab": 2}, "merges": ["a b"]"#

    @Test func unknownModelType() throws {
        try expectError(#"{"model": {"type": "Unigram", "vocab": []}}"#, mentioning: ["model.type", "Unigram", "BPE"])
    }

    @Test func unknownPreTokenizer() throws {
        try expectError(#"{"model": {"type": "BPE", \#(Self.vocabulary)}, "pre_tokenizer": {"type": "Whitespace"}}"#,
                        mentioning: ["pre_tokenizer.type", "Whitespace", "ByteLevel"])
    }

    @Test func unknownSplitPattern() throws {
        try expectError(#"{"model": {"type": "BPE", \#(Self.vocabulary)}, "pre_tokenizer": {"type": "Split", "pattern": {"Regex": "\\w+"}}}"#,
                        mentioning: ["pre_tokenizer.Split.pattern"])
    }

    @Test func unknownDecoder() throws {
        try expectError(#"{"model": {"type": "BPE", \#(Self.vocabulary)}, "decoder": {"type": "WordPiece"}}"#,
                        mentioning: ["decoder.type", "WordPiece"])
    }

    @Test func mergeOfUnknownTokens() throws {
        let url = try write(#"{"model": {"type": "BPE", "vocab": {"a": 0}, "merges": ["a q"]}}"#)
        #expect(throws: TokenizerError.invalidVocabulary(reason: "merge #0 'a q' names a token missing from the vocabulary")) {
            try Tokenizer(tokenizerJSON: url)
        }
    }

    @Test func invalidJSON() throws {
        try expectError(#"{"model": "#, mentioning: ["not a valid JSON object"])
    }

    @Test func missingModel() throws {
        try expectError(#"{"version": "1.0"}"#, mentioning: ["model"])
    }

    @Test func unknownGGUFTokenizerModel() {
        let vocabulary = GGUFVocabulary(model: "t5", tokens: ["a"])
        let error = #expect(throws: TokenizerError.self) { try Tokenizer(vocabulary: vocabulary, source: "x.gguf") }
        #expect(error?.description == "x.gguf: tokenizer.ggml.model 't5' is not supported; supported: gpt2, llama")
    }
}
