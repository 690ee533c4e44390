import Foundation
import Formats
import Tokenizers

/// The tokenizer files an exported directory carries, taken from the source model: copied from an
/// HF directory, or written from the vocabulary of a GGUF.
public enum TokenizerFiles {
    static let names = ["tokenizer.json", "tokenizer_config.json", "special_tokens_map.json", "chat_template.jinja",
                        "generation_config.json", "tokenizer.model"]

    public static func copy(from source: URL, into directory: URL) throws {
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: source.path, isDirectory: &isDirectory), isDirectory.boolValue {
            for name in names {
                let file = source.appendingPathComponent(name)
                if FileManager.default.fileExists(atPath: file.path) {
                    try FileManager.default.copyItem(at: file, to: directory.appendingPathComponent(name))
                }
            }
            return
        }
        let vocabulary = try GGUFFile(url: source).vocabulary()
        for (name, object) in try files(for: vocabulary, source: source.path) {
            var data = try JSONSerialization.data(withJSONObject: object, options: [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes])
            data.append(0x0A)
            try data.write(to: directory.appendingPathComponent(name))
        }
    }

    /// tokenizer.json, tokenizer_config.json and generation_config.json for a GGUF vocabulary.
    static func files(for vocabulary: GGUFVocabulary, source: String, tokenizerOnly: Bool = false) throws -> [(String, Any)] {
        var files: [(String, Any)] = [("tokenizer.json", try vocabulary.tokenizerJSON(source: source)),
                                      ("tokenizer_config.json", vocabulary.tokenizerConfigJSON())]
        guard !tokenizerOnly else { return files }
        var generation: [String: Any] = ["_from_model_config": true]
        if let bos = vocabulary.bosTokenId { generation["bos_token_id"] = bos }
        if let eos = vocabulary.eosTokenId { generation["eos_token_id"] = eos }
        if let pad = vocabulary.paddingTokenId { generation["pad_token_id"] = pad }
        files.append(("generation_config.json", generation))
        return files
    }
}
