/// K-quants: 256-element super-blocks with per-sub-block scales (ggml-quants.c dequantize_row_*;
/// element order as gguf-py's reshapes produce it).
extension GGMLDequantization {
    static func q2_K(_ block: UnsafeRawPointer, _ output: UnsafeMutablePointer<Float>) {
        // scales[16] (low nibble scale, high nibble min), codes[64], d, dmin
        let scales = block, codes = block + 16
        let d = half(block, 80), dmin = half(block, 82)
        for chunk in 0..<2 {
            for shift in 0..<4 {
                for l in 0..<32 {
                    let element = chunk * 128 + shift * 32 + l
                    let scale = scales.load(fromByteOffset: element / 16, as: UInt8.self)
                    let q = Float((codes.load(fromByteOffset: chunk * 32 + l, as: UInt8.self) >> UInt8(2 * shift)) & 3)
                    output[element] = (d * Float(scale & 0x0F)) * q - dmin * Float(scale >> 4)
                }
            }
        }
    }

    static func q3_K(_ block: UnsafeRawPointer, _ output: UnsafeMutablePointer<Float>) {
        // highMask[32], codes[64], scales[12] (6-bit, packed), d
        let highMask = block, codes = block + 32, packed = block + 96
        let d = half(block, 108)
        var scales = [Float](repeating: 0, count: 16)
        for i in 0..<16 {
            let low = (packed.load(fromByteOffset: i % 8, as: UInt8.self) >> UInt8(4 * (i / 8))) & 0x0F
            let high = (packed.load(fromByteOffset: 8 + i % 4, as: UInt8.self) >> UInt8(2 * (i / 4))) & 0x03
            scales[i] = d * Float(Int8(bitPattern: low | (high << 4)) - 32)
        }
        for chunk in 0..<2 {
            for shift in 0..<4 {
                for l in 0..<32 {
                    let element = chunk * 128 + shift * 32 + l
                    let low = Int8((codes.load(fromByteOffset: chunk * 32 + l, as: UInt8.self) >> UInt8(2 * shift)) & 3)
                    let bit = (highMask.load(fromByteOffset: l, as: UInt8.self) >> UInt8(element / 32)) & 1
                    // A clear high bit means the code is offset by −4 (ggml's "hmask" convention).
                    output[element] = scales[element / 16] * Float(low - (bit == 0 ? 4 : 0))
                }
            }
        }
    }

    /// The 6-bit scale and min of sub-block `j` (0..<8) from Q4_K/Q5_K's 12 packed bytes.
    static func scaleAndMin(_ packed: UnsafeRawPointer, _ j: Int) -> (scale: UInt8, min: UInt8) {
        func byte(_ i: Int) -> UInt8 { packed.load(fromByteOffset: i, as: UInt8.self) }
        if j < 4 { return (byte(j) & 0x3F, byte(j + 4) & 0x3F) }
        return ((byte(j + 4) & 0x0F) | ((byte(j - 4) >> 2) & 0x30), (byte(j + 4) >> 4) | ((byte(j) >> 2) & 0x30))
    }

    static func q4_K(_ block: UnsafeRawPointer, _ output: UnsafeMutablePointer<Float>) {
        // d, dmin, scales[12], codes[128]
        let d = half(block, 0), dmin = half(block, 2)
        let packed = block + 4, codes = block + 16
        for subBlock in 0..<8 {
            let (scale, minimum) = scaleAndMin(packed, subBlock)
            let factor = d * Float(scale), offset = dmin * Float(minimum)
            let chunk = subBlock / 2, nibble = UInt8(4 * (subBlock % 2))
            for l in 0..<32 {
                let q = Float((codes.load(fromByteOffset: chunk * 32 + l, as: UInt8.self) >> nibble) & 0x0F)
                output[subBlock * 32 + l] = factor * q - offset
            }
        }
    }

    static func q5_K(_ block: UnsafeRawPointer, _ output: UnsafeMutablePointer<Float>) {
        // d, dmin, scales[12], high[32], codes[128]
        let d = half(block, 0), dmin = half(block, 2)
        let packed = block + 4, high = block + 16, codes = block + 48
        for subBlock in 0..<8 {
            let (scale, minimum) = scaleAndMin(packed, subBlock)
            let factor = d * Float(scale), offset = dmin * Float(minimum)
            let chunk = subBlock / 2, nibble = UInt8(4 * (subBlock % 2))
            for l in 0..<32 {
                let low = (codes.load(fromByteOffset: chunk * 32 + l, as: UInt8.self) >> nibble) & 0x0F
                let bit = (high.load(fromByteOffset: l, as: UInt8.self) >> UInt8(subBlock)) & 1
                output[subBlock * 32 + l] = factor * Float(low | (bit << 4)) - offset
            }
        }
    }

    static func q6_K(_ block: UnsafeRawPointer, _ output: UnsafeMutablePointer<Float>) {
        // low[128], high[64], scales[16] int8, d
        let low = block, high = block + 128, scales = block + 192
        let d = half(block, 208)
        for halfIndex in 0..<2 {
            for element in 0..<128 {
                let e = halfIndex * 128 + element
                let lowByte = low.load(fromByteOffset: halfIndex * 64 + element % 64, as: UInt8.self)
                let lowBits = (lowByte >> UInt8(4 * (element / 64))) & 0x0F
                let highByte = high.load(fromByteOffset: halfIndex * 32 + element % 32, as: UInt8.self)
                let highBits = (highByte >> UInt8(2 * (element / 32))) & 0x03
                let q = Int8(bitPattern: lowBits | (highBits << 4)) - 32
                let scale = d * Float(scales.load(fromByteOffset: e / 16, as: Int8.self))
                output[e] = scale * Float(q)
            }
        }
    }
}
