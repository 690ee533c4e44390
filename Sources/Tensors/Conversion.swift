/// Converts `destination.count` elements of `dtype` stored in `source` to float32: SIMD for the
/// 16-bit float types, a table for fp8, the reference for the rest. Bit-identical to
/// `convertToFloat32Reference` (tested).
public func convertToFloat32(source: UnsafeRawBufferPointer, dtype: DType, destination: UnsafeMutableBufferPointer<Float>) {
    let count = destination.count
    precondition(source.count >= count * dtype.byteSize, "source too small for \(count) \(dtype) elements")
    guard count > 0, let input = source.baseAddress, let output = destination.baseAddress else { return }
    switch dtype {
    case .float32:
        output.update(from: input.assumingMemoryBound(to: Float.self), count: count)
    case .float16:
        var i = 0
        while i + 16 <= count {
            let halves = input.loadUnaligned(fromByteOffset: 2 * i, as: SIMD16<Float16>.self)
            UnsafeMutableRawPointer(output + i).storeBytes(of: SIMD16<Float>(halves), as: SIMD16<Float>.self)
            i += 16
        }
        while i < count { output[i] = Float(input.loadUnaligned(fromByteOffset: 2 * i, as: Float16.self)); i += 1 }
    case .bfloat16:
        var i = 0
        while i + 16 <= count {
            let raw = SIMD16<UInt32>(truncatingIfNeeded: input.loadUnaligned(fromByteOffset: 2 * i, as: SIMD16<UInt16>.self))
            UnsafeMutableRawPointer(output + i).storeBytes(of: unsafeBitCast(raw &<< 16, to: SIMD16<Float>.self), as: SIMD16<Float>.self)
            i += 16
        }
        while i < count { output[i] = BFloat16(bitPattern: input.loadUnaligned(fromByteOffset: 2 * i, as: UInt16.self)).floatValue; i += 1 }
    case .float8E4M3, .float8E5M2:
        let table = dtype == .float8E4M3 ? float8E4M3Table : float8E5M2Table
        let codes = input.assumingMemoryBound(to: UInt8.self)
        for i in 0..<count { output[i] = table[Int(codes[i])] }
    default:
        convertToFloat32Reference(source: source, dtype: dtype, destination: destination)
    }
}

/// Every fp8 code decoded once (256 entries each).
let float8E4M3Table: [Float] = (0...255).map { Float8E4M3(bitPattern: UInt8($0)).floatValue }
let float8E5M2Table: [Float] = (0...255).map { Float8E5M2(bitPattern: UInt8($0)).floatValue }

/// Converts float32 to `dtype` (F32, F16 with IEEE round-to-nearest-even, BF16 and FP8 as torch's
/// casts round them: ties to even, E4M3FN saturating at ±448, E5M2 overflowing to infinity).
public func convertFromFloat32(source: UnsafeBufferPointer<Float>, dtype: DType, destination: UnsafeMutableRawBufferPointer) {
    let count = source.count
    precondition(destination.count >= count * dtype.byteSize, "destination too small")
    guard count > 0, let input = source.baseAddress, let output = destination.baseAddress else { return }
    switch dtype {
    case .float32:
        output.copyMemory(from: input, byteCount: 4 * count)
    case .float16:
        var i = 0
        while i + 16 <= count {
            let floats = UnsafeRawPointer(input + i).loadUnaligned(as: SIMD16<Float>.self)
            output.storeBytes(of: SIMD16<Float16>(floats), toByteOffset: 2 * i, as: SIMD16<Float16>.self)
            i += 16
        }
        while i < count { output.storeBytes(of: Float16(input[i]), toByteOffset: 2 * i, as: Float16.self); i += 1 }
    case .bfloat16:
        for i in 0..<count { output.storeBytes(of: BFloat16(input[i]).bitPattern, toByteOffset: 2 * i, as: UInt16.self) }
    case .float8E4M3, .float8E5M2:
        let format: MinifloatFormat = dtype == .float8E4M3 ? .e4m3fn : .e5m2
        format.encode(source, into: UnsafeMutableBufferPointer(start: output.assumingMemoryBound(to: UInt8.self), count: count),
                      saturate: false)
    default:
        preconditionFailure("convertFromFloat32 does not produce \(dtype)")
    }
}

/// The scalar reference for `convertToFloat32`.
public func convertToFloat32Reference(source: UnsafeRawBufferPointer, dtype: DType, destination: UnsafeMutableBufferPointer<Float>) {
    let count = destination.count
    precondition(source.count >= count * dtype.byteSize, "source too small for \(count) \(dtype) elements")
    func each<T: BitwiseCopyable>(_ type: T.Type, _ convert: (T) -> Float) {
        let typed = source.assumingMemoryBound(to: T.self)
        for i in 0..<count { destination[i] = convert(typed[i]) }
    }
    switch dtype {
    case .float32: each(Float.self) { $0 }
    case .float64: each(Double.self) { Float($0) }
    case .float16: each(Float16.self) { Float($0) }
    case .bfloat16: each(UInt16.self) { BFloat16(bitPattern: $0).floatValue }
    case .float8E4M3: each(UInt8.self) { Float8E4M3(bitPattern: $0).floatValue }
    case .float8E5M2: each(UInt8.self) { Float8E5M2(bitPattern: $0).floatValue }
    case .int8: each(Int8.self) { Float($0) }
    case .uint8, .bool: each(UInt8.self) { Float($0) }
    case .int16: each(Int16.self) { Float($0) }
    case .uint16: each(UInt16.self) { Float($0) }
    case .int32: each(Int32.self) { Float($0) }
    case .uint32: each(UInt32.self) { Float($0) }
    case .int64: each(Int64.self) { Float($0) }
    case .uint64: each(UInt64.self) { Float($0) }
    }
}
