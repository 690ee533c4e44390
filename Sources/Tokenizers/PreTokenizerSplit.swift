/// Hand-written equivalents of the split regexes byte-level BPE tokenizers use (no regex engine in
/// the hot path; the logic follows llama.cpp's `unicode_regex_split_custom_gpt2` / `_llama3`).
/// Each returns the pieces as ranges of `scalars`.
enum PreTokenizerSplit: Sendable, Equatable {
    /// `'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+` (GPT-2, HF ByteLevel use_regex)
    case gpt2
    /// `(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+`
    /// (Llama 3); with `maximumDigits` 1 it is Qwen2's pattern.
    case llama3(maximumDigits: Int)

    static let gpt2Pattern = #"'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+"#
    static let llama3Pattern = #"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+"#
    static let qwen2Pattern = #"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+"#

    /// The splitter for a regex string found in tokenizer.json, or nil if it is not one of ours.
    init?(pattern: String) {
        switch pattern {
        case Self.gpt2Pattern: self = .gpt2
        case Self.llama3Pattern: self = .llama3(maximumDigits: 3)
        case Self.qwen2Pattern: self = .llama3(maximumDigits: 1)
        default: return nil
        }
    }

    func split(_ scalars: [Unicode.Scalar]) -> [Range<Int>] {
        let classes = scalars.map(CharacterClass.init)
        switch self {
        case .gpt2: return Self.splitGPT2(scalars, classes)
        case let .llama3(digits): return Self.splitLlama3(scalars, classes, maximumDigits: digits)
        }
    }

    enum CharacterClass: Equatable {
        case letter, number, whitespace, other
        init(_ scalar: Unicode.Scalar) {
            switch scalar.properties.generalCategory {
            case .uppercaseLetter, .lowercaseLetter, .titlecaseLetter, .modifierLetter, .otherLetter: self = .letter
            case .decimalNumber, .letterNumber, .otherNumber: self = .number
            default: self = scalar.properties.isWhitespace ? .whitespace : .other
            }
        }
    }

    /// Length of a contraction (`'s`, `'re`, ...) at `i`, or 0. `caseInsensitive` for Llama 3's `(?i:...)`.
    static func contraction(_ s: [Unicode.Scalar], _ i: Int, caseInsensitive: Bool) -> Int {
        guard s[i] == "'", i + 1 < s.count else { return 0 }
        func lower(_ scalar: Unicode.Scalar) -> Unicode.Scalar {
            caseInsensitive && scalar.value >= 65 && scalar.value <= 90 ? Unicode.Scalar(scalar.value + 32)! : scalar
        }
        let next = lower(s[i + 1])
        if ["s", "t", "m", "d"].contains(next) { return 2 }
        if i + 2 < s.count {
            let third = lower(s[i + 2])
            if (next == "r" && third == "e") || (next == "v" && third == "e") || (next == "l" && third == "l") { return 3 }
        }
        return 0
    }

    static func splitGPT2(_ s: [Unicode.Scalar], _ c: [CharacterClass]) -> [Range<Int>] {
        var pieces: [Range<Int>] = []
        var i = 0
        let n = s.count
        func run(from start: Int, while matches: (CharacterClass) -> Bool) -> Int {
            var j = start
            while j < n && matches(c[j]) { j += 1 }
            return j
        }
        while i < n {
            let length = contraction(s, i, caseInsensitive: false)
            if length > 0 { pieces.append(i..<(i + length)); i += length; continue }
            // ` ?\p{L}+`, ` ?\p{N}+`, ` ?[^\s\p{L}\p{N}]+`
            let start = i
            var j = i
            if s[j] == " " && j + 1 < n && c[j + 1] != .whitespace { j += 1 }
            switch c[j] {
            case .letter: pieces.append(start..<run(from: j) { $0 == .letter }); i = pieces.last!.upperBound; continue
            case .number: pieces.append(start..<run(from: j) { $0 == .number }); i = pieces.last!.upperBound; continue
            case .other: pieces.append(start..<run(from: j) { $0 == .other }); i = pieces.last!.upperBound; continue
            case .whitespace: break
            }
            // `\s+(?!\S)|\s+`: a whitespace run followed by a non-space gives up its last scalar,
            // which then starts the next piece (as the optional leading space, or alone).
            let end = run(from: i) { $0 == .whitespace }
            if end < n && end - i > 1 {
                pieces.append(i..<(end - 1)); i = end - 1
            } else {
                pieces.append(i..<end); i = end
            }
        }
        return pieces
    }

    static func splitLlama3(_ s: [Unicode.Scalar], _ c: [CharacterClass], maximumDigits: Int) -> [Range<Int>] {
        var pieces: [Range<Int>] = []
        var i = 0
        let n = s.count
        func isLineBreak(_ k: Int) -> Bool { s[k] == "\r" || s[k] == "\n" }
        while i < n {
            let length = contraction(s, i, caseInsensitive: true)
            if length > 0 { pieces.append(i..<(i + length)); i += length; continue }
            // `[^\r\n\p{L}\p{N}]?\p{L}+`
            if c[i] == .letter || (c[i] != .letter && c[i] != .number && !isLineBreak(i) && i + 1 < n && c[i + 1] == .letter) {
                var j = c[i] == .letter ? i : i + 1
                while j < n && c[j] == .letter { j += 1 }
                pieces.append(i..<j); i = j; continue
            }
            // `\p{N}{1,maximumDigits}`
            if c[i] == .number {
                var j = i
                while j < n && c[j] == .number && j - i < maximumDigits { j += 1 }
                pieces.append(i..<j); i = j; continue
            }
            // ` ?[^\s\p{L}\p{N}]+[\r\n]*`
            do {
                var j = i
                if s[j] == " " && j + 1 < n && c[j + 1] == .other { j += 1 }
                if c[j] == .other {
                    while j < n && c[j] == .other { j += 1 }
                    while j < n && isLineBreak(j) { j += 1 }
                    pieces.append(i..<j); i = j; continue
                }
            }
            // `\s*[\r\n]+`: the longest whitespace run that ends in a line break.
            var end = i
            while end < n && c[end] == .whitespace { end += 1 }
            var lastBreak = -1
            for k in i..<end where isLineBreak(k) { lastBreak = k }
            if lastBreak >= 0 {
                pieces.append(i..<(lastBreak + 1)); i = lastBreak + 1; continue
            }
            // `\s+(?!\S)|\s+`
            if end < n && end - i > 1 {
                pieces.append(i..<(end - 1)); i = end - 1
            } else {
                pieces.append(i..<end); i = end
            }
        }
        return pieces
    }
}
