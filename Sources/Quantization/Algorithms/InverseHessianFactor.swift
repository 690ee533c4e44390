import Tensors

/// The upper Cholesky factor U of (H + λI)⁻¹ that GPTQ's sweep reads (UᵀU = (H + λI)⁻¹): row i holds
/// the coefficients that spread column i's quantization error over the later columns, and U[i, i]
/// plays the role of √[H⁻¹]ᵢᵢ in the error weights (the paper, Sec. 3.4; gptq.py `fasterquant`).
///
/// The reference gets U in three O(n³) steps (Cholesky of H + λI, the inverse from that factor, the
/// upper Cholesky factor of the inverse: 5n³/3 flops). The same U comes from two (2n³/3): with J the
/// order-reversing permutation, J(H + λI)J = LLᵀ gives H + λI = VVᵀ with V = JLJ upper triangular, so
/// (H + λI)⁻¹ = V⁻ᵀV⁻¹ and U = V⁻¹ = J L⁻¹ J (Cholesky factors with a positive diagonal are unique).
/// It never forms the inverse, and runs in double precision: an ill-conditioned Hessian loses digits
/// float32 does not have, and this costs O(n³) once per layer against the O(tokens · n²) of
/// accumulating H. The result is rounded to float32 for the sweep.
struct InverseHessianFactor {
    /// [order, order] row-major float32, upper triangular (zeros below the diagonal).
    var upper: [Float]
    /// λ / mean(diag H): the dampening fraction that worked.
    var dampingFraction: Double
    /// λ itself, added to every diagonal element.
    var damping: Double
    /// Every fraction tried, in order: more than one when a factorization failed and dampening escalated.
    var triedFractions: [Double]
    /// True when no fraction up to the limit gave a usable factor (H not finite): U is then the identity,
    /// which makes the sweep round-to-nearest with no error feedback (llm-compressor's fallback).
    var fellBackToIdentity: Bool

    /// - Parameters:
    ///   - hessian: H [order, order] row-major, already permuted and with dead columns' diagonals set to 1.
    ///   - options: the starting fraction and the escalation rule.
    init(hessian: [Float], order: Int, options: GPTQOptions) {
        precondition(hessian.count == order * order)
        var meanDiagonal = 0.0
        for index in 0..<order { meanDiagonal += Double(hessian[index * order + index]) }
        meanDiagonal /= Double(order)

        var tried: [Double] = []
        var fraction = options.dampingFraction
        while fraction <= options.maximumDampingFraction {
            tried.append(fraction)
            let damping = fraction * meanDiagonal
            if let factor = Self.factor(hessian, order: order, damping: damping) {
                self.init(upper: factor, dampingFraction: fraction, damping: damping, triedFractions: tried, fellBackToIdentity: false)
                return
            }
            // A fraction of 0 cannot grow by multiplying; start the escalation at 10⁻⁶ of the mean
            // diagonal, as Quark's retry does.
            fraction = Swift.max(fraction * options.dampingGrowth, 1e-6)
        }
        var identity = [Float](repeating: 0, count: order * order)
        for index in 0..<order { identity[index * order + index] = 1 }
        self.init(upper: identity, dampingFraction: tried.last ?? options.dampingFraction, damping: .nan,
                  triedFractions: tried, fellBackToIdentity: true)
    }

    private init(upper: [Float], dampingFraction: Double, damping: Double, triedFractions: [Double], fellBackToIdentity: Bool) {
        self.upper = upper
        self.dampingFraction = dampingFraction
        self.damping = damping
        self.triedFractions = triedFractions
        self.fellBackToIdentity = fellBackToIdentity
    }

    /// U for one λ, or nil when a factorization fails or the result is not finite and positive on
    /// its diagonal (LAPACK can "succeed" on a matrix holding NaN).
    private static func factor(_ hessian: [Float], order: Int, damping: Double) -> [Float]? {
        guard damping.isFinite else { return nil }
        // Reversing a row-major buffer end to end reverses the order of both rows and columns (J·A·J).
        var matrix = [Double](repeating: 0, count: order * order)
        for index in 0..<(order * order) { matrix[order * order - 1 - index] = Double(hessian[index]) }
        for index in 0..<order { matrix[index * order + index] += damping }
        do {
            try matrix.withUnsafeMutableBufferPointer { buffer in
                try choleskyFactor(buffer, order: order, triangle: .lower)
                try triangularInverse(buffer, order: order, triangle: .lower)
            }
        } catch {
            return nil
        }
        matrix.reverse()
        var upper = [Float](repeating: 0, count: order * order)
        for row in 0..<order {
            guard matrix[row * order + row] > 0 else { return nil }
            for column in row..<order {
                let value = Float(matrix[row * order + column])
                guard value.isFinite else { return nil }
                upper[row * order + column] = value
            }
        }
        // The float32 diagonal divides the errors: it must not have underflowed to zero.
        for index in 0..<order where upper[index * order + index] == 0 { return nil }
        return upper
    }
}
