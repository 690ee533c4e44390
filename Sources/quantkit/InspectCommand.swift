import ArgumentParser
import Foundation
import Formats
import Models
import Tensors

struct InspectCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "inspect",
        abstract: "Describe a model: architecture, dimensions, tensor dtypes and bytes, quantization config, tokenizer.")

    @Argument(help: "HF model directory or .gguf file.") var path: String
    @Flag(name: .long, help: "Print one JSON object.") var json = false
    @Flag(name: .long, help: "Add each tensor's checksum of its float32 (dequantized) values (see floatChecksum).")
    var checksums = false

    func run() throws {
        var report = InspectReport(path: path)
        let url = URL(fileURLWithPath: path)
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            throw ValidationError("\(path): no such file or directory")
        }
        if isDirectory.boolValue {
            report.format = "hf-directory"
            let hf = try HFConfiguration(url: url.appendingPathComponent("config.json"))
            report.configuration = try LlamaConfiguration(hf, source: url.appendingPathComponent("config.json").path).summary
            if let quantization = hf.quantizationConfig,
               let data = try? JSONSerialization.data(withJSONObject: quantization, options: [.sortedKeys]) {
                report.quantizationConfig = String(decoding: data, as: UTF8.self)
            }
            let checkpoint = try SafetensorsCheckpoint(directory: url)
            for name in checkpoint.tensorNames {
                let entry = checkpoint.entry(named: name)!
                report.add(dtype: entry.dtype.rawValue, bytes: entry.dataRange.count)
                if checksums { report.checksums[name] = checksum(try checkpoint.tensor(named: name)) }
            }
            report.tokenizer = FileManager.default.fileExists(atPath: url.appendingPathComponent("tokenizer.json").path)
                ? "tokenizer.json" : "none"
        } else {
            report.format = "gguf"
            let file = try GGUFFile(url: url)
            report.ggufVersion = Int(file.version)
            if let weights = try? GGUFWeightSource(file: file) { report.configuration = weights.configuration.summary }
            for info in file.tensors {
                report.add(dtype: info.type.name, bytes: info.byteCount)
                if checksums { report.checksums[info.name] = checksum(try file.dequantize(info)) }
            }
            let model = file.metadata["tokenizer.ggml.model"]?.stringValue
            report.tokenizer = model.map { "gguf:\($0)" + (file.metadata["tokenizer.ggml.pre"]?.stringValue.map { " (pre \($0))" } ?? "") } ?? "none"
        }
        if json {
            try printJSON(report)
        } else {
            print(report.text)
        }
    }

    func checksum(_ tensor: Tensor) -> String {
        tensor.toFloat32().withUnsafeBufferPointer(as: Float.self) { floatChecksum($0) }
    }
}

/// What `inspect` prints; also its `--json` schema.
struct InspectReport: Encodable {
    var path: String
    var format = ""
    var ggufVersion: Int?
    var configuration: [String: String] = [:]
    var tensorCount = 0
    var totalBytes = 0
    var dtypes: [String: Int] = [:]
    var quantizationConfig: String?
    var tokenizer = ""
    var checksums: [String: String] = [:]

    enum CodingKeys: String, CodingKey {
        case path, format, configuration, dtypes, tokenizer, checksums
        case ggufVersion = "gguf_version"
        case tensorCount = "tensor_count"
        case totalBytes = "total_bytes"
        case quantizationConfig = "quantization_config"
    }

    mutating func add(dtype: String, bytes: Int) {
        tensorCount += 1
        totalBytes += bytes
        dtypes[dtype, default: 0] += 1
    }

    var text: String {
        var lines = ["\(path) (\(format)\(ggufVersion.map { " v\($0)" } ?? ""))"]
        for key in configuration.keys.sorted() { lines.append("  \(key): \(configuration[key]!)") }
        lines.append("  tensors: \(tensorCount), \(String(format: "%.1f", Double(totalBytes) / 1e6)) MB")
        lines.append("  dtypes: " + dtypes.keys.sorted().map { "\($0) × \(dtypes[$0]!)" }.joined(separator: ", "))
        lines.append("  quantization_config: \(quantizationConfig ?? "none")")
        lines.append("  tokenizer: \(tokenizer)")
        for name in checksums.keys.sorted() { lines.append("  \(checksums[name]!)  \(name)") }
        return lines.joined(separator: "\n")
    }
}

extension LlamaConfiguration {
    /// Human-readable fields for `inspect`.
    var summary: [String: String] {
        ["architecture": modelType, "hidden_size": "\(hiddenSize)", "intermediate_size": "\(intermediateSize)",
         "layers": "\(layerCount)", "heads": "\(headCount)", "kv_heads": "\(keyValueHeadCount)",
         "head_dim": "\(headDimension)", "vocab_size": "\(vocabularySize)", "max_positions": "\(maxPositions)",
         "rope": "\(rope.kind.rawValue) theta \(rope.theta)", "tied_embeddings": "\(tiedEmbeddings)"]
    }
}
