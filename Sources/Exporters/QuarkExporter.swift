import Foundation
import Formats
import Models
import Quantization
import Tensors

/// Writes a quantized model exactly as amd-quark 0.13's `export_safetensors(custom_mode="quark",
/// weight_format="real_quantized", pack_method="reorder")` does (FORMATS.md §1, REFERENCE-RUNS.md
/// 5a): config.json with `quantization_config`, one model.safetensors, tokenizer files. vLLM and
/// transformers (with amd-quark installed) load it with `quant_method: "quark"`.
public struct QuarkExporter {
    /// A tensor to write: its entry and a function producing its bytes when the writer reaches it.
    struct Item {
        var entry: SafetensorsWriter.Entry
        var bytes: () -> [UInt8]
    }

    public var quantized: QuantizedModel
    /// The source model's config.json object; `quantization_config` is added to it.
    public var baseConfig: [String: Any]
    /// Writes the tokenizer files into the staging directory.
    public var writeTokenizer: (URL) throws -> Void

    public init(quantized: QuantizedModel, baseConfig: [String: Any], writeTokenizer: @escaping (URL) throws -> Void) {
        self.quantized = quantized
        self.baseConfig = baseConfig
        self.writeTokenizer = writeTokenizer
    }

    public func export(to output: URL) throws {
        // An online rotation (R4) must run at inference; transformers' loader would not apply it and
        // would silently compute something else.
        if let index = quantized.model.layers.firstIndex(where: { layer in LlamaLayer.linearKeyPaths.contains { layer[keyPath: $0].inputTransform != nil } }) {
            throw QuantizationError.unsupported(feature: "an online input rotation (--rotation-online-down) in the Quark format: its consumers would not apply it; evaluate it with --eval ppl and no --output",
                                                source: "model.layers.\(index)")
        }
        let directory = try AtomicDirectory(output)
        var config = baseConfig
        config["quantization_config"] = quantized.config.quarkDictionary()
        // A rotation unties the embeddings (lm_head absorbed the final norm's weight), so the source's
        // `tie_word_embeddings: true` would make transformers drop the lm_head.weight written below.
        if !quantized.model.configuration.tiedEmbeddings { config["tie_word_embeddings"] = false }
        try directory.writeJSON(config, to: "config.json")
        try writeTokenizer(directory.staging)
        let items = try tensorItems()
        let writer = try SafetensorsWriter(url: directory.file("model.safetensors"), entries: items.map(\.entry),
                                           metadata: ["format": "pt"])
        let byName = Dictionary(uniqueKeysWithValues: items.map { ($0.entry.name, $0) })
        for entry in writer.entries {
            let bytes = byName[entry.name]!.bytes()
            try bytes.withUnsafeBytes { try writer.append($0) }
        }
        try writer.finish()
        try directory.commit()
    }

    func tensorItems() throws -> [Item] {
        let model = quantized.model
        var items: [Item] = [Self.plain("model.embed_tokens.weight", model.embedding), Self.plain("model.norm.weight", model.finalNorm)]
        if !model.configuration.tiedEmbeddings { items.append(Self.plain("lm_head.weight", model.outputHead.weight)) }
        let quantizedByName = Dictionary(uniqueKeysWithValues: quantized.linears.map { ($0.name, $0) })
        for (index, layer) in model.layers.enumerated() {
            let prefix = "model.layers.\(index)."
            items.append(Self.plain(prefix + "input_layernorm.weight", layer.inputNorm))
            items.append(Self.plain(prefix + "post_attention_layernorm.weight", layer.postAttentionNorm))
            for (name, path) in zip(LlamaLayer.linearNames, LlamaLayer.linearKeyPaths) {
                let linear = layer[keyPath: path]
                if let bias = linear.bias { items.append(Self.plain(prefix + name + ".bias", bias)) }
                guard let q = quantizedByName[prefix + name], let weight = q.weight else {
                    items.append(Self.plain(prefix + name + ".weight", linear.weight))
                    continue
                }
                items += try Self.weightItems(prefix + name, weight)
                if let parameters = q.inputParameters, let spec = q.spec.input {
                    items += try Self.activationItems(prefix + name + ".input", parameters, spec)
                }
                if let parameters = q.outputParameters, let spec = q.spec.output {
                    items += try Self.activationItems(prefix + name + ".output", parameters, spec)
                }
            }
        }
        return items
    }

    static func plain(_ name: String, _ tensor: Tensor) -> Item {
        Item(entry: .init(name: name, dtype: tensor.dtype, shape: tensor.shape)) { tensor.withUnsafeBytes { Array($0) } }
    }

    static func bytes<T>(_ values: [T]) -> [UInt8] { values.withUnsafeBytes { Array($0) } }

    /// Throws unless amd-quark 0.13's exporter can write weights of this spec (checked before
    /// quantizing, so a long run does not end in a refused export).
    public static func checkExportable(_ spec: QuantSpec, module: String) throws {
        if spec.isMX {
            guard [.fp4, .fp6E2M3, .fp6E3M2, .fp8E4M3, .fp8E5M2].contains(spec.format) else {
                // Quark's get_real_quantizer raises "Unsupported MX element dtype: int8".
                throw QuantizationError.unsupported(
                    feature: "exporting MX\(spec.format == .int8 ? "INT8" : spec.format.rawValue) weights in the Quark format (amd-quark 0.13 cannot export them either; they run as fake quantization only; exportable MX formats: mxfp4, mxfp6_e2m3, mxfp6_e3m2, mxfp8_e4m3, mxfp8_e5m2)",
                    source: module)
            }
            return
        }
        switch (spec.format, spec.granularity) {
        case (.fp8E4M3, .perTensor), (.fp8E4M3, .perChannel), (.fp8E5M2, .perTensor), (.fp8E5M2, .perChannel),
             (.int8, .perTensor), (.int8, .perChannel), (.uint8, .perTensor), (.uint8, .perChannel),
             (.int4, .perGroup), (.uint4, .perGroup):
            return
        default:
            throw QuantizationError.unsupported(feature: "exporting \(spec.format.rawValue) \(spec.granularity) weights in the Quark format", source: module)
        }
    }

    /// Checks every quantized weight of a `layerCount`-layer Llama model under `config`.
    public static func checkExportable(_ config: QuantConfig, layerCount: Int) throws {
        for index in 0..<layerCount {
            for name in LlamaLayer.linearNames {
                let module = "model.layers.\(index).\(name)"
                if let weight = config.spec(forLayer: module)?.weight { try checkExportable(weight, module: module) }
            }
        }
    }

    /// `weight`, `weight_scale` and, for integer formats, `weight_zero_point` of one linear.
    static func weightItems(_ module: String, _ weight: QuantizedTensor) throws -> [Item] {
        let spec = weight.spec, rows = weight.rows, columns = weight.columns
        try checkExportable(spec, module: module)
        let parameters = weight.parameters
        // Quark's format has no g_idx: its GPTQ requires static groups whenever act-order runs.
        guard weight.groupIndex == nil else {
            throw QuantizationError.unsupported(feature: "groups out of column order (GPTQ act-order without static groups) in a Quark export; use static groups", source: module)
        }
        let scaleDType: DType = spec.scaleType == .float16 ? .float16 : .float32
        func scaleBytes(_ scales: [Float]) -> [UInt8] {
            scaleDType == .float16 ? bytes(scales.map { Float16($0) }) : bytes(scales)
        }
        let name = module + ".weight"
        if spec.isMX {
            let groups = columns / 32
            let scales = Item(entry: .init(name: name + "_scale", dtype: .uint8, shape: [rows, groups])) {
                parameters.scales.map(QuantParameters.e8m0Code)
            }
            switch spec.format {
            case .fp4:
                return [Item(entry: .init(name: name, dtype: .uint8, shape: [rows, columns / 2])) { Packing.packFP4(weight.codes) }, scales]
            case .fp6E2M3, .fp6E3M2:
                return [Item(entry: .init(name: name, dtype: .uint8, shape: [rows, columns * 3 / 4])) { Packing.packFP6(weight.codes) }, scales]
            default:
                let dtype: DType = spec.format == .fp8E4M3 ? .float8E4M3 : .float8E5M2
                return [Item(entry: .init(name: name, dtype: dtype, shape: [rows, columns])) { weight.codes.map { UInt8($0) } }, scales]
            }
        }
        switch (spec.format, spec.granularity) {
        case (.fp8E4M3, .perTensor), (.fp8E4M3, .perChannel), (.fp8E5M2, .perTensor), (.fp8E5M2, .perChannel):
            let dtype: DType = spec.format == .fp8E4M3 ? .float8E4M3 : .float8E5M2
            return [Item(entry: .init(name: name, dtype: dtype, shape: [rows, columns])) { weight.codes.map { UInt8($0) } },
                    Item(entry: .init(name: name + "_scale", dtype: scaleDType, shape: spec.granularity == .perTensor ? [] : [rows])) {
                        scaleBytes(parameters.scales) }]
        case (.int8, .perTensor), (.int8, .perChannel), (.uint8, .perTensor), (.uint8, .perChannel):
            let signed = spec.format == .int8
            let dtype: DType = signed ? .int8 : .uint8
            let shape = spec.granularity == .perTensor ? [] : [rows]
            let zeros = parameters.zeroPoints ?? [Int32](repeating: 0, count: parameters.scales.count)
            // Zero points wrap to 8 bits as torch's `.to(int8 / uint8)` does (Quark's power-of-two observers
            // give an all-zero channel the zero point Int32.min, written as 0).
            return [Item(entry: .init(name: name, dtype: dtype, shape: [rows, columns])) {
                        signed ? bytes(weight.codes.map { Int8($0) }) : weight.codes.map { UInt8($0) } },
                    Item(entry: .init(name: name + "_scale", dtype: scaleDType, shape: shape)) { scaleBytes(parameters.scales) },
                    Item(entry: .init(name: name + "_zero_point", dtype: dtype, shape: shape)) {
                        signed ? bytes(zeros.map { Int8(truncatingIfNeeded: $0) }) : zeros.map { UInt8(truncatingIfNeeded: $0) } }]
        case let (.int4, .perGroup(size)), let (.uint4, .perGroup(size)):
            // Transposed to [in, out] and packed along out (the AWQ layout under Quark's names).
            guard rows % 8 == 0 else { throw QuantizationError.unsupported(feature: "4-bit packing of \(rows) output rows (not a multiple of 8)", source: module) }
            let groups = columns / size
            let zeros = parameters.zeroPoints ?? [Int32](repeating: 0, count: parameters.scales.count)
            return [Item(entry: .init(name: name, dtype: .int32, shape: [columns, rows / 8])) {
                        bytes(Packing.pack4Bit(Packing.transpose(weight.codes, rows: rows, columns: columns), rows: columns, columns: rows)) },
                    Item(entry: .init(name: name + "_scale", dtype: scaleDType, shape: [groups, rows])) {
                        scaleBytes(Packing.transpose(parameters.scales, rows: rows, columns: groups)) },
                    Item(entry: .init(name: name + "_zero_point", dtype: .int32, shape: [groups, rows / 8])) {
                        bytes(Packing.pack4Bit(Packing.transpose(zeros, rows: rows, columns: groups), rows: groups, columns: rows)) }]
        default:
            preconditionFailure("checkExportable admitted \(spec.format) \(spec.granularity)")
        }
    }

    /// `<module>.input_scale` / `output_scale` (0-dim) and the zero point of integer formats.
    static func activationItems(_ prefix: String, _ parameters: QuantParameters, _ spec: QuantSpec) throws -> [Item] {
        guard parameters.scales.count == 1 else {
            throw QuantizationError.unsupported(feature: "per-head KV-cache scales in the Quark format (Quark and vLLM read one k/v scale per layer; use a per-tensor KV cache)", source: prefix)
        }
        var items = [Item(entry: .init(name: prefix + "_scale", dtype: .float32, shape: [])) { bytes([parameters.scales[0]]) }]
        if spec.format.isInteger {
            let zero = parameters.zeroPoints?[0] ?? 0
            items.append(spec.format.isSigned
                ? Item(entry: .init(name: prefix + "_zero_point", dtype: .int8, shape: [])) { bytes([Int8(zero)]) }
                : Item(entry: .init(name: prefix + "_zero_point", dtype: .uint8, shape: [])) { [UInt8(zero)] })
        }
        return items
    }
}
