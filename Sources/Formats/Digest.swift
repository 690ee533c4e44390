/// A fingerprint of float32 values for comparing tensors across tools: two wrapping 64-bit sums of
/// the values' bit patterns, plain and weighted by position (1-based), printed as 32 hex digits.
/// Any changed value alters the first sum; values that trade places alter the second. Cheap to
/// compute in numpy too (Scripts/interop/check_gguf_dequant.py), unlike a byte-serial hash.
public func floatChecksum(_ values: UnsafeBufferPointer<Float>) -> String {
    var plain: UInt64 = 0, weighted: UInt64 = 0
    for (index, value) in values.enumerated() {
        let bits = UInt64(value.bitPattern)
        plain &+= bits
        weighted &+= bits &* UInt64(index + 1)
    }
    let hex = { (value: UInt64) in String(repeating: "0", count: 16 - String(value, radix: 16).count) + String(value, radix: 16) }
    return hex(plain) + hex(weighted)
}
