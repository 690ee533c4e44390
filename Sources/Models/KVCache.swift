/// Keys and values of every past position, per layer, so decoding a token attends to the prompt
/// without recomputing it. Float32, head-major: `[keyValueHeads, capacity, headDimension]` per layer
/// and kind, so one head's cached keys (and values) are one contiguous run. Decoding reads a head's
/// whole history for every token; position-major rows would interleave the heads, and the strided
/// reads ran at a fraction of DRAM speed.
///
/// A class because it is large and mutated in place by every layer of every step; one cache serves
/// one sequence.
public final class KVCache {
    public let layerCount: Int
    public let capacity: Int
    public let heads: Int
    public let headDimension: Int
    /// Positions filled so far (the next token's position).
    public private(set) var length = 0
    private var keys: [UnsafeMutableBufferPointer<Float>]
    private var values: [UnsafeMutableBufferPointer<Float>]

    /// Elements between the starts of two heads' runs (`capacity · headDimension`).
    public var headStride: Int { capacity * headDimension }

    public init(layerCount: Int, capacity: Int, heads: Int, headDimension: Int) {
        self.layerCount = layerCount
        self.capacity = capacity
        self.heads = heads
        self.headDimension = headDimension
        keys = (0..<layerCount).map { _ in .allocate(capacity: capacity * heads * headDimension) }
        values = (0..<layerCount).map { _ in .allocate(capacity: capacity * heads * headDimension) }
    }

    deinit {
        keys.forEach { $0.deallocate() }
        values.forEach { $0.deallocate() }
    }

    /// Forgets every position (the buffers are reused).
    public func reset() { length = 0 }

    /// Stores `tokens` rows of keys and values for `layer` at positions `length ..< length + tokens`;
    /// `newKeys`/`newValues` are [tokens, heads · headDimension]. The length advances once all layers
    /// have stored (`advance(by:)`).
    func store(layer: Int, keys newKeys: UnsafePointer<Float>, values newValues: UnsafePointer<Float>, tokens: Int) {
        precondition(length + tokens <= capacity, "KV cache overflow: \(length) + \(tokens) > \(capacity)")
        let width = heads * headDimension
        for head in 0..<heads {
            let offset = head * headStride + length * headDimension
            for token in 0..<tokens {
                let source = token * width + head * headDimension, target = offset + token * headDimension
                (keys[layer].baseAddress! + target).update(from: newKeys + source, count: headDimension)
                (values[layer].baseAddress! + target).update(from: newValues + source, count: headDimension)
            }
        }
    }

    /// Marks `tokens` more positions as filled.
    func advance(by tokens: Int) { length += tokens }

    /// Keys and values of `layer` for attention: head `h`, position `p` at `h · headStride + p · headDimension`.
    func view(layer: Int) -> KeyValueView {
        KeyValueView(keys: UnsafePointer(keys[layer].baseAddress!), values: UnsafePointer(values[layer].baseAddress!),
                     headStride: headStride, rowStride: headDimension)
    }
}
