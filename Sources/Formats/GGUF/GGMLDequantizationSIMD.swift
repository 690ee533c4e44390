/// SIMD versions of the legacy-block kernels the real models use most (Q4_0, Q4_1, Q8_0). Same
/// operations in the same order as the references, so results are bit-identical (tested).
enum GGMLDequantizationSIMD {
    static func q4_1(_ block: UnsafeRawPointer, _ output: UnsafeMutablePointer<Float>) {
        let d = SIMD16<Float>(repeating: GGMLDequantization.half(block, 0))
        let m = SIMD16<Float>(repeating: GGMLDequantization.half(block, 2))
        let bytes = block.loadUnaligned(fromByteOffset: 4, as: SIMD16<UInt8>.self)
        let low = SIMD16<Float>(SIMD16<Int32>(truncatingIfNeeded: bytes & 0x0F))
        let high = SIMD16<Float>(SIMD16<Int32>(truncatingIfNeeded: bytes &>> 4))
        UnsafeMutableRawPointer(output).storeBytes(of: d * low + m, as: SIMD16<Float>.self)
        UnsafeMutableRawPointer(output + 16).storeBytes(of: d * high + m, as: SIMD16<Float>.self)
    }

    static func q4_0(_ block: UnsafeRawPointer, _ output: UnsafeMutablePointer<Float>) {
        let d = SIMD16<Float>(repeating: GGMLDequantization.half(block, 0))
        let bytes = block.loadUnaligned(fromByteOffset: 2, as: SIMD16<UInt8>.self)
        let eight = SIMD16<Int32>(repeating: 8)
        let low = SIMD16<Float>(SIMD16<Int32>(truncatingIfNeeded: bytes & 0x0F) &- eight)
        let high = SIMD16<Float>(SIMD16<Int32>(truncatingIfNeeded: bytes &>> 4) &- eight)
        UnsafeMutableRawPointer(output).storeBytes(of: d * low, as: SIMD16<Float>.self)
        UnsafeMutableRawPointer(output + 16).storeBytes(of: d * high, as: SIMD16<Float>.self)
    }

    static func q8_0(_ block: UnsafeRawPointer, _ output: UnsafeMutablePointer<Float>) {
        let d = SIMD16<Float>(repeating: GGMLDequantization.half(block, 0))
        for part in 0..<2 {
            let codes = block.loadUnaligned(fromByteOffset: 2 + 16 * part, as: SIMD16<Int8>.self)
            let values = SIMD16<Float>(SIMD16<Int32>(truncatingIfNeeded: codes))
            UnsafeMutableRawPointer(output + 16 * part).storeBytes(of: values * d, as: SIMD16<Float>.self)
        }
    }
}
