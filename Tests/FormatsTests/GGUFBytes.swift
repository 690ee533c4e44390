import Foundation

/// Builds GGUF files byte by byte in tests, so malformed variants can be made by editing one field.
struct GGUFBytes {
    var bytes: [UInt8] = []

    mutating func u32(_ value: UInt32) { withUnsafeBytes(of: value.littleEndian) { bytes += $0 } }
    mutating func u64(_ value: UInt64) { withUnsafeBytes(of: value.littleEndian) { bytes += $0 } }
    mutating func string(_ value: String) { u64(UInt64(value.utf8.count)); bytes += Array(value.utf8) }

    /// A valid file: one uint32 key, one string key, one F32 tensor `w` of 2 × 32 (ne0 = 32).
    /// Returns the bytes and the offsets of fields tests like to corrupt.
    static func valid(alignment: UInt32? = nil, tensorType: UInt32 = 0, dimensions: [UInt64] = [32, 2],
                      tensorOffset: UInt64 = 0) -> (bytes: [UInt8], offsets: [String: Int]) {
        var b = GGUFBytes()
        var offsets: [String: Int] = [:]
        b.u32(0x4655_4747)
        offsets["version"] = b.bytes.count
        b.u32(3)
        offsets["tensorCount"] = b.bytes.count
        b.u64(1)
        b.u64(alignment == nil ? 2 : 3)
        b.string("general.architecture"); b.u32(8)
        offsets["architectureLength"] = b.bytes.count
        b.string("llama")
        b.string("llama.block_count")
        offsets["blockCountType"] = b.bytes.count
        b.u32(4); b.u32(1)
        if let alignment { b.string("general.alignment"); b.u32(4); b.u32(alignment) }
        offsets["tensorName"] = b.bytes.count
        b.string("w")
        offsets["rank"] = b.bytes.count
        b.u32(UInt32(dimensions.count))
        for dimension in dimensions { b.u64(dimension) }
        offsets["tensorType"] = b.bytes.count
        b.u32(tensorType)
        offsets["tensorOffset"] = b.bytes.count
        b.u64(tensorOffset)
        let align = Int(alignment ?? 32)
        while b.bytes.count % align != 0 { b.bytes.append(0) }
        offsets["data"] = b.bytes.count
        b.bytes += [UInt8](repeating: 0, count: 2 * 32 * 4)
        return (b.bytes, offsets)
    }
}

/// Writes `bytes` to a fresh temporary file and returns its URL.
func temporaryFile(_ bytes: [UInt8], name: String) throws -> URL {
    let directory = FileManager.default.temporaryDirectory.appendingPathComponent("quantkit-tests-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    let url = directory.appendingPathComponent(name)
    try Data(bytes).write(to: url)
    return url
}
