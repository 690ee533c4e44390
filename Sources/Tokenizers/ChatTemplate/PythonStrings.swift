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
