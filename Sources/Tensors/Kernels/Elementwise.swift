/// Elementwise kernels: SIMD bodies with scalar tails, references beside them.

/// `target[i] += source[i]` for `count` elements.
public func addInPlace(_ source: UnsafePointer<Float>, into target: UnsafeMutablePointer<Float>, count: Int) {
    var i = 0
    while i + 16 <= count {
        let sum = UnsafeRawPointer(target + i).loadUnaligned(as: SIMD16<Float>.self)
            + UnsafeRawPointer(source + i).loadUnaligned(as: SIMD16<Float>.self)
        UnsafeMutableRawPointer(target + i).storeBytes(of: sum, as: SIMD16<Float>.self)
        i += 16
    }
    while i < count { target[i] += source[i]; i += 1 }
}

public func addInPlaceReference(_ source: UnsafePointer<Float>, into target: UnsafeMutablePointer<Float>, count: Int) {
    for i in 0..<count { target[i] += source[i] }
}

/// `rows[r, i] += bias[i]` for each of `rowCount` rows of `width`.
public func addBias(_ bias: UnsafePointer<Float>, to rows: UnsafeMutablePointer<Float>, rowCount: Int, width: Int) {
    for r in 0..<rowCount { addInPlace(bias, into: rows + r * width, count: width) }
}
