import ArgumentParser
import Exporters
import Foundation
import Formats
import Models

struct ConvertCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "convert",
        abstract: "Convert a GGUF model to an HF directory (config.json, model.safetensors, tokenizer files) that transformers loads.")

    @Option(name: .long, help: "The .gguf file to convert.") var model: String
    @Option(name: .long, help: "The directory to create (must not exist).") var output: String
    @Option(name: .long, help: "Weight dtype: f32, bf16 or f16 (quantized blocks are dequantized first).") var dtype = "f32"
    @Flag(name: [.customLong("tokenizer-only")], help: "Write only tokenizer.json and tokenizer_config.json.") var tokenizerOnly = false
    @Flag(name: .long, help: "Print a JSON summary on stdout.") var json = false

    func validate() throws {
        guard HFDirectoryExporter.dtypes[dtype] != nil else {
            throw ValidationError("--dtype '\(dtype)' is not supported; supported: \(HFDirectoryExporter.dtypes.keys.sorted().joined(separator: ", "))")
        }
        guard model.lowercased().hasSuffix(".gguf") else {
            throw ValidationError("--model must be a .gguf file (converting an HF directory to GGUF is not supported yet), got \(model)")
        }
    }

    func run() throws {
        let start = Date()
        let url = URL(fileURLWithPath: model)
        let file = try GGUFFile(url: url)
        let vocabulary = try file.vocabulary()
        let destination = URL(fileURLWithPath: output)
        var tensorCount = 0
        if tokenizerOnly {
            try HFDirectoryExporter.exportTokenizer(vocabulary, source: url.path, to: destination)
        } else {
            let weights = try GGUFWeightSource(file: file)
            let exporter = HFDirectoryExporter(weights: weights, configuration: weights.configuration,
                                               vocabulary: vocabulary, dtype: dtype)
            var progress: Progress?
            try exporter.export(to: destination) { done, total in
                if progress == nil { progress = Progress("tensor", total: total) }
                progress?.update(done)
                tensorCount = total
            }
        }
        let seconds = Date().timeIntervalSince(start)
        if json {
            try printJSON(ConvertSummary(output: destination.path, dtype: dtype, tensors: tensorCount, seconds: seconds))
        } else {
            print("wrote \(destination.path) (\(tensorCount) tensors, \(dtype)) in \(Progress.format(seconds))")
        }
    }
}

struct ConvertSummary: Encodable {
    var output: String
    var dtype: String
    var tensors: Int
    var seconds: Double
}
