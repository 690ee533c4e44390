import Foundation

/// The parts of tokenizer_config.json a tokenizer needs: BOS/EOS behaviour, special token strings
/// (plain strings or `{"content": ...}` objects) and the chat template (a string, a list of named
/// templates, or a sibling chat_template.jinja). A missing file means defaults.
struct TokenizerConfigFile {
    var addBOS = false
    var addEOS = false
    var bosToken: String?
    var eosToken: String?
    var unknownToken: String?
    var padToken: String?
    var chatTemplate: String?

    init(url: URL) throws(TokenizerError) {
        let jinja = url.deletingLastPathComponent().appendingPathComponent("chat_template.jinja")
        if let data = FileManager.default.contents(atPath: jinja.path) { chatTemplate = String(decoding: data, as: UTF8.self) }
        guard let data = FileManager.default.contents(atPath: url.path) else { return }
        guard let object = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any] else { throw .invalidJSON(path: url.path) }
        func token(_ key: String) -> String? {
            if let string = object[key] as? String { return string }
            return (object[key] as? [String: Any])?["content"] as? String
        }
        addBOS = (object["add_bos_token"] as? Bool) ?? false
        addEOS = (object["add_eos_token"] as? Bool) ?? false
        bosToken = token("bos_token")
        eosToken = token("eos_token")
        unknownToken = token("unk_token")
        padToken = token("pad_token")
        if let template = object["chat_template"] as? String {
            chatTemplate = template
        } else if let named = object["chat_template"] as? [[String: Any]] {
            chatTemplate = named.first { $0["name"] as? String == "default" }?["template"] as? String
                ?? named.first?["template"] as? String
        }
    }
}
