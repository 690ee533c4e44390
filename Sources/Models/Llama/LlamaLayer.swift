import Tensors

/// One decoder layer: pre-norm attention and a pre-norm SwiGLU MLP, each added to the residual.
public struct LlamaLayer: Sendable {
    /// [hidden]
    public var inputNorm: Tensor
    /// q [heads·headDim, hidden], k and v [kvHeads·headDim, hidden], o [hidden, heads·headDim]
    public var queryProjection, keyProjection, valueProjection, outputProjection: Linear
    /// [hidden]
    public var postAttentionNorm: Tensor
    /// gate and up [intermediate, hidden], down [hidden, intermediate]
    public var gateProjection, upProjection, downProjection: Linear

    /// The linear layers with their HF module names relative to the layer (`self_attn.q_proj`, ...),
    /// in execution order.
    public static let linearNames = ["self_attn.q_proj", "self_attn.k_proj", "self_attn.v_proj", "self_attn.o_proj",
                                     "mlp.gate_proj", "mlp.up_proj", "mlp.down_proj"]
    public static var linearKeyPaths: [WritableKeyPath<LlamaLayer, Linear>] { [
        \.queryProjection, \.keyProjection, \.valueProjection, \.outputProjection, \.gateProjection, \.upProjection, \.downProjection] }

    /// Runs the layer on `hidden` [tokens, hidden] in place, at positions `cache.length ..<`
    /// `cache.length + tokens`, storing this layer's keys and values in `cache`. Without a cache the
    /// tokens are positions `0 ..< tokens` and attend over this layer's own keys and values, which
    /// are dropped afterwards.
    func forward(_ hidden: inout Tensor, layerIndex: Int, configuration: LlamaConfiguration,
                 rope: RoPETable, cache: KVCache?) {
        let attended = attention(hidden, layerIndex: layerIndex, configuration: configuration, rope: rope, cache: cache)
        Self.addInPlace(outputProjection(attended), to: &hidden)
        Self.addInPlace(downProjection(gatedActivation(hidden, configuration: configuration)), to: &hidden)
    }

    /// The attention block up to o_proj's input: RMSNorm, q/k/v, RoPE and attention of `hidden`
    /// [tokens, hidden] (the residual stream), at positions `cache.length ..<` as `forward`.
    /// - Returns: [tokens, heads·headDim]
    func attention(_ hidden: Tensor, layerIndex: Int, configuration: LlamaConfiguration,
                   rope: RoPETable, cache: KVCache?) -> Tensor {
        let tokens = hidden.shape[0]
        let normed = Self.rmsNorm(hidden, weight: inputNorm, epsilon: configuration.rmsNormEpsilon)
        let projected = Linear.outputs(of: [queryProjection, keyProjection, valueProjection], for: normed)
        var queries = projected[0], keys = projected[1]
        let values = projected[2]
        let start = cache?.length ?? 0
        Self.applyRoPE(&queries, heads: configuration.headCount, rope: rope, start: start)
        Self.applyRoPE(&keys, heads: configuration.keyValueHeadCount, rope: rope, start: start)
        return keys.withUnsafeBufferPointer(as: Float.self) { k in
            values.withUnsafeBufferPointer(as: Float.self) { v in
                guard let cache else {
                    let own = KeyValueView(keys: k.baseAddress!, values: v.baseAddress!,
                                           headStride: configuration.headDimension, rowStride: configuration.keyValueWidth)
                    return LlamaAttention.attend(queries: queries, over: own, start: 0, configuration: configuration)
                }
                cache.store(layer: layerIndex, keys: k.baseAddress!, values: v.baseAddress!, tokens: tokens)
                return LlamaAttention.attend(queries: queries, over: cache.view(layer: layerIndex), start: start,
                                             configuration: configuration)
            }
        }
    }

    /// The MLP block up to down_proj's input: SiLU(gate) · up of RMSNorm(`hidden`) [tokens, hidden].
    /// - Returns: [tokens, intermediate]
    func gatedActivation(_ hidden: Tensor, configuration: LlamaConfiguration) -> Tensor {
        let normed = Self.rmsNorm(hidden, weight: postAttentionNorm, epsilon: configuration.rmsNormEpsilon)
        let gateAndUp = Linear.outputs(of: [gateProjection, upProjection], for: normed)
        var gate = gateAndUp[0]
        let up = gateAndUp[1]
        let count = gate.count
        gate.withUnsafeMutableBufferPointer(as: Float.self) { g in
            up.withUnsafeBufferPointer(as: Float.self) { u in Ops.swiGLU(gate: g.baseAddress!, up: u.baseAddress!, count: count) }
        }
        return gate
    }

    /// RMSNorm of each row of `input` [rows, dim] with a weight of any float dtype.
    static func rmsNorm(_ input: Tensor, weight: Tensor, epsilon: Float) -> Tensor {
        let rows = input.shape[0], dimension = input.shape[1]
        var output = Tensor(zeros: input.shape)
        let weights = weight.toFloat32()
        input.withUnsafeBufferPointer(as: Float.self) { x in
            weights.withUnsafeBufferPointer(as: Float.self) { w in
                output.withUnsafeMutableBufferPointer(as: Float.self) { y in
                    Ops.rmsNorm(x.baseAddress!, rows: rows, dimension: dimension, weight: w.baseAddress!,
                                epsilon: epsilon, output: y.baseAddress!)
                }
            }
        }
        return output
    }

    static func applyRoPE(_ values: inout Tensor, heads: Int, rope: RoPETable, start: Int) {
        let tokens = values.shape[0]
        let half = rope.headDimension / 2
        values.withUnsafeMutableBufferPointer(as: Float.self) { v in
            rope.cosine.withUnsafeBufferPointer { c in
                rope.sine.withUnsafeBufferPointer { s in
                    Ops.applyRoPE(v.baseAddress!, tokens: tokens, heads: heads, headDimension: rope.headDimension,
                                  cosine: c.baseAddress! + start * half, sine: s.baseAddress! + start * half)
                }
            }
        }
    }

    static func addInPlace(_ source: Tensor, to target: inout Tensor) {
        let count = target.count
        source.withUnsafeBufferPointer(as: Float.self) { s in
            target.withUnsafeMutableBufferPointer(as: Float.self) { t in Ops.add(s.baseAddress!, into: t.baseAddress!, count: count) }
        }
    }
}
