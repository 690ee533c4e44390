/// Converts `destination.count` elements of `dtype` stored in `source` to float32.
/// Scalar reference; the vectorized paths must agree with it bit for bit.
public func convertToFloat32(source: UnsafeRawBufferPointer, dtype: DType, destination: UnsafeMutableBufferPointer<Float>) {
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
