/// GPT-2's byte ↔ printable-character table (`bytes_to_unicode`): printable Latin-1 bytes map to
/// themselves, the other 68 bytes to U+0100 onwards, so every byte string is a visible token string.
enum ByteLevel {
    static let byteToScalar: [Unicode.Scalar] = {
        var table = [Unicode.Scalar](repeating: "\0", count: 256)
        var next: UInt32 = 256
        for byte in 0..<256 {
            let printable = (33...126).contains(byte) || (161...172).contains(byte) || (174...255).contains(byte)
            if printable {
                table[byte] = Unicode.Scalar(UInt32(byte))!
            } else {
                table[byte] = Unicode.Scalar(next)!
                next += 1
            }
        }
        return table
    }()

    static let scalarToByte: [UInt32: UInt8] = {
        var map: [UInt32: UInt8] = [:]
        for (byte, scalar) in byteToScalar.enumerated() { map[scalar.value] = UInt8(byte) }
        return map
    }()

    /// The token-string form of `bytes`.
    static func encode(_ bytes: some Sequence<UInt8>) -> String {
        var result = String.UnicodeScalarView()
        for byte in bytes { result.append(byteToScalar[Int(byte)]) }
        return String(result)
    }

    /// The bytes a token string stands for; scalars outside the table are kept as their UTF-8.
    static func decode(_ token: String, into bytes: inout [UInt8]) {
        for scalar in token.unicodeScalars {
            if let byte = scalarToByte[scalar.value] { bytes.append(byte) } else { bytes.append(contentsOf: Array(String(scalar).utf8)) }
        }
    }
}
