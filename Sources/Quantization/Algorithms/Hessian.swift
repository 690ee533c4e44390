import Tensors

/// The Hessian of one linear layer's reconstruction error, H = 2/n · Σ xᵀx over the n calibration
/// tokens x [inFeatures] seen so far: what GPTQ weighs each weight column's error with. Layers that
/// read the same input (q/k/v, gate/up) share one.
///
/// Batches stream in with `add`: like the GPTQ reference (`add_batch`), H stays a mean, rescaled by
/// n/(n+t) before each batch of t tokens is added, and is accumulated in float32 with a BLAS
/// rank-k update (`ssyrk`, half a GEMM). Only the lower triangle is kept; `matrix` mirrors it.
public struct Hessian: Sendable {
    /// The layer's input width: H is [features, features].
    public let features: Int
    /// Calibration tokens accumulated so far (n).
    public private(set) var tokenCount: Int
    /// [features, features] row-major float32, current in its lower triangle only.
    private var lower: [Float]

    /// An empty Hessian (no tokens yet: every column is dead until a batch arrives).
    public init(features: Int) {
        precondition(features > 0, "a Hessian needs at least one feature")
        self.features = features
        self.tokenCount = 0
        self.lower = [Float](repeating: 0, count: features * features)
    }

    /// A Hessian from a full symmetric matrix [features, features] that was accumulated elsewhere
    /// (a saved state, or a test's exact H), standing for `tokenCount` tokens.
    public init(matrix: [Float], features: Int, tokenCount: Int) {
        precondition(matrix.count == features * features, "matrix is not [\(features), \(features)]")
        precondition(tokenCount >= 0)
        self.features = features
        self.tokenCount = tokenCount
        self.lower = matrix
    }

    /// Adds a batch of inputs, row-major [tokens, features] (padding tokens must be left out: they
    /// would bias H). An empty batch changes nothing (a mixture expert that got no tokens).
    public mutating func add(_ inputs: UnsafeBufferPointer<Float>, tokens: Int) {
        precondition(inputs.count >= tokens * features, "inputs smaller than [\(tokens), \(features)]")
        guard tokens > 0, let base = inputs.baseAddress else { return }
        let total = tokenCount + tokens
        // H ← n/(n+t)·H + 2/(n+t)·XᵀX: the reference's recurrence (it scales X by √(2/(n+t)) first;
        // GPTQModel's addmm uses these two factors, the same up to rounding).
        let beta = Float(Double(tokenCount) / Double(total))
        let alpha = Float(2 / Double(total))
        lower.withUnsafeMutableBufferPointer { h in
            symmetricRankUpdate(order: features, rows: tokens, alpha: alpha, a: base, lda: features,
                                beta: beta, c: h.baseAddress!, ldc: features, triangle: .lower)
        }
        tokenCount = total
    }

    /// Adds a batch of inputs [tokens, features] in which no token counts with a norm above
    /// `tokenNormCap` × the batch's median token norm: larger rows are scaled down to that norm
    /// (directions kept). nil adds the batch as it is.
    public mutating func add(_ inputs: UnsafeBufferPointer<Float>, tokens: Int, tokenNormCap: Float?) {
        guard let tokenNormCap, tokens > 0 else { return add(inputs, tokens: tokens) }
        let scales = Self.tokenScales(inputs, tokens: tokens, features: features, cap: tokenNormCap)
        guard scales.contains(where: { $0 < 1 }) else { return add(inputs, tokens: tokens) }
        var capped = Array(inputs.prefix(tokens * features))
        for token in 0..<tokens where scales[token] < 1 {
            for feature in 0..<features { capped[token * features + feature] *= scales[token] }
        }
        capped.withUnsafeBufferPointer { add($0, tokens: tokens) }
    }

    /// Per token, min(1, cap · median norm / its norm) over the rows of `inputs` [tokens, features]
    /// (the median is the upper one for an even count; an all-zero batch gets 1s).
    static func tokenScales(_ inputs: UnsafeBufferPointer<Float>, tokens: Int, features: Int, cap: Float) -> [Float] {
        let norms = (0..<tokens).map { token -> Float in
            var sum: Float = 0
            for feature in 0..<features { sum += inputs[token * features + feature] * inputs[token * features + feature] }
            return sum.squareRoot()
        }
        let limit = cap * norms.sorted()[tokens / 2]
        return norms.map { $0 > limit && limit > 0 ? limit / $0 : 1 }
    }

    /// Adds a batch of inputs of any float dtype whose last dimension is `features`; every other
    /// dimension counts tokens ([tokens, features] or [batch, sequence, features]).
    public mutating func add(_ inputs: Tensor) {
        precondition(inputs.rank >= 1 && inputs.shape.last == features,
                     "inputs \(inputs.shape) do not end in \(features) features")
        let tokens = inputs.count / features
        let floats = inputs.dtype == .float32 ? inputs : inputs.toFloat32()
        floats.withUnsafeBufferPointer(as: Float.self) { add($0, tokens: tokens) }
    }

    /// Folds in a Hessian accumulated over other tokens (e.g. on another thread): the token-weighted
    /// mean of the two.
    public mutating func merge(_ other: Hessian) {
        precondition(other.features == features, "merging Hessians of \(other.features) and \(features) features")
        let total = tokenCount + other.tokenCount
        guard other.tokenCount > 0 else { return }
        let selfWeight = Float(Double(tokenCount) / Double(total))
        let otherWeight = Float(Double(other.tokenCount) / Double(total))
        for row in 0..<features {
            for column in 0...row {
                let index = row * features + column
                lower[index] = selfWeight * lower[index] + otherWeight * other.lower[index]
            }
        }
        tokenCount = total
    }

    /// H, [features, features] row-major float32, symmetric.
    public var matrix: [Float] {
        var full = lower
        full.withUnsafeMutableBufferPointer { mirrorTriangle($0, order: features, from: .lower) }
        return full
    }
}
