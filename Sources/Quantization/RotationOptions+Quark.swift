import Foundation

/// The `algo_config` entry of a rotation, as amd-quark 0.13's `RotationConfig` spells it.
extension RotationOptions {
    /// What `Rotation` fused: R1 offline (random: seeded signs and, past powers of two, a random
    /// orthogonal factor), R2 when `perHead`, nothing online but R4 with `onlineDown` (which no
    /// export writes: the exporter refuses it). So Quark's loader wraps no layer and the file loads as
    /// plain weights. Every key is a `RotationConfig` field: Quark builds it with `cls(**dict)`, which
    /// rejects any other, so the seed is not recorded (the weights are already rotated).
    var quarkEntry: [String: Any] {
        func layers(_ previous: String, _ norm: String, _ next: [String]) -> [String: Any] {
            ["prev_modules": [previous], "norm_module": norm, "next_modules": next]
        }
        let attention = ["q_proj", "k_proj", "v_proj"].map { "model.layers.layer_id.self_attn." + $0 }
        let mlp = ["model.layers.layer_id.mlp.up_proj", "model.layers.layer_id.mlp.gate_proj"]
        let postAttention = layers("model.layers.layer_id.self_attn.o_proj", "model.layers.layer_id.post_attention_layernorm", mlp)
        return [
            "name": "rotation", "r1": true, "r2": perHead, "r3": false, "r4": onlineDown, "rotation_size": NSNull(),
            "random_r1": true, "random_r2": perHead, "backbone": "model", "model_decoder_layers": "model.layers",
            "v_proj": "self_attn.v_proj", "o_proj": "self_attn.o_proj", "self_attn": "self_attn", "mlp": "mlp",
            "online_r1_rotation": false, "online_config": NSNull(), "trainable": false, "train_smooth": NSNull(),
            "smooth_positions": NSNull(),
            "scaling_layers": [
                "first_layer": [layers("model.embed_tokens", "model.layers.layer_id.input_layernorm", attention), postAttention],
                "middle_layers": [layers("model.layers.pre_layer_id.mlp.down_proj", "model.layers.layer_id.input_layernorm", attention),
                                  postAttention],
                "last_layer": [layers("model.layers.layer_id.mlp.down_proj", "model.norm", ["lm_head"])],
            ] as [String: Any],
        ]
    }

    /// From a Quark `RotationConfig` entry, with Quark's defaults (r1 on, r2/r3/r4 off). Settings
    /// QuantKit's rotation cannot honour are refused by key rather than run as something else.
    init(quark entry: [String: Any], source: String) throws(QuantizationError) {
        func flag(_ key: String, _ fallback: Bool) throws(QuantizationError) -> Bool {
            guard let value = entry[key], !(value is NSNull) else { return fallback }
            guard let bool = value as? Bool else {
                throw .invalidValue(key: "algo_config.\(key)", value: "\(value)", valid: ["true", "false"], source: source)
            }
            return bool
        }
        func refuse(_ key: String, _ value: Bool, _ why: String) throws(QuantizationError) {
            guard try flag(key, false) == value else { return }
            throw .unsupported(feature: "rotation with \(key): \(value) (\(why))", source: source)
        }
        guard try flag("r1", true) else {
            throw .unsupported(feature: "rotation with r1: false (QuantKit always rotates the residual stream)", source: source)
        }
        try refuse("r3", true, "online rotation of queries and keys is not implemented")
        try refuse("online_r1_rotation", true, "R1 is fused offline only")
        try refuse("trainable", true, "learned rotations are not implemented")
        if let size = entry["rotation_size"], !(size is NSNull) {
            throw .unsupported(feature: "rotation with rotation_size \(size) (block-diagonal rotations are not implemented; leave it null)", source: source)
        }
        self.init(seed: 0, onlineDown: try flag("r4", false), perHead: try flag("r2", false))
    }
}
