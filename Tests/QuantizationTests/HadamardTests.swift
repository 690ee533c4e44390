import Testing
@testable import Quantization

/// The built Hadamard matrices: entries ±1 and H·Hᵀ = n·I, for Paley's two constructions alone and
/// joined to Sylvester's, at the orders the target models need.
struct HadamardTests {
    static func isHadamard(_ h: [Double], size: Int, rows: [Int]? = nil) -> Bool {
        guard h.count == size * size, h.allSatisfy({ $0 == 1 || $0 == -1 }) else { return false }
        let checked = rows ?? Array(0..<size)
        for (a, i) in checked.enumerated() {
            for j in checked[a...] {
                var dot = 0.0
                for k in 0..<size { dot += h[i * size + k] * h[j * size + k] }
                if dot != (i == j ? Double(size) : 0) { return false }
            }
        }
        return true
    }

    /// Paley I at q = 3, 11, 19, 43, 59; Paley II at q = 13, 17; and Kronecker products with
    /// Sylvester's (24 = 2·12, 80 = 4·20, 576 = 16·36).
    @Test(arguments: [4, 12, 20, 44, 60, 28, 36, 24, 80, 576])
    func isHadamard(size: Int) throws {
        let h = try #require(Hadamard.matrix(size: size), "order \(size) should be built")
        #expect(Self.isHadamard(h, size: size))
    }

    /// Both constructions where both apply to the same order (12: Paley I at q = 11, II at q = 5).
    @Test func bothConstructionsOfTwelve() {
        #expect(Self.isHadamard(Hadamard.paleyOne(prime: 11), size: 12))
        #expect(Self.isHadamard(Hadamard.paleyTwo(prime: 5), size: 12))
        #expect(Hadamard.paleyOne(prime: 11) != Hadamard.paleyTwo(prime: 5))
    }

    /// SmolLM2's MLP 1536 = 128·12 and TinyLlama's 5632 = 128·44 (a whole H·Hᵀ of 5632 is too slow
    /// for a unit test): rows across the blocks of both factors.
    @Test(arguments: [1536, 5632])
    func largeOrdersHaveOrthogonalRows(size: Int) throws {
        let h = try #require(Hadamard.matrix(size: size))
        let rows = Array(0..<14) + [43, 44, 127, 128, 1023, 1535, 2048, 5631].filter { $0 < size }
        #expect(Self.isHadamard(h, size: size, rows: rows))
    }

    /// No Hadamard matrix has an odd order past 1 or an order 2 mod 4 past 2; 36·… aside, 18·2^k
    /// for small k has no Paley core either (17 and 35 are not q + 1 or 2(q + 1) for a fitting prime).
    @Test func ordersWithoutAConstructionGiveNil() {
        for size in [3, 6, 7, 9, 18, 22] { #expect(Hadamard.matrix(size: size) == nil, "order \(size)") }
    }

    /// With a Hadamard order the seeded transform is one: every entry ±1/√n (576: ±1/24).
    @Test func transformOfAHadamardOrderIsEvenlySpread() {
        let q = OrthogonalTransform.randomized(size: 576, seed: 2).matrix
        #expect(q.allSatisfy { abs(abs($0) - 1.0 / 24) < 1e-15 })
    }
}
