import Models

/// How quantization algorithms see one decoder-layer architecture (DESIGN.md: one architecture =
/// one model file + one plan): which linears are quantized together and in what order, and which
/// operator feeds which linears (where smoothing scales can be folded). Slots index
/// `LlamaLayer.linearKeyPaths` / `linearNames`.
public struct QuantizationPlan: Sendable {
    /// Quantized one after another inside a layer; the linears of one group read the same input, so
    /// they share one Hessian or activation statistic (ALGORITHMS.md: true_sequential).
    public var sequentialGroups: [[Int]]
    public var smoothingPairs: [SmoothingPair]

    /// Where a smoothing scale s is folded: the input operator is divided by s, the target linears'
    /// weight columns multiplied by it.
    public struct SmoothingPair: Sendable, Equatable {
        public enum Source: Sendable, Equatable {
            case inputNorm
            case postAttentionNorm
            /// The output rows of another linear (v_proj → o_proj, up_proj → down_proj).
            case linear(Int)
        }
        public var source: Source
        public var targets: [Int]
        /// v → o: under grouped-query attention one v row feeds the same column of several query
        /// heads, so a scale must be shared across each head group (amd-quark and llm-compressor do
        /// that; AutoAWQ skips the pair).
        public var sharesScalesAcrossHeadGroups: Bool
    }

    /// Llama, Mistral, Qwen2: [q, k, v] → [o] → [gate, up] → [down]; input norm → q/k/v, v → o,
    /// post-attention norm → gate/up, up → down.
    public static let llama = QuantizationPlan(
        sequentialGroups: [[0, 1, 2], [3], [4, 5], [6]],
        smoothingPairs: [
            SmoothingPair(source: .inputNorm, targets: [0, 1, 2], sharesScalesAcrossHeadGroups: false),
            SmoothingPair(source: .linear(2), targets: [3], sharesScalesAcrossHeadGroups: true),
            SmoothingPair(source: .postAttentionNorm, targets: [4, 5], sharesScalesAcrossHeadGroups: false),
            SmoothingPair(source: .linear(5), targets: [6], sharesScalesAcrossHeadGroups: false),
        ])

    /// The smoothing pairs that apply to a model of this configuration: all of them when scales may
    /// be shared across query-head groups, otherwise v → o only without grouped-query attention.
    public func smoothingPairs(for configuration: LlamaConfiguration, sharingHeadGroupScales: Bool) -> [SmoothingPair] {
        smoothingPairs.filter { sharingHeadGroupScales || !$0.sharesScalesAcrossHeadGroups || configuration.keyValueHeadCount == configuration.headCount }
    }

    /// The smoothing pairs in amd-quark's `scaling_layers` form (module names relative to a decoder
    /// layer; block inputs inspect the attention or MLP module, as its llama configs do).
    public var quarkScalingLayers: [[String: Any]] {
        smoothingPairs.map { pair in
            let layers = pair.targets.map { LlamaLayer.linearNames[$0] }
            var entry: [String: Any] = ["layers": layers, "inp": layers[0]]
            switch pair.source {
            case .inputNorm:
                entry["prev_op"] = "input_layernorm"
                entry["module2inspect"] = "self_attn"
            case .postAttentionNorm:
                entry["prev_op"] = "post_attention_layernorm"
                entry["module2inspect"] = "mlp"
            case let .linear(slot):
                entry["prev_op"] = LlamaLayer.linearNames[slot]
            }
            return entry
        }
    }
}
