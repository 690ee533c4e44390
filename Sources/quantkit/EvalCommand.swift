import ArgumentParser
import Exporters
import Evaluation
import Foundation
import Models

struct EvalCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "eval",
        abstract: "Perplexity of a model on a text file (DESIGN.md protocol), optionally KL divergence against a reference model.")

    @Option(name: .long, help: "HF model directory or .gguf file.") var model: String
    @Option(name: .long, help: "UTF-8 text file, read as one string.") var data: String
    @Option(name: [.customLong("seq-len")], help: "Tokens per window.") var sequenceLength = 512
    @Option(name: [.customLong("max-windows")], help: "Score at most this many windows.") var maxWindows: Int?
    @Option(name: [.customLong("kl-reference")], help: "Reference model: report mean KL(reference ‖ model) and top-1 agreement.")
    var klReference: String?
    @Flag(name: .long, help: "Print one JSON object on stdout.") var json = false

    func validate() throws {
        guard sequenceLength >= 2 else { throw ValidationError("--seq-len must be at least 2, got \(sequenceLength)") }
        if let maxWindows, maxWindows < 1 { throw ValidationError("--max-windows must be at least 1, got \(maxWindows)") }
    }

    func run() throws {
        let loaded = try AnyModelLoader.load(model)
        let text = try readText(data)
        let tokens = loaded.tokenizer.encode(text, addSpecialTokens: false)
        try EvaluationError.check(tokens: tokens.count, sequenceLength: sequenceLength, model: loaded.model, source: data)
        let windowCount = min(tokens.count / sequenceLength, maxWindows ?? .max)
        let progress = Progress("window", total: windowCount)
        if let klReference {
            let reference = try AnyModelLoader.load(klReference)
            let result = try Divergence.evaluate(model: loaded.model, reference: reference.model, tokens: tokens,
                                                 sequenceLength: sequenceLength, maxWindows: maxWindows, source: data) { done, _ in progress.update(done) }
            if json { try printJSON(result) } else {
                print(String(format: "perplexity %.4f  reference %.4f  mean KL %.6f  top-1 agreement %.2f%%  (%d windows)",
                             result.perplexity, result.referencePerplexity, result.meanKLDivergence, 100 * result.topOneAgreement, result.windows))
            }
            return
        }
        let result = try Perplexity.evaluate(model: loaded.model, tokens: tokens, sequenceLength: sequenceLength,
                                             maxWindows: maxWindows, source: data) { done, _, running in
            progress.update(done, detail: String(format: "ppl %.4f", running))
        }
        if json { try printJSON(result) } else {
            print(String(format: "perplexity %.4f over %d windows of %d tokens (%.1f s)",
                         result.perplexity, result.windows, result.sequenceLength, result.seconds))
        }
    }
}

/// Reads a UTF-8 text file, naming the file in the error.
func readText(_ path: String) throws -> String {
    guard let data = FileManager.default.contents(atPath: path) else {
        throw ValidationError("\(path): cannot read the file")
    }
    guard let text = String(data: data, encoding: .utf8) else { throw ValidationError("\(path): not valid UTF-8") }
    guard !text.isEmpty else { throw ValidationError("\(path): the file is empty") }
    return text
}
