/// FNV-1a 64-bit over `bytes`: a cheap fingerprint to compare tensors across tools (the interop
/// scripts compute the same in Python).
public func fnv1a64(_ bytes: UnsafeRawBufferPointer) -> UInt64 {
    var hash: UInt64 = 0xCBF2_9CE4_8422_2325
    for byte in bytes {
        hash ^= UInt64(byte)
        hash &*= 0x0000_0100_0000_01B3
    }
    return hash
}
