/// Hadamard matrices (entries ±1, H·Hᵀ = n·I) of the orders rotations need, built rather than
/// stored: Sylvester's for powers of two, and Paley's two constructions from the quadratic residues
/// of a prime q for the cores past them (q + 1 for q ≡ 3 mod 4; 2(q + 1) for q ≡ 1 mod 4), joined by
/// a Kronecker product. That covers SmolLM2's 576 = 16·36 (Paley II, q = 17) and 1536 = 128·12
/// (Paley I, q = 11), TinyLlama's 5632 = 128·44 (Paley I, q = 43), Llama 3's 14336 = 512·28
/// (Paley II, q = 13) and Llama 2's 11008 = 2·5504 (Paley I, q = 5503). Orders with no such
/// factorization get nil.
enum Hadamard {
    /// A Hadamard matrix of order `size`, row-major, or nil when no factorization above exists.
    static func matrix(size: Int) -> [Double]? {
        guard size > 0 else { return nil }
        var power = 1
        while size % (power * 2) == 0 { power *= 2 }
        // The smallest core first: it leaves the most of the matrix to Sylvester's construction.
        while power >= 1 {
            let core = size / power
            if let coreMatrix = core == 1 ? [1] : paley(order: core) {
                return kronecker(OrthogonalTransform.sylvester(size: power), power, coreMatrix, core)
            }
            power /= 2
        }
        return nil
    }

    /// Paley's Hadamard matrix of order `order`, if `order` is q + 1 with q a prime ≡ 3 (mod 4)
    /// (construction I) or 2(q + 1) with q a prime ≡ 1 (mod 4) (construction II).
    static func paley(order: Int) -> [Double]? {
        if order % 4 == 0, isPrime(order - 1), (order - 1) % 4 == 3 { return paleyOne(prime: order - 1) }
        if order % 4 == 0, isPrime(order / 2 - 1), (order / 2 - 1) % 4 == 1 { return paleyTwo(prime: order / 2 - 1) }
        return nil
    }

    /// Construction I: H = I + S with S = [[0, 1ᵀ], [−1, Q]] skew-symmetric, Q the Jacobsthal
    /// matrix Q_ij = χ(j − i) of the quadratic character χ mod q.
    static func paleyOne(prime q: Int) -> [Double] {
        let n = q + 1
        let character = quadraticCharacter(prime: q)
        var matrix = [Double](repeating: 0, count: n * n)
        for i in 0..<n {
            for j in 0..<n {
                let s: Double
                if i == 0 { s = j == 0 ? 0 : 1 } else if j == 0 { s = -1 } else { s = character[((j - i) % q + q) % q] }
                matrix[i * n + j] = s + (i == j ? 1 : 0)
            }
        }
        return matrix
    }

    /// Construction II: the symmetric conference matrix C = [[0, 1ᵀ], [1, Q]] of order q + 1 with
    /// every 0 replaced by [[1, −1], [−1, −1]] and every ±1 by ±[[1, 1], [1, −1]].
    static func paleyTwo(prime q: Int) -> [Double] {
        let m = q + 1, n = 2 * m
        let character = quadraticCharacter(prime: q)
        var matrix = [Double](repeating: 0, count: n * n)
        for i in 0..<m {
            for j in 0..<m {
                let c: Double
                if i == 0 { c = j == 0 ? 0 : 1 } else if j == 0 { c = 1 } else { c = character[((j - i) % q + q) % q] }
                let block: [Double] = c == 0 ? [1, -1, -1, -1] : [c, c, c, -c]
                for a in 0..<2 { for b in 0..<2 { matrix[(2 * i + a) * n + 2 * j + b] = block[a * 2 + b] } }
            }
        }
        return matrix
    }

    /// χ(a) for a in 0 ..< q: 0 at 0, 1 for nonzero squares mod q, −1 otherwise.
    static func quadraticCharacter(prime q: Int) -> [Double] {
        var character = [Double](repeating: -1, count: q)
        character[0] = 0
        for x in 1..<q { character[x * x % q] = 1 }
        return character
    }

    static func isPrime(_ value: Int) -> Bool {
        guard value >= 2 else { return false }
        var divisor = 2
        while divisor * divisor <= value {
            if value % divisor == 0 { return false }
            divisor += 1
        }
        return true
    }

    /// A ⊗ B for A [p, p] and B [m, m]: row (a·m + i), column (b·m + j) holds A[a, b] · B[i, j].
    static func kronecker(_ a: [Double], _ p: Int, _ b: [Double], _ m: Int) -> [Double] {
        let size = p * m
        var matrix = [Double](repeating: 0, count: size * size)
        for i in 0..<p {
            for j in 0..<p {
                let factor = a[i * p + j]
                for k in 0..<m {
                    for l in 0..<m { matrix[(i * m + k) * size + j * m + l] = factor * b[k * m + l] }
                }
            }
        }
        return matrix
    }
}
