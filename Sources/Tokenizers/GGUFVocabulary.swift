/// The vocabulary a GGUF file embeds (`tokenizer.ggml.*`), as plain data: Tokenizers knows nothing
/// of the file format; Formats fills this in.
public struct GGUFVocabulary: Sendable {
    /// `tokenizer.ggml.model`: "gpt2" (byte-level BPE) or "llama" (SentencePiece).
    public var model: String
    /// `tokenizer.ggml.pre`: which split regex a gpt2 model uses.
    public var preTokenizer: String?
    public var tokens: [String]
    public var scores: [Float]
    /// 1 normal, 2 unknown, 3 control, 4 user-defined, 5 unused, 6 byte.
    public var tokenTypes: [Int]
    public var merges: [String]
    public var bosTokenId: Int?
    public var eosTokenId: Int?
    public var unknownTokenId: Int?
    public var paddingTokenId: Int?
    public var addBOS: Bool?
    public var addEOS: Bool?
    public var addSpacePrefix: Bool?
    public var chatTemplate: String?

    public init(model: String, preTokenizer: String? = nil, tokens: [String], scores: [Float] = [], tokenTypes: [Int] = [],
                merges: [String] = [], bosTokenId: Int? = nil, eosTokenId: Int? = nil, unknownTokenId: Int? = nil,
                paddingTokenId: Int? = nil, addBOS: Bool? = nil, addEOS: Bool? = nil, addSpacePrefix: Bool? = nil,
                chatTemplate: String? = nil) {
        self.model = model
        self.preTokenizer = preTokenizer
        self.tokens = tokens
        self.scores = scores
        self.tokenTypes = tokenTypes
        self.merges = merges
        self.bosTokenId = bosTokenId
        self.eosTokenId = eosTokenId
        self.unknownTokenId = unknownTokenId
        self.paddingTokenId = paddingTokenId
        self.addBOS = addBOS
        self.addEOS = addEOS
        self.addSpacePrefix = addSpacePrefix
        self.chatTemplate = chatTemplate
    }
}

extension Tokenizer {
    /// `tokenizer.ggml.pre` values and the split each implies (llama.cpp `llama-vocab.cpp`).
    static let ggufPreTokenizers: [String: [PreTokenizerStep]] = [
        "default": [.split(.gpt2)], "gpt-2": [.split(.gpt2)], "gpt2": [.split(.gpt2)],
        "llama-bpe": [.split(.llama3(maximumDigits: 3))], "llama3": [.split(.llama3(maximumDigits: 3))],
        "llama-v3": [.split(.llama3(maximumDigits: 3))], "qwen2": [.split(.llama3(maximumDigits: 1))],
        "smollm": [.individualDigits, .split(.gpt2)],
    ]

    /// A tokenizer that behaves like llama.cpp's on this vocabulary, with control and user-defined
    /// tokens matched as special tokens in the text.
    public init(vocabulary: GGUFVocabulary, source: String = "GGUF") throws(TokenizerError) {
        var tokenToId: [String: Int] = [:]
        tokenToId.reserveCapacity(vocabulary.tokens.count)
        for (id, token) in vocabulary.tokens.enumerated() where tokenToId[token] == nil { tokenToId[token] = id }
        let types = vocabulary.tokenTypes
        func type(_ id: Int) -> Int { id < types.count ? types[id] : 1 }
        let added = AddedTokens(vocabulary.tokens.indices.compactMap { id in
            let kind = type(id)
            guard kind == 3 || kind == 4 else { return nil }
            return AddedTokens.Token(content: Array(vocabulary.tokens[id].unicodeScalars), id: id, special: kind == 3,
                                     stripLeft: false, stripRight: false)
        })
        var model: BPEModel
        var preTokenizer: [PreTokenizerStep] = []
        var decoders: [DecoderStep] = []
        var sentencePiece: SentencePieceModel?
        switch vocabulary.model {
        case "gpt2":
            let pre = vocabulary.preTokenizer ?? "default"
            guard let steps = Self.ggufPreTokenizers[pre] else {
                throw .unsupported(path: source, field: "tokenizer.ggml.pre", value: pre, supported: Self.ggufPreTokenizers.keys.sorted())
            }
            preTokenizer = steps + [.byteLevel(addPrefixSpace: false)]
            decoders = [.byteLevel]
            let merges = vocabulary.merges.compactMap { merge -> (String, String)? in
                guard let space = merge.firstIndex(of: " ") else { return nil }
                return (String(merge[..<space]), String(merge[merge.index(after: space)...]))
            }
            // llama.cpp sets ignore_merges for the Llama-3 pre-tokenizer (as HF's Llama-3 tokenizer.json does).
            let ignoreMerges = ["llama-bpe", "llama3", "llama-v3"].contains(pre)
            model = try BPEModel(tokenToId: tokenToId, idToToken: vocabulary.tokens, merges: merges,
                                 unknownId: vocabulary.unknownTokenId, byteFallback: false, ignoreMerges: ignoreMerges)
        case "llama":
            guard vocabulary.scores.count == vocabulary.tokens.count else {
                throw .invalidVocabulary(reason: "\(source): tokenizer.ggml.scores has \(vocabulary.scores.count) entries for \(vocabulary.tokens.count) tokens")
            }
            model = try BPEModel(tokenToId: tokenToId, idToToken: vocabulary.tokens, merges: [],
                                 unknownId: vocabulary.unknownTokenId, byteFallback: true, ignoreMerges: false)
            sentencePiece = SentencePieceModel(tokenToId: tokenToId, scores: vocabulary.scores,
                                               addSpacePrefix: vocabulary.addSpacePrefix ?? true, unknownId: vocabulary.unknownTokenId)
            decoders = [.byteFallback, .fuse, .metaspace(replacement: "\u{2581}", stripLeading: vocabulary.addSpacePrefix ?? true)]
        default:
            throw .unsupported(path: source, field: "tokenizer.ggml.model", value: vocabulary.model, supported: ["gpt2", "llama"])
        }
        var post = PostProcessor()
        // llama.cpp defaults: SentencePiece adds BOS, byte-level BPE does not, unless the file says.
        if vocabulary.addBOS ?? (vocabulary.model == "llama"), let bos = vocabulary.bosTokenId { post.prefix = [bos] }
        if vocabulary.addEOS ?? false, let eos = vocabulary.eosTokenId { post.suffix = [eos] }
        var strings: [String: String] = [:]
        if let id = vocabulary.bosTokenId, id < vocabulary.tokens.count { strings["bos_token"] = vocabulary.tokens[id] }
        if let id = vocabulary.eosTokenId, id < vocabulary.tokens.count { strings["eos_token"] = vocabulary.tokens[id] }
        self.init(model: model, normalizers: [], preTokenizer: preTokenizer, decoders: decoders, addedTokens: added,
                  postProcessor: post, specialIds: Set(vocabulary.tokens.indices.filter { type($0) == 3 }),
                  sentencePiece: sentencePiece, bosTokenId: vocabulary.bosTokenId, eosTokenId: vocabulary.eosTokenId,
                  chatTemplate: vocabulary.chatTemplate, specialTokenStrings: strings)
    }
}
