import Formats
import Tensors

/// A GGUF file's tensors under HF names, so `LlamaModel` loads a .gguf exactly like an HF directory.
///
/// llama.cpp's converter stores q_proj/k_proj rows permuted from HF's rotate-half RoPE layout to
/// interleaved pairs (`LlamaModel.permute` in convert_hf_to_gguf.py); the rows are put back here.
/// Quantized blocks are dequantized to float32 on access (fast quantized kernels come later).
public struct GGUFWeightSource: WeightSource {
    public let file: GGUFFile
    public let configuration: LlamaConfiguration
    /// HF name → GGUF name
    private let names: [String: String]

    public init(file: GGUFFile) throws {
        self.file = file
        configuration = try LlamaConfiguration(gguf: file)
        var names: [String: String] = [:]
        let present = Set(file.tensors.map(\.name))
        func map(_ hf: String, _ gguf: String) { if present.contains(gguf) { names[hf] = gguf } }
        map("model.embed_tokens.weight", "token_embd.weight")
        map("model.norm.weight", "output_norm.weight")
        map("lm_head.weight", "output.weight")
        for layer in 0..<configuration.layerCount {
            let hf = "model.layers.\(layer).", gg = "blk.\(layer)."
            for (hfName, ggName) in [("input_layernorm", "attn_norm"), ("post_attention_layernorm", "ffn_norm"),
                                     ("self_attn.q_proj", "attn_q"), ("self_attn.k_proj", "attn_k"),
                                     ("self_attn.v_proj", "attn_v"), ("self_attn.o_proj", "attn_output"),
                                     ("mlp.gate_proj", "ffn_gate"), ("mlp.up_proj", "ffn_up"), ("mlp.down_proj", "ffn_down")] {
                map(hf + hfName + ".weight", gg + ggName + ".weight")
                map(hf + hfName + ".bias", gg + ggName + ".bias")
            }
        }
        // Llama 3 GGUFs carry llama3 RoPE scaling as per-frequency divisors; not applied yet, so refuse
        // rather than compute wrong positions.
        if present.contains("rope_freqs.weight") {
            throw ModelError.invalidConfiguration(key: "rope_freqs.weight",
                reason: "(llama3 RoPE scaling stored as frequency factors) is not supported yet", source: file.url.path)
        }
        let unmapped = present.subtracting(names.values)
        guard unmapped.isEmpty else {
            throw ModelError.unexpectedTensors(names: unmapped.sorted(), source: file.url.path)
        }
        self.names = names
    }

    public var sourceDescription: String { file.url.path }
    public var tensorNames: [String] { names.keys.sorted() }

    public func shape(of name: String) throws -> [Int]? {
        names[name].flatMap { file.tensorInfo(named: $0)?.shape }
    }

    public func tensor(named name: String) throws -> Tensor? {
        guard let ggufName = names[name] else { return nil }
        var tensor = try file.tensor(named: ggufName)
        if name.contains("self_attn.q_proj") {
            tensor = Self.unpermuteRows(tensor, heads: configuration.headCount)
        } else if name.contains("self_attn.k_proj") {
            tensor = Self.unpermuteRows(tensor, heads: configuration.keyValueHeadCount)
        }
        return tensor
    }

    /// Inverse of llama.cpp's `permute(W, n_head)`: within each head of `rows / heads` rows, GGUF
    /// row `2i + j` holds HF row `j · half + i` (half = head rows / 2). Works for weights [rows, in]
    /// and biases [rows].
    static func unpermuteRows(_ tensor: Tensor, heads: Int) -> Tensor {
        let rows = tensor.shape[0]
        let rowElements = tensor.count / rows
        let headRows = rows / heads, half = headRows / 2
        let source = tensor.toFloat32()
        var output = Tensor(zeros: tensor.shape)
        source.withUnsafeBufferPointer(as: Float.self) { src in
            output.withUnsafeMutableBufferPointer(as: Float.self) { dst in
                for head in 0..<heads {
                    for i in 0..<half {
                        for j in 0..<2 {
                            let from = head * headRows + 2 * i + j
                            let to = head * headRows + j * half + i
                            (dst.baseAddress! + to * rowElements)
                                .update(from: src.baseAddress! + from * rowElements, count: rowElements)
                        }
                    }
                }
            }
        }
        return output
    }
}

extension LlamaConfiguration {
    /// The configuration llama.cpp's `load_hparams` reads from `llama.*` metadata.
    public init(gguf file: GGUFFile) throws {
        let source = file.url.path
        let metadata = file.metadata
        guard let architecture = metadata["general.architecture"]?.stringValue else {
            throw ModelError.invalidConfiguration(key: "general.architecture", reason: "is missing", source: source)
        }
        let families = ["llama": "llama", "mistral": "mistral", "qwen2": "qwen2"]
        guard let modelType = families[architecture] else {
            throw ModelError.unsupportedArchitecture(architecture, source: source, supported: Array(families.keys).sorted())
        }
        func integer(_ key: String, default value: Int? = nil) throws -> Int {
            if let found = metadata["\(architecture).\(key)"]?.intValue { return found }
            if let value { return value }
            throw ModelError.invalidConfiguration(key: "\(architecture).\(key)", reason: "is missing", source: source)
        }
        func real(_ key: String, default value: Float? = nil) throws -> Float {
            if let found = metadata["\(architecture).\(key)"]?.floatValue { return found }
            if let value { return value }
            throw ModelError.invalidConfiguration(key: "\(architecture).\(key)", reason: "is missing", source: source)
        }
        let hidden = try integer("embedding_length")
        let heads = try integer("attention.head_count")
        let vocabulary = metadata["\(architecture).vocab_size"]?.intValue
            ?? metadata["tokenizer.ggml.tokens"]?.arrayValue?.count
            ?? file.tensorInfo(named: "token_embd.weight")?.shape.first ?? 0
        let headDimension = try integer("attention.key_length", default: hidden / max(heads, 1))
        var rope = RoPEScaling(theta: try real("rope.freq_base", default: 10000))
        switch metadata["\(architecture).rope.scaling.type"]?.stringValue {
        case nil, "none": break
        case "linear":
            rope.kind = .linear
            rope.factor = try real("rope.scaling.factor")
        case let other?:
            throw ModelError.invalidConfiguration(key: "\(architecture).rope.scaling.type",
                reason: "'\(other)' is not supported; supported: none, linear",
                source: source)
        }
        self.init(
            modelType: modelType, hiddenSize: hidden, intermediateSize: try integer("feed_forward_length"),
            layerCount: try integer("block_count"), headCount: heads,
            keyValueHeadCount: try integer("attention.head_count_kv", default: heads), headDimension: headDimension,
            vocabularySize: vocabulary, maxPositions: try integer("context_length"),
            rmsNormEpsilon: try real("attention.layer_norm_rms_epsilon"), rope: rope,
            tiedEmbeddings: file.tensorInfo(named: "output.weight") == nil,
            qkvBias: file.tensorInfo(named: "blk.0.attn_q.bias") != nil,
            outputProjectionBias: file.tensorInfo(named: "blk.0.attn_output.bias") != nil)
        try validate(source: source)
    }
}
