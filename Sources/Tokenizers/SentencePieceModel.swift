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
        // Repeatedly merge the best-scoring adjacent pair (the queue-based version is equivalent
        // for the texts tokenized here; ties go to the leftmost pair as in llama.cpp's comparator).
        while symbols.count > 1 {
            var bestScore = -Float.infinity, bestIndex = -1
            for index in 0..<(symbols.count - 1) {
                if let id = tokenToId[symbols[index] + symbols[index + 1]], scores[id] > bestScore {
                    bestScore = scores[id]
                    bestIndex = index
                }
            }
            if bestIndex < 0 { break }
            symbols[bestIndex] += symbols[bestIndex + 1]
            symbols.remove(at: bestIndex + 1)
        }
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
