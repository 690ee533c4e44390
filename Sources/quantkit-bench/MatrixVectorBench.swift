import ArgumentParser
import Foundation
import Tensors

/// y = W·x for one input row, rotating over enough copies of W (≥ `megabytes`) that every product
/// streams its weights from DRAM, as decoding does: reusing one small matrix would measure cache.
struct MatrixVectorBench: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "gemv", abstract: "Matrix-vector GB/s of weights read.")
    @Option var rows = 1536
    @Option var columns = 576
    @Option(help: "swift (matrixVector over parallelFor) or blas (cblas_sgemv through matmul).") var kernel = "swift"
    @Option var megabytes = 512
    @Option var repeats = 5
    @Flag var json = false

    func run() throws {
        let matrixCount = max(1, megabytes * 1_048_576 / (rows * columns * 4))
        let weights = UnsafeMutableBufferPointer<Float>.allocate(capacity: matrixCount * rows * columns)
        defer { weights.deallocate() }
        for i in weights.indices { weights[i] = Float((i * 104_729) % 1000) / 1000 - 0.5 }
        let x = (0..<columns).map { Float(($0 * 7919) % 1000) / 1000 - 0.5 }
        var y = [Float](repeating: 0, count: rows)
        let seconds = medianSeconds(repeats: repeats) {
            for matrix in 0..<matrixCount {
                let w = weights.baseAddress! + matrix * rows * columns
                y.withUnsafeMutableBufferPointer { out in
                    if kernel == "blas" {
                        matmul(m: 1, n: rows, k: columns, a: x, lda: columns, b: w, ldb: columns, transposeB: true,
                               c: out.baseAddress!, ldc: rows)
                    } else {
                        x.withUnsafeBufferPointer { input in
                            parallelMatrixVector(w, rowStride: columns, input: input.baseAddress!, columns: columns,
                                                 rows: rows, output: out.baseAddress!)
                        }
                    }
                }
            }
        }
        let bytes = Double(matrixCount * rows * columns * 4)
        try emit(Result(median_seconds: seconds, repeats: repeats,
                        detail: ["gigabytes_per_second": bytes / 1e9 / seconds,
                                 "microseconds_per_product": seconds / Double(matrixCount) * 1e6]))
    }
}
