import Foundation
import Formats
import Tensors
import Tokenizers

/// A model ready to run: weights, tokenizer and the ids that end generation.
public struct LoadedModel {
    public let model: LlamaModel
    public let tokenizer: Tokenizer
    /// EOS ids from generation_config.json (int or list) or the GGUF, plus the tokenizer's EOS.
    public let stopTokenIds: Set<Int>
    public let source: URL

    public init(model: LlamaModel, tokenizer: Tokenizer, stopTokenIds: Set<Int>, source: URL) {
        self.model = model
        self.tokenizer = tokenizer
        self.stopTokenIds = stopTokenIds
        self.source = source
    }
}

/// Opens `--model PATH`: an HF directory (config.json, safetensors, tokenizer.json) or a `.gguf` file.
public enum ModelLoader {
    public static func load(_ path: String) throws -> LoadedModel {
        let url = URL(fileURLWithPath: path)
        if try isDirectory(url) {
            let configurationURL = url.appendingPathComponent("config.json")
            let hf = try HFConfiguration(url: configurationURL)
            let configuration = try LlamaConfiguration(hf, source: configurationURL.path)
            let model = try LlamaModel(configuration: configuration, weights: SafetensorsCheckpoint(directory: url))
            let tokenizer = try loadTokenizer(path)
            let generationURL = url.appendingPathComponent("generation_config.json")
            let generation = FileManager.default.fileExists(atPath: generationURL.path) ? try GenerationConfiguration(url: generationURL) : nil
            var stops = Set(generation.map(\.eosTokenIds).flatMap { $0.isEmpty ? nil : $0 } ?? hf.eosTokenIds)
            if let eos = tokenizer.eosTokenId { stops.insert(eos) }
            return LoadedModel(model: model, tokenizer: tokenizer, stopTokenIds: stops, source: url)
        }
        let file = try GGUFFile(url: url)
        let weights = try GGUFWeightSource(file: file)
        let model = try LlamaModel(configuration: weights.configuration, weights: weights)
        let tokenizer = try Tokenizer(vocabulary: file.vocabulary(), source: url.path)
        return LoadedModel(model: model, tokenizer: tokenizer, stopTokenIds: Set([tokenizer.eosTokenId].compactMap { $0 }), source: url)
    }

    /// Only the tokenizer of `path` (no weights are read).
    public static func loadTokenizer(_ path: String) throws -> Tokenizer {
        let url = URL(fileURLWithPath: path)
        if try isDirectory(url) {
            guard FileManager.default.fileExists(atPath: url.appendingPathComponent("tokenizer.json").path) else {
                throw ModelError.invalidConfiguration(key: "tokenizer.json", reason: "is missing", source: url.path)
            }
            return try Tokenizer(directory: url)
        }
        return try Tokenizer(vocabulary: GGUFFile(url: url).vocabulary(), source: url.path)
    }

    static func isDirectory(_ url: URL) throws -> Bool {
        var directory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: url.path, isDirectory: &directory) else {
            throw ModelError.invalidConfiguration(key: "--model", reason: "does not exist", source: url.path)
        }
        if !directory.boolValue && url.pathExtension.lowercased() != "gguf" {
            throw ModelError.invalidConfiguration(key: "--model", reason: "is neither an HF model directory nor a .gguf file", source: url.path)
        }
        return directory.boolValue
    }
}
