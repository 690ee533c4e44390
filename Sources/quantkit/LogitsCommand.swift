import ArgumentParser
import Exporters
import Foundation
import Formats
import Models
import Tensors

struct LogitsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "logits",
        abstract: "Write a model's next-token logits for a text to a safetensors file (to compare with other tools).",
        discussion: "The file holds input_ids (I64 [n]) and logits (F32 [n, vocab]) for one window scored from an empty cache.")

    @Option(name: .long, help: "HF model directory or .gguf file.") var model: String
    @Option(name: .long, help: "The text (tokenized without special tokens unless --ids is given).") var text: String?
    @Option(name: .long, help: "Comma-separated token ids instead of --text.") var ids: String?
    @Option(name: .long, help: "The safetensors file to write.") var output: String
    @Option(name: .long, help: "Run only the first N decoder layers (to find where two tools part).") var layers: Int?

    func validate() throws {
        guard (text == nil) != (ids == nil) else { throw ValidationError("give exactly one of --text or --ids") }
    }

    func run() throws {
        let loaded = try AnyModelLoader.load(model)
        var network = loaded.model
        if let layers { network.layers = Array(network.layers.prefix(max(0, layers))) }
        let tokens: [Int]
        if let ids {
            tokens = try ids.split(separator: ",").map { part in
                guard let id = Int(part.trimmingCharacters(in: .whitespaces)) else {
                    throw ValidationError("--ids: '\(part)' is not an integer")
                }
                return id
            }
        } else {
            tokens = loaded.tokenizer.encode(text!, addSpecialTokens: false)
        }
        guard !tokens.isEmpty else { throw ValidationError("the input has no tokens") }
        guard tokens.count <= network.configuration.maxPositions else {
            throw ValidationError("the input is \(tokens.count) tokens; the model's context is \(loaded.model.configuration.maxPositions)")
        }
        let logits = try network.forward(tokens: tokens, cache: network.makeCache(capacity: tokens.count))
        try SafetensorsWriter.write(["logits": logits, "input_ids": Tensor(shape: [tokens.count], dtype: .int64, values: tokens.map(Int64.init))],
                                    to: URL(fileURLWithPath: output))
    }
}
