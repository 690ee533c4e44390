import Testing
import TestSupport
@testable import Models
import Quantization
import Tensors

/// The head-major KV cache holds exactly what the quantized k/v projections produce: the KV-cache
/// quantizers run on the projections' position-major outputs, before the cache reorders them by head,
/// in the prefill (GEMM) and in decoding (one row, GEMV) alike.
struct QuantizedKVCacheTests {
    static let calibration = [[1, 5, 9, 3, 7, 11, 2, 8], [4, 4, 19, 0, 13, 6, 15, 10]]

    enum KVScheme: CaseIterable { case fp8PerTensor, int8PerTensor, int8PerHead }

    @Test(arguments: KVScheme.allCases)
    func cacheHoldsTheQuantizedProjections(scheme: KVScheme) throws {
        let model = try TinyModelFactory.model(kvHeads: 2)
        let configuration = model.configuration
        let headDimension = configuration.headDimension, heads = configuration.keyValueHeadCount
        let kv = switch scheme {
        case .fp8PerTensor: QuantSpec(format: .fp8E4M3, scaleTypeUnset: true)
        case .int8PerTensor: QuantSpec(format: .int8, scaleTypeUnset: true)
        case .int8PerHead: QuantSpec(format: .int8, granularity: .perGroup(size: headDimension), scaleTypeUnset: true)
        }
        let quantized = try ModelQuantizer(config: QuantConfig(global: LayerQuantSpec(weight: QuantSpec(format: .int8)), kvCache: kv))
            .quantize(model, calibration: Self.calibration).model
        let layer = quantized.layers[0]
        #expect(layer.keyProjection.outputQuantizer != nil && layer.valueProjection.outputQuantizer != nil)

        // A 3-token prefill, then single tokens.
        let tokens = [3, 7, 1, 12, 19, 0, 5], prefill = 3
        let cache = quantized.makeCache()
        _ = try quantized.forward(tokens: Array(tokens[..<prefill]), cache: cache)
        for token in tokens[prefill...] { _ = try quantized.forward(tokens: [token], cache: cache) }

        // Layer 0 reads only each token's own embedding, so its keys and values can be recomputed
        // here, in the same call shapes: the prefill rows together, each decoded token alone.
        var expectedKeys: [Float] = [], expectedValues: [Float] = []
        for (start, count) in [(0, prefill)] + (prefill..<tokens.count).map({ ($0, 1) }) {
            let normed = LlamaLayer.rmsNorm(try quantized.embed(Array(tokens[start..<(start + count)])), weight: layer.inputNorm,
                                            epsilon: configuration.rmsNormEpsilon)
            var keys = layer.keyProjection(normed)
            LlamaLayer.applyRoPE(&keys, heads: heads, rope: quantized.rope, start: start)
            expectedKeys += keys.floats()
            expectedValues += layer.valueProjection(normed).floats()
        }
        let view = cache.view(layer: 0)
        for position in tokens.indices {
            for head in 0..<heads {
                for element in 0..<headDimension {
                    let cached = head * view.headStride + position * view.rowStride + element
                    let produced = position * heads * headDimension + head * headDimension + element
                    #expect(view.keys[cached] == expectedKeys[produced], "key p\(position) h\(head) e\(element)")
                    #expect(view.values[cached] == expectedValues[produced], "value p\(position) h\(head) e\(element)")
                }
            }
        }
    }
}
