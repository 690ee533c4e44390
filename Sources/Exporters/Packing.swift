/// Bit packing of quantized codes as the consumers lay them out (FORMATS.md §1.3).
public enum Packing {
    /// Quark's `reorder` (AutoAWQ) order: nibble i of a word holds element `[0, 2, 4, 6, 1, 3, 5, 7][i]`.
    public static let awqOrder = [0, 2, 4, 6, 1, 3, 5, 7]

    /// Packs 4-bit codes [rows, columns] eight per Int32 along the columns → [rows, columns / 8];
    /// nibble i (bits 4i..4i+3) holds column `word · 8 + order[i]`; signed codes keep their low 4 bits.
    public static func pack4Bit(_ codes: [Int32], rows: Int, columns: Int, order: [Int] = awqOrder) -> [Int32] {
        precondition(columns % 8 == 0, "4-bit packing needs columns divisible by 8, got \(columns)")
        var packed = [Int32](repeating: 0, count: rows * columns / 8)
        for row in 0..<rows {
            for word in 0..<(columns / 8) {
                var value: UInt32 = 0
                for nibble in 0..<8 {
                    let code = UInt32(bitPattern: codes[row * columns + word * 8 + order[nibble]]) & 0xF
                    value |= code << UInt32(4 * nibble)
                }
                packed[row * columns / 8 + word] = Int32(bitPattern: value)
            }
        }
        return packed
    }

    /// The inverse of `pack4Bit`; `signed` sign-extends each nibble (int4).
    public static func unpack4Bit(_ packed: [Int32], rows: Int, columns: Int, signed: Bool, order: [Int] = awqOrder) -> [Int32] {
        var codes = [Int32](repeating: 0, count: rows * columns)
        for row in 0..<rows {
            for word in 0..<(columns / 8) {
                let value = UInt32(bitPattern: packed[row * columns / 8 + word])
                for nibble in 0..<8 {
                    var code = Int32((value >> UInt32(4 * nibble)) & 0xF)
                    if signed && code >= 8 { code -= 16 }
                    codes[row * columns + word * 8 + order[nibble]] = code
                }
            }
        }
        return codes
    }

    /// FP4 codes two per byte along the row, element 2k in the low nibble (Quark `Pack_fp4`).
    public static func packFP4(_ codes: [Int32]) -> [UInt8] {
        precondition(codes.count % 2 == 0)
        return (0..<(codes.count / 2)).map { UInt8(codes[2 * $0] & 0xF) | UInt8(codes[2 * $0 + 1] & 0xF) << 4 }
    }

    public static func unpackFP4(_ bytes: [UInt8]) -> [Int32] {
        bytes.flatMap { [Int32($0 & 0xF), Int32($0 >> 4)] }
    }

    /// FP6 codes four per three bytes (Quark `Pack_fp6`): byte0 = v0 | v1 low 2 bits << 6,
    /// byte1 = v1 high 4 bits | v2 low 4 bits << 4, byte2 = v2 high 2 bits | v3 << 2.
    public static func packFP6(_ codes: [Int32]) -> [UInt8] {
        precondition(codes.count % 4 == 0)
        var bytes: [UInt8] = []
        bytes.reserveCapacity(codes.count / 4 * 3)
        for i in stride(from: 0, to: codes.count, by: 4) {
            let v = (0..<4).map { UInt8(codes[i + $0] & 0x3F) }
            bytes.append(v[0] | (v[1] & 0x3) << 6)
            bytes.append(v[1] >> 2 | (v[2] & 0xF) << 4)
            bytes.append(v[2] >> 4 | v[3] << 2)
        }
        return bytes
    }

    public static func unpackFP6(_ bytes: [UInt8]) -> [Int32] {
        var codes: [Int32] = []
        for i in stride(from: 0, to: bytes.count, by: 3) {
            let b0 = bytes[i], b1 = bytes[i + 1], b2 = bytes[i + 2]
            codes.append(Int32(b0 & 0x3F))
            codes.append(Int32(b0 >> 6 | (b1 & 0xF) << 2))
            codes.append(Int32(b1 >> 4 | (b2 & 0x3) << 4))
            codes.append(Int32(b2 >> 2))
        }
        return codes
    }

    /// [rows, columns] → [columns, rows].
    public static func transpose<T>(_ values: [T], rows: Int, columns: Int) -> [T] {
        var result = values
        for row in 0..<rows { for column in 0..<columns { result[column * rows + row] = values[row * columns + column] } }
        return result
    }
}
