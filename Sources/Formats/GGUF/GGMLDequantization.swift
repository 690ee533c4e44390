import Tensors

/// Dequantization of ggml blocks to float32, bit-identical to gguf-py 0.19's numpy code
/// (`gguf/quants.py`): scales are widened from f16 first, products are rounded before sums
/// (`d * q + m` is two float32 roundings, never a fused multiply-add), and K-quant sub-block scales
/// are `d * sc` in float32 before they multiply the codes.
public enum GGMLDequantization {
    /// Dequantizes one block: `block` points at `bytesPerBlock` bytes, `output` at `blockSize` floats.
    public typealias BlockKernel = (_ block: UnsafeRawPointer, _ output: UnsafeMutablePointer<Float>) -> Void

    /// The scalar reference kernel for `type`, or nil if QuantKit cannot dequantize it.
    public static func referenceKernel(for type: GGMLType) -> BlockKernel? {
        switch type {
        case .f32: { $1.pointee = $0.loadUnaligned(as: Float.self) }
        case .f16: { $1.pointee = Float($0.loadUnaligned(as: Float16.self)) }
        case .bf16: { $1.pointee = Float(bitPattern: UInt32($0.loadUnaligned(as: UInt16.self)) << 16) }
        case .q4_0: q4_0
        case .q4_1: q4_1
        case .q5_0: q5_0
        case .q5_1: q5_1
        case .q8_0: q8_0
        case .q2_K: q2_K
        case .q3_K: q3_K
        case .q4_K: q4_K
        case .q5_K: q5_K
        case .q6_K: q6_K
        default: nil
        }
    }

    /// The fastest kernel for `type` (a SIMD one where written, else the reference).
    public static func kernel(for type: GGMLType) -> BlockKernel? {
        switch type {
        case .q4_1: GGMLDequantizationSIMD.q4_1
        case .q8_0: GGMLDequantizationSIMD.q8_0
        case .q4_0: GGMLDequantizationSIMD.q4_0
        default: referenceKernel(for: type)
        }
    }

    /// Runs `kernel` over `blocks` consecutive blocks of `source` into `destination`.
    static func run(_ kernel: BlockKernel, type: GGMLType, source: UnsafeRawBufferPointer, blocks: Int,
                    destination: UnsafeMutableBufferPointer<Float>) {
        guard let base = source.baseAddress, let output = destination.baseAddress else { return }
        for block in 0..<blocks {
            kernel(base + block * type.bytesPerBlock, output + block * type.blockSize)
        }
    }

    // MARK: Legacy 32-element blocks: byte j holds element j (low nibble) and j + 16 (high nibble).

    static func half(_ pointer: UnsafeRawPointer, _ offset: Int) -> Float {
        Float(pointer.loadUnaligned(fromByteOffset: offset, as: Float16.self))
    }

    static func q4_0(_ block: UnsafeRawPointer, _ output: UnsafeMutablePointer<Float>) {
        let d = half(block, 0)
        let codes = block + 2
        for j in 0..<16 {
            let byte = codes.load(fromByteOffset: j, as: UInt8.self)
            output[j] = d * Float(Int8(byte & 0x0F) - 8)
            output[j + 16] = d * Float(Int8(byte >> 4) - 8)
        }
    }

    static func q4_1(_ block: UnsafeRawPointer, _ output: UnsafeMutablePointer<Float>) {
        let d = half(block, 0), m = half(block, 2)
        let codes = block + 4
        for j in 0..<16 {
            let byte = codes.load(fromByteOffset: j, as: UInt8.self)
            output[j] = d * Float(byte & 0x0F) + m
            output[j + 16] = d * Float(byte >> 4) + m
        }
    }

    static func q5_0(_ block: UnsafeRawPointer, _ output: UnsafeMutablePointer<Float>) {
        let d = half(block, 0)
        let high = block.loadUnaligned(fromByteOffset: 2, as: UInt32.self).littleEndian
        let codes = block + 6
        for j in 0..<16 {
            let byte = codes.load(fromByteOffset: j, as: UInt8.self)
            let low = UInt8((high >> UInt32(j)) & 1) << 4, upper = UInt8((high >> UInt32(j + 16)) & 1) << 4
            output[j] = d * Float(Int8(bitPattern: (byte & 0x0F) | low) - 16)
            output[j + 16] = d * Float(Int8(bitPattern: (byte >> 4) | upper) - 16)
        }
    }

    static func q5_1(_ block: UnsafeRawPointer, _ output: UnsafeMutablePointer<Float>) {
        let d = half(block, 0), m = half(block, 2)
        let high = block.loadUnaligned(fromByteOffset: 4, as: UInt32.self).littleEndian
        let codes = block + 8
        for j in 0..<16 {
            let byte = codes.load(fromByteOffset: j, as: UInt8.self)
            let low = UInt8((high >> UInt32(j)) & 1) << 4, upper = UInt8((high >> UInt32(j + 16)) & 1) << 4
            output[j] = d * Float((byte & 0x0F) | low) + m
            output[j + 16] = d * Float((byte >> 4) | upper) + m
        }
    }

    static func q8_0(_ block: UnsafeRawPointer, _ output: UnsafeMutablePointer<Float>) {
        let d = half(block, 0)
        for j in 0..<32 { output[j] = Float(block.load(fromByteOffset: 2 + j, as: Int8.self)) * d }
    }
}
