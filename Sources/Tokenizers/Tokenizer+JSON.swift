import Foundation

extension Tokenizer {
    /// Builds the pipeline of an HF `tokenizer.json`, with BOS/EOS and the chat template from the
    /// sibling `tokenizer_config.json` (and `chat_template.jinja`, where transformers 5 puts it).
    public init(tokenizerJSON url: URL, tokenizerConfig configURL: URL? = nil) throws(TokenizerError) {
        let path = url.path
        guard let data = FileManager.default.contents(atPath: path) else { throw .cannotRead(path: path) }
        guard let root = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any] else { throw .invalidJSON(path: path) }
        guard let modelObject = root["model"] as? [String: Any] else { throw .missingField(path: path, field: "model") }
        let modelType = (modelObject["type"] as? String) ?? "BPE"
        guard modelType == "BPE" else { throw .unsupported(path: path, field: "model.type", value: modelType, supported: ["BPE"]) }
        guard let vocabulary = modelObject["vocab"] as? [String: Any] else { throw .missingField(path: path, field: "model.vocab") }
        var tokenToId: [String: Int] = [:]
        tokenToId.reserveCapacity(vocabulary.count)
        for (token, value) in vocabulary { if let id = (value as? NSNumber)?.intValue { tokenToId[token] = id } }
        let added = (root["added_tokens"] as? [[String: Any]]) ?? []
        for entry in added {
            if let content = entry["content"] as? String, let id = (entry["id"] as? NSNumber)?.intValue { tokenToId[content] = id }
        }
        let size = (tokenToId.values.max() ?? -1) + 1
        var idToToken = [String](repeating: "", count: size)
        for (token, id) in tokenToId where id >= 0 { idToToken[id] = token }

        var merges: [(String, String)] = []
        for (index, merge) in ((modelObject["merges"] as? [Any]) ?? []).enumerated() {
            if let pair = merge as? [String], pair.count == 2 {
                merges.append((pair[0], pair[1]))
            } else if let text = merge as? String, let space = text.firstIndex(of: " ") {
                merges.append((String(text[..<space]), String(text[text.index(after: space)...])))
            } else {
                throw .unsupported(path: path, field: "model.merges[\(index)]", value: "\(merge)", supported: ["\"a b\"", "[\"a\", \"b\"]"])
            }
        }
        let unknownId = (modelObject["unk_token"] as? String).flatMap { tokenToId[$0] }
        let model = try BPEModel(tokenToId: tokenToId, idToToken: idToToken, merges: merges, unknownId: unknownId,
                                 byteFallback: (modelObject["byte_fallback"] as? Bool) ?? false,
                                 ignoreMerges: (modelObject["ignore_merges"] as? Bool) ?? false)

        let addedTokens = AddedTokens(added.compactMap { entry in
            guard let content = entry["content"] as? String, let id = (entry["id"] as? NSNumber)?.intValue else { return nil }
            return AddedTokens.Token(content: Array(content.unicodeScalars), id: id, special: (entry["special"] as? Bool) ?? false,
                                     stripLeft: (entry["lstrip"] as? Bool) ?? false, stripRight: (entry["rstrip"] as? Bool) ?? false)
        })
        let config = try TokenizerConfigFile(url: configURL ?? url.deletingLastPathComponent().appendingPathComponent("tokenizer_config.json"))
        var postProcessor = try Self.postProcessor(root["post_processor"], tokenToId: tokenToId, path: path)
        // When the post-processor adds nothing, tokenizer_config's add_bos/add_eos decide (Llama-style configs).
        if postProcessor.prefix.isEmpty && postProcessor.suffix.isEmpty {
            if config.addBOS, let bos = config.bosToken.flatMap({ tokenToId[$0] }) { postProcessor.prefix = [bos] }
            if config.addEOS, let eos = config.eosToken.flatMap({ tokenToId[$0] }) { postProcessor.suffix = [eos] }
        }
        var strings: [String: String] = [:]
        strings["bos_token"] = config.bosToken
        strings["eos_token"] = config.eosToken
        strings["unk_token"] = config.unknownToken
        strings["pad_token"] = config.padToken
        self.init(model: model,
                  normalizers: try Self.normalizers(root["normalizer"], path: path),
                  preTokenizer: try Self.preTokenizer(root["pre_tokenizer"], path: path),
                  decoders: try Self.decoders(root["decoder"], path: path),
                  addedTokens: addedTokens, postProcessor: postProcessor,
                  specialIds: Set(addedTokens.all.filter(\.special).map(\.id)), sentencePiece: nil,
                  bosTokenId: config.bosToken.flatMap { tokenToId[$0] }, eosTokenId: config.eosToken.flatMap { tokenToId[$0] },
                  chatTemplate: config.chatTemplate, specialTokenStrings: strings)
    }

    /// `directory/tokenizer.json` with its `tokenizer_config.json`.
    public init(directory: URL) throws(TokenizerError) {
        try self.init(tokenizerJSON: directory.appendingPathComponent("tokenizer.json"),
                      tokenizerConfig: directory.appendingPathComponent("tokenizer_config.json"))
    }

    static func steps(_ object: Any?, key: String) -> [[String: Any]] {
        guard let object = object as? [String: Any] else { return [] }
        if object["type"] as? String == "Sequence", let list = object[key] as? [[String: Any]] { return list }
        return [object]
    }

    static func normalizers(_ object: Any?, path: String) throws(TokenizerError) -> [Normalizer] {
        var result: [Normalizer] = []
        for step in steps(object, key: "normalizers") {
            let type = step["type"] as? String ?? "?"
            switch type {
            case "Prepend": result.append(.prepend(step["prepend"] as? String ?? ""))
            case "Replace": result.append(.replace(pattern: try stringPattern(step, path: path, field: "normalizer.Replace"), content: step["content"] as? String ?? ""))
            case "NFC": result.append(.nfc)
            case "NFKC": result.append(.nfkc)
            default: throw .unsupported(path: path, field: "normalizer.type", value: type, supported: ["Sequence", "Prepend", "Replace", "NFC", "NFKC"])
            }
        }
        return result
    }

    static func stringPattern(_ step: [String: Any], path: String, field: String) throws(TokenizerError) -> String {
        guard let pattern = step["pattern"] as? [String: Any], let string = pattern["String"] as? String else {
            throw .unsupported(path: path, field: field + ".pattern", value: "\(step["pattern"] ?? "nil")", supported: ["{\"String\": ...}"])
        }
        return string
    }

    static func preTokenizer(_ object: Any?, path: String) throws(TokenizerError) -> [PreTokenizerStep] {
        var result: [PreTokenizerStep] = []
        for step in steps(object, key: "pretokenizers") {
            let type = step["type"] as? String ?? "?"
            switch type {
            case "ByteLevel":
                if (step["use_regex"] as? Bool) ?? true { result.append(.split(.gpt2)) }
                result.append(.byteLevel(addPrefixSpace: (step["add_prefix_space"] as? Bool) ?? false))
            case "Split":
                let pattern = (step["pattern"] as? [String: Any])?["Regex"] as? String ?? "?"
                guard let splitter = PreTokenizerSplit(pattern: pattern) else {
                    throw .unsupported(path: path, field: "pre_tokenizer.Split.pattern", value: pattern,
                                       supported: ["the GPT-2, Llama-3 and Qwen2 split regexes"])
                }
                result.append(.split(splitter))
            case "Digits":
                if (step["individual_digits"] as? Bool) ?? false { result.append(.individualDigits) }
            case "Metaspace":
                let scheme = step["prepend_scheme"] as? String ?? ((step["add_prefix_space"] as? Bool ?? true) ? "always" : "never")
                guard let prepend = MetaspacePrepend(rawValue: scheme) else {
                    throw .unsupported(path: path, field: "pre_tokenizer.Metaspace.prepend_scheme", value: scheme,
                                       supported: ["always", "first", "never"])
                }
                result.append(.metaspace(replacement: step["replacement"] as? String ?? "\u{2581}",
                                         prepend: prepend, split: (step["split"] as? Bool) ?? true))
            default:
                throw .unsupported(path: path, field: "pre_tokenizer.type", value: type,
                                   supported: ["Sequence", "ByteLevel", "Split", "Digits", "Metaspace"])
            }
        }
        return result
    }

    static func decoders(_ object: Any?, path: String) throws(TokenizerError) -> [DecoderStep] {
        var result: [DecoderStep] = []
        for step in steps(object, key: "decoders") {
            let type = step["type"] as? String ?? "?"
            switch type {
            case "ByteLevel": result.append(.byteLevel)
            case "ByteFallback": result.append(.byteFallback)
            case "Fuse": result.append(.fuse)
            case "Replace": result.append(.replace(pattern: try stringPattern(step, path: path, field: "decoder.Replace"), content: step["content"] as? String ?? ""))
            case "Strip":
                let content = (step["content"] as? String)?.first ?? " "
                result.append(.strip(content: content, start: (step["start"] as? NSNumber)?.intValue ?? 0, stop: (step["stop"] as? NSNumber)?.intValue ?? 0))
            case "Metaspace":
                let scheme = step["prepend_scheme"] as? String ?? "always"
                result.append(.metaspace(replacement: step["replacement"] as? String ?? "\u{2581}", stripLeading: scheme != "never"))
            default:
                throw .unsupported(path: path, field: "decoder.type", value: type,
                                   supported: ["Sequence", "ByteLevel", "ByteFallback", "Fuse", "Replace", "Strip", "Metaspace"])
            }
        }
        return result
    }

    static func postProcessor(_ object: Any?, tokenToId: [String: Int], path: String) throws(TokenizerError) -> PostProcessor {
        var result = PostProcessor()
        for step in steps(object, key: "processors") {
            let type = step["type"] as? String ?? "?"
            switch type {
            case "ByteLevel": continue  // offsets only; ids unchanged
            case "TemplateProcessing":
                let single = (step["single"] as? [[String: Any]]) ?? []
                let special = (step["special_tokens"] as? [String: [String: Any]]) ?? [:]
                var seenSequence = false
                for item in single {
                    if item["Sequence"] != nil { seenSequence = true; continue }
                    guard let token = item["SpecialToken"] as? [String: Any], let name = token["id"] as? String else { continue }
                    let ids = (special[name]?["ids"] as? [NSNumber])?.map(\.intValue) ?? tokenToId[name].map { [$0] } ?? []
                    if seenSequence { result.suffix += ids } else { result.prefix += ids }
                }
            default:
                throw .unsupported(path: path, field: "post_processor.type", value: type, supported: ["Sequence", "TemplateProcessing", "ByteLevel"])
            }
        }
        return result
    }
}
