import Foundation
import Testing
import TestSupport
@testable import Exporters
import Formats
import Models
import Quantization
import Tensors

/// A run stopped after its first layer and resumed writes the same bytes as an uninterrupted run, and
/// the same as the in-memory exporter: the checkpoint carries everything later layers depend on.
struct ResumeTests {
    struct Stop: Error {}

    static let recipes: [(String, QuantConfig)] = [
        ("int8 W8A8 static + fp8 KV after SmoothQuant", {
            var config = QuantConfig(global: LayerQuantSpec(weight: QuantSpec(format: .int8), input: QuantSpec(format: .int8)),
                                     kvCache: QuantSpec(format: .fp8E4M3, scaleTypeUnset: true))
            config.algorithms = [.smoothquant, .rtn]
            return config
        }()),
        ("int8 W8A8 static after rotation and SmoothQuant", {
            var config = QuantConfig(global: LayerQuantSpec(weight: QuantSpec(format: .int8), input: QuantSpec(format: .int8)))
            config.algorithms = [.rotation, .smoothquant, .rtn]
            return config
        }()),
        ("uint4 g8 asymmetric AWQ", {
            var config = QuantConfig(global: LayerQuantSpec(weight: QuantSpec(format: .uint4, granularity: .perGroup(size: 8), symmetric: false)))
            config.algorithms = [.awq, .rtn]
            return config
        }()),
        ("int4 g8 GPTQ", {
            var config = QuantConfig(global: LayerQuantSpec(weight: QuantSpec(format: .int4, granularity: .perGroup(size: 8))))
            config.algorithms = [.gptq]
            return config
        }()),
    ]

    static let calibration = [[1, 5, 9, 3, 7, 11, 2, 8], [4, 4, 19, 0, 13, 6, 15, 10], [2, 17, 3, 3, 9, 14, 1, 0]]

    func run(_ config: QuantConfig, model: LlamaModel, output: URL, resume: Bool, stopAfter: Int? = nil,
             settings: [String: String] = ["model": "tiny"]) throws -> ResumableQuarkQuantization.Outcome {
        let run = ResumableQuarkQuantization(quantizer: ModelQuantizer(config: config), settings: settings,
                                             baseConfig: model.configuration.hfConfigJSON(bosTokenId: 0, eosTokenId: 1, dtype: "float32")) { directory in
            try Data("{}".utf8).write(to: directory.appendingPathComponent("tokenizer.json"))
        }
        return try run.run(model, calibration: Self.calibration, errorWindows: 2, output: output, resume: resume,
                           afterLayer: { if $0 == stopAfter { throw Stop() } })
    }

    static func files(_ directory: URL) throws -> [String: Data] {
        var files: [String: Data] = [:]
        for name in try FileManager.default.contentsOfDirectory(atPath: directory.path) {
            files[name] = try Data(contentsOf: directory.appendingPathComponent(name))
        }
        return files
    }

    @Test(arguments: recipes.indices)
    func resumedRunWritesTheSameBytes(index: Int) throws {
        let (name, config) = Self.recipes[index]
        let model = try TinyModelFactory.model(tied: index % 2 == 0)
        let base = FileManager.default.temporaryDirectory.appendingPathComponent("quantkit-resume-\(getpid())-\(index)")
        defer { try? FileManager.default.removeItem(at: base) }
        let straight = base.appendingPathComponent("straight"), interrupted = base.appendingPathComponent("interrupted")
        let partial = base.appendingPathComponent(".interrupted.partial")

        let whole = try run(config, model: model, output: straight, resume: false)
        #expect(whole.resumedAt == nil)
        #expect(throws: Stop.self) { try run(config, model: model, output: interrupted, resume: false, stopAfter: 0) }
        #expect(!FileManager.default.fileExists(atPath: interrupted.path), "\(name): a stopped run published its output")
        #expect(FileManager.default.fileExists(atPath: partial.appendingPathComponent(".checkpoint/state.json").path))

        // Without --resume the leftover is named; with other settings the difference is named.
        do {
            _ = try run(config, model: model, output: interrupted, resume: false)
            Issue.record("\(name): a second run ignored the interrupted one")
        } catch let error as ExportError {
            #expect(error == .interruptedRunExists(path: partial.standardizedFileURL.path, output: interrupted.standardizedFileURL.path))
        }
        do {
            _ = try run(config, model: model, output: interrupted, resume: true, settings: ["model": "another"])
            Issue.record("\(name): resumed with different settings")
        } catch let error as QuantizationError {
            #expect("\(error)".contains("the interrupted run had model = tiny, this one has another"))
        }

        let resumed = try run(config, model: model, output: interrupted, resume: true)
        #expect(resumed.resumedAt == 1)
        #expect(resumed.report.map(\.name) == whole.report.map(\.name))
        #expect(!FileManager.default.fileExists(atPath: partial.path))
        let expected = try Self.files(straight), actual = try Self.files(interrupted)
        #expect(Set(actual.keys) == ["config.json", "model.safetensors", "tokenizer.json"])
        #expect(actual == expected, "\(name): the resumed export differs from the uninterrupted one")

        // The whole-model exporter writes the same files as the streaming run.
        let inMemory = base.appendingPathComponent("in-memory")
        let quantized = try ModelQuantizer(config: config).quantize(model, calibration: Self.calibration, errorWindows: 2)
        try QuarkExporter(quantized: quantized, baseConfig: model.configuration.hfConfigJSON(bosTokenId: 0, eosTokenId: 1, dtype: "float32")) {
            try Data("{}".utf8).write(to: $0.appendingPathComponent("tokenizer.json"))
        }.export(to: inMemory)
        #expect(try Self.files(inMemory) == expected, "\(name): the streaming export differs from the in-memory one")
    }

    /// A run that fails before finishing a layer leaves nothing behind, so the next run needs no --resume.
    @Test func aRunFailingBeforeItsFirstLayerLeavesNoPartialDirectory() throws {
        let model = try TinyModelFactory.model()
        var config = QuantConfig(global: LayerQuantSpec(weight: QuantSpec(format: .int4, granularity: .perGroup(size: 8))))
        config.algorithms = [.rtn, .gptq]
        let base = FileManager.default.temporaryDirectory.appendingPathComponent("quantkit-refused-\(getpid())")
        defer { try? FileManager.default.removeItem(at: base) }
        #expect(throws: QuantizationError.self) { try run(config, model: model, output: base.appendingPathComponent("out"), resume: false) }
        #expect(try FileManager.default.contentsOfDirectory(atPath: base.path).isEmpty)
    }

    /// Activations kept in files (spilled) give the same model as activations in memory.
    @Test func spilledActivationsGiveTheSameModel() throws {
        let model = try TinyModelFactory.model()
        let (_, config) = Self.recipes[0]
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("quantkit-spill-\(getpid())")
        defer { try? FileManager.default.removeItem(at: directory) }
        let quantizer = ModelQuantizer(config: config)
        let inMemory = try quantizer.quantize(model, calibration: Self.calibration)
        let spilled = try quantizer.quantize(model, calibration: Self.calibration, stream: QuantizationStream(backing: .files(directory)))
        let tokens = [3, 7, 1, 12, 19, 0, 5]
        let expected = try inMemory.model.forward(tokens: tokens, cache: inMemory.model.makeCache()).floats()
        #expect(try spilled.model.forward(tokens: tokens, cache: spilled.model.makeCache()).floats() == expected)
        let float = try model.forward(tokens: tokens, cache: model.makeCache()).floats()
        #expect(float != expected)
    }

    /// Parts are never split, and several shards come with an index naming each tensor's file.
    @Test func partsJoinIntoShardsWithAnIndex() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("quantkit-shards-\(getpid())")
        defer { try? FileManager.default.removeItem(at: directory) }
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        var parts: [URL] = []
        for part in 0..<3 {
            let url = directory.appendingPathComponent("part\(part).safetensors")
            try SafetensorsWriter.write(["t\(part).a": Tensor(shape: [4], floats: [1, 2, 3, Float(part)]),
                                         "t\(part).b": Tensor(shape: [2], floats: [5, Float(part)])], to: url)
            parts.append(url)
        }
        // 24 bytes a part: two parts fit in 48 bytes, the third starts a new shard.
        let names = try SafetensorsShards.join(parts: parts, into: directory, maximumShardBytes: 48)
        #expect(names == ["model-00001-of-00002.safetensors", "model-00002-of-00002.safetensors"])
        let checkpoint = try SafetensorsCheckpoint(directory: directory)
        #expect(try checkpoint.tensor(named: "t2.a").floats() == [1, 2, 3, 2])
        #expect(try checkpoint.tensor(named: "t0.b").floats() == [5, 0])
        let index = try JSONSerialization.jsonObject(with: Data(contentsOf: directory.appendingPathComponent("model.safetensors.index.json"))) as? [String: Any]
        #expect((index?["weight_map"] as? [String: String])?["t1.a"] == "model-00001-of-00002.safetensors")
        #expect((index?["metadata"] as? [String: Int])?["total_size"] == 72)
    }
}
