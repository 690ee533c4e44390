import Foundation
import Formats
import Models
import Quantization
import Tensors

/// Reads a Quark-format directory (`quant_method: "quark"`, written by QuantKit or by amd-quark
/// itself) back into a runnable model: packed weights are unpacked and dequantized to float32, and
/// the activation and KV quantizers of `quantization_config` are installed, so the forward pass
/// computes what vLLM or transformers compute on the same files.
public struct QuarkCheckpoint: WeightSource {
    public let checkpoint: SafetensorsCheckpoint
    public let config: QuantConfig
    private let plainNames: [String]

    /// Companion tensors that belong to a quantized linear rather than to the model graph.
    static let companionSuffixes = ["_scale", "_zero_point", "input_scale", "output_scale", "input_zero_point", "output_zero_point"]

    public init(directory: URL, quantizationConfig: [String: Any]) throws {
        checkpoint = try SafetensorsCheckpoint(directory: directory)
        config = try QuantConfig(quark: quantizationConfig, source: directory.appendingPathComponent("config.json").path)
        plainNames = checkpoint.tensorNames.filter { name in !Self.companionSuffixes.contains { name.hasSuffix($0) } }
    }

    public var sourceDescription: String { checkpoint.directory.path }
    public var tensorNames: [String] { plainNames }

    /// The spec of a linear's weight, if the checkpoint stores it quantized.
    func weightSpec(module: String) -> QuantSpec? {
        guard module.contains(".layers."), LlamaLayer.linearNames.contains(where: { module.hasSuffix("." + $0) }) else { return nil }
        return config.spec(forLayer: module)?.weight
    }

    public func shape(of name: String) throws -> [Int]? {
        guard let entry = checkpoint.entry(named: name) else { return nil }
        guard name.hasSuffix(".weight"), let spec = weightSpec(module: String(name.dropLast(7))) else { return entry.shape }
        return try logicalShape(entry.shape, spec: spec, name: name)
    }

    /// [out, in] of a packed weight (the inverse of the exporter's layouts).
    func logicalShape(_ stored: [Int], spec: QuantSpec, name: String) throws -> [Int] {
        guard stored.count == 2 else { throw QuantizationError.invalidFile(path: name, reason: "a quantized weight must be 2-D, got \(stored)") }
        switch (spec.format, spec.granularity, spec.isMX) {
        case (.fp4, _, true): return [stored[0], stored[1] * 2]
        case (.fp6E2M3, _, true), (.fp6E3M2, _, true): return [stored[0], stored[1] * 4 / 3]
        case (.int4, .perGroup, false), (.uint4, .perGroup, false): return [stored[1] * 8, stored[0]]
        default: return stored
        }
    }

    public func tensor(named name: String) throws -> Tensor? {
        guard checkpoint.entry(named: name) != nil else { return nil }
        let stored: Tensor = try checkpoint.tensor(named: name)
        guard name.hasSuffix(".weight"), let spec = weightSpec(module: String(name.dropLast(7))) else { return stored }
        let module = String(name.dropLast(7))
        let shape = try logicalShape(stored.shape, spec: spec, name: name)
        let rows = shape[0], columns = shape[1]
        let (codes, parameters) = try unpack(module: module, stored: stored, spec: spec, rows: rows, columns: columns)
        var values = [Float](repeating: 0, count: rows * columns)
        Quantizer.dequantize(codes, parameters: parameters, spec: spec, into: &values)
        return Tensor(shape: [rows, columns], floats: values)
    }

    private func floats(_ name: String) throws -> [Float] {
        guard checkpoint.entry(named: name) != nil else { throw ModelError.missingTensor(name: name, source: checkpoint.directory.path) }
        return try (checkpoint.tensor(named: name) as Tensor).toFloat32().floats()
    }

    private func integers(_ name: String) throws -> [Int32] {
        guard checkpoint.entry(named: name) != nil else { throw ModelError.missingTensor(name: name, source: checkpoint.directory.path) }
        let tensor: Tensor = try checkpoint.tensor(named: name)
        switch tensor.dtype {
        case .int32: return tensor.withUnsafeBufferPointer(as: Int32.self) { Array($0) }
        case .int8: return tensor.withUnsafeBufferPointer(as: Int8.self) { $0.map(Int32.init) }
        case .uint8, .float8E4M3, .float8E5M2: return tensor.withUnsafeBufferPointer(as: UInt8.self) { $0.map(Int32.init) }
        default: return tensor.toFloat32().floats().map { Int32($0) }
        }
    }

    /// Codes in [out, in] order and their parameters, from the stored layout.
    private func unpack(module: String, stored: Tensor, spec: QuantSpec, rows: Int, columns: Int) throws -> ([Int32], QuantParameters) {
        let groupLength = spec.granularity.groupLength(rows: rows, columns: columns)
        let raw = try integers(module + ".weight")
        if spec.isMX {
            let scales = try integers(module + ".weight_scale").map { Float(sign: .plus, exponent: Int($0) - 127, significand: 1) }
            let codes: [Int32]
            switch spec.format {
            case .fp4: codes = Packing.unpackFP4(raw.map { UInt8($0) })
            case .fp6E2M3, .fp6E3M2: codes = Packing.unpackFP6(raw.map { UInt8($0) })
            default: codes = raw
            }
            return (codes, QuantParameters(scales: scales, zeroPoints: nil, groupLength: groupLength))
        }
        var scales = try floats(module + ".weight_scale")
        var zeroPoints: [Int32]? = nil
        var codes = raw
        if case let .perGroup(size) = spec.granularity, spec.format == .int4 || spec.format == .uint4 {
            let groups = columns / size
            codes = Packing.transpose(Packing.unpack4Bit(raw, rows: columns, columns: rows, signed: spec.format == .int4),
                                      rows: columns, columns: rows)
            scales = Packing.transpose(scales, rows: groups, columns: rows)
            if !spec.symmetric {
                let packed = try integers(module + ".weight_zero_point")
                zeroPoints = Packing.transpose(Packing.unpack4Bit(packed, rows: groups, columns: rows, signed: spec.format == .int4),
                                               rows: groups, columns: rows)
            }
        } else if spec.hasZeroPoints {
            zeroPoints = try integers(module + ".weight_zero_point")
        }
        guard scales.count * groupLength == rows * columns else {
            throw QuantizationError.invalidFile(path: module + ".weight_scale", reason: "has \(scales.count) scales for \(rows)×\(columns) in groups of \(groupLength)")
        }
        return (codes, QuantParameters(scales: scales, zeroPoints: zeroPoints, groupLength: groupLength))
    }

    /// Installs the activation (input) and KV (k/v output) quantizers the config and tensors describe.
    public func installActivationQuantizers(in model: inout LlamaModel) throws {
        for index in model.layers.indices {
            var layer = model.layers[index]
            for (name, path) in zip(LlamaLayer.linearNames, LlamaLayer.linearKeyPaths) {
                let module = "model.layers.\(index).\(name)"
                guard let spec = config.spec(forLayer: module) else { continue }
                if let input = spec.input { layer[keyPath: path].inputQuantizer = try quantizer(input, module + ".input") }
                if let output = spec.output { layer[keyPath: path].outputQuantizer = try quantizer(output, module + ".output") }
            }
            model.layers[index] = layer
        }
    }

    private func quantizer(_ spec: QuantSpec, _ prefix: String) throws -> any ActivationQuantizer {
        if spec.isDynamic { return DynamicActivationQuantizer(spec: spec) }
        let scale = try floats(prefix + "_scale")
        let zero = spec.hasZeroPoints ? try integers(prefix + "_zero_point") : nil
        return StaticActivationQuantizer(spec: spec, parameters: QuantParameters(scales: scale, zeroPoints: zero, groupLength: 1))
    }
}

/// Opens `--model PATH` whatever it holds: a Quark-quantized HF directory, a plain HF directory or a GGUF.
public enum AnyModelLoader {
    public static func load(_ path: String) throws -> LoadedModel {
        let url = URL(fileURLWithPath: path)
        let configURL = url.appendingPathComponent("config.json")
        guard let data = FileManager.default.contents(atPath: configURL.path),
              let object = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any],
              let quantization = object["quantization_config"] as? [String: Any] else {
            return try ModelLoader.load(path)
        }
        guard quantization["quant_method"] as? String == "quark" else {
            throw QuantizationError.unsupported(feature: "quant_method '\(quantization["quant_method"] ?? "?")' (QuantKit reads quark)", source: configURL.path)
        }
        let hf = try HFConfiguration(url: configURL)
        let configuration = try LlamaConfiguration(hf, source: configURL.path)
        let weights = try QuarkCheckpoint(directory: url, quantizationConfig: quantization)
        var model = try LlamaModel(configuration: configuration, weights: weights)
        try weights.installActivationQuantizers(in: &model)
        let plain = try ModelLoader.loadTokenizer(path)
        var stops = Set(hf.eosTokenIds)
        let generationURL = url.appendingPathComponent("generation_config.json")
        if FileManager.default.fileExists(atPath: generationURL.path) {
            let generation = try GenerationConfiguration(url: generationURL)
            if !generation.eosTokenIds.isEmpty { stops = Set(generation.eosTokenIds) }
        }
        if let eos = plain.eosTokenId { stops.insert(eos) }
        return LoadedModel(model: model, tokenizer: plain, stopTokenIds: stops, source: url)
    }
}
