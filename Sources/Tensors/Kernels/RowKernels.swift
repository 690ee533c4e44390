/// Row kernels of the forward pass and of evaluation, SIMD with scalar tails; each has a
/// `…Reference` beside it (Tests/TensorsTests/RowKernelTests.swift compares them).

/// In-place softmax of `row` (max-subtracted).
public func softmax(_ row: UnsafeMutableBufferPointer<Float>) {
    guard let base = row.baseAddress, row.count > 0 else { return }
    let count = row.count
    let maximum = maximumValue(UnsafeBufferPointer(row))
    var sums = SIMD16<Float>.zero
    var i = 0
    while i + 16 <= count {
        let e = vectorExp(UnsafeRawPointer(base + i).loadUnaligned(as: SIMD16<Float>.self) - maximum)
        UnsafeMutableRawPointer(base + i).storeBytes(of: e, as: SIMD16<Float>.self)
        sums += e
        i += 16
    }
    var sum = sums.sum()
    while i < count {
        base[i] = expReference(base[i] - maximum)
        sum += base[i]
        i += 1
    }
    let inverse = 1 / sum
    i = 0
    while i + 16 <= count {
        let v = UnsafeRawPointer(base + i).loadUnaligned(as: SIMD16<Float>.self) * inverse
        UnsafeMutableRawPointer(base + i).storeBytes(of: v, as: SIMD16<Float>.self)
        i += 16
    }
    while i < count { base[i] *= inverse; i += 1 }
}

public func softmaxReference(_ row: UnsafeMutableBufferPointer<Float>) {
    guard let maximum = row.max() else { return }
    var sum = 0.0
    for i in row.indices { sum += Foundation.exp(Double(row[i] - maximum)) }
    for i in row.indices { row[i] = Float(Foundation.exp(Double(row[i] - maximum)) / sum) }
}

/// log Σ exp(row), accumulated in Double across SIMD partial sums.
public func logSumExp(_ row: UnsafeBufferPointer<Float>) -> Double {
    guard let base = row.baseAddress, row.count > 0 else { return -.infinity }
    let maximum = maximumValue(row)
    var sums = SIMD16<Float>.zero
    var total = 0.0
    var i = 0
    var block = 0
    while i + 16 <= row.count {
        sums += vectorExp(UnsafeRawPointer(base + i).loadUnaligned(as: SIMD16<Float>.self) - maximum)
        i += 16
        block += 1
        // Flush to Double every 256 vectors so float partial sums stay short.
        if block == 256 { total += Double(sums.sum()); sums = .zero; block = 0 }
    }
    total += Double(sums.sum())
    while i < row.count { total += Double(expReference(base[i] - maximum)); i += 1 }
    return Double(maximum) + Foundation.log(total)
}

public func logSumExpReference(_ row: UnsafeBufferPointer<Float>) -> Double {
    guard let maximum = row.max() else { return -.infinity }
    return Double(maximum) + Foundation.log(row.reduce(0.0) { $0 + Foundation.exp(Double($1 - maximum)) })
}

/// The largest value of `row` (SIMD).
public func maximumValue(_ row: UnsafeBufferPointer<Float>) -> Float {
    guard let base = row.baseAddress, row.count > 0 else { return -.infinity }
    var best = SIMD16<Float>(repeating: -.infinity)
    var i = 0
    while i + 16 <= row.count {
        best = lanewiseMaximum(best, UnsafeRawPointer(base + i).loadUnaligned(as: SIMD16<Float>.self))
        i += 16
    }
    var maximum = best.max()
    while i < row.count { maximum = max(maximum, base[i]); i += 1 }
    return maximum
}

/// transformers' LlamaRMSNorm of one row: `weight · (x / sqrt(mean(x²) + epsilon))`.
public func rmsNorm(_ input: UnsafeBufferPointer<Float>, weight: UnsafeBufferPointer<Float>, epsilon: Float,
                    output: UnsafeMutableBufferPointer<Float>) {
    let count = input.count
    guard count > 0, let x = input.baseAddress, let w = weight.baseAddress, let y = output.baseAddress else { return }
    var squares = SIMD16<Float>.zero
    var i = 0
    while i + 16 <= count {
        let v = UnsafeRawPointer(x + i).loadUnaligned(as: SIMD16<Float>.self)
        squares += v * v
        i += 16
    }
    var sum = squares.sum()
    while i < count { sum += x[i] * x[i]; i += 1 }
    let inverse = 1 / (sum / Float(count) + epsilon).squareRoot()
    i = 0
    while i + 16 <= count {
        let v = UnsafeRawPointer(x + i).loadUnaligned(as: SIMD16<Float>.self) * inverse
        let weighted = UnsafeRawPointer(w + i).loadUnaligned(as: SIMD16<Float>.self) * v
        UnsafeMutableRawPointer(y + i).storeBytes(of: weighted, as: SIMD16<Float>.self)
        i += 16
    }
    while i < count { y[i] = w[i] * (x[i] * inverse); i += 1 }
}

public func rmsNormReference(_ input: UnsafeBufferPointer<Float>, weight: UnsafeBufferPointer<Float>, epsilon: Float,
                             output: UnsafeMutableBufferPointer<Float>) {
    let meanSquare = input.reduce(0.0) { $0 + Double($1) * Double($1) } / Double(input.count)
    let inverse = 1 / (meanSquare + Double(epsilon)).squareRoot()
    for i in input.indices { output[i] = Float(Double(weight[i]) * (Double(input[i]) * inverse)) }
}

/// `gate[i] = silu(gate[i]) · up[i]` (SwiGLU).
public func swiGLU(gate: UnsafeMutableBufferPointer<Float>, up: UnsafeBufferPointer<Float>) {
    let count = gate.count
    guard count > 0, let g = gate.baseAddress, let u = up.baseAddress else { return }
    var i = 0
    while i + 16 <= count {
        let x = UnsafeRawPointer(g + i).loadUnaligned(as: SIMD16<Float>.self)
        let silu = x / (1 + vectorExp(-x))
        UnsafeMutableRawPointer(g + i).storeBytes(of: silu * UnsafeRawPointer(u + i).loadUnaligned(as: SIMD16<Float>.self),
                                                  as: SIMD16<Float>.self)
        i += 16
    }
    while i < count { g[i] = g[i] / (1 + expReference(-g[i])) * u[i]; i += 1 }
}

public func swiGLUReference(gate: UnsafeMutableBufferPointer<Float>, up: UnsafeBufferPointer<Float>) {
    for i in gate.indices { gate[i] = Float(Double(gate[i]) / (1 + Foundation.exp(-Double(gate[i]))) * Double(up[i])) }
}

import Foundation
