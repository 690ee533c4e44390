/// Keys and values of every past position, per layer, so decoding a token attends to the prompt
/// without recomputing it. Float32, `[capacity, keyValueHeads, headDimension]` per layer and kind.
///
/// A class because it is large and mutated in place by every layer of every step; one cache serves
/// one sequence.
public final class KVCache {
    public let layerCount: Int
    public let capacity: Int
    /// keyValueHeads · headDimension
    public let width: Int
    /// Positions filled so far (the next token's position).
    public private(set) var length = 0
    private var keys: [UnsafeMutableBufferPointer<Float>]
    private var values: [UnsafeMutableBufferPointer<Float>]

    public init(layerCount: Int, capacity: Int, width: Int) {
        self.layerCount = layerCount
        self.capacity = capacity
        self.width = width
        keys = (0..<layerCount).map { _ in .allocate(capacity: capacity * width) }
        values = (0..<layerCount).map { _ in .allocate(capacity: capacity * width) }
    }

    deinit {
        keys.forEach { $0.deallocate() }
        values.forEach { $0.deallocate() }
    }

    /// Forgets every position (the buffers are reused).
    public func reset() { length = 0 }

    /// Stores `tokens` rows of keys and values for `layer` at positions `length ..< length + tokens`.
    /// The length advances once all layers have stored (`advance(by:)`).
    func store(layer: Int, keys newKeys: UnsafePointer<Float>, values newValues: UnsafePointer<Float>, tokens: Int) {
        precondition(length + tokens <= capacity, "KV cache overflow: \(length) + \(tokens) > \(capacity)")
        (keys[layer].baseAddress! + length * width).update(from: newKeys, count: tokens * width)
        (values[layer].baseAddress! + length * width).update(from: newValues, count: tokens * width)
    }

    /// Marks `tokens` more positions as filled.
    func advance(by tokens: Int) { length += tokens }

    /// Keys and values of `layer` for positions `0 ..< count`.
    func keys(layer: Int) -> UnsafePointer<Float> { UnsafePointer(keys[layer].baseAddress!) }
    func values(layer: Int) -> UnsafePointer<Float> { UnsafePointer(values[layer].baseAddress!) }
}
