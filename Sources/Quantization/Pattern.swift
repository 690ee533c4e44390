/// Python `fnmatch.fnmatchcase`: `*` any run, `?` one character, `[seq]` / `[!seq]` a set; the whole
/// name must match. Quark matches `layer_quant_config` keys and `exclude` entries this way.
public func fnmatch(_ name: String, _ pattern: String) -> Bool {
    let text = Array(name.unicodeScalars), glob = Array(pattern.unicodeScalars)
    func match(_ t: Int, _ p: Int) -> Bool {
        var t = t, p = p
        while p < glob.count {
            switch glob[p] {
            case "*":
                while p < glob.count && glob[p] == "*" { p += 1 }
                if p == glob.count { return true }
                for start in t...text.count where match(start, p) { return true }
                return false
            case "?":
                guard t < text.count else { return false }
            case "[":
                guard t < text.count, let close = glob[(p + 1)...].dropFirst().firstIndex(of: "]") else {
                    guard t < text.count, text[t] == "[" else { return false }
                    break
                }
                var set = Array(glob[(p + 1)..<close])
                let negate = set.first == "!"
                if negate { set.removeFirst() }
                var found = false, i = 0
                while i < set.count {
                    if i + 2 < set.count && set[i + 1] == "-" {
                        if set[i] <= text[t] && text[t] <= set[i + 2] { found = true }
                        i += 3
                    } else {
                        if set[i] == text[t] { found = true }
                        i += 1
                    }
                }
                guard found != negate else { return false }
                p = close
            default:
                guard t < text.count, text[t] == glob[p] else { return false }
            }
            t += 1
            p += 1
        }
        return t == text.count
    }
    return match(0, 0)
}
