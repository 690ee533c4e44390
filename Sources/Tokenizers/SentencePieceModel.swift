/// SentencePiece BPE as llama.cpp's `llm_tokenizer_spm` runs it on a GGUF `llama` vocabulary:
/// spaces become `▁` (with one prepended after the start or a special token when
/// `add_space_prefix`), the text starts as one symbol per character, and the adjacent pair whose
/// concatenation is a vocabulary token with the highest score merges first (leftmost on ties).
/// Symbols that are not tokens fall back to `<0xXX>` byte tokens.
struct SentencePieceModel: Sendable {
    let tokenToId: [String: Int]
    let scores: [Float]
    let addSpacePrefix: Bool
    let unknownId: Int?

    func encode(_ text: String, previousWasSpecial: Bool, into ids: inout [Int]) {
        var escaped = (addSpacePrefix && previousWasSpecial ? " " : "") + text
        escaped = escaped.replacingOccurrences(of: " ", with: "\u{2581}")
        var symbols = escaped.map { String($0) }.flatMap { character in
            // Grapheme clusters are split into scalars: llama.cpp works on UTF-8 characters.
            character.unicodeScalars.map { String($0) }
        }
        guard !symbols.isEmpty else { return }
        // Highest score first: the merger takes the lowest priority, so negate.
        symbols = PairMerger<String>(lookup: { left, right in
            self.tokenToId[left + right].map { (-Double(self.scores[$0]), left + right) }
        }).merge(symbols)
        for symbol in symbols {
            if let id = tokenToId[symbol] {
                ids.append(id)
                continue
            }
            for byte in symbol.utf8 {
                if let id = tokenToId[String(format: "<0x%02X>", byte)] { ids.append(id) } else if let unknownId { ids.append(unknownId) }
            }
        }
    }
}

import Foundation
