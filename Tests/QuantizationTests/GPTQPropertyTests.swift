import Testing
@testable import Quantization
import Tensors

/// Properties of GPTQ that hold whatever the reference does: with a diagonal Hessian it is
/// round-to-nearest (the `Quantizer`, golden-tested against Quark) for every format; the block size
/// only changes rounding; it beats round-to-nearest on the calibration outputs; a Hessian that cannot
/// be factored escalates dampening, and one that is not finite falls back, without ever throwing.
struct GPTQPropertyTests {
    static func weight(rows: Int, columns: Int, seed: UInt64) -> [Float] {
        var values = (0..<(rows * columns)).map { index in
            Float(GPTQReferenceTests.splitmix(seed, index) >> 40) / Float(1 << 24) * 2 - 1
        }
        values[3] = 6       // outliers widen some groups
        values[columns + 40] = -9
        return values
    }

    static func diagonalHessian(_ diagonal: [Float]) -> Hessian {
        let n = diagonal.count
        var matrix = [Float](repeating: 0, count: n * n)
        for index in 0..<n { matrix[index * n + index] = diagonal[index] }
        return Hessian(matrix: matrix, features: n, tokenCount: 1)
    }

    static let specs: [QuantSpec] = [
        QuantSpec(format: .int4, granularity: .perGroup(size: 32)),
        QuantSpec(format: .uint4, granularity: .perGroup(size: 64), symmetric: false),
        QuantSpec(format: .int4, granularity: .perGroup(size: 32), scaleType: .float16),
        QuantSpec(format: .int8, granularity: .perChannel),
        QuantSpec(format: .uint8, granularity: .perTensor, symmetric: false),
        QuantSpec(format: .fp8E4M3, granularity: .perChannel),
        QuantSpec(format: .fp8E5M2, granularity: .perGroup(size: 32)),
        .mx(.fp4), .mx(.fp6E2M3), .mx(.fp8E4M3),
    ]

    /// U is diagonal, so no error reaches another column: every code, scale and value is RTN's, and
    /// the loss is Σ (w − q)² · (1.01 · h) / 2 for H = h·I.
    @Test(arguments: specs.indices)
    func diagonalHessianIsRoundToNearest(specIndex: Int) throws {
        let spec = Self.specs[specIndex]
        let rows = 8, columns = 128
        let w = Self.weight(rows: rows, columns: columns, seed: UInt64(10 + specIndex))
        let rtn = try w.withUnsafeBufferPointer { try Quantizer.quantize($0, rows: rows, columns: columns, spec: spec) }
        let rtnValues = rtn.dequantized()
        for staticGroups in [false, true] {
            let result = try w.withUnsafeBufferPointer {
                try GPTQ.quantize(weight: $0, rows: rows, columns: columns, hessian: Self.diagonalHessian(.init(repeating: 2, count: columns)),
                                  spec: spec, options: GPTQOptions(blockSize: 48, staticGroups: staticGroups))
            }
            #expect(result.quantized.codes == rtn.codes, "\(spec) static \(staticGroups)")
            #expect(result.quantized.parameters == rtn.parameters)
            #expect(result.dequantized.map(\.bitPattern) == rtnValues.map(\.bitPattern))
            let expected = zip(w, rtnValues).reduce(0.0) { $0 + Double(($1.0 - $1.1) * ($1.0 - $1.1)) } * 2 * 1.01 / 2
            #expect(abs(result.loss - expected) <= 1e-4 * expected, "loss \(result.loss) vs \(expected)")
        }
        // Act-order on a diagonal H with distinct entries: the same codes for per-channel / static groups,
        // and RTN of the permuted weight (groups formed in sweep order) for dynamic groups.
        let diagonal = (0..<columns).map { Float(1 + ($0 * 37) % columns) }
        for staticGroups in [false, true] {
            let result = try w.withUnsafeBufferPointer {
                try GPTQ.quantize(weight: $0, rows: rows, columns: columns, hessian: Self.diagonalHessian(diagonal), spec: spec,
                                  options: GPTQOptions(activationOrder: true, staticGroups: staticGroups))
            }
            let order = try #require(result.permutation)
            #expect(order == (0..<columns).sorted { diagonal[$0] > diagonal[$1] })
            if case .perGroup = spec.granularity, !staticGroups {
                let permuted = GPTQ.permuteColumns(w, rows: rows, columns: columns, order: order)
                let permutedRTN = try permuted.withUnsafeBufferPointer { try Quantizer.quantize($0, rows: rows, columns: columns, spec: spec) }
                var inverse = [Int](repeating: 0, count: columns)
                for (position, column) in order.enumerated() { inverse[column] = position }
                #expect(result.quantized.codes == GPTQ.permuteColumns(permutedRTN.codes, rows: rows, columns: columns, order: inverse))
                #expect(result.quantized.parameters == permutedRTN.parameters)
                #expect(result.quantized.groupIndex == result.groupIndex && result.groupIndex != nil)
                #expect(result.quantized.dequantized() == result.dequantized)
            } else {
                #expect(result.quantized.codes == rtn.codes, "\(spec) act-order static \(staticGroups)")
                #expect(result.quantized.groupIndex == nil)
                let groupLength = rtn.parameters.groupLength
                #expect(result.groupIndex == (0..<columns).map { Int32(groupLength >= columns ? 0 : $0 / groupLength) })
            }
        }
    }

    @Test func blockSizeOnlyChangesRounding() throws {
        let w = GPTQReferenceTests.weightValues, h = GPTQReferenceTests.hessian
        let rows = GPTQReferenceTests.rows, columns = GPTQReferenceTests.columns
        let spec = QuantSpec(format: .int4, granularity: .perChannel)
        let results = try [128, 1, 37, columns].map { blockSize in
            try w.withUnsafeBufferPointer {
                try GPTQ.quantize(weight: $0, rows: rows, columns: columns, hessian: h, spec: spec, options: GPTQOptions(blockSize: blockSize))
            }
        }
        for result in results.dropFirst() {
            let agreement = Double(zip(result.quantized.codes, results[0].quantized.codes).filter { $0 == $1 }.count) / Double(rows * columns)
            #expect(agreement >= 0.999, "\(agreement)")
            #expect(abs(result.loss / results[0].loss - 1) <= 1e-3)
        }
    }

    /// ‖(W − Q) X‖² over the calibration tokens is tr((W − Q) H (W − Q)ᵀ) · n/2.
    static func outputError(_ weight: [Float], _ quantized: [Float], hessian: [Float], rows: Int, columns: Int) -> Double {
        let difference = zip(weight, quantized).map { $0 - $1 }
        var product = [Float](repeating: 0, count: rows * columns)
        difference.withUnsafeBufferPointer { d in
            hessian.withUnsafeBufferPointer { h in
                product.withUnsafeMutableBufferPointer { p in
                    matmul(m: rows, n: columns, k: columns, a: d.baseAddress!, lda: columns, b: h.baseAddress!, ldb: columns,
                           transposeB: false, c: p.baseAddress!, ldc: columns)
                }
            }
        }
        return zip(difference, product).reduce(0.0) { $0 + Double($1.0) * Double($1.1) }
    }

    @Test(arguments: [QuantSpec(format: .int4, granularity: .perGroup(size: 128)),
                      QuantSpec(format: .uint4, granularity: .perChannel, symmetric: false),
                      QuantSpec(format: .int8, granularity: .perGroup(size: 64)), .mx(.fp4)])
    func beatsRoundToNearestOnCalibrationOutputs(spec: QuantSpec) throws {
        let w = GPTQReferenceTests.weightValues, h = GPTQReferenceTests.hessian
        let rows = GPTQReferenceTests.rows, columns = GPTQReferenceTests.columns
        let matrix = h.matrix
        let rtn = try w.withUnsafeBufferPointer { try Quantizer.quantize($0, rows: rows, columns: columns, spec: spec) }.dequantized()
        let rtnError = Self.outputError(w, rtn, hessian: matrix, rows: rows, columns: columns)
        for actOrder in [false, true] {
            let result = try w.withUnsafeBufferPointer {
                try GPTQ.quantize(weight: $0, rows: rows, columns: columns, hessian: h, spec: spec,
                                  options: GPTQOptions(activationOrder: actOrder, staticGroups: actOrder))
            }
            let error = Self.outputError(w, result.dequantized, hessian: matrix, rows: rows, columns: columns)
            #expect(error < 0.8 * rtnError, "\(spec) act-order \(actOrder): \(error) vs RTN \(rtnError)")
        }
    }

    /// Inputs [256 tokens, 64 features] whose features 0 and 1 are equal (±2 on half the tokens, so
    /// H₀₀ = H₀₁ = H₁₁ = 4 exactly and Cholesky's second pivot is exactly 0), 5 and 40 dead, the rest
    /// integer noise.
    static func collinearInputs() -> [Float] {
        let tokens = 256, features = 64
        var x = [Float](repeating: 0, count: tokens * features)
        for token in 0..<tokens {
            for feature in 0..<features {
                x[token * features + feature] = Float(Int(GPTQReferenceTests.splitmix(77, token * features + feature) % 7) - 3)
            }
            let shared: Float = token % 2 == 0 ? 0 : (GPTQReferenceTests.splitmix(78, token) % 2 == 0 ? 2 : -2)
            x[token * features] = shared
            x[token * features + 1] = shared
            x[token * features + 5] = 0
            x[token * features + 40] = 0
        }
        return x
    }

    @Test func escalatesDampingWhenTheFactorizationFails() throws {
        let rows = 16, columns = 64
        let x = Self.collinearInputs()
        var h = Hessian(features: columns)
        x.withUnsafeBufferPointer { h.add($0, tokens: 256) }
        let matrix = h.matrix
        #expect(matrix[0] == 4 && matrix[1] == 4 && matrix[columns + 1] == 4)
        let w = Self.weight(rows: rows, columns: columns, seed: 5)
        let spec = QuantSpec(format: .int4, granularity: .perGroup(size: 32))
        let result = try w.withUnsafeBufferPointer {
            try GPTQ.quantize(weight: $0, rows: rows, columns: columns, hessian: h, spec: spec,
                              options: GPTQOptions(dampingFraction: 0))
        }
        #expect(result.triedDampingFractions == [0, 1e-6])
        #expect(result.escalatedDamping && !result.fellBackToRoundToNearest && result.dampingFraction == 1e-6)
        #expect(result.deadColumns == [5, 40])
        #expect(result.loss.isFinite && result.dequantized.allSatisfy(\.isFinite))
        for row in 0..<rows { #expect(result.dequantized[row * columns + 5] == 0 && result.dequantized[row * columns + 40] == 0) }
        let rtn = try w.withUnsafeBufferPointer { try Quantizer.quantize($0, rows: rows, columns: columns, spec: spec) }.dequantized()
        let error = Self.outputError(w, result.dequantized, hessian: matrix, rows: rows, columns: columns)
        let rtnError = Self.outputError(w, rtn, hessian: matrix, rows: rows, columns: columns)
        #expect(error < rtnError, "\(error) vs RTN \(rtnError)")

        // The default 1 % needs no escalation on the same layer.
        let damped = try w.withUnsafeBufferPointer {
            try GPTQ.quantize(weight: $0, rows: rows, columns: columns, hessian: h, spec: spec)
        }
        #expect(damped.triedDampingFractions == [0.01] && !damped.escalatedDamping)
    }

    @Test func nonFiniteHessianFallsBackToRoundToNearest() throws {
        let rows = 4, columns = 32
        var x = (0..<(64 * columns)).map { Float(Int(GPTQReferenceTests.splitmix(9, $0) % 5) - 2) }
        x[70] = .nan
        var h = Hessian(features: columns)
        x.withUnsafeBufferPointer { h.add($0, tokens: 64) }
        let w = Self.weight(rows: rows, columns: columns, seed: 6)
        let spec = QuantSpec(format: .uint4, granularity: .perChannel, symmetric: false)
        let result = try w.withUnsafeBufferPointer {
            try GPTQ.quantize(weight: $0, rows: rows, columns: columns, hessian: h, spec: spec)
        }
        #expect(result.fellBackToRoundToNearest && result.triedDampingFractions.count == 4 && result.triedDampingFractions.last == 10)
        let rtn = try w.withUnsafeBufferPointer { try Quantizer.quantize($0, rows: rows, columns: columns, spec: spec) }
        #expect(result.quantized.codes == rtn.codes)
    }

    @Test func groupSizeMustDivideTheColumns() {
        let w = [Float](repeating: 1, count: 2 * 48)
        #expect(throws: QuantizationError.groupSizeDoesNotDivide(inFeatures: 48, groupSize: 32, layer: "q_proj")) {
            try w.withUnsafeBufferPointer {
                try GPTQ.quantize(weight: $0, rows: 2, columns: 48, hessian: Self.diagonalHessian(.init(repeating: 1, count: 48)),
                                  spec: QuantSpec(format: .int4, granularity: .perGroup(size: 32)), layer: "q_proj")
            }
        }
    }

    /// Streaming batches, one big batch and merged halves give the same H (up to float32 rounding).
    @Test func hessianStreamsAndMerges() {
        let batches = GPTQReferenceTests.batches, columns = GPTQReferenceTests.columns
        let streamed = GPTQReferenceTests.hessian.matrix
        var whole = Hessian(features: columns)
        let all = batches.flatMap { $0 }
        all.withUnsafeBufferPointer { whole.add($0, tokens: all.count / columns) }
        var first = Hessian(features: columns), second = Hessian(features: columns)
        batches[0].withUnsafeBufferPointer { first.add($0, tokens: $0.count / columns) }
        for batch in batches.dropFirst() { batch.withUnsafeBufferPointer { second.add($0, tokens: $0.count / columns) } }
        first.merge(second)
        #expect(whole.tokenCount == 1024 && first.tokenCount == 1024)
        let scale = streamed.map(abs).max()!
        #expect(zip(streamed, whole.matrix).allSatisfy { abs($0 - $1) <= 1e-5 * scale })
        #expect(zip(streamed, first.matrix).allSatisfy { abs($0 - $1) <= 1e-5 * scale })
        // 2/n Σ xᵀx, checked on one entry in Double.
        var entry = 0.0
        for token in 0..<1024 { entry += Double(all[token * columns + 3]) * Double(all[token * columns + 64]) }
        #expect(abs(Double(streamed[3 * columns + 64]) - 2 * entry / 1024) <= 1e-5 * Double(scale))
        // An empty batch changes nothing.
        var empty = GPTQReferenceTests.hessian
        [Float]().withUnsafeBufferPointer { empty.add($0, tokens: 0) }
        #expect(empty.tokenCount == 1024 && empty.matrix == streamed)
    }
}
