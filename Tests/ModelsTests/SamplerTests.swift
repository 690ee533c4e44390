import Testing
@testable import Models

struct SamplerTests {
    @Test func greedyTakesTheFirstLargestLogit() {
        var sampler = Sampler(temperature: 0)
        let logits: [Float] = [0.5, 2, -1, 2]
        #expect(logits.withUnsafeBufferPointer { sampler.sample($0) } == 1)
    }

    @Test func sameSeedSameDraws() {
        let logits: [Float] = (0..<50).map { Float($0 % 7) * 0.3 }
        func draws(seed: UInt64) -> [Int] {
            var sampler = Sampler(temperature: 0.9, topK: 20, topP: 0.9, seed: seed)
            return (0..<32).map { _ in logits.withUnsafeBufferPointer { sampler.sample($0) } }
        }
        #expect(draws(seed: 42) == draws(seed: 42))
        #expect(draws(seed: 42) != draws(seed: 43))
    }

    @Test func topKOneIsGreedy() {
        var sampler = Sampler(temperature: 1.5, topK: 1, seed: 3)
        let logits: [Float] = [0.1, 0.2, 3, 0.4]
        for _ in 0..<10 { #expect(logits.withUnsafeBufferPointer { sampler.sample($0) } == 2) }
    }

    @Test func topPKeepsOnlyTheNucleus() {
        // Probabilities ≈ [0.84, 0.11, 0.04, 0.01]: with top-p 0.8 only token 0 survives.
        var sampler = Sampler(temperature: 1, topP: 0.8, seed: 11)
        let logits: [Float] = [4, 2, 1, -0.5]
        for _ in 0..<20 { #expect(logits.withUnsafeBufferPointer { sampler.sample($0) } == 0) }
    }
}
