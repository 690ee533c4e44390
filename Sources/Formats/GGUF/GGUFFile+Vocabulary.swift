import Tokenizers

extension GGUFFile {
    /// The embedded `tokenizer.ggml.*` vocabulary; errors name the file and the missing key.
    public func vocabulary() throws(TokenizerError) -> GGUFVocabulary {
        func value(_ key: String) -> GGUFValue? { metadata["tokenizer.ggml." + key] }
        guard let model = value("model")?.stringValue else { throw .missingField(path: url.path, field: "tokenizer.ggml.model") }
        guard let tokens = value("tokens")?.stringArray else { throw .missingField(path: url.path, field: "tokenizer.ggml.tokens") }
        return GGUFVocabulary(
            model: model, preTokenizer: value("pre")?.stringValue, tokens: tokens,
            scores: value("scores")?.floatArray ?? [], tokenTypes: value("token_type")?.intArray ?? [],
            merges: value("merges")?.stringArray ?? [], bosTokenId: value("bos_token_id")?.intValue,
            eosTokenId: value("eos_token_id")?.intValue, unknownTokenId: value("unknown_token_id")?.intValue,
            paddingTokenId: value("padding_token_id")?.intValue, addBOS: value("add_bos_token")?.boolValue,
            addEOS: value("add_eos_token")?.boolValue, addSpacePrefix: value("add_space_prefix")?.boolValue,
            chatTemplate: metadata["tokenizer.chat_template"]?.stringValue)
    }
}
