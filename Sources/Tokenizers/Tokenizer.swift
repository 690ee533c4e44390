import Foundation

/// Text ↔ token ids for a model: HF tokenizer.json pipelines and GGUF-embedded vocabularies.
///
/// Encoding runs: added/special tokens matched in the raw text → normalizers → pre-tokenizer
/// pieces → the BPE model per piece → post-processor (BOS/EOS) when `addSpecialTokens`.
public struct Tokenizer: Sendable {
    let model: BPEModel
    let normalizers: [Normalizer]
    let preTokenizer: [PreTokenizerStep]
    let decoders: [DecoderStep]
    let addedTokens: AddedTokens
    let postProcessor: PostProcessor
    let specialIds: Set<Int>
    /// SentencePiece-style vocabularies (llama.cpp `llama` model) score merges instead of ranking them.
    let sentencePiece: SentencePieceModel?

    public let bosTokenId: Int?
    public let eosTokenId: Int?
    public let chatTemplate: String?
    /// `bos_token`, `eos_token`, ... as strings, for chat templates.
    public let specialTokenStrings: [String: String]

    public var vocabularySize: Int { model.idToToken.count }
    public func id(for token: String) -> Int? { model.tokenToId[token] }
    public func token(for id: Int) -> String? { id >= 0 && id < model.idToToken.count ? model.idToToken[id] : nil }

    /// Token ids of `text`; `addSpecialTokens` adds what the post-processor adds (BOS/EOS), and
    /// `parseSpecialTokens` recognizes special tokens written in the text (both on in transformers'
    /// default; llama.cpp's tokenizer tests turn both off).
    public func encode(_ text: String, addSpecialTokens: Bool = true, parseSpecialTokens: Bool = true) -> [Int] {
        let scalars = Array(text.unicodeScalars)
        var ids: [Int] = []
        if addSpecialTokens { ids += postProcessor.prefix }
        var previousWasSpecial = true
        for segment in addedTokens.segment(scalars, includeSpecial: parseSpecialTokens) {
            switch segment {
            case let .token(id):
                ids.append(id)
                previousWasSpecial = true
            case let .text(range):
                var piece = String(String.UnicodeScalarView(scalars[range]))
                if let sentencePiece {
                    sentencePiece.encode(piece, previousWasSpecial: previousWasSpecial, into: &ids)
                } else {
                    for normalizer in normalizers { piece = normalizer.apply(piece) }
                    for word in preTokenize(piece, isFirst: range.lowerBound == 0) { model.encode(word: word, into: &ids) }
                }
                previousWasSpecial = false
            }
        }
        if addSpecialTokens { ids += postProcessor.suffix }
        return ids
    }

    func preTokenize(_ text: String, isFirst: Bool) -> [String] {
        var pieces = [text]
        for step in preTokenizer {
            switch step {
            case let .split(splitter):
                pieces = pieces.flatMap { piece -> [String] in
                    let scalars = Array(piece.unicodeScalars)
                    return splitter.split(scalars).map { String(String.UnicodeScalarView(scalars[$0])) }
                }
            case .individualDigits:
                pieces = pieces.flatMap(Self.splitDigits)
            case let .byteLevel(addPrefixSpace):
                // HF adds the space to every split between added tokens, not only the first.
                pieces = pieces.enumerated().map { index, piece in
                    let text = addPrefixSpace && index == 0 && !piece.hasPrefix(" ") ? " " + piece : piece
                    return ByteLevel.encode(text.utf8)
                }
            case let .metaspace(replacement, prepend, split):
                pieces = pieces.enumerated().flatMap { index, piece -> [String] in
                    var text = piece.replacingOccurrences(of: " ", with: replacement)
                    let prepends = prepend == .always || (prepend == .first && isFirst && index == 0)
                    if prepends && !text.hasPrefix(replacement) { text = replacement + text }
                    guard split else { return [text] }
                    var parts: [String] = []
                    var current = ""
                    for character in text {
                        if String(character) == replacement && !current.isEmpty { parts.append(current); current = "" }
                        current.append(character)
                    }
                    if !current.isEmpty { parts.append(current) }
                    return parts
                }
            }
        }
        return pieces.filter { !$0.isEmpty }
    }

    static func splitDigits(_ piece: String) -> [String] {
        var parts: [String] = []
        var current = String.UnicodeScalarView()
        for scalar in piece.unicodeScalars {
            // Any number category (Nd, Nl, No: "⅓", "Ⅻ"), as Rust's `char::is_numeric` in HF's Digits
            // and `\p{N}` in llama.cpp's smollm regex; not Swift's numericType, which also covers CJK numerals.
            if [.decimalNumber, .letterNumber, .otherNumber].contains(scalar.properties.generalCategory) {
                if !current.isEmpty { parts.append(String(current)); current = .init() }
                parts.append(String(scalar))
            } else {
                current.append(scalar)
            }
        }
        if !current.isEmpty { parts.append(String(current)) }
        return parts
    }

    /// The text of `ids`; `skipSpecialTokens` drops special tokens (BOS, EOS, chat markers).
    public func decode(_ ids: [Int], skipSpecialTokens: Bool = false) -> String {
        var tokens: [String] = []
        for id in ids {
            guard let token = token(for: id) else { continue }
            if skipSpecialTokens && specialIds.contains(id) { continue }
            tokens.append(token)
        }
        return Self.runDecoders(decoders, on: tokens)
    }

    static func runDecoders(_ decoders: [DecoderStep], on input: [String]) -> String {
        var tokens = input
        for step in decoders {
            switch step {
            case .byteLevel:
                var bytes: [UInt8] = []
                for token in tokens { ByteLevel.decode(token, into: &bytes) }
                tokens = [String(decoding: bytes, as: UTF8.self)]
            case .byteFallback:
                tokens = applyByteFallback(tokens)
            case .fuse:
                tokens = [tokens.joined()]
            case let .replace(pattern, content):
                tokens = tokens.map { $0.replacingOccurrences(of: pattern, with: content) }
            case let .strip(content, start, stop):
                tokens = tokens.map { token in
                    var characters = Substring(token)
                    for _ in 0..<start where characters.first == content { characters = characters.dropFirst() }
                    for _ in 0..<stop where characters.last == content { characters = characters.dropLast() }
                    return String(characters)
                }
            case let .metaspace(replacement, stripLeading):
                tokens = tokens.enumerated().map { index, token in
                    var text = token.replacingOccurrences(of: replacement, with: " ")
                    if stripLeading && index == 0 && text.hasPrefix(" ") { text.removeFirst() }
                    return text
                }
            }
        }
        return tokens.joined()
    }

    /// HF ByteFallback: runs of `<0xXX>` tokens become the UTF-8 text of their bytes, or one U+FFFD
    /// per byte when the bytes are not valid UTF-8.
    static func applyByteFallback(_ tokens: [String]) -> [String] {
        var output: [String] = []
        var pending: [UInt8] = []
        func flush() {
            guard !pending.isEmpty else { return }
            if let text = String(validating: pending, as: UTF8.self) {
                output.append(text)
            } else {
                output += Array(repeating: "\u{FFFD}", count: pending.count)
            }
            pending.removeAll()
        }
        for token in tokens {
            if token.count == 6, token.hasPrefix("<0x"), token.hasSuffix(">"), let byte = UInt8(token.dropFirst(3).prefix(2), radix: 16) {
                pending.append(byte)
            } else {
                flush()
                output.append(token)
            }
        }
        flush()
        return output
    }
}
