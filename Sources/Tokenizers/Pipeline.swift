/// The stages of a tokenizer.json pipeline QuantKit implements, as data.
enum Normalizer: Sendable {
    case prepend(String)
    case replace(pattern: String, content: String)
    case nfc
    case nfkc

    func apply(_ text: String) -> String {
        switch self {
        case let .prepend(prefix): text.isEmpty ? text : prefix + text
        case let .replace(pattern, content): text.replacingOccurrences(of: pattern, with: content)
        case .nfc: text.precomposedStringWithCanonicalMapping
        case .nfkc: text.precomposedStringWithCompatibilityMapping
        }
    }
}

enum PreTokenizerStep: Sendable {
    /// Cut each piece with a known split pattern (HF `Split` with behavior Isolated, or ByteLevel's regex).
    case split(PreTokenizerSplit)
    /// HF `Digits(individual_digits: true)`: every digit its own piece.
    case individualDigits
    /// HF `ByteLevel`: optional leading space, then bytes mapped to GPT-2's printable alphabet.
    case byteLevel(addPrefixSpace: Bool)
    /// HF `Metaspace`: spaces become `replacement`, prepended per `prepend`, pieces split before it.
    case metaspace(replacement: String, prepend: MetaspacePrepend, split: Bool)
}

/// HF Metaspace `prepend_scheme`: "always" prepends to every piece (each text between added
/// tokens included), "first" only to the piece at the start of the text, "never" to none.
enum MetaspacePrepend: String, Sendable { case always, first, never }

enum DecoderStep: Sendable {
    case byteLevel
    case byteFallback
    case fuse
    case replace(pattern: String, content: String)
    case strip(content: Character, start: Int, stop: Int)
    case metaspace(replacement: String, stripLeading: Bool)
}

/// HF `TemplateProcessing` for single sequences: ids before and after the text.
struct PostProcessor: Sendable {
    var prefix: [Int] = []
    var suffix: [Int] = []
}

import Foundation
