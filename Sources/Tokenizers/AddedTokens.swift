/// Tokens matched in the raw text before the model runs (HF "added tokens", llama.cpp control and
/// user-defined tokens): the text is cut into plain segments and whole added tokens, longest match
/// first at each position.
struct AddedTokens: Sendable {
    struct Token: Sendable {
        let content: [Unicode.Scalar]
        let id: Int
        let special: Bool
        /// HF `lstrip` / `rstrip`: swallow whitespace on that side.
        let stripLeft: Bool
        let stripRight: Bool
    }

    /// First scalar → tokens starting with it, longest first.
    private let byFirstScalar: [Unicode.Scalar: [Token]]
    let all: [Token]

    init(_ tokens: [Token]) {
        all = tokens
        var map: [Unicode.Scalar: [Token]] = [:]
        for token in tokens where !token.content.isEmpty { map[token.content[0], default: []].append(token) }
        byFirstScalar = map.mapValues { $0.sorted { $0.content.count > $1.content.count } }
    }

    var isEmpty: Bool { all.isEmpty }

    enum Segment { case text(Range<Int>), token(Int) }

    /// Splits `scalars` into plain-text ranges and matched added-token ids.
    /// With `includeSpecial` false, special (control) tokens are left in the text, as llama.cpp does
    /// when `parse_special` is off; non-special added tokens are still matched.
    func segment(_ scalars: [Unicode.Scalar], includeSpecial: Bool = true) -> [Segment] {
        if byFirstScalar.isEmpty { return [.text(0..<scalars.count)] }
        var segments: [Segment] = []
        var textStart = 0
        var i = 0
        while i < scalars.count {
            guard let candidates = byFirstScalar[scalars[i]],
                  let match = candidates.first(where: { (includeSpecial || !$0.special) && matches($0.content, scalars, at: i) })
            else { i += 1; continue }
            var textEnd = i
            if match.stripLeft { while textEnd > textStart && scalars[textEnd - 1].properties.isWhitespace { textEnd -= 1 } }
            if textEnd > textStart { segments.append(.text(textStart..<textEnd)) }
            segments.append(.token(match.id))
            i += match.content.count
            if match.stripRight { while i < scalars.count && scalars[i].properties.isWhitespace { i += 1 } }
            textStart = i
        }
        if textStart < scalars.count { segments.append(.text(textStart..<scalars.count)) }
        return segments
    }

    private func matches(_ content: [Unicode.Scalar], _ scalars: [Unicode.Scalar], at start: Int) -> Bool {
        guard start + content.count <= scalars.count else { return false }
        for k in 0..<content.count where scalars[start + k] != content[k] { return false }
        return true
    }
}
