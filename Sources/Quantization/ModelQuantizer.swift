import Foundation
import Models
import Tensors

/// Quantizes a Llama-family model with round-to-nearest weights and calibrated static activation
/// and KV scales, streaming one decoder layer at a time (DESIGN.md): the calibration windows'
/// hidden states enter layer i, its weights are quantized, its inputs observed, its activation
/// quantizers installed, and its quantized outputs become layer i+1's inputs.
public struct ModelQuantizer {
    public var config: QuantConfig

    public init(config: QuantConfig) { self.config = config }

    /// Whether any linear has a static input or output spec, which only calibration data can set.
    public func needsCalibration(layerCount: Int) -> Bool {
        (0..<layerCount).contains { index in
            LlamaLayer.linearNames.contains { name in
                guard let spec = config.spec(forLayer: "model.layers.\(index).\(name)") else { return false }
                return [spec.input, spec.output].contains { $0.map { !$0.isDynamic } ?? false }
            }
        }
    }

    /// - Parameters:
    ///   - calibration: token windows (empty is fine when nothing is static).
    ///   - progress: called after each decoder layer with (done, total).
    public func quantize(_ model: LlamaModel, calibration: [[Int]], progress: (Int, Int) -> Void = { _, _ in }) throws -> QuantizedModel {
        var model = model
        let configuration = model.configuration
        try validate(model)
        let calibrating = needsCalibration(layerCount: configuration.layerCount)
        if calibrating && calibration.isEmpty {
            throw QuantizationError.unsupported(feature: "static activation or KV-cache scales without calibration data (give --calib-data or use a dynamic scheme)", source: "quantize")
        }
        var hidden: [Tensor] = calibrating ? try calibration.map { try model.embed($0) } : []
        var linears: [QuantizedLinear] = []
        var report: [LayerReport] = []
        for index in 0..<configuration.layerCount {
            var layer = model.layers[index]
            var observers: [Int: (input: CalibrationObserver?, output: CalibrationObserver?)] = [:]
            var layerLinears: [Int: QuantizedLinear] = [:]
            for (slot, (name, path)) in zip(LlamaLayer.linearNames, LlamaLayer.linearKeyPaths).enumerated() {
                let fullName = "model.layers.\(index).\(name)"
                guard let spec = config.spec(forLayer: fullName) else { continue }
                let start = Date()
                var linear = layer[keyPath: path]
                var quantized = QuantizedLinear(name: fullName, spec: spec, bias: linear.bias)
                if let weightSpec = spec.weight {
                    let (weight, tensor, error) = try Self.quantizeWeight(linear.weight, spec: weightSpec, name: fullName)
                    quantized.weight = tensor
                    linear = Linear(weight: weight, bias: linear.bias)
                    report.append(LayerReport(name: fullName, weightError: error, seconds: Date().timeIntervalSince(start)))
                }
                var observed: (input: CalibrationObserver?, output: CalibrationObserver?) = (nil, nil)
                if let input = spec.input, !input.isDynamic { observed.input = CalibrationObserver(spec: input) }
                if let output = spec.output, !output.isDynamic { observed.output = CalibrationObserver(spec: output) }
                linear.inputQuantizer = observed.input ?? spec.input.flatMap { activationQuantizer($0, parameters: nil) }
                linear.outputQuantizer = observed.output ?? spec.output.flatMap { activationQuantizer($0, parameters: nil) }
                observers[slot] = observed
                layer[keyPath: path] = linear
                layerLinears[slot] = quantized
            }
            model.layers[index] = layer
            if !observers.values.allSatisfy({ $0.input == nil && $0.output == nil }) {
                // Observe this layer's inputs and outputs on every window.
                for window in hidden.indices {
                    var copy = hidden[window]
                    model.forwardLayer(index, hidden: &copy, cache: model.makeCache(capacity: copy.shape[0]))
                }
                try installStaticQuantizers(&model, layerIndex: index, observers: observers, linears: &layerLinears)
            }
            if calibrating {
                for window in hidden.indices {
                    model.forwardLayer(index, hidden: &hidden[window], cache: model.makeCache(capacity: hidden[window].shape[0]))
                }
            }
            linears += layerLinears.keys.sorted().map { layerLinears[$0]! }
            progress(index + 1, configuration.layerCount)
        }
        return QuantizedModel(model: model, config: config, linears: linears, report: report)
    }

    /// Static scales from the observed ranges. The KV scale is shared by k_proj and v_proj: the max of
    /// the two, as Quark's export writes it (one `output_scale` per layer's KV group).
    private func installStaticQuantizers(_ model: inout LlamaModel, layerIndex: Int,
                                         observers: [Int: (input: CalibrationObserver?, output: CalibrationObserver?)],
                                         linears: inout [Int: QuantizedLinear]) throws {
        var layer = model.layers[layerIndex]
        let paths = LlamaLayer.linearKeyPaths
        func parameters(_ observer: CalibrationObserver, _ slot: Int, _ role: String) throws -> QuantParameters {
            do throws(QuantizationError) {
                return try observer.parameters()
            } catch {
                throw error.located(at: "model.layers.\(layerIndex).\(LlamaLayer.linearNames[slot]) \(role)")
            }
        }
        var kvScale: Float?
        for slot in [1, 2] {
            if let observer = observers[slot]?.output {
                kvScale = max(kvScale ?? 0, try parameters(observer, slot, "output").scales[0])
            }
        }
        for (slot, observed) in observers.sorted(by: { $0.key < $1.key }) {
            guard var quantized = linears[slot] else { continue }
            var linear = layer[keyPath: paths[slot]]
            if let observer = observed.input, let spec = quantized.spec.input {
                let parameters = try parameters(observer, slot, "input")
                quantized.inputParameters = parameters
                linear.inputQuantizer = StaticActivationQuantizer(spec: spec, parameters: parameters)
            }
            if let observer = observed.output, let spec = quantized.spec.output {
                var parameters = try parameters(observer, slot, "output")
                if let kvScale, slot == 1 || slot == 2 { parameters.scales = [kvScale] }
                quantized.outputParameters = parameters
                linear.outputQuantizer = StaticActivationQuantizer(spec: spec, parameters: parameters)
            }
            layer[keyPath: paths[slot]] = linear
            linears[slot] = quantized
        }
        model.layers[layerIndex] = layer
    }

    /// RTN: min-max parameters, codes, and the dequantized float32 weight the forward uses.
    static func quantizeWeight(_ weight: Tensor, spec: QuantSpec, name: String) throws -> (Tensor, QuantizedTensor, Double) {
        let rows = weight.shape[0], columns = weight.shape[1]
        if case let .perGroup(size) = spec.granularity, columns % size != 0 {
            throw QuantizationError.groupSizeDoesNotDivide(inFeatures: columns, groupSize: size, layer: name)
        }
        let original = weight.toFloat32()
        let quantized: QuantizedTensor
        do {
            quantized = try original.withUnsafeBufferPointer(as: Float.self) { try Quantizer.quantize($0, rows: rows, columns: columns, spec: spec) }
        } catch let error as QuantizationError {
            throw error.located(at: "\(name) weight")
        }
        let values = quantized.dequantized()
        var difference = 0.0, norm = 0.0
        original.withUnsafeBufferPointer(as: Float.self) { w in
            for i in 0..<w.count {
                let d = Double(w[i] - values[i])
                difference += d * d
                norm += Double(w[i]) * Double(w[i])
            }
        }
        return (Tensor(shape: [rows, columns], floats: values), quantized, norm > 0 ? difference / norm : 0)
    }

    private func validate(_ model: LlamaModel) throws {
        // Only round-to-nearest exists so far: a recipe asking for more must not silently get less.
        for algorithm in config.algorithms where algorithm != .rtn {
            throw QuantizationError.unsupported(feature: "the \(algorithm.rawValue) algorithm (not implemented yet; rtn is)", source: "quantize")
        }
        if config.spec(forLayer: "lm_head") != nil {
            throw QuantizationError.unsupported(feature: "quantizing lm_head (keep it excluded: --exclude lm_head)", source: "quantize")
        }
        for index in 0..<model.configuration.layerCount {
            for name in LlamaLayer.linearNames {
                guard let spec = config.spec(forLayer: "model.layers.\(index).\(name)") else { continue }
                for (role, tensorSpec) in [("weight", spec.weight), ("input", spec.input), ("output", spec.output)] {
                    try tensorSpec?.checkObserver(source: "model.layers.\(index).\(name) \(role)")
                }
                for (role, tensorSpec) in [("input", spec.input), ("output", spec.output)] {
                    guard let tensorSpec, !tensorSpec.isDynamic else { continue }
                    if tensorSpec.granularity != .perTensor {
                        throw QuantizationError.unsupported(feature: "static \(role) quantization other than per tensor", source: "model.layers.\(index).\(name)")
                    }
                }
            }
        }
    }
}
