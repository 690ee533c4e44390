import ArgumentParser
import Foundation
import Tensors

/// One decoded position's attention over `layers` KV caches of `length` positions (SmolLM2's shape:
/// 9 query heads, 3 key/value heads of 64), split over the query heads across `ComputeThreads` as
/// `Ops.attendSingleQuery` splits it. Enough layers (120 × 0.9 MB at the defaults) that the caches
/// stream from DRAM, as in decoding, where the weights read between two layers' attention evict the
/// last-level cache; `--layers 1` keeps one layer in L2 and measures the arithmetic alone.
struct AttentionBench: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "attention", abstract: "Decode attention µs per layer.")
    @Option var length = 576
    @Option var layers = 120
    @Option var heads = 9
    @Option(name: .customLong("kv-heads")) var keyValueHeads = 3
    @Option(name: .customLong("head-dimension")) var headDimension = 64
    @Option var repeats = 21
    @Flag var json = false

    func run() throws {
        let group = heads / keyValueHeads, headStride = length * headDimension
        let layerSize = keyValueHeads * headStride
        let keys = (0..<(layers * layerSize)).map { Float(($0 * 7919) % 1000) / 1000 - 0.5 }
        let values = (0..<(layers * layerSize)).map { Float(($0 * 104_729) % 1000) / 1000 - 0.5 }
        let queries = (0..<(heads * headDimension)).map { Float(($0 * 31) % 100) / 100 - 0.5 }
        let scale = 1 / Float(headDimension).squareRoot()
        var scores = [Float](repeating: 0, count: heads * length)
        var output = [Float](repeating: 0, count: heads * headDimension)
        var seconds: Double = 0
        keys.withUnsafeBufferPointer { k in
            values.withUnsafeBufferPointer { v in
                queries.withUnsafeBufferPointer { q in
                    scores.withUnsafeMutableBufferPointer { s in
                        output.withUnsafeMutableBufferPointer { o in
                            let k = SendablePointer(k), v = SendablePointer(v), q = SendablePointer(q)
                            let s = SendableMutablePointer(s), o = SendableMutablePointer(o)
                            seconds = medianSeconds(repeats: repeats) {
                                for layer in 0..<layers {
                                    parallelFor(count: heads, minimumChunk: length >= 128 ? 1 : heads) { range in
                                        attendSingleQuery(queries: q.base, heads: range, group: group, headDimension: headDimension,
                                                          keys: k.base + layer * layerSize, values: v.base + layer * layerSize,
                                                          headStride: headStride, rowStride: headDimension, length: length, scale: scale,
                                                          scores: s.base + range.lowerBound * length, output: o.base)
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
        try emit(Result(median_seconds: seconds, repeats: repeats,
                        detail: ["microseconds_per_layer": seconds / Double(layers) * 1e6]))
    }
}
