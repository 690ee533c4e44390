import Testing
import Tensors

/// The decode kernels against their Double references, over lengths that hit every SIMD tail
/// (64-wide body, 16-wide step, scalar remainder) and SmolLM2's widths.
struct MatrixVectorTests {
    static let columnCounts = Array(1...67) + [575, 576, 1536, 1537]

    /// Float32 sums of `count` products of magnitude ≤ 1/4 against Double: a few ulp per term.
    static func tolerance(_ count: Int) -> Float { Float(count) * 2e-7 + 1e-6 }

    @Test(arguments: columnCounts)
    func matrixVectorMatchesReference(columns: Int) {
        let rows = 7, rowStride = columns + 3
        let weight = RowKernelTests.values(rows * rowStride, seed: 21, scale: 1)
        let input = RowKernelTests.values(columns, seed: 22, scale: 1)
        var fast = [Float](repeating: .nan, count: rows), reference = fast
        fast.withUnsafeMutableBufferPointer {
            matrixVector(weight, rowStride: rowStride, input: input, columns: columns, rows: 0..<rows, output: $0.baseAddress!)
        }
        reference.withUnsafeMutableBufferPointer {
            matrixVectorReference(weight, rowStride: rowStride, input: input, columns: columns, rows: 0..<rows, output: $0.baseAddress!)
        }
        let worst = zip(fast, reference).map { abs($0 - $1) }.max()!
        #expect(worst <= Self.tolerance(columns), "max |Δ| \(worst) at \(columns) columns")
    }

    @Test func matrixVectorWritesOnlyItsRows() {
        let columns = 33
        let weight = RowKernelTests.values(10 * columns, seed: 23, scale: 1)
        let input = RowKernelTests.values(columns, seed: 24, scale: 1)
        var output = [Float](repeating: -1, count: 10)
        output.withUnsafeMutableBufferPointer {
            matrixVector(weight, rowStride: columns, input: input, columns: columns, rows: 3..<8, output: $0.baseAddress!)
        }
        #expect(output[0..<3].allSatisfy { $0 == -1 } && output[8...].allSatisfy { $0 == -1 })
        #expect(output[3..<8].allSatisfy { $0 != -1 })
    }

    /// Splitting rows across threads changes nothing: each row is one `dot`, whoever computes it.
    @Test(arguments: [1, 63, 64, 65, 129, 1536], [1, 2, 3])
    func parallelMatrixVectorIsBitIdentical(rows: Int, threads: Int) {
        let columns = 577
        let weight = RowKernelTests.values(rows * columns, seed: 25, scale: 1)
        let input = RowKernelTests.values(columns, seed: 26, scale: 1)
        var serial = [Float](repeating: 0, count: rows), parallel = serial
        serial.withUnsafeMutableBufferPointer {
            matrixVector(weight, rowStride: columns, input: input, columns: columns, rows: 0..<rows, output: $0.baseAddress!)
        }
        let original = ComputeThreads.count
        ComputeThreads.count = threads
        parallel.withUnsafeMutableBufferPointer {
            parallelMatrixVector(weight, rowStride: columns, input: input, columns: columns, rows: rows, output: $0.baseAddress!)
        }
        ComputeThreads.count = original
        #expect(serial == parallel)
    }

    /// Matrices stacked into one parallel pass give each matrix's own product, whatever the split.
    @Test(arguments: [1, 2, 3])
    func stackedProductsAreBitIdentical(threads: Int) {
        let columns = 33, rowCounts = [1, 63, 130, 7]
        let weights = rowCounts.enumerated().map { RowKernelTests.values($1 * columns, seed: UInt32(30 + $0), scale: 1) }
        let input = RowKernelTests.values(columns, seed: 40, scale: 1)
        var expected: [[Float]] = []
        for (weight, rows) in zip(weights, rowCounts) {
            var output = [Float](repeating: 0, count: rows)
            output.withUnsafeMutableBufferPointer {
                matrixVector(weight, rowStride: columns, input: input, columns: columns, rows: 0..<rows, output: $0.baseAddress!)
            }
            expected.append(output)
        }
        let original = ComputeThreads.count
        ComputeThreads.count = threads
        defer { ComputeThreads.count = original }
        let weightBuffers = weights.map { weight in
            let buffer = UnsafeMutableBufferPointer<Float>.allocate(capacity: weight.count)
            _ = buffer.initialize(from: weight)
            return buffer
        }
        let outputBuffers = rowCounts.map { UnsafeMutableBufferPointer<Float>.allocate(capacity: $0) }
        defer { (weightBuffers + outputBuffers).forEach { $0.deallocate() } }
        let products = zip(zip(weightBuffers, rowCounts), outputBuffers).map {
            MatrixVectorProduct(weight: UnsafePointer($0.0.baseAddress!), rows: $0.1, output: $1.baseAddress!)
        }
        input.withUnsafeBufferPointer { parallelMatrixVectors(products, input: $0.baseAddress!, columns: columns) }
        for (buffer, expectation) in zip(outputBuffers, expected) { #expect(Array(buffer) == expectation) }
    }
}
