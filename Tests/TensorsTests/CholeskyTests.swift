import Testing
import Tensors

/// Cholesky factorization and inverse (LAPACK spotrf / spotri, for GPTQ) against Double references.
struct CholeskyTests {
    /// `count` floats uniform in `range`, from `seed` (SplitMix64).
    static func randomFloats(_ count: Int, seed: UInt64, in range: ClosedRange<Float>) -> [Float] {
        var state = seed
        return (0..<count).map { _ in
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            z ^= z >> 31
            return range.lowerBound + (range.upperBound - range.lowerBound) * Float(z >> 40) / Float(1 << 24)
        }
    }


    /// A = B·Bᵀ + order·I is symmetric positive definite and well conditioned, so the float32 LAPACK
    /// results stay within 1e-4 relative of the Double-accumulated references.
    static func spdMatrix(order: Int) -> [Float] {
        let b = Self.randomFloats(order * order, seed: UInt64(order), in: -1...1)
        var a = [Float](repeating: 0, count: order * order)
        for row in 0..<order {
            for column in 0..<order {
                var sum: Double = 0
                for inner in 0..<order { sum += Double(b[row * order + inner]) * Double(b[column * order + inner]) }
                a[row * order + column] = Float(sum) + (row == column ? Float(order) : 0)
            }
        }
        return a
    }

    @Test(arguments: [1, 3, 17, 33, 65])
    func choleskyMatchesReference(order: Int) throws {
        let a = Self.spdMatrix(order: order)
        for triangle in [CholeskyTriangle.lower, .upper] {
            var fast = a, reference = a
            try fast.withUnsafeMutableBufferPointer { try choleskyFactor($0, order: order, triangle: triangle) }
            try reference.withUnsafeMutableBufferPointer { try choleskyFactorReference($0, order: order, triangle: triangle) }
            let scale = reference.map(abs).max()!
            #expect(zip(fast, reference).allSatisfy { abs($0 - $1) <= 1e-4 * scale }, "\(triangle) order \(order)")
        }
        var inverse = a, inverseReference = a
        try inverse.withUnsafeMutableBufferPointer { try choleskyInverse($0, order: order) }
        try inverseReference.withUnsafeMutableBufferPointer { try choleskyInverseReference($0, order: order) }
        let scale = inverseReference.map(abs).max()!
        #expect(zip(inverse, inverseReference).allSatisfy { abs($0 - $1) <= 1e-4 * scale }, "inverse order \(order)")
    }

    @Test func choleskyRejectsIndefiniteMatrix() {
        var matrix: [Float] = [1, 2, 2, 1]
        #expect(throws: LinearAlgebraError.notPositiveDefinite(routine: "spotrf", order: 2)) {
            try matrix.withUnsafeMutableBufferPointer { try choleskyFactor($0, order: 2) }
        }
        var inverse: [Float] = [-1, 0, 0, 1]
        #expect(throws: LinearAlgebraError.notPositiveDefinite(routine: "spotrf", order: 1)) {
            try inverse.withUnsafeMutableBufferPointer { try choleskyInverse($0, order: 2) }
        }
    }

    /// The double-precision routines (GPTQ's inverse factor) against the same references.
    @Test(arguments: [1, 17, 65])
    func doubleCholeskyMatchesReference(order: Int) throws {
        let a = Self.spdMatrix(order: order)
        for triangle in [CholeskyTriangle.lower, .upper] {
            var fast = a.map(Double.init), reference = a
            try fast.withUnsafeMutableBufferPointer { try choleskyFactor($0, order: order, triangle: triangle) }
            try reference.withUnsafeMutableBufferPointer { try choleskyFactorReference($0, order: order, triangle: triangle) }
            let scale = Double(reference.map(abs).max()!)
            #expect(zip(fast, reference).allSatisfy { abs($0 - Double($1)) <= 1e-6 * scale }, "\(triangle) order \(order)")
        }
        var inverse = a.map(Double.init), inverseReference = a
        try inverse.withUnsafeMutableBufferPointer { try choleskyInverse($0, order: order) }
        try inverseReference.withUnsafeMutableBufferPointer { try choleskyInverseReference($0, order: order) }
        let scale = Double(inverseReference.map(abs).max()!)
        #expect(zip(inverse, inverseReference).allSatisfy { abs($0 - Double($1)) <= 1e-6 * scale }, "inverse order \(order)")
    }

    @Test func doubleCholeskyRejectsSingularMatrix() {
        // Two equal columns: the second pivot is exactly 4 − (4/2)² = 0.
        var matrix: [Double] = [4, 4, 4, 4]
        #expect(throws: LinearAlgebraError.notPositiveDefinite(routine: "dpotrf", order: 2)) {
            try matrix.withUnsafeMutableBufferPointer { try choleskyFactor($0, order: 2) }
        }
    }

    @Test(arguments: [1, 17, 65])
    func triangularInverseInverts(order: Int) throws {
        let a = Self.spdMatrix(order: order)
        for triangle in [CholeskyTriangle.lower, .upper] {
            var factor = a.map(Double.init)
            try factor.withUnsafeMutableBufferPointer { try choleskyFactor($0, order: order, triangle: triangle) }
            var inverse = factor
            try inverse.withUnsafeMutableBufferPointer { try triangularInverse($0, order: order, triangle: triangle) }
            for row in 0..<order {
                for column in 0..<order {
                    var sum = 0.0
                    for inner in 0..<order { sum += factor[row * order + inner] * inverse[inner * order + column] }
                    #expect(abs(sum - (row == column ? 1 : 0)) <= 1e-10, "\(triangle) [\(row), \(column)]")
                    if triangle == .lower ? column > row : column < row { #expect(inverse[row * order + column] == 0) }
                }
            }
        }
    }
}
