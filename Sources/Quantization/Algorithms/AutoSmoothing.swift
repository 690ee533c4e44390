import Foundation
import Models
import Tensors

/// Records the smallest and largest value and the mean magnitude of every input column a linear
/// receives, passing the values on to `next` unchanged. SmoothQuant needs the |x| maxima;
/// AutoSmoothQuant also the signed extremes, which give the per-tensor range of x / s for any s
/// without another pass; AWQ's candidates start from the mean |x|.
final class ChannelRangeCollector: ActivationQuantizer, @unchecked Sendable {
    private let lock = NSLock()
    private var minima: [Float]
    private var maxima: [Float]
    /// Σ|x| per column, in double: a mean over tens of thousands of tokens.
    private var magnitudeSums: [Double]
    private var rowCount = 0
    private let next: (any ActivationQuantizer)?

    init(features: Int, next: (any ActivationQuantizer)? = nil) {
        minima = [Float](repeating: .infinity, count: features)
        maxima = [Float](repeating: -.infinity, count: features)
        magnitudeSums = [Double](repeating: 0, count: features)
        self.next = next
    }

    /// [features] mean |x| per column over every row seen.
    var meanMagnitudes: [Float] { lock.withLock { magnitudeSums.map { Float($0 / Double(max(rowCount, 1))) } } }

    /// ([features], [features])
    var ranges: (minima: [Float], maxima: [Float]) { lock.withLock { (minima, maxima) } }

    /// [features] max |x| per column.
    var magnitudeMaxima: [Float] { lock.withLock { zip(minima, maxima).map { max(abs($0), abs($1)) } } }

    func apply(_ values: UnsafeMutableBufferPointer<Float>, rows: Int, columns: Int) {
        var low = [Float](repeating: .infinity, count: columns), high = [Float](repeating: -.infinity, count: columns)
        var sums = [Double](repeating: 0, count: columns)
        low.withUnsafeMutableBufferPointer { low in
            high.withUnsafeMutableBufferPointer { high in
                sums.withUnsafeMutableBufferPointer { sums in
                    for row in 0..<rows {
                        let base = values.baseAddress! + row * columns
                        for index in 0..<columns {
                            low[index] = min(low[index], base[index])
                            high[index] = max(high[index], base[index])
                            sums[index] += Double(abs(base[index]))
                        }
                    }
                }
            }
        }
        lock.withLock {
            for index in 0..<columns {
                minima[index] = min(minima[index], low[index])
                maxima[index] = max(maxima[index], high[index])
                magnitudeSums[index] += sums[index]
            }
            rowCount += rows
        }
        next?.apply(values, rows: rows, columns: columns)
    }
}

extension ChannelRangeCollector {
    /// One collector on the input of each pair's first target in layer `index` of `probe`, keyed by
    /// that slot (every target of a pair reads the same input).
    static func attach(to probe: inout LlamaModel, index: Int, pairs: [QuantizationPlan.SmoothingPair]) -> [Int: ChannelRangeCollector] {
        var collectors: [Int: ChannelRangeCollector] = [:]
        for pair in pairs {
            let path = LlamaLayer.linearKeyPaths[pair.targets[0]]
            let collector = ChannelRangeCollector(features: probe.layers[index][keyPath: path].inFeatures)
            probe.layers[index][keyPath: path].inputQuantizer = collector
            collectors[pair.targets[0]] = collector
        }
        return collectors
    }
}

/// How AutoSmoothQuant searches.
public struct AutoSmoothQuantOptions: Hashable, Sendable {
    /// What each candidate is judged on: the pair's block (amd-quark's choice) or the whole layer.
    public var objective: SearchObjective
    /// Calibration windows (the first ones) the candidates are judged on; nil: every window. The
    /// input ranges that set the static scales always come from every window.
    public var searchWindows: Int?

    public init(objective: SearchObjective = .block, searchWindows: Int? = nil) {
        self.objective = objective
        self.searchWindows = searchWindows
    }
}

/// amd-quark's AutoSmoothQuant (ALGORITHMS.md A3) over one decoder layer: per smoothing pair, the
/// scale s = max|x|^ratio (ratio in 0, 0.1, …, 0.9; clamped at 1e-4, divided by sqrt(max s · min s))
/// whose smoothed pair, with its weights quantized by their weight spec and its inputs by their
/// input spec, gives the smallest mean squared error against the float layer. It searches the real
/// W8A8 (or MX) configuration rather than a fixed alpha.
///
/// The error is measured where `options.objective` says: on the block the pair feeds (the attention
/// or MLP block, or the single linear for v → o and up → down), as Quark does, or on the whole
/// decoder layer's output. Static input ranges come from the collected per-channel extremes (the
/// range of x / s is known for every s); dynamic input specs quantize each window as they do at run
/// time. Every pair is searched on the unsmoothed layer, as Quark does, and all are applied together.
struct AutoSmoothQuant {
    var plan: QuantizationPlan = .llama
    var options = AutoSmoothQuantOptions()
    /// Candidate ratios: 0, 1/grid, …, (grid − 1)/grid.
    var grid = 10

    /// Smooths layer `index` of `model` in place.
    /// - Parameters:
    ///   - hidden: the calibration windows' inputs to the layer.
    ///   - specs: the layer's quantization spec per linear slot (absent: not quantized).
    /// - Returns: per target slot, the chosen ratio and the range of its scales.
    func smoothLayer(_ model: inout LlamaModel, index: Int, hidden: [Tensor], specs: [Int: LayerQuantSpec]) throws
        -> [Int: (ratio: Float, scales: ClosedRange<Float>)] {
        let configuration = model.configuration
        let pairs = plan.smoothingPairs(for: configuration, sharingHeadGroupScales: true)
            .filter { pair in pair.targets.allSatisfy { specs[$0] != nil } }
        guard !pairs.isEmpty, !hidden.isEmpty else { return [:] }
        let byLayer = options.objective == .layer
        if !byLayer { try SmoothingBlocks.requireJudged(pairs, algorithm: "autosmoothquant") }
        let searched = Array(hidden.prefix(max(1, options.searchWindows ?? hidden.count)))
        // One float pass: each pair's input ranges over every window, and the float layer's outputs
        // on the search windows.
        var probe = model
        let collectors = ChannelRangeCollector.attach(to: &probe, index: index, pairs: pairs)
        var reference: [Tensor] = []
        for (window, input) in hidden.enumerated() {
            var copy = input
            probe.forwardLayer(index, hidden: &copy, cache: probe.makeCache(capacity: copy.shape[0]))
            if byLayer && window < searched.count { reference.append(copy) }
        }
        let blocks = byLayer ? nil : SmoothingBlocks(model: model, layer: model.layers[index], hidden: searched)
        var chosen: [(pair: QuantizationPlan.SmoothingPair, scales: [Float], ratio: Float)] = []
        for pair in pairs {
            let collector = collectors[pair.targets[0]]!
            let (minima, maxima) = collector.ranges
            let magnitudes = collector.magnitudeMaxima
            var best: (loss: Double, scales: [Float], ratio: Float)?
            for step in 0..<grid {
                let ratio = Float(step) / Float(grid)
                let scales = Self.candidateScales(magnitudes: magnitudes, ratio: ratio)
                let loss = try trialLoss(model, index: index, pair: pair, scales: scales, minima: minima, maxima: maxima, specs: specs,
                                         blocks: blocks, hidden: searched, reference: reference)
                if best == nil || loss < best!.loss { best = (loss, scales, ratio) }
            }
            chosen.append((pair, best!.scales, best!.ratio))
        }
        var summary: [Int: (ratio: Float, scales: ClosedRange<Float>)] = [:]
        for (pair, scales, ratio) in chosen {
            var folded = scales
            SmoothQuant.fold(&folded, pair: pair, into: &model.layers[index], configuration: configuration)
            for target in pair.targets { summary[target] = (ratio, (folded.min() ?? 1)...(folded.max() ?? 1)) }
        }
        return summary
    }

    /// Quark's candidate for `ratio`: max|x|^ratio clamped at 1e-4, divided by sqrt(max s · min s).
    static func candidateScales(magnitudes: [Float], ratio: Float) -> [Float] {
        let scales = magnitudes.map { max(pow($0, ratio), 1e-4) }
        let normalizer = ((scales.max() ?? 1) * (scales.min() ?? 1)).squareRoot()
        return scales.map { $0 / normalizer }
    }

    /// The objective's mean squared error with `scales` folded into `pair`, the pair's weights and
    /// inputs quantized: on `blocks` when given, else on the layer's output over `hidden` against
    /// `reference`.
    func trialLoss(_ model: LlamaModel, index: Int, pair: QuantizationPlan.SmoothingPair, scales: [Float], minima: [Float], maxima: [Float],
                   specs: [Int: LayerQuantSpec], blocks: SmoothingBlocks?, hidden: [Tensor], reference: [Tensor]) throws -> Double {
        var folded = scales
        let trial = try prepared(model.layers[index], index: index, pair: pair, scales: &folded, minima: minima, maxima: maxima,
                                 specs: specs, configuration: model.configuration)
        if let blocks { return blocks.loss(pair: pair, layer: trial, scales: folded) }
        var trialModel = model
        trialModel.layers[index] = trial
        return AWQ.meanSquaredError(trialModel, index: index, hidden: hidden, reference: reference)
    }

    /// `layer` with `scales` folded into `pair` (`scales` left as `SmoothQuant.fold` leaves them), the
    /// pair's weights quantized and their input quantizers installed; every other linear stays float.
    func prepared(_ layer: LlamaLayer, index: Int, pair: QuantizationPlan.SmoothingPair, scales folded: inout [Float],
                  minima: [Float], maxima: [Float], specs: [Int: LayerQuantSpec], configuration: LlamaConfiguration) throws -> LlamaLayer {
        let paths = LlamaLayer.linearKeyPaths
        var trial = layer
        SmoothQuant.fold(&folded, pair: pair, into: &trial, configuration: configuration)
        // The range of x / s over the calibration tokens, per tensor: what a static observer would see.
        var low: Float = 0, high: Float = 0
        for column in folded.indices {
            low = min(low, minima[column] / folded[column])
            high = max(high, maxima[column] / folded[column])
        }
        for target in pair.targets {
            let name = "model.layers.\(index).\(LlamaLayer.linearNames[target])"
            var linear = trial[keyPath: paths[target]]
            if let weightSpec = specs[target]?.weight {
                linear.weight = try ModelQuantizer.quantizeWeight(linear.weight, spec: weightSpec, name: name).0
            }
            if let input = specs[target]?.input {
                if input.isDynamic || input.granularity != .perTensor {
                    linear.inputQuantizer = DynamicActivationQuantizer(spec: input)
                } else {
                    linear.inputQuantizer = StaticActivationQuantizer(
                        spec: input, parameters: QuantParameters(minimum: [low], maximum: [high], spec: input, groupLength: 1))
                }
            }
            trial[keyPath: paths[target]] = linear
        }
        return trial
    }
}
