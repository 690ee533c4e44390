import Foundation

/// HF tokenizer files for a GGUF vocabulary, so `quantkit convert` writes a directory that
/// transformers and `tokenizers` load and that tokenizes exactly as llama.cpp does on the GGUF.
///
/// Unlike transformers' own GGUF converter, the pre-tokenizer follows `tokenizer.ggml.pre`
/// (the SmolLM2 digit split, Llama-3 and Qwen2 regexes), because the ids must stay llama.cpp's.
extension GGUFVocabulary {
    /// tokenizer.json as a JSON object.
    public func tokenizerJSON(source: String = "GGUF") throws(TokenizerError) -> [String: Any] {
        var added: [[String: Any]] = []
        for (id, token) in tokens.enumerated() {
            let kind = id < tokenTypes.count ? tokenTypes[id] : 1
            guard kind == 3 || kind == 4 else { continue }
            added.append(["id": id, "content": token, "single_word": false, "lstrip": false, "rstrip": false,
                          "normalized": kind == 4, "special": kind == 3])
        }
        var vocab: [String: Int] = [:]
        for (id, token) in tokens.enumerated() where vocab[token] == nil { vocab[token] = id }
        var root: [String: Any] = ["version": "1.0", "truncation": NSNull(), "padding": NSNull(), "added_tokens": added]
        switch model {
        case "gpt2":
            let pre = preTokenizer ?? "default"
            let byteLevel: [String: Any] = ["type": "ByteLevel", "add_prefix_space": false, "trim_offsets": true, "use_regex": true]
            var byteLevelNoRegex = byteLevel
            byteLevelNoRegex["use_regex"] = false
            func split(_ pattern: String) -> [String: Any] {
                ["type": "Split", "pattern": ["Regex": pattern], "behavior": "Isolated", "invert": false]
            }
            let preTokenizerObject: [String: Any]
            switch pre {
            case "default", "gpt-2", "gpt2": preTokenizerObject = byteLevel
            case "llama-bpe", "llama3", "llama-v3":
                preTokenizerObject = ["type": "Sequence", "pretokenizers": [split(PreTokenizerSplit.llama3Pattern), byteLevelNoRegex]]
            case "qwen2":
                preTokenizerObject = ["type": "Sequence", "pretokenizers": [split(PreTokenizerSplit.qwen2Pattern), byteLevelNoRegex]]
            case "smollm":
                preTokenizerObject = ["type": "Sequence", "pretokenizers": [["type": "Digits", "individual_digits": true], byteLevel]]
            default:
                throw .unsupported(path: source, field: "tokenizer.ggml.pre", value: pre, supported: Tokenizer.ggufPreTokenizers.keys.sorted())
            }
            root["normalizer"] = NSNull()
            root["pre_tokenizer"] = preTokenizerObject
            root["decoder"] = byteLevel
            let pairs: [[String]] = merges.compactMap { merge in
                guard let space = merge.firstIndex(of: " ") else { return nil }
                return [String(merge[..<space]), String(merge[merge.index(after: space)...])]
            }
            root["model"] = bpeModel(vocab: vocab, merges: pairs, unknown: nil, byteFallback: false,
                                     ignoreMerges: ["llama-bpe", "llama3", "llama-v3"].contains(pre))
            root["post_processor"] = postProcessor(defaultBOS: false) ?? byteLevel
        case "llama":
            guard scores.count == tokens.count else {
                throw .invalidVocabulary(reason: "\(source): tokenizer.ggml.scores has \(scores.count) entries for \(tokens.count) tokens")
            }
            let replaceSpace: [String: Any] = ["type": "Replace", "pattern": ["String": " "], "content": "\u{2581}"]
            let prefix = addSpacePrefix ?? true
            root["normalizer"] = prefix
                ? ["type": "Sequence", "normalizers": [["type": "Prepend", "prepend": "\u{2581}"], replaceSpace]] as [String: Any]
                : replaceSpace
            root["pre_tokenizer"] = NSNull()
            var decoders: [[String: Any]] = [["type": "Replace", "pattern": ["String": "\u{2581}"], "content": " "],
                                             ["type": "ByteFallback"], ["type": "Fuse"]]
            if prefix { decoders.append(["type": "Strip", "content": " ", "start": 1, "stop": 0]) }
            root["decoder"] = ["type": "Sequence", "decoders": decoders]
            let unknown = unknownTokenId.flatMap { $0 < tokens.count ? tokens[$0] : nil }
            root["model"] = bpeModel(vocab: vocab, merges: sentencePieceMerges(vocab: vocab), unknown: unknown,
                                     byteFallback: true, ignoreMerges: false)
            root["post_processor"] = postProcessor(defaultBOS: true) ?? NSNull()
        default:
            throw .unsupported(path: source, field: "tokenizer.ggml.model", value: model, supported: ["gpt2", "llama"])
        }
        return root
    }

    /// tokenizer_config.json: the special tokens by name, BOS/EOS behaviour and the chat template.
    public func tokenizerConfigJSON() -> [String: Any] {
        func name(_ id: Int?) -> Any { id.flatMap { $0 >= 0 && $0 < tokens.count ? tokens[$0] : nil } ?? NSNull() }
        var config: [String: Any] = [
            "tokenizer_class": "PreTrainedTokenizerFast",
            "bos_token": name(bosTokenId), "eos_token": name(eosTokenId),
            "unk_token": name(unknownTokenId), "pad_token": name(paddingTokenId),
            "add_bos_token": addBOS ?? (model == "llama"), "add_eos_token": addEOS ?? false,
            "clean_up_tokenization_spaces": false,
            "model_max_length": 1_000_000_000_000_000_000 as Int,
        ]
        if let chatTemplate { config["chat_template"] = chatTemplate }
        return config
    }

    private func bpeModel(vocab: [String: Int], merges: [[String]], unknown: String?, byteFallback: Bool,
                          ignoreMerges: Bool) -> [String: Any] {
        ["type": "BPE", "dropout": NSNull(), "unk_token": unknown ?? NSNull(), "continuing_subword_prefix": NSNull(),
         "end_of_word_suffix": NSNull(), "fuse_unk": byteFallback, "byte_fallback": byteFallback,
         "ignore_merges": ignoreMerges, "vocab": vocab, "merges": merges]
    }

    /// TemplateProcessing that adds BOS/EOS when the GGUF (or llama.cpp's default) says so.
    private func postProcessor(defaultBOS: Bool) -> [String: Any]? {
        var single: [[String: Any]] = [["Sequence": ["id": "A", "type_id": 0]]]
        var pair: [[String: Any]] = [["Sequence": ["id": "A", "type_id": 0]], ["Sequence": ["id": "B", "type_id": 1]]]
        var special: [String: Any] = [:]
        func token(_ id: Int?) -> String? { id.flatMap { $0 >= 0 && $0 < tokens.count ? tokens[$0] : nil } }
        if addBOS ?? defaultBOS, let id = bosTokenId, let bos = token(id) {
            single.insert(["SpecialToken": ["id": bos, "type_id": 0]], at: 0)
            pair.insert(["SpecialToken": ["id": bos, "type_id": 0]], at: 0)
            pair.insert(["SpecialToken": ["id": bos, "type_id": 1]], at: 2)
            special[bos] = ["id": bos, "ids": [id], "tokens": [bos]]
        }
        if addEOS ?? false, let id = eosTokenId, let eos = token(id) {
            single.append(["SpecialToken": ["id": eos, "type_id": 0]])
            pair.insert(["SpecialToken": ["id": eos, "type_id": 0]], at: pair.count - 1)
            pair.append(["SpecialToken": ["id": eos, "type_id": 1]])
            special[eos] = ["id": eos, "ids": [id], "tokens": [eos]]
        }
        return special.isEmpty ? nil : ["type": "TemplateProcessing", "single": single, "pair": pair, "special_tokens": special]
    }

    /// SentencePiece scores as BPE merges, the way transformers' `SentencePieceExtractor` makes them:
    /// every split of a piece into two vocabulary pieces, ranked by the whole piece's score (higher
    /// first), ties in vocabulary order then by the ids of the halves.
    func sentencePieceMerges(vocab: [String: Int]) -> [[String]] {
        var merges: [(left: String, right: String, score: Float, order: Int)] = []
        let byScore = tokens.indices.sorted { scores[$0] != scores[$1] ? scores[$0] > scores[$1] : $0 < $1 }
        for id in byScore {
            let scalars = Array(tokens[id].unicodeScalars)
            guard scalars.count > 1 else { continue }
            var local: [(left: String, right: String, leftId: Int, rightId: Int)] = []
            for cut in 1..<scalars.count {
                var left = String.UnicodeScalarView(), right = String.UnicodeScalarView()
                left.append(contentsOf: scalars[..<cut])
                right.append(contentsOf: scalars[cut...])
                let l = String(left), r = String(right)
                if let leftId = vocab[l], let rightId = vocab[r] { local.append((l, r, leftId, rightId)) }
            }
            local.sort { ($0.leftId, $0.rightId) < ($1.leftId, $1.rightId) }
            for entry in local { merges.append((entry.left, entry.right, scores[id], merges.count)) }
        }
        merges.sort { $0.score != $1.score ? $0.score > $1.score : $0.order < $1.order }
        return merges.map { [$0.left, $0.right] }
    }
}
