import Foundation
import Models

/// Ranges of a k/v projection's output [tokens, heads · headDimension] per column group (one group
/// per KV head), over every row of every call: the observer behind per-head KV-cache scales.
final class ColumnGroupRangeObserver: ActivationQuantizer, @unchecked Sendable {
    let groupSize: Int
    private let lock = NSLock()
    private var minimum: [Float] = []
    private var maximum: [Float] = []

    init(groupSize: Int) { self.groupSize = groupSize }

    func apply(_ values: UnsafeMutableBufferPointer<Float>, rows: Int, columns: Int) {
        precondition(columns % groupSize == 0, "\(columns) columns are not whole groups of \(groupSize)")
        let groups = columns / groupSize
        var low = [Float](repeating: .infinity, count: groups), high = [Float](repeating: -.infinity, count: groups)
        for row in 0..<rows {
            for group in 0..<groups {
                let start = row * columns + group * groupSize
                for value in values[start..<(start + groupSize)] {
                    low[group] = Swift.min(low[group], value)
                    high[group] = Swift.max(high[group], value)
                }
            }
        }
        lock.withLock {
            if minimum.isEmpty {
                minimum = low
                maximum = high
            } else {
                for group in 0..<groups {
                    minimum[group] = Swift.min(minimum[group], low[group])
                    maximum[group] = Swift.max(maximum[group], high[group])
                }
            }
        }
    }

    /// One scale (and zero point) per group for `spec`.
    func parameters(for spec: QuantSpec) -> QuantParameters {
        lock.withLock { QuantParameters(minimum: minimum, maximum: maximum, spec: spec, groupLength: groupSize) }
    }
}

/// Static quantization with one set of parameters per column group, shared by every row: per-head
/// KV-cache quantization of a k/v projection's output.
struct ColumnGroupStaticQuantizer: ActivationQuantizer {
    let spec: QuantSpec
    /// `groupLength` is the group width; one scale per group of a row.
    let parameters: QuantParameters

    func apply(_ values: UnsafeMutableBufferPointer<Float>, rows: Int, columns: Int) {
        precondition(columns == parameters.scales.count * parameters.groupLength, "\(columns) columns for \(parameters.scales.count) groups")
        for row in 0..<rows {
            Quantizer.fakeQuantize(UnsafeMutableBufferPointer(rebasing: values[(row * columns)..<((row + 1) * columns)]),
                                   parameters: parameters, spec: spec)
        }
    }
}
