import Foundation
import Formats
import Models
import Quantization
import Tensors

/// Writes a quantized model exactly as amd-quark 0.13's `export_safetensors(custom_mode="quark",
/// weight_format="real_quantized", pack_method="reorder")` does (FORMATS.md §1, REFERENCE-RUNS.md
/// 5a): config.json with `quantization_config`, the weights, tokenizer files. vLLM and transformers
/// (with amd-quark installed) load it with `quant_method: "quark"`.
///
/// This is the whole-model form of `QuarkStreamingExport`, for a model quantized in memory.
public struct QuarkExporter {
    public var quantized: QuantizedModel
    /// The source model's config.json object; `quantization_config` is added to it.
    public var baseConfig: [String: Any]
    /// Writes the tokenizer files into the staging directory.
    public var writeTokenizer: (URL) throws -> Void

    public init(quantized: QuantizedModel, baseConfig: [String: Any], writeTokenizer: @escaping (URL) throws -> Void) {
        self.quantized = quantized
        self.baseConfig = baseConfig
        self.writeTokenizer = writeTokenizer
    }

    public func export(to output: URL) throws {
        let export = try QuarkStreamingExport(AtomicDirectory(output))
        let byName = Dictionary(uniqueKeysWithValues: quantized.linears.map { ($0.name, $0) })
        for (index, layer) in quantized.model.layers.enumerated() {
            let linears = LlamaLayer.linearNames.compactMap { byName["model.layers.\(index).\($0)"] }
            try export.write(FinishedLayer(index: index, layer: layer, linears: linears, report: []))
        }
        try export.finish(model: quantized.model, config: quantized.config, baseConfig: baseConfig, writeTokenizer: writeTokenizer)
    }

    /// Throws unless amd-quark 0.13's exporter can write weights of this spec (checked before
    /// quantizing, so a long run does not end in a refused export).
    public static func checkExportable(_ spec: QuantSpec, module: String) throws {
        try QuarkTensors.checkExportable(spec, module: module)
    }

    /// Checks every quantized weight of a `layerCount`-layer Llama model under `config`.
    public static func checkExportable(_ config: QuantConfig, layerCount: Int) throws {
        try QuarkTensors.checkExportable(config, layerCount: layerCount)
    }
}

/// A Quark export written while quantization runs (bounded memory): each finished decoder layer
/// goes to a part file of its own in the staging directory, and `finish` adds the embeddings and
/// final norm, joins the parts into `model.safetensors` (or 5 GB shards with an index), writes
/// config.json and the tokenizer files, and moves the directory into place.
///
/// In a resumable directory the parts of finished layers survive a killed run; `.checkpoint` beside
/// them is where the quantizer keeps its activations and progress.
public final class QuarkStreamingExport {
    public let directory: AtomicDirectory
    /// The largest weight file `finish` writes; a larger model is sharded.
    public var maximumShardBytes = 5_000_000_000

    public init(_ directory: AtomicDirectory) throws {
        self.directory = directory
        do {
            try FileManager.default.createDirectory(at: partsDirectory, withIntermediateDirectories: true)
        } catch {
            throw ExportError.cannotCreate(path: partsDirectory.path, reason: error.localizedDescription)
        }
    }

    var partsDirectory: URL { directory.staging.appendingPathComponent(".parts") }
    /// Where a resumable run keeps its checkpoint (removed by `finish`).
    public var checkpointDirectory: URL { directory.staging.appendingPathComponent(".checkpoint") }

    func layerPart(_ index: Int) -> URL { partsDirectory.appendingPathComponent(String(format: "layer-%05d.safetensors", index)) }

    /// Writes layer `finished.index`'s tensors (replacing a part an interrupted run left).
    public func write(_ finished: FinishedLayer) throws {
        // An online rotation (R4) must run at inference; transformers' loader would not apply it and
        // would silently compute something else.
        if LlamaLayer.linearKeyPaths.contains(where: { finished.layer[keyPath: $0].inputTransform != nil }) {
            throw QuantizationError.unsupported(feature: "an online input rotation (--rotation-online-down) in the Quark format: its consumers would not apply it; evaluate it with --eval ppl and no --output",
                                                source: "model.layers.\(finished.index)")
        }
        let linears = Dictionary(uniqueKeysWithValues: finished.linears.map { ($0.name, $0) })
        try QuarkTensors.write(try QuarkTensors.layerItems(index: finished.index, layer: finished.layer, linears: linears),
                               to: layerPart(finished.index))
    }

    /// Completes the export: `model` supplies the embeddings, final norm, lm_head and layer count
    /// (its decoder layers are not read: every one must have been written).
    public func finish(model: LlamaModel, config: QuantConfig, baseConfig: [String: Any],
                       writeTokenizer: (URL) throws -> Void) throws {
        let globals = partsDirectory.appendingPathComponent("globals.safetensors")
        try QuarkTensors.write(QuarkTensors.globalItems(model), to: globals)
        let layers = (0..<model.configuration.layerCount).map(layerPart)
        for (index, url) in layers.enumerated() where !FileManager.default.fileExists(atPath: url.path) {
            throw ExportError.missingTensor(name: "model.layers.\(index).*", source: directory.staging.path)
        }
        try SafetensorsShards.join(parts: [globals] + layers, into: directory.staging, maximumShardBytes: maximumShardBytes,
                                   metadata: ["format": "pt"])
        var json = baseConfig
        json["quantization_config"] = config.quarkDictionary()
        // A rotation unties the embeddings (lm_head absorbed the final norm's weight), so the source's
        // `tie_word_embeddings: true` would make transformers drop the lm_head.weight written here.
        if !model.configuration.tiedEmbeddings { json["tie_word_embeddings"] = false }
        try directory.writeJSON(json, to: "config.json")
        try writeTokenizer(directory.staging)
        try? FileManager.default.removeItem(at: partsDirectory)
        try? FileManager.default.removeItem(at: checkpointDirectory)
        try directory.commit()
    }
}
