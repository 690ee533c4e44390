import Foundation
import Formats
import Models
import Tensors
import Tokenizers

/// Writes an unquantized model as an HF directory that transformers loads as is: config.json,
/// model.safetensors, generation_config.json, tokenizer.json and tokenizer_config.json (with the
/// chat template). Tensors stream one at a time (dequantized, converted, appended), so memory stays
/// at one tensor whatever the model size; the directory appears only when complete.
public struct HFDirectoryExporter {
    /// Weight dtypes `convert --dtype` accepts, by their CLI spelling.
    public static let dtypes: [String: (dtype: DType, torchName: String)] = [
        "f32": (.float32, "float32"), "bf16": (.bfloat16, "bfloat16"), "f16": (.float16, "float16"),
    ]

    public var weights: WeightSource
    public var configuration: LlamaConfiguration
    public var vocabulary: GGUFVocabulary
    public var dtype: String

    public init(weights: WeightSource, configuration: LlamaConfiguration, vocabulary: GGUFVocabulary, dtype: String = "f32") {
        self.weights = weights
        self.configuration = configuration
        self.vocabulary = vocabulary
        self.dtype = dtype
    }

    /// Writes the directory; `progress(done, total)` is called after each tensor.
    public func export(to output: URL, progress: (Int, Int) -> Void = { _, _ in }) throws {
        guard let target = Self.dtypes[dtype] else {
            throw ExportError.unsupportedDType(dtype, supported: Self.dtypes.keys.sorted())
        }
        let directory = try AtomicDirectory(output)
        for (name, object) in try TokenizerFiles.files(for: vocabulary, source: "GGUF") { try directory.writeJSON(object, to: name) }
        try directory.writeJSON(configuration.hfConfigJSON(bosTokenId: vocabulary.bosTokenId, eosTokenId: vocabulary.eosTokenId,
                                                           dtype: target.torchName), to: "config.json")
        try writeWeights(dtype: target.dtype, to: directory.file("model.safetensors"), progress: progress)
        try directory.commit()
    }

    /// Only tokenizer.json and tokenizer_config.json (`convert --tokenizer-only`).
    public static func exportTokenizer(_ vocabulary: GGUFVocabulary, source: String, to output: URL) throws {
        let directory = try AtomicDirectory(output)
        for (name, object) in try TokenizerFiles.files(for: vocabulary, source: source, tokenizerOnly: true) {
            try directory.writeJSON(object, to: name)
        }
        try directory.commit()
    }

    private func writeWeights(dtype: DType, to url: URL, progress: (Int, Int) -> Void) throws {
        let names = weights.tensorNames
        var entries: [SafetensorsWriter.Entry] = []
        for name in names {
            guard let shape = try weights.shape(of: name) else {
                throw ExportError.missingTensor(name: name, source: weights.sourceDescription)
            }
            entries.append(.init(name: name, dtype: dtype, shape: shape))
        }
        let writer = try SafetensorsWriter(url: url, entries: entries, metadata: ["format": "pt"])
        // The writer takes the tensors in its own (sorted) order.
        for (index, entry) in writer.entries.enumerated() {
            guard let tensor = try weights.tensor(named: entry.name) else {
                throw ExportError.missingTensor(name: entry.name, source: weights.sourceDescription)
            }
            let source = tensor.toFloat32()
            var converted = [UInt8](repeating: 0, count: source.count * dtype.byteSize)
            source.withUnsafeBufferPointer(as: Float.self) { floats in
                converted.withUnsafeMutableBytes { convertFromFloat32(source: floats, dtype: dtype, destination: $0) }
            }
            try converted.withUnsafeBytes { try writer.append($0) }
            progress(index + 1, entries.count)
        }
        try writer.finish()
    }
}
