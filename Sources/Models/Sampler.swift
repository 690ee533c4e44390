import Foundation

/// Chooses the next token from a logits row: greedy at temperature 0, otherwise temperature, then
/// top-k, then top-p (nucleus) filtering, then a draw from a seeded generator, so a fixed seed gives
/// the same text every run.
public struct Sampler: Sendable {
    public var temperature: Float
    public var topK: Int?
    public var topP: Float?
    private var random: SplitMix64

    public init(temperature: Float = 0, topK: Int? = nil, topP: Float? = nil, seed: UInt64 = 0) {
        self.temperature = temperature
        self.topK = topK
        self.topP = topP
        random = SplitMix64(seed: seed)
    }

    /// The chosen token id for `logits` [vocabulary].
    public mutating func sample(_ logits: UnsafeBufferPointer<Float>) -> Int {
        if temperature <= 0 { return Self.argmax(logits) }
        var candidates = logits.indices.map { (id: $0, logit: logits[$0] / temperature) }
        candidates.sort { $0.logit > $1.logit || ($0.logit == $1.logit && $0.id < $1.id) }
        if let topK, topK > 0, topK < candidates.count { candidates.removeSubrange(topK...) }
        let maximum = candidates[0].logit
        var probabilities = candidates.map { exp(Double($0.logit - maximum)) }
        let total = probabilities.reduce(0, +)
        probabilities = probabilities.map { $0 / total }
        if let topP, topP < 1 {
            var cumulative = 0.0
            var keep = probabilities.count
            for (index, probability) in probabilities.enumerated() {
                cumulative += probability
                if cumulative >= Double(topP) { keep = index + 1; break }
            }
            probabilities.removeSubrange(keep...)
            candidates.removeSubrange(keep...)
        }
        let draw = random.nextUnit() * probabilities.reduce(0, +)
        var cumulative = 0.0
        for (index, probability) in probabilities.enumerated() {
            cumulative += probability
            if draw < cumulative { return candidates[index].id }
        }
        return candidates[candidates.count - 1].id
    }

    /// First index of the largest value (torch's argmax tie-break).
    public static func argmax(_ values: UnsafeBufferPointer<Float>) -> Int {
        var best = 0
        for index in values.indices where values[index] > values[best] { best = index }
        return best
    }
}

/// A small seeded generator (SplitMix64): reproducible across platforms, unlike the system RNG.
public struct SplitMix64: Sendable {
    private var state: UInt64
    public init(seed: UInt64) { state = seed }
    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
    /// Uniform in [0, 1) with 53 random bits.
    public mutating func nextUnit() -> Double { Double(next() >> 11) * 0x1p-53 }
}
