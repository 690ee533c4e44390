/// Matrix–vector products for decoding one token at a time. Every weight is read once per token and
/// used for one multiply, so the product runs at the speed DRAM delivers the rows, and the kernel's
/// job is to keep that stream sequential.
///
/// Measured here (Zen 4, [1536, 576] f32 rotating over 512 MiB): one row at a time reads 25.8 GB/s,
/// the speed of a plain sequential sum; walking four rows side by side (the usual register-blocked
/// GEMV, and OpenBLAS's sgemv) reads 10.9 GB/s, because four interleaved streams 2.3 KB apart defeat
/// the hardware prefetcher. So rows go one after another, and `input` (a few KB) stays in L1.

/// `output[r] = Σ_c weight[r · rowStride + c] · input[c]` for each row `r` in `rows`, with
/// `weight` [rows, ≥ columns] row-major and `input` [columns].
public func matrixVector(_ weight: UnsafePointer<Float>, rowStride: Int, input: UnsafePointer<Float>, columns: Int,
                         rows: Range<Int>, output: UnsafeMutablePointer<Float>) {
    for row in rows {
        output[row] = dot(weight + row * rowStride, input, count: columns)
    }
}

/// The scalar reference for `matrixVector`, accumulating in Double.
public func matrixVectorReference(_ weight: UnsafePointer<Float>, rowStride: Int, input: UnsafePointer<Float>, columns: Int,
                                  rows: Range<Int>, output: UnsafeMutablePointer<Float>) {
    for row in rows {
        var sum = 0.0
        for column in 0..<columns { sum += Double(weight[row * rowStride + column]) * Double(input[column]) }
        output[row] = Float(sum)
    }
}

/// `Σ a[i] · b[i]` over `count` floats: four 16-lane accumulators (one FMA each per 64 floats, so
/// no FMA waits on the previous one), then 16 at a time, then a scalar tail.
@inline(__always)
public func dot(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, count: Int) -> Float {
    var s0 = SIMD16<Float>.zero, s1 = SIMD16<Float>.zero, s2 = SIMD16<Float>.zero, s3 = SIMD16<Float>.zero
    var i = 0
    while i + 64 <= count {
        s0.addProduct(load16(a + i), load16(b + i))
        s1.addProduct(load16(a + i + 16), load16(b + i + 16))
        s2.addProduct(load16(a + i + 32), load16(b + i + 32))
        s3.addProduct(load16(a + i + 48), load16(b + i + 48))
        i += 64
    }
    while i + 16 <= count {
        s0.addProduct(load16(a + i), load16(b + i))
        i += 16
    }
    var sum = ((s0 + s1) + (s2 + s3)).sum()
    while i < count {
        sum += a[i] * b[i]
        i += 1
    }
    return sum
}

@inline(__always)
func load16(_ pointer: UnsafePointer<Float>) -> SIMD16<Float> {
    UnsafeRawPointer(pointer).loadUnaligned(as: SIMD16<Float>.self)
}

/// `matrixVector` over all `rows`, split into contiguous row chunks across `ComputeThreads` with
/// `parallelFor`.
public func parallelMatrixVector(_ weight: UnsafePointer<Float>, rowStride: Int, input: UnsafePointer<Float>, columns: Int,
                                 rows: Int, output: UnsafeMutablePointer<Float>) {
    parallelMatrixVectors([MatrixVectorProduct(weight: weight, rows: rows, output: output)], input: input, columns: columns)
}

/// One matrix of `parallelMatrixVectors`: `output[rows] = weight[rows, columns] · input[columns]`,
/// `weight` row-major and dense (row stride = columns).
public struct MatrixVectorProduct: @unchecked Sendable {
    // Sendable: the caller keeps the memory alive and each product writes its own output for the
    // duration of the call (the `SendablePointer` contract).
    public let weight: UnsafePointer<Float>
    public let rows: Int
    public let output: UnsafeMutablePointer<Float>

    public init(weight: UnsafePointer<Float>, rows: Int, output: UnsafeMutablePointer<Float>) {
        self.weight = weight
        self.rows = rows
        self.output = output
    }
}

/// Several matrices applied to the same `input`, as one `parallelFor` over all their rows (stacked
/// in order), so layers that read the same vector (q/k/v, gate/up) cost one hand-off to the worker
/// threads instead of one each. Chunks hold at least 64 rows so a small matrix is not split into
/// pieces cheaper than a hand-off. Each row is one `dot`, so the split never changes a value.
public func parallelMatrixVectors(_ products: [MatrixVectorProduct], input: UnsafePointer<Float>, columns: Int) {
    let total = products.reduce(0) { $0 + $1.rows }
    let x = SendablePointer(input)
    parallelFor(count: total, minimumChunk: 64) { range in
        var first = 0
        for product in products {
            let start = max(range.lowerBound, first), end = min(range.upperBound, first + product.rows)
            if start < end {
                matrixVector(product.weight, rowStride: columns, input: x.base, columns: columns,
                             rows: (start - first)..<(end - first), output: product.output)
            }
            first += product.rows
        }
    }
}
