import Foundation
import Testing
import TestSupport
@testable import Exporters
import Formats
import Models
import Tensors
import Tokenizers

struct HFDirectoryExporterTests {
    static func scratch(_ name: String) -> URL {
        FileManager.default.temporaryDirectory.appendingPathComponent("quantkit-export-\(name)-\(getpid())-\(UInt32.random(in: 0...UInt32.max))")
    }

    /// A byte-level vocabulary large enough for the tiny model's 20 ids.
    static let vocabulary = GGUFVocabulary(model: "gpt2", preTokenizer: "default",
                                           tokens: ["<s>", "</s>"] + (2..<20).map { "t\($0)" },
                                           tokenTypes: [3, 3] + Array(repeating: 1, count: 18),
                                           bosTokenId: 0, eosTokenId: 1, chatTemplate: "{{ messages[0]['content'] }}")

    /// Export at f32, load the directory back and run it: the logits equal the original model's bit for bit.
    @Test(arguments: [false, true])
    func exportedDirectoryRunsLikeTheSource(tied: Bool) throws {
        let configuration = TinyModelFactory.configuration(tied: tied)
        let weights = DictionaryWeightSource(TinyModelFactory.weights(for: configuration))
        let output = Self.scratch("roundtrip")
        defer { try? FileManager.default.removeItem(at: output) }
        try HFDirectoryExporter(weights: weights, configuration: configuration, vocabulary: Self.vocabulary).export(to: output)
        for file in ["config.json", "model.safetensors", "generation_config.json", "tokenizer.json", "tokenizer_config.json"] {
            #expect(FileManager.default.fileExists(atPath: output.appendingPathComponent(file).path), "\(file) is missing")
        }
        let loaded = try ModelLoader.load(output.path)
        #expect(loaded.model.configuration == configuration)
        #expect(loaded.tokenizer.chatTemplate == Self.vocabulary.chatTemplate)
        #expect(loaded.stopTokenIds == [1])
        let original = try LlamaModel(configuration: configuration, weights: weights)
        let tokens = [3, 7, 1, 12, 19, 0]
        let expected = try original.forward(tokens: tokens, cache: original.makeCache()).floats()
        let actual = try loaded.model.forward(tokens: tokens, cache: loaded.model.makeCache()).floats()
        #expect(actual == expected)
    }

    @Test func refusesAnExistingOutputAndLeavesNoPartialDirectory() throws {
        let configuration = TinyModelFactory.configuration()
        var tensors = TinyModelFactory.weights(for: configuration)
        let output = Self.scratch("existing")
        try FileManager.default.createDirectory(at: output, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: output) }
        let exporter = HFDirectoryExporter(weights: DictionaryWeightSource(tensors), configuration: configuration, vocabulary: Self.vocabulary)
        #expect(throws: ExportError.outputExists(path: output.standardizedFileURL.path)) { try exporter.export(to: output) }

        // A source that lies about a tensor fails mid-export: nothing may be left behind.
        tensors["model.norm.weight"] = nil
        let broken = Self.scratch("broken")
        let failing = HFDirectoryExporter(weights: ShapeOnlySource(base: DictionaryWeightSource(tensors), extra: "model.norm.weight"),
                                          configuration: configuration, vocabulary: Self.vocabulary)
        #expect(throws: ExportError.self) { try failing.export(to: broken) }
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: broken.deletingLastPathComponent().path)
            .filter { $0.contains(broken.lastPathComponent) }
        #expect(leftovers.isEmpty, "left behind: \(leftovers)")
    }

    @Test func rejectsAnUnknownDType() throws {
        let configuration = TinyModelFactory.configuration()
        let exporter = HFDirectoryExporter(weights: DictionaryWeightSource(TinyModelFactory.weights(for: configuration)),
                                           configuration: configuration, vocabulary: Self.vocabulary, dtype: "q4")
        #expect(throws: ExportError.unsupportedDType("q4", supported: ["bf16", "f16", "f32"])) {
            try exporter.export(to: Self.scratch("dtype"))
        }
    }
}

/// Claims a tensor it cannot deliver, as a truncated or inconsistent source would.
private struct ShapeOnlySource: WeightSource {
    var base: DictionaryWeightSource
    var extra: String
    var sourceDescription: String { "shape-only source" }
    var tensorNames: [String] { (base.tensorNames + [extra]).sorted() }
    func tensor(named name: String) throws -> Tensor? { try base.tensor(named: name) }
    func shape(of name: String) throws -> [Int]? { name == extra ? [16] : try base.shape(of: name) }
}
