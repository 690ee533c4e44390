import Foundation

/// The float32 arithmetic of the torch 2.13 CPU kernels that amd-quark's observers call, reproduced
/// step for step so calibration lands on the same bits. Each function names the torch call it stands
/// for; the orders of operations were checked against torch on this machine (Scripts/fixtures/
/// make_quark_observer_goldens.py asserts them again whenever it runs).
enum Torch {
    /// Lanes of one `Vectorized<float>` in the kernels torch dispatches here (its reductions and
    /// `arange` work in blocks of 8 floats).
    static let vectorLanes = 8

    /// `torch.linspace(start, end, count)` in float32: step = (end − start) / (count − 1); the first
    /// half is start + step·i, the second half end − step·(count − 1 − i), each one fused
    /// multiply-add (the compiled kernel contracts them).
    static func linspace(from start: Double, to end: Double, count: Int) -> [Float] {
        precondition(count >= 2)
        let first = Float(start), last = Float(end)
        let step = (last - first) / Float(count - 1)
        let half = count / 2
        return (0..<count).map { index in
            index < half ? first.addingProduct(step, Float(index)) : last.addingProduct(-step, Float(count - 1 - index))
        }
    }

    /// `torch.arange(start, end, step)` in float32: ceil((end − start) / step) values, computed in
    /// double and rounded. The kernel fills two vectors per loop step: lane k of a vector that starts
    /// at index j is float(float(start + step·j) + k·step); the tail is float(start + step·i).
    static func arange(from start: Double, to end: Double, step: Double) -> [Float] {
        let count = Swift.max(0, Int(((end - start) / step).rounded(.up)))
        var values = [Float](repeating: 0, count: count)
        let lanes = vectorLanes
        var index = 0
        while index + 2 * lanes <= count {
            for _ in 0..<2 {
                let base = Double(Float(start.addingProduct(step, Double(index))))
                for lane in 0..<lanes { values[index + lane] = Float(base.addingProduct(Double(lane), step)) }
                index += lanes
            }
        }
        while index < count {
            values[index] = Float(start.addingProduct(step, Double(index)))
            index += 1
        }
        return values
    }

    /// `torch.sum` of a contiguous float32 vector (single-threaded; torch splits vectors longer than
    /// 32768 across threads): float accumulation in torch's cascade order — 8-lane vectors summed
    /// four at a time into a four-level cascade, then the scalar tail, then the lanes one by one.
    /// Flat accumulators over raw pointers; `sumReference` is the same order written plainly.
    static func sum(_ values: UnsafeBufferPointer<Float>) -> Float {
        guard let base = values.baseAddress else { return 0 }
        let lanes = vectorLanes, vectors = values.count / lanes
        // Shorter than one vector: the same cascade over rows of four scalars.
        let width = vectors > 0 ? 4 * lanes : 4
        let rows = vectors > 0 ? vectors / 4 : values.count / 4
        let partial = UnsafeMutablePointer<Float>.allocate(capacity: width)
        defer { partial.deallocate() }
        cascade(base, rows: rows, width: width, into: partial)
        guard vectors > 0 else {
            for index in (rows * 4)..<values.count { partial[0] += base[index] }
            for lane in 1..<4 { partial[0] += partial[lane] }
            return 0 + partial[0]
        }
        for vector in (rows * 4)..<vectors {
            for lane in 0..<lanes { partial[lane] += base[vector * lanes + lane] }
        }
        for part in 1..<4 {
            for lane in 0..<lanes { partial[lane] += partial[part * lanes + lane] }
        }
        var total: Float = 0
        for index in (vectors * lanes)..<values.count { total += base[index] }
        for lane in 0..<lanes { total += partial[lane] }
        return 0 + total
    }

    static func sum(_ values: [Float]) -> Float { values.withUnsafeBufferPointer { sum($0) } }

    /// torch's `multi_row_sum` over `rows` rows of `width` floats: rows are added into level 0;
    /// every 2^p rows a level is flushed into the next (p = max(4, ⌈log2 rows⌉ / 4)), so only
    /// partial sums of similar size meet. Writes the `width` column sums.
    private static func cascade(_ base: UnsafePointer<Float>, rows: Int, width: Int, into result: UnsafeMutablePointer<Float>) {
        let levels = 4
        let ceilLog2 = rows <= 2 ? 1 : Int.bitWidth - (rows - 1).leadingZeroBitCount
        let power = Swift.max(4, ceilLog2 / levels)
        let step = 1 << power, mask = step - 1
        let accumulators = UnsafeMutablePointer<Float>.allocate(capacity: levels * width)
        defer { accumulators.deallocate() }
        accumulators.initialize(repeating: 0, count: levels * width)
        var row = 0
        while row + step <= rows {
            for _ in 0..<step {
                let source = base + row * width
                for column in 0..<width { accumulators[column] += source[column] }
                row += 1
            }
            for level in 1..<levels {
                let lower = accumulators + (level - 1) * width, upper = accumulators + level * width
                for column in 0..<width {
                    upper[column] += lower[column]
                    lower[column] = 0
                }
                if row & (mask << (level * power)) != 0 { break }
            }
        }
        while row < rows {
            let source = base + row * width
            for column in 0..<width { accumulators[column] += source[column] }
            row += 1
        }
        for level in 1..<levels {
            for column in 0..<width { accumulators[column] += accumulators[level * width + column] }
        }
        result.update(from: accumulators, count: width)
    }

    /// The scalar reference of `sum`: torch's `vectorized_inner_sum` → `row_sum` → `multi_row_sum`
    /// spelled out with arrays, level by level, as the C++ reads.
    static func sumReference(_ values: [Float]) -> Float {
        let lanes = vectorLanes, vectors = values.count / lanes
        func rowSum(_ rows: Int, _ width: Int, _ load: (Int, Int) -> Float) -> [Float] {
            let ceilLog2 = rows <= 2 ? 1 : Int.bitWidth - (rows - 1).leadingZeroBitCount
            let power = Swift.max(4, ceilLog2 / 4), step = 1 << power
            var levels = [[Float]](repeating: [Float](repeating: 0, count: width), count: 4)
            var row = 0
            while row + step <= rows {
                for _ in 0..<step {
                    for column in 0..<width { levels[0][column] += load(row, column) }
                    row += 1
                }
                for level in 1..<4 {
                    for column in 0..<width { levels[level][column] += levels[level - 1][column]; levels[level - 1][column] = 0 }
                    if row & ((step - 1) << (level * power)) != 0 { break }
                }
            }
            for _ in row..<rows {
                for column in 0..<width { levels[0][column] += load(row, column) }
                row += 1
            }
            for level in 1..<4 { for column in 0..<width { levels[0][column] += levels[level][column] } }
            return levels[0]
        }
        if vectors == 0 {
            var partial = rowSum(values.count / 4, 4) { values[$0 * 4 + $1] }
            for index in (values.count / 4 * 4)..<values.count { partial[0] += values[index] }
            for lane in 1..<4 { partial[0] += partial[lane] }
            return 0 + partial[0]
        }
        // Each vector is a row of `lanes`; four vectors make one row of the ILP cascade.
        var partial = rowSum(vectors / 4, 4 * lanes) { values[$0 * 4 * lanes + $1] }
        for vector in (vectors / 4 * 4)..<vectors { for lane in 0..<lanes { partial[lane] += values[vector * lanes + lane] } }
        for part in 1..<4 { for lane in 0..<lanes { partial[lane] += partial[part * lanes + lane] } }
        var total: Float = 0
        for index in (vectors * lanes)..<values.count { total += values[index] }
        for lane in 0..<lanes { total += partial[lane] }
        return 0 + total
    }

    /// `torch.histc(values, bins, min: lowest, max: highest)`: float32 counts; the bin of x is
    /// trunc((x − lo) · bins / (hi − lo)) in float32 with lo, hi the bounds rounded to float32;
    /// values outside [lo, hi] are dropped and hi falls in the last bin. Counts are float increments
    /// of 1 (they stop growing at 2²⁴, as torch's do).
    static func histogram(_ values: UnsafeBufferPointer<Float>, bins: Int, lowest: Double, highest: Double) -> [Float] {
        var counts = [Float](repeating: 0, count: bins)
        let low = Float(lowest), high = Float(highest)
        let width = high - low, binCount = Float(bins)
        for value in values where value >= low && value <= high {
            var bin = Int((value - low) * binCount / width)
            if bin == bins { bin -= 1 }
            counts[bin] += 1
        }
        return counts
    }

    /// `tensor.to(torch.int32)` of a float32 on x86: truncation toward zero; NaN and values outside
    /// the int32 range become Int32.min (what cvttps2dq returns), which Quark's power-of-two
    /// observers hit on all-zero channels.
    static func int32(_ value: Float) -> Int32 {
        guard value.isFinite, value >= -2_147_483_648, value < 2_147_483_648 else { return .min }
        return Int32(value.rounded(.towardZero))
    }

    /// `torch.log2` of a float32 rounded to float32 (exact on powers of two).
    static func log2(_ value: Float) -> Float { Float(Foundation.log2(Double(value))) }

    /// `torch.pow(2.0, exponent)` in float32 (0 below the smallest subnormal).
    static func exp2(_ exponent: Float) -> Float { Float(Foundation.exp2(Double(exponent))) }
}
