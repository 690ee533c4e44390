import Foundation
import Models
import Tensors

/// Quantizes a Llama-family model with round-to-nearest weights and calibrated static activation
/// and KV scales, streaming one decoder layer at a time (DESIGN.md): the calibration windows'
/// hidden states enter layer i, its weights are quantized, its float inputs and outputs observed
/// (amd-quark calibrates the float model), its static quantizers installed, and its float outputs
/// become layer i+1's inputs.
public struct ModelQuantizer {
    public var config: QuantConfig
    /// How GPTQ runs when the config's algorithms ask for it.
    public var gptqOptions: GPTQOptions
    /// How AWQ searches when the config's algorithms ask for it.
    public var awqOptions: AWQOptions
    /// How AutoSmoothQuant searches when the config's algorithms ask for it.
    public var autoSmoothQuantOptions: AutoSmoothQuantOptions

    public init(config: QuantConfig, gptqOptions: GPTQOptions = GPTQOptions(), awqOptions: AWQOptions = AWQOptions(),
                autoSmoothQuantOptions: AutoSmoothQuantOptions = AutoSmoothQuantOptions()) {
        self.config = config
        self.gptqOptions = gptqOptions
        self.awqOptions = awqOptions
        self.autoSmoothQuantOptions = autoSmoothQuantOptions
    }

    private var usesGPTQ: Bool { config.algorithms.contains(.gptq) }
    private var usesSmoothQuant: Bool { config.algorithms.contains(.smoothquant) }
    private var usesAutoSmoothQuant: Bool { config.algorithms.contains(.autosmoothquant) }
    private var usesAWQ: Bool { config.algorithms.contains(.awq) }

    /// Whether calibration data is needed: a linear has a static input or output spec, or an
    /// algorithm learns from activations (GPTQ, SmoothQuant, AutoSmoothQuant, AWQ).
    public func needsCalibration(layerCount: Int) -> Bool {
        usesGPTQ || usesSmoothQuant || usesAutoSmoothQuant || usesAWQ || (0..<layerCount).contains { index in
            LlamaLayer.linearNames.contains { name in
                guard let spec = config.spec(forLayer: "model.layers.\(index).\(name)") else { return false }
                return [spec.input, spec.output].contains { $0.map { !$0.isDynamic } ?? false }
            }
        }
    }

    /// Quantizes the whole model in memory and returns it with every layer quantized.
    /// - Parameters:
    ///   - calibration: token windows (empty is fine when nothing is static).
    ///   - errorWindows: how many of those windows measure each linear's output error (0: none;
    ///     128 evenly spaced rows of each).
    ///     They are carried through the layers even when nothing needs calibrating.
    ///   - progress: called after each decoder layer with (done, total).
    public func quantize(_ model: LlamaModel, calibration: [[Int]], errorWindows: Int = 0,
                         progress: (Int, Int) -> Void = { _, _ in }) throws -> QuantizedModel {
        try quantize(model, calibration: calibration, errorWindows: errorWindows, stream: QuantizationStream(), progress: progress)
    }

    /// The windows that are embedded and carried through the layers: all of them when something
    /// calibrates, else only those that measure output errors.
    public func carriedWindows(_ calibration: [[Int]], errorWindows: Int, layerCount: Int) -> [[Int]] {
        needsCalibration(layerCount: layerCount) ? calibration : Array(calibration.prefix(min(max(0, errorWindows), calibration.count)))
    }

    /// Quantizes layer by layer as `stream` says: activations in memory or in files, from the start
    /// or from a resumed run's boundary, each finished layer handed to `stream.layerDone`.
    public func quantize(_ model: LlamaModel, calibration: [[Int]], errorWindows: Int = 0, stream: QuantizationStream,
                         progress: (Int, Int) -> Void = { _, _ in }) throws -> QuantizedModel {
        try validate(model)
        // The rotation changes every weight but not the function: the embeddings and head before the
        // layer loop, each layer as the loop reaches it, so everything after it (smoothing, GPTQ,
        // RTN, calibration) sees the rotated model and one rotated layer at a time is in memory.
        let rotation = config.algorithms.contains(.rotation) ? Rotation(options: config.rotation) : nil
        var model = rotation?.rotateGlobals(model) ?? model
        let configuration = model.configuration
        let calibrating = needsCalibration(layerCount: configuration.layerCount)
        if calibrating && calibration.isEmpty {
            throw QuantizationError.unsupported(feature: "static activation or KV-cache scales without calibration data (give --calib-data or use a dynamic scheme)", source: "quantize")
        }
        let carried = carriedWindows(calibration, errorWindows: errorWindows, layerCount: configuration.layerCount)
        let probing = min(max(0, errorWindows), carried.count)
        let store: ActivationStore
        var report: [LayerReport]
        if let resume = stream.resume {
            guard resume.store.rows == carried.map(\.count) else {
                throw QuantizationError.checkpoint(path: "\(resume.store.backing)", reason: "the stored activations hold \(resume.store.rows.count) windows, this run carries \(carried.count)")
            }
            (store, report) = resume
        } else {
            store = try ActivationStore(backing: stream.backing, width: configuration.hiddenSize)
            for window in carried { try store.append(try model.embed(window)) }
            try store.finishBoundary()
            report = []
        }
        var linears: [QuantizedLinear] = []
        progress(store.boundary, configuration.layerCount)
        for index in store.boundary..<configuration.layerCount {
            let sourceLayer = model.layers[index]
            let reportStart = report.count
            if let rotation { model.layers[index] = rotation.rotate(sourceLayer, configuration: configuration) }
            // Smoothing preserves the layer's function, so the smoothed float layer is the reference
            // that errors are measured against.
            var smoothing: [Int: ClosedRange<Float>] = [:]
            var smoothingRatios: [Int: Float] = [:]
            if usesSmoothQuant { smoothing = SmoothQuant(options: config.smoothQuant).smoothLayer(&model, index: index, hidden: store.inputs) }
            if usesAutoSmoothQuant {
                var specs: [Int: LayerQuantSpec] = [:]
                for (slot, name) in LlamaLayer.linearNames.enumerated() { specs[slot] = config.spec(forLayer: "model.layers.\(index).\(name)") }
                for (slot, choice) in try AutoSmoothQuant(options: autoSmoothQuantOptions).smoothLayer(&model, index: index, hidden: store.inputs, specs: specs) {
                    smoothing[slot] = choice.scales
                    smoothingRatios[slot] = choice.ratio
                }
            }
            // AWQ: scales folded here (the float function is kept), clipped weights only replace the
            // input of round-to-nearest below, so the float pass still runs the unclipped layer.
            var awqChoices: [Int: AWQChoice] = [:]
            var clipping: [Int: AWQClipping.Result] = [:]
            if usesAWQ {
                var weightSpecs: [Int: QuantSpec] = [:]
                for (slot, name) in LlamaLayer.linearNames.enumerated() { weightSpecs[slot] = config.spec(forLayer: "model.layers.\(index).\(name)")?.weight }
                let awq = AWQ(options: awqOptions)
                awqChoices = try awq.scaleLayer(&model, index: index, hidden: store.inputs, specs: weightSpecs)
                for (slot, choice) in awqChoices {
                    smoothing[slot] = choice.scales
                    if let ratio = choice.ratio { smoothingRatios[slot] = ratio }
                }
                if awqOptions.clip && !usesGPTQ { clipping = try awq.clipLayer(model, index: index, hidden: store.inputs, specs: weightSpecs) }
            }
            let originalLayer = model.layers[index]
            var layer = originalLayer
            var observing = originalLayer
            var observers: [Int: (input: CalibrationObserver?, output: CalibrationObserver?)] = [:]
            var samplers: [Int: InputSampler] = [:]
            var layerLinears: [Int: QuantizedLinear] = [:]
            var gptqSpecs: [Int: QuantSpec] = [:]
            var headObservers: [Int: ColumnGroupRangeObserver] = [:]
            for (slot, (name, path)) in zip(LlamaLayer.linearNames, LlamaLayer.linearKeyPaths).enumerated() {
                let fullName = "model.layers.\(index).\(name)"
                guard let spec = config.spec(forLayer: fullName) else { continue }
                let start = Date()
                var linear = layer[keyPath: path]
                var quantized = QuantizedLinear(name: fullName, spec: spec, bias: linear.bias)
                if let weightSpec = spec.weight, usesGPTQ {
                    gptqSpecs[slot] = weightSpec
                } else if let weightSpec = spec.weight {
                    let (weight, tensor, _) = try Self.quantizeWeight(clipping[slot]?.weight ?? linear.weight, spec: weightSpec, name: fullName)
                    quantized.weight = tensor
                    // Against the unclipped weight: clipping is part of what quantizing cost.
                    let error = Self.relativeError(linear.weight, weight.floats())
                    linear.weight = weight
                    var row = LayerReport(name: fullName, weightError: error, seconds: Date().timeIntervalSince(start))
                    row.clippedGroups = clipping[slot]?.clippedGroups
                    report.append(row)
                }
                var observed: (input: CalibrationObserver?, output: CalibrationObserver?) = (nil, nil)
                if let input = spec.input, !input.isDynamic { observed.input = CalibrationObserver(spec: input) }
                if let output = spec.output, !output.isDynamic {
                    // A per-group static output is the per-head KV cache: one scale per head's columns.
                    if case let .perGroup(size) = output.granularity { headObservers[slot] = ColumnGroupRangeObserver(groupSize: size) }
                    else { observed.output = CalibrationObserver(spec: output) }
                }
                let sampler = probing > 0 ? InputSampler(next: observed.input, calls: probing) : nil
                observing[keyPath: path].inputQuantizer = sampler ?? observed.input
                if let sampler { samplers[slot] = sampler }
                observing[keyPath: path].outputQuantizer = observed.output ?? headObservers[slot]
                // Static quantizers are installed once their observers have seen every window.
                linear.inputQuantizer = spec.input.flatMap { activationQuantizer($0, parameters: nil) }
                linear.outputQuantizer = spec.output.flatMap { activationQuantizer($0, parameters: nil) }
                observers[slot] = observed
                layer[keyPath: path] = linear
                layerLinears[slot] = quantized
            }
            if !gptqSpecs.isEmpty {
                // GPTQ replaces RTN; the layer then runs with its quantized weights in the pass below,
                // so the next layer sees the quantized layer's outputs (ALGORITHMS.md).
                let (_, results) = try SequentialGPTQ(options: gptqOptions).quantizeLayer(model, index: index, hidden: store.inputs, specs: gptqSpecs)
                for (slot, (result, seconds)) in results.sorted(by: { $0.key < $1.key }) {
                    let path = LlamaLayer.linearKeyPaths[slot]
                    let original = originalLayer[keyPath: path].weight
                    let weight = Tensor(shape: original.shape, floats: result.dequantized)
                    layer[keyPath: path].weight = weight
                    observing[keyPath: path].weight = weight
                    layerLinears[slot]?.weight = result.quantized
                    var row = LayerReport(name: layerLinears[slot]!.name, weightError: Self.relativeError(original, result.dequantized), seconds: seconds)
                    row.gptqLoss = result.loss
                    row.dampingFraction = result.dampingFraction
                    row.dampingEscalated = result.escalatedDamping || result.fellBackToRoundToNearest
                    row.deadColumns = result.deadColumns.count
                    report.append(row)
                }
            }
            // One float pass per window: the observers see the float model's activations, as amd-quark
            // calibrates (every weight and activation quantizer off), and the float outputs feed the
            // next layer; with GPTQ the weights here are already quantized. Samplers keep rows of the
            // first windows' inputs to measure output errors.
            var floatModel = model
            floatModel.layers[index] = observing
            for window in store.rows.indices {
                var state = store.takeInput(window)
                floatModel.forwardLayer(index, hidden: &state, cache: floatModel.makeCache(capacity: state.shape[0]))
                try store.append(state)
            }
            try store.finishBoundary()
            model.layers[index] = layer
            if !observers.values.allSatisfy({ $0.input == nil && $0.output == nil }) {
                try installStaticQuantizers(&model, layerIndex: index, observers: observers, linears: &layerLinears)
            }
            if !headObservers.isEmpty { installPerHeadKV(&model, layerIndex: index, observers: headObservers, linears: &layerLinears) }
            for (slot, sampler) in samplers {
                guard let inputs = sampler.samples, let name = layerLinears[slot]?.name,
                      let row = report.lastIndex(where: { $0.name == name }) else { continue }
                let path = LlamaLayer.linearKeyPaths[slot]
                report[row].outputError = relativeOutputError(inputs: inputs, original: originalLayer[keyPath: path],
                                                              quantized: model.layers[index][keyPath: path])
            }
            for (slot, range) in smoothing {
                guard let name = layerLinears[slot]?.name, let row = report.lastIndex(where: { $0.name == name }) else { continue }
                report[row].smoothingScales = [Double(range.lowerBound), Double(range.upperBound)]
                report[row].smoothingRatio = smoothingRatios[slot].map(Double.init)
                if let choice = awqChoices[slot] {
                    report[row].scaleSearchLoss = choice.loss
                    report[row].scaleSearchIdentityLoss = choice.identityLoss
                }
            }
            let finished = layerLinears.keys.sorted().map { layerLinears[$0]! }
            try stream.layerDone?(FinishedLayer(index: index, layer: model.layers[index], linears: finished,
                                                report: Array(report[reportStart...])))
            if stream.retainsLayers {
                linears += finished
            } else {
                // The layer has been handed on: back to the source weights, whose mapped pages are
                // released, so memory holds one layer at a time whatever the model's depth.
                model.layers[index] = sourceLayer
                for tensor in [sourceLayer.inputNorm, sourceLayer.postAttentionNorm] + LlamaLayer.linearKeyPaths.flatMap({
                    [sourceLayer[keyPath: $0].weight] + (sourceLayer[keyPath: $0].bias.map { [$0] } ?? [])
                }) { tensor.releaseMappedPages() }
            }
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

    /// Per-head KV scales: k_proj and v_proj share each head's scale (the larger of the two), as the
    /// per-tensor KV scale is shared.
    private func installPerHeadKV(_ model: inout LlamaModel, layerIndex: Int, observers: [Int: ColumnGroupRangeObserver],
                                  linears: inout [Int: QuantizedLinear]) {
        var shared: [Float]?
        for (slot, observer) in observers where slot == 1 || slot == 2 {
            guard let spec = linears[slot]?.spec.output else { continue }
            let scales = observer.parameters(for: spec).scales
            shared = shared.map { zip($0, scales).map { Swift.max($0, $1) } } ?? scales
        }
        for (slot, observer) in observers {
            guard let spec = linears[slot]?.spec.output else { continue }
            var parameters = observer.parameters(for: spec)
            if let shared, slot == 1 || slot == 2, spec.symmetric { parameters.scales = shared }
            linears[slot]?.outputParameters = parameters
            model.layers[layerIndex][keyPath: LlamaLayer.linearKeyPaths[slot]].outputQuantizer =
                ColumnGroupStaticQuantizer(spec: spec, parameters: parameters)
        }
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
        return (Tensor(shape: [rows, columns], floats: values), quantized, relativeError(original, values))
    }

    /// ‖W − Ŵ‖² / ‖W‖².
    static func relativeError(_ weight: Tensor, _ values: [Float]) -> Double {
        var difference = 0.0, norm = 0.0
        weight.toFloat32().withUnsafeBufferPointer(as: Float.self) { w in
            for i in 0..<w.count {
                let d = Double(w[i] - values[i])
                difference += d * d
                norm += Double(w[i]) * Double(w[i])
            }
        }
        return norm > 0 ? difference / norm : 0
    }

    private func validate(_ model: LlamaModel) throws {
        if let rotation = config.algorithms.firstIndex(of: .rotation),
           let earlier = config.algorithms[..<rotation].first(where: { [.smoothquant, .autosmoothquant, .gptq].contains($0) }) {
            // Rotation runs on the whole float model before the layer loop; smoothing or GPTQ before it
            // would have to be undone. Quark runs algo_config in list order, so the order is the user's to fix.
            throw QuantizationError.unsupported(feature: "rotation after \(earlier.rawValue) (list rotation first: --algo rotation --algo \(earlier.rawValue))", source: "quantize")
        }
        if config.algorithms.contains(.rotation) && config.rotation.onlineDown,
           let smoothing = config.algorithms.first(where: { [.smoothquant, .autosmoothquant].contains($0) }) {
            // The up → down smoothing pair would scale R4's input, which the online transform does not commute with.
            throw QuantizationError.unsupported(feature: "\(smoothing.rawValue) with the online down_proj rotation (drop --rotation-online-down or the smoothing)", source: "quantize")
        }
        if Set(config.algorithms).isSuperset(of: [.smoothquant, .autosmoothquant]) {
            throw QuantizationError.unsupported(feature: "smoothquant and autosmoothquant together (both smooth the same pairs; give one)", source: "quantize")
        }
        if config.algorithms.contains(.awq) && !Set(config.algorithms).isDisjoint(with: [.smoothquant, .autosmoothquant]) {
            throw QuantizationError.unsupported(feature: "awq together with smoothquant or autosmoothquant (each scales the same pairs; give one)", source: "quantize")
        }
        if config.algorithms.contains(.awq) && awqOptions.searchWindows < 1 {
            throw QuantizationError.unsupported(feature: "AWQ with \(awqOptions.searchWindows) search windows (--awq-search-windows must be at least 1)", source: "quantize")
        }
        if Set(config.algorithms).isSuperset(of: [.rtn, .gptq]) {
            throw QuantizationError.unsupported(feature: "rtn and gptq together (GPTQ replaces round-to-nearest; give one)", source: "quantize")
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
                    if role == "output", case let .perGroup(size) = tensorSpec.granularity {
                        let width = model.configuration.keyValueHeadCount * model.configuration.headDimension
                        guard name.hasSuffix("k_proj") || name.hasSuffix("v_proj"), width % size == 0, tensorSpec.observer == .minMax else {
                            throw QuantizationError.unsupported(feature: "static per-group outputs other than a min-max per-head KV cache (groups of the head dimension on k_proj / v_proj)", source: "model.layers.\(index).\(name)")
                        }
                    } else if tensorSpec.granularity != .perTensor {
                        throw QuantizationError.unsupported(feature: "static \(role) quantization other than per tensor", source: "model.layers.\(index).\(name)")
                    }
                }
            }
        }
    }
}
