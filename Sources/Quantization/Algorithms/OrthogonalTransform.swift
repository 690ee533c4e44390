import Foundation
import Models

/// A seeded orthogonal matrix Q [size, size] for rotating activations (ALGORITHMS.md A4): QuaRot's
/// randomized Hadamard wherever a Hadamard matrix of the size can be built, and for any other size a
/// mixed-order matrix that still spreads an outlier channel over every output.
///
/// - Hadamard sizes (`Hadamard.matrix`: powers of two, and 2^k times a Paley order, such as
///   SmolLM2's 576 = 16·36 and 1536 = 128·12): Q = D · H / √size, D a seeded diagonal of ±1. Every
///   entry has magnitude 1/√size, the most even spread an orthogonal matrix can give.
/// - Otherwise, for size = 2^k · m (m odd): Q = D · (H_{2^k} / √2^k ⊗ R_m), R_m a seeded random
///   orthogonal m×m matrix (Gram–Schmidt of a Gaussian). Entries are |R_ij| / √2^k: spread, but less
///   evenly (SmolLM2's W8A8 perplexity after rotation and SmoothQuant: BENCHMARKS.md).
public struct OrthogonalTransform: Sendable, Equatable {
    public let size: Int
    /// [size, size] row-major, float64 so tests can check orthogonality exactly; `Rotation` folds the
    /// float32 rounding of it into the weights through BLAS (a relative error of ~1e-6 per product).
    public let matrix: [Double]

    public init(size: Int, matrix: [Double]) {
        precondition(matrix.count == size * size, "an orthogonal transform of \(size) needs \(size * size) entries")
        self.size = size
        self.matrix = matrix
    }

    /// The randomized transform above, reproducible from `seed`.
    public static func randomized(size: Int, seed: UInt64) -> OrthogonalTransform {
        precondition(size > 0, "transform size must be positive")
        var power = 1
        while size % (power * 2) == 0 { power *= 2 }
        let odd = size / power
        var random = SplitMix64(seed: seed ^ (UInt64(size) &* 0x9E37_79B9_7F4A_7C15))
        let signs = (0..<size).map { _ in random.next() >> 63 == 0 ? 1.0 : -1.0 }
        if let hadamard = Hadamard.matrix(size: size) {
            let norm = 1 / Double(size).squareRoot()
            let matrix = hadamard.indices.map { signs[$0 / size] * hadamard[$0] * norm }
            return OrthogonalTransform(size: size, matrix: matrix)
        }
        let core = randomOrthogonal(size: odd, random: &random)
        let hadamard = sylvester(size: power)
        let norm = 1 / Double(power).squareRoot()
        var matrix = [Double](repeating: 0, count: size * size)
        // Kronecker product: row (a·m + i), column (b·m + j) holds H[a, b] · R[i, j].
        for a in 0..<power {
            for b in 0..<power {
                let h = hadamard[a * power + b] * norm
                for i in 0..<odd {
                    let row = a * odd + i
                    for j in 0..<odd { matrix[row * size + b * odd + j] = signs[row] * h * core[i * odd + j] }
                }
            }
        }
        return OrthogonalTransform(size: size, matrix: matrix)
    }

    /// The Sylvester Hadamard matrix of order `size` (a power of two), entries ±1, row-major.
    public static func sylvester(size: Int) -> [Double] {
        precondition(size > 0 && size & (size - 1) == 0, "Sylvester Hadamard matrices have power-of-two orders, got \(size)")
        var matrix: [Double] = [1]
        var order = 1
        while order < size {
            // H_2n = [[H, H], [H, −H]]
            var next = [Double](repeating: 0, count: 4 * order * order)
            for i in 0..<order {
                for j in 0..<order {
                    let value = matrix[i * order + j]
                    next[i * 2 * order + j] = value
                    next[i * 2 * order + j + order] = value
                    next[(i + order) * 2 * order + j] = value
                    next[(i + order) * 2 * order + j + order] = -value
                }
            }
            matrix = next
            order *= 2
        }
        return matrix
    }

    /// A random orthogonal matrix: modified Gram–Schmidt over the rows of a seeded Gaussian matrix
    /// (Box–Muller), which is full rank with probability one; re-orthogonalized once for accuracy.
    static func randomOrthogonal(size: Int, random: inout SplitMix64) -> [Double] {
        var rows = [[Double]]()
        while rows.count < size {
            var row = (0..<size).map { _ -> Double in
                let u = max(random.nextUnit(), 0x1p-53), v = random.nextUnit()
                return (-2 * log(u)).squareRoot() * cos(2 * Double.pi * v)
            }
            for _ in 0..<2 {
                for previous in rows {
                    let dot = zip(row, previous).reduce(0) { $0 + $1.0 * $1.1 }
                    for index in row.indices { row[index] -= dot * previous[index] }
                }
            }
            let norm = row.reduce(0) { $0 + $1 * $1 }.squareRoot()
            // A draw (numerically) inside the span of the earlier rows is redrawn.
            guard norm > 1e-6 else { continue }
            rows.append(row.map { $0 / norm })
        }
        return rows.flatMap { $0 }
    }

    /// Qᵀ [size, size].
    public var transposed: OrthogonalTransform {
        var values = [Double](repeating: 0, count: size * size)
        for i in 0..<size { for j in 0..<size { values[j * size + i] = matrix[i * size + j] } }
        return OrthogonalTransform(size: size, matrix: values)
    }

    /// The float32 entries, row-major, for GEMM.
    public var floats: [Float] { matrix.map { Float($0) } }
}
