import ArgumentParser
import Foundation
import Models

struct TokenizeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tokenize",
        abstract: "Token ids of a text with a model's tokenizer (adds special tokens as transformers' AutoTokenizer does by default).")

    @Option(name: .long, help: "HF model directory (tokenizer.json) or .gguf file.") var model: String
    @Option(name: .long, help: "The text to tokenize.") var text: String?
    @Option(name: .long, help: "A UTF-8 file to tokenize.") var file: String?
    @Flag(name: [.customLong("no-special-tokens")], help: "Do not add BOS/EOS.") var noSpecialTokens = false
    @Flag(name: .long, help: "Print {\"ids\": [...]}.") var json = false

    func validate() throws {
        guard (text == nil) != (file == nil) else { throw ValidationError("give exactly one of --text or --file") }
    }

    func run() throws {
        let tokenizer = try ModelLoader.loadTokenizer(model)
        let input = try text ?? readText(file!)
        let ids = tokenizer.encode(input, addSpecialTokens: !noSpecialTokens)
        if json {
            try printJSON(["ids": ids])
        } else {
            print(ids.map(String.init).joined(separator: " "))
        }
    }
}
