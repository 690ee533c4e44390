/// Named schemes: amd-quark 0.13's `LLMTemplate` names (what its LLM PTQ example's `--quant_scheme`
/// takes), each one global layer spec, then QuantKit's own, plus the descriptive `w_…_a_…` spellings
/// as aliases.
public enum QuantScheme {
    public struct Entry: Sendable {
        public var name: String
        public var summary: String
        /// nil for a Quark scheme QuantKit recognises but cannot run yet.
        public var spec: LayerQuantSpec?
        /// Whether amd-quark's `LLMTemplate` has this name (the others are QuantKit's own).
        public var isQuark = true
    }

    static func int4Group(_ format: ElementFormat, _ size: Int) -> QuantSpec {
        QuantSpec(format: format, granularity: .perGroup(size: size), symmetric: format == .int4)
    }

    /// Every scheme, Quark's registry order; `groupSize` replaces the group size of grouped schemes.
    public static func all(groupSize: Int? = nil) -> [Entry] {
        func grouped(_ size: Int) -> Int { groupSize ?? size }
        let int8 = QuantSpec(format: .int8)
        let fp8 = QuantSpec(format: .fp8E4M3)
        var entries: [Entry] = []
        for size in [32, 64, 128] {
            entries.append(Entry(name: "int4_wo_\(size)", summary: "int4 symmetric weights, per group of \(grouped(size)); activations float",
                                 spec: LayerQuantSpec(weight: int4Group(.int4, grouped(size)))))
        }
        entries.append(Entry(name: "int4_wo_per_channel", summary: "int4 symmetric weights, per output channel",
                             spec: LayerQuantSpec(weight: QuantSpec(format: .int4, granularity: .perChannel))))
        entries.append(Entry(name: "int4_wa_64", summary: "int4 weights per group of \(grouped(64)), int4 dynamic activations per group",
                             spec: LayerQuantSpec(weight: int4Group(.int4, grouped(64)),
                                                  input: QuantSpec(format: .int4, granularity: .perGroup(size: grouped(64)), isDynamic: true))))
        for size in [32, 64, 128] {
            entries.append(Entry(name: "uint4_wo_\(size)", summary: "uint4 asymmetric weights, per group of \(grouped(size)); activations float",
                                 spec: LayerQuantSpec(weight: int4Group(.uint4, grouped(size)))))
        }
        entries.append(Entry(name: "uint4_wo_per_channel", summary: "uint4 asymmetric weights, per output channel",
                             spec: LayerQuantSpec(weight: QuantSpec(format: .uint4, granularity: .perChannel, symmetric: false))))
        entries.append(Entry(name: "int8", summary: "int8 symmetric weights and static activations, per tensor",
                             spec: LayerQuantSpec(weight: int8, input: int8)))
        entries.append(Entry(name: "fp8", summary: "fp8 e4m3 weights and static activations, per tensor",
                             spec: LayerQuantSpec(weight: fp8, input: fp8)))
        entries.append(Entry(name: "ptpc_fp8", summary: "fp8 e4m3 weights per channel, dynamic activations per token",
                             spec: LayerQuantSpec(weight: QuantSpec(format: .fp8E4M3, granularity: .perChannel),
                                                  input: QuantSpec(format: .fp8E4M3, granularity: .perChannel, isDynamic: true))))
        entries.append(Entry(name: "mxfp4", summary: "MXFP4 weights and dynamic MXFP4 activations (blocks of 32, E8M0 scales)",
                             spec: LayerQuantSpec(weight: .mx(.fp4), input: .mx(.fp4, isDynamic: true))))
        entries.append(Entry(name: "mxfp4_weight_only", summary: "MXFP4 weights; activations float",
                             spec: LayerQuantSpec(weight: .mx(.fp4))))
        entries.append(Entry(name: "mxfp6_e3m2", summary: "MXFP6 E3M2 weights and dynamic activations",
                             spec: LayerQuantSpec(weight: .mx(.fp6E3M2), input: .mx(.fp6E3M2, isDynamic: true))))
        entries.append(Entry(name: "mxfp6_e2m3", summary: "MXFP6 E2M3 weights and dynamic activations",
                             spec: LayerQuantSpec(weight: .mx(.fp6E2M3), input: .mx(.fp6E2M3, isDynamic: true))))
        entries.append(Entry(name: "mxfp4_mxfp6_e2m3", summary: "MXFP4 weights, dynamic MXFP6 E2M3 activations",
                             spec: LayerQuantSpec(weight: .mx(.fp4), input: .mx(.fp6E2M3, isDynamic: true))))
        entries.append(Entry(name: "mxfp4_fp8", summary: "MXFP4 weights, fp8 e4m3 static per-tensor activations",
                             spec: LayerQuantSpec(weight: .mx(.fp4), input: QuantSpec(format: .fp8E4M3, scaleTypeUnset: true))))
        for name in ["amdfp4", "amdfp4_g32", "int4_fp8", "mx6", "mx9", "bfp16", "nvfp4", "fp4_block16_scale_e4m3",
                     "amdfp4_global16", "amdfp4_global32"] {
            entries.append(Entry(name: name, summary: "Quark scheme not supported yet (two-level or non-OCP scales)", spec: nil))
        }
        // vLLM's `quantization="fp8"`: per-tensor scales for weights and, computed on the fly, for
        // activations; no calibration data at all.
        entries.append(Entry(name: "fp8_dynamic", summary: "fp8 e4m3 weights per tensor, dynamic per-tensor activations; no calibration",
                             spec: LayerQuantSpec(weight: fp8, input: QuantSpec(format: .fp8E4M3, isDynamic: true)), isQuark: false))
        return entries
    }

    /// The brief's descriptive names for the same schemes.
    public static let aliases: [String: String] = [
        "w_uint4_per_group_asym": "uint4_wo_128", "w_int4_per_group_sym": "int4_wo_128",
        "w_int4_per_channel_sym": "int4_wo_per_channel", "w_uint4_per_channel_asym": "uint4_wo_per_channel",
        "w_int8_a_int8_per_tensor_sym": "int8", "w_fp8_a_fp8": "fp8", "w_fp8_a_fp8_dynamic": "fp8_dynamic", "w_fp8_per_channel_a_fp8_per_token": "ptpc_fp8",
        "w_mxfp4_a_mxfp4": "mxfp4", "w_mxfp4": "mxfp4_weight_only", "w_mxfp4_a_fp8": "mxfp4_fp8",
        "w_mxfp6_e3m2_a_mxfp6_e3m2": "mxfp6_e3m2", "w_mxfp6_e2m3_a_mxfp6_e2m3": "mxfp6_e2m3",
    ]

    /// The layer spec of scheme `name` (or an alias), with `groupSize` applied to grouped schemes.
    public static func spec(named name: String, groupSize: Int? = nil) throws(QuantizationError) -> LayerQuantSpec {
        let resolved = aliases[name] ?? name
        let entries = all(groupSize: groupSize)
        guard let entry = entries.first(where: { $0.name == resolved }) else {
            throw .unknownScheme(name, valid: entries.filter { $0.spec != nil }.map(\.name) + aliases.keys.sorted())
        }
        guard let spec = entry.spec else { throw .unsupported(feature: "scheme '\(resolved)'", source: "--scheme") }
        return spec
    }
}
