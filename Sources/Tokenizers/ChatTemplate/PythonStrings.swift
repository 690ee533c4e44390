/// Python `str` methods on Unicode scalars (Python strings are code-point sequences, so
/// lengths, slices and comparisons count scalars, not Swift characters).
enum PythonStrings {
    static func scalars(_ text: String) -> [Unicode.Scalar] { Array(text.unicodeScalars) }

    static func string(_ scalars: some Sequence<Unicode.Scalar>) -> String {
        var view = String.UnicodeScalarView()
        view.append(contentsOf: scalars)
        return String(view)
    }

    /// `str.strip(chars)`: whitespace when `characters` is nil.
    static func strip(_ text: String, _ characters: String?, leading: Bool, trailing: Bool) -> String {
        let set = characters.map { Set($0.unicodeScalars) }
        func removable(_ scalar: Unicode.Scalar) -> Bool { set?.contains(scalar) ?? isPythonWhitespace(scalar) }
        let all = scalars(text)
        var start = 0
        var end = all.count
        if leading { while start < end, removable(all[start]) { start += 1 } }
        if trailing { while end > start, removable(all[end - 1]) { end -= 1 } }
        return string(all[start..<end])
    }

    /// `str.split(sep, maxsplit)`; with no separator, splits on whitespace runs and drops empties.
    static func split(_ text: String, separator: String?, maxSplit: Int) -> [String] {
        let all = scalars(text)
        var parts: [String] = []
        guard let separator else {
            var index = 0
            var splits = 0
            while index < all.count {
                while index < all.count, isPythonWhitespace(all[index]) { index += 1 }
                guard index < all.count else { break }
                if maxSplit >= 0, splits == maxSplit {
                    var end = all.count
                    while end > index, isPythonWhitespace(all[end - 1]) { end -= 1 }
                    parts.append(string(all[index..<end]))
                    return parts
                }
                let start = index
                while index < all.count, !isPythonWhitespace(all[index]) { index += 1 }
                parts.append(string(all[start..<index]))
                splits += 1
            }
            return parts
        }
        let needle = scalars(separator)
        var start = 0
        var index = 0
        while index + needle.count <= all.count, maxSplit < 0 || parts.count < maxSplit {
            if Array(all[index..<(index + needle.count)]) == needle {
                parts.append(string(all[start..<index]))
                index += needle.count
                start = index
            } else {
                index += 1
            }
        }
        parts.append(string(all[start...]))
        return parts
    }

    /// `str.replace(old, new, count)`.
    static func replace(_ text: String, _ old: String, _ new: String, count: Int) -> String {
        let all = scalars(text)
        let needle = scalars(old)
        let replacement = scalars(new)
        var result: [Unicode.Scalar] = []
        var index = 0
        var done = 0
        if needle.isEmpty {
            // Python inserts the replacement between every scalar and at both ends.
            for scalar in all {
                if count < 0 || done < count { result += replacement; done += 1 }
                result.append(scalar)
            }
            if count < 0 || done < count { result += replacement }
            return string(result)
        }
        while index < all.count {
            if (count < 0 || done < count), index + needle.count <= all.count,
                Array(all[index..<(index + needle.count)]) == needle
            {
                result += replacement
                index += needle.count
                done += 1
            } else {
                result.append(all[index])
                index += 1
            }
        }
        return string(result)
    }

    static func upper(_ text: String) -> String { text.uppercased() }
    static func lower(_ text: String) -> String { text.lowercased() }

    private static func titlecased(_ scalar: Unicode.Scalar) -> String { scalar.properties.titlecaseMapping }

    /// `str.title()`: a cased scalar after a cased one is lowered, otherwise title-cased.
    static func pythonTitle(_ text: String) -> String {
        var result = ""
        var previousCased = false
        for scalar in text.unicodeScalars {
            result += previousCased ? scalar.properties.lowercaseMapping : titlecased(scalar)
            previousCased = scalar.properties.isCased
        }
        return result
    }

    /// `str.capitalize()`: first scalar title-cased, the rest lowered.
    static func capitalize(_ text: String) -> String {
        var result = ""
        for (position, scalar) in text.unicodeScalars.enumerated() {
            result += position == 0 ? titlecased(scalar) : scalar.properties.lowercaseMapping
        }
        return result
    }

    /// Jinja's `title` filter: split on runs of `-`, whitespace, `(`, `{`, `[`, `<`, then
    /// upper-case each piece's first scalar and lower-case the rest.
    static func jinjaTitle(_ text: String) -> String {
        func isBoundary(_ scalar: Unicode.Scalar) -> Bool {
            isPythonWhitespace(scalar) || "-({[<".unicodeScalars.contains(scalar)
        }
        var result = ""
        var atWordStart = true
        for scalar in text.unicodeScalars {
            if isBoundary(scalar) {
                result.unicodeScalars.append(scalar)
                atWordStart = true
            } else {
                result += atWordStart ? scalar.properties.uppercaseMapping : scalar.properties.lowercaseMapping
                atWordStart = false
            }
        }
        return result
    }

    static func startsWith(_ text: String, _ prefix: String) -> Bool {
        text.unicodeScalars.starts(with: prefix.unicodeScalars)
    }

    static func endsWith(_ text: String, _ suffix: String) -> Bool {
        text.unicodeScalars.reversed().starts(with: suffix.unicodeScalars.reversed())
    }

    static func find(_ text: String, _ needle: String) -> Int {
        let all = scalars(text)
        let part = scalars(needle)
        if part.isEmpty { return 0 }
        guard part.count <= all.count else { return -1 }
        for index in 0...(all.count - part.count) where Array(all[index..<(index + part.count)]) == part {
            return index
        }
        return -1
    }

    static func count(_ text: String, _ needle: String) -> Int {
        let all = scalars(text)
        let part = scalars(needle)
        if part.isEmpty { return all.count + 1 }
        var index = 0
        var found = 0
        while index + part.count <= all.count {
            if Array(all[index..<(index + part.count)]) == part { found += 1; index += part.count } else { index += 1 }
        }
        return found
    }
}

/// Python's `str.isspace` / regex `\s` for str patterns.
func isPythonWhitespace(_ scalar: Unicode.Scalar) -> Bool {
    switch scalar.value {
    case 0x09...0x0D, 0x1C...0x20, 0x85, 0xA0, 0x1680, 0x2000...0x200A, 0x2028, 0x2029, 0x202F, 0x205F, 0x3000:
        return true
    default:
        return false
    }
}

/// Jinja decodes string literals with Python's `unicode-escape` codec: `\n`, `\t`, `\xhh`,
/// `\uXXXX`, octal, ... are decoded, and an unknown escape keeps its backslash.
func decodePythonEscapes(_ scalars: [Unicode.Scalar]) -> String {
    var result = String.UnicodeScalarView()
    var index = 0
    func hex(_ count: Int) -> Unicode.Scalar? {
        guard index + count < scalars.count + 0, index + 1 + count <= scalars.count else { return nil }
        let text = String(String.UnicodeScalarView(scalars[(index + 1)..<(index + 1 + count)]))
        guard text.count == count, let value = UInt32(text, radix: 16) else { return nil }
        return Unicode.Scalar(value)
    }
    while index < scalars.count {
        let scalar = scalars[index]
        guard scalar == "\\", index + 1 < scalars.count else {
            result.append(scalar)
            index += 1
            continue
        }
        index += 1
        let escape = scalars[index]
        switch escape {
        case "\n": index += 1
        case "\\", "'", "\"": result.append(escape); index += 1
        case "a": result.append("\u{07}"); index += 1
        case "b": result.append("\u{08}"); index += 1
        case "f": result.append("\u{0C}"); index += 1
        case "n": result.append("\n"); index += 1
        case "r": result.append("\r"); index += 1
        case "t": result.append("\t"); index += 1
        case "v": result.append("\u{0B}"); index += 1
        case "x", "u", "U":
            let width = escape == "x" ? 2 : escape == "u" ? 4 : 8
            if let decoded = hex(width) {
                result.append(decoded)
                index += 1 + width
            } else {
                result.append("\\")
            }
        case "0"..."7":
            var value: UInt32 = 0
            var length = 0
            while length < 3, index < scalars.count, ("0"..."7").contains(scalars[index]) {
                value = value * 8 + (scalars[index].value - 48)
                index += 1
                length += 1
            }
            result.append(Unicode.Scalar(value) ?? "\u{FFFD}")
        default:
            result.append("\\")
        }
    }
    return String(result)
}
