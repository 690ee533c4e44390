import ArgumentParser
import Exporters
import Foundation
import Models
import Tokenizers

struct GenerateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "generate",
        abstract: "Generate text from a prompt, printing it as it is produced (greedy at temperature 0).")

    @Option(name: .long, help: "HF model directory or .gguf file.") var model: String
    @Option(name: .long, help: "The prompt text.") var prompt: String
    @Flag(name: .long, help: "Wrap the prompt as a user message in the model's chat template.") var chat = false
    @Option(name: .long, help: "With --chat: a system message placed before the prompt.") var system: String?
    @Option(name: [.customLong("max-tokens")], help: "New tokens at most.") var maxTokens = 128
    @Option(name: .long, help: "0 is greedy.") var temperature: Float = 0
    @Option(name: [.customLong("top-p")], help: "Nucleus sampling threshold.") var topP: Float?
    @Option(name: [.customLong("top-k")], help: "Sample from the k most likely tokens.") var topK: Int?
    @Option(name: .long, help: "Random seed for sampling.") var seed: UInt64 = 0
    @Flag(name: .long, help: "Print one JSON object (text, token ids, timings) instead of streaming.") var json = false

    func validate() throws {
        guard maxTokens >= 1 else { throw ValidationError("--max-tokens must be at least 1, got \(maxTokens)") }
        guard temperature >= 0 else { throw ValidationError("--temperature must be ≥ 0, got \(temperature)") }
        if let topP, !(topP > 0 && topP <= 1) { throw ValidationError("--top-p must be in (0, 1], got \(topP)") }
        if let topK, topK < 1 { throw ValidationError("--top-k must be at least 1, got \(topK)") }
        if system != nil && !chat { throw ValidationError("--system needs --chat") }
    }

    func run() throws {
        let loaded = try AnyModelLoader.load(model)
        let ids: [Int]
        if chat {
            var messages = [ChatMessage(role: "user", content: prompt)]
            if let system { messages.insert(ChatMessage(role: "system", content: system), at: 0) }
            ids = try loaded.tokenizer.encodeChat(messages)
        } else {
            ids = loaded.tokenizer.encode(prompt)
        }
        let generator = Generator(model: loaded.model, stopTokenIds: loaded.stopTokenIds)
        let sampler = Sampler(temperature: temperature, topK: topK, topP: topP, seed: seed)
        let start = Date()
        var streamed: [Int] = []
        var printedText = ""
        let result = try generator.generate(prompt: ids, maxTokens: maxTokens, sampler: sampler) { token in
            streamed.append(token)
            if !json {
                // Decode the whole continuation and print what is new, so multi-token characters
                // appear only once complete.
                let full = loaded.tokenizer.decode(streamed, skipSpecialTokens: true)
                if full.hasPrefix(printedText), !full.hasSuffix("\u{FFFD}") {
                    FileHandle.standardOutput.write(Data(String(full.dropFirst(printedText.count)).utf8))
                    printedText = full
                }
            }
            return true
        }
        let seconds = Date().timeIntervalSince(start)
        if json {
            try printJSON(GenerationOutput(text: loaded.tokenizer.decode(result.tokens, skipSpecialTokens: true),
                                           promptTokens: ids, tokens: result.tokens, finishReason: result.finish.rawValue,
                                           seconds: seconds))
        } else {
            print("")
            note(String(format: "%d prompt tokens, %d generated in %.2f s (%@)", ids.count, result.tokens.count, seconds,
                        result.finish.rawValue))
        }
    }
}

struct GenerationOutput: Encodable {
    var text: String
    var promptTokens: [Int]
    var tokens: [Int]
    var finishReason: String
    var seconds: Double
    enum CodingKeys: String, CodingKey {
        case text, tokens, seconds
        case promptTokens = "prompt_tokens"
        case finishReason = "finish_reason"
    }
}
