import Foundation
import Testing
@testable import Formats
@testable import Tokenizers

/// llama.cpp's own tokenizer test vectors (tests/test-tokenizer-0): every input must give exactly
/// the listed ids, tokenized as that test does (no BOS/EOS added, special tokens not parsed).
struct LlamaCppVectorTests {
    static let directory = Bundle.module.resourceURL!.appendingPathComponent("Fixtures/llama.cpp")

    /// Inputs and expected ids of `ggml-vocab-NAME.gguf.{inp,out}`, split as test-tokenizer-0 splits them.
    static func cases(_ name: String) throws -> [(input: String, ids: [Int])] {
        let input = try String(contentsOf: directory.appendingPathComponent("ggml-vocab-\(name).gguf.inp"), encoding: .utf8)
        let output = try String(contentsOf: directory.appendingPathComponent("ggml-vocab-\(name).gguf.out"), encoding: .utf8)
        // The first input is the empty string; keep empty inputs as test-tokenizer-0 does.
        let inputs = input.components(separatedBy: "\n__ggml_vocab_test__\n")
        let outputs = output.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        return zip(inputs, outputs).map { text, line in
            (text, line.split(separator: " ").compactMap { Int($0) })
        }
    }

    @Test(arguments: ["gpt-2", "llama-bpe", "qwen2", "llama-spm", "phi-3"])
    func idsMatchLlamaCpp(vocabulary name: String) throws {
        let file = try GGUFFile(url: Self.directory.appendingPathComponent("ggml-vocab-\(name).gguf"))
        let tokenizer = try Tokenizer(vocabulary: file.vocabulary(), source: name)
        let cases = try Self.cases(name)
        #expect(cases.count > 20)
        var failures: [String] = []
        for (input, expected) in cases {
            let actual = tokenizer.encode(input, addSpecialTokens: false, parseSpecialTokens: false)
            if actual != expected { failures.append("\(input.debugDescription): expected \(expected), got \(actual)") }
        }
        if !failures.isEmpty {
            Issue.record("\(name): \(failures.count) of \(cases.count) differ:\n\(failures.prefix(4).joined(separator: "\n"))")
        }
    }
}

/// The tokenizer.json written for a GGUF vocabulary (what `quantkit convert` puts in an HF
/// directory) must tokenize exactly as llama.cpp does on that GGUF.
struct GGUFTokenizerJSONTests {
    @Test(arguments: ["gpt-2", "llama-bpe", "qwen2", "llama-spm", "phi-3"])
    func writtenTokenizerJSONMatchesLlamaCpp(vocabulary name: String) throws {
        let file = try GGUFFile(url: LlamaCppVectorTests.directory.appendingPathComponent("ggml-vocab-\(name).gguf"))
        let vocabulary = try file.vocabulary()
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("quantkit-tokjson-\(name)-\(getpid())")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        try JSONSerialization.data(withJSONObject: vocabulary.tokenizerJSON(source: name))
            .write(to: directory.appendingPathComponent("tokenizer.json"))
        try JSONSerialization.data(withJSONObject: vocabulary.tokenizerConfigJSON())
            .write(to: directory.appendingPathComponent("tokenizer_config.json"))
        let tokenizer = try Tokenizer(directory: directory)
        var failures: [String] = []
        let cases = try LlamaCppVectorTests.cases(name)
        for (input, expected) in cases {
            let actual = tokenizer.encode(input, addSpecialTokens: false, parseSpecialTokens: false)
            if actual != expected { failures.append("\(input.debugDescription): expected \(expected), got \(actual)") }
        }
        if !failures.isEmpty {
            Issue.record("\(name): \(failures.count) of \(cases.count) differ:\n\(failures.prefix(4).joined(separator: "\n"))")
        }
        // BOS behaviour survives: llama.cpp adds BOS for SentencePiece vocabularies by default.
        let withSpecial = tokenizer.encode("Hello", addSpecialTokens: true)
        let reference = try Tokenizer(vocabulary: vocabulary, source: name).encode("Hello", addSpecialTokens: true)
        #expect(withSpecial == reference)
    }
}
