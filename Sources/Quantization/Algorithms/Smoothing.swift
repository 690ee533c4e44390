import Foundation
import Models
import Tensors

/// How SmoothQuant migrates activation outliers into the weights (ALGORITHMS.md A3).
public struct SmoothQuantOptions: Hashable, Sendable {
    /// Migration strength: s_j = max|X_j|^alpha / max|W_:,j|^(1 − alpha). 0.5 is the paper's and
    /// llm-compressor's default; amd-quark's `SmoothQuantConfig` defaults to 1.
    public var alpha: Float
    /// Smallest scale (amd-quark's `scale_clamp_min`, default 1e-3): a channel that never fires must
    /// not blow its weight column up by dividing by ~0.
    public var scaleClampMin: Float

    public init(alpha: Float = 0.5, scaleClampMin: Float = 1e-3) {
        self.alpha = alpha
        self.scaleClampMin = scaleClampMin
    }
}

/// SmoothQuant over one decoder layer: per smoothing pair of the plan, a per-input-channel scale s
/// divides the source (a norm's weight or a linear's output rows) and multiplies the targets' weight
/// columns, so the layer computes the same function while its activations lose their outlier
/// channels. Statistics come from one float pass over the calibration windows; since every pair
/// preserves the function, all of them are measured in that one pass.
struct SmoothQuant {
    var plan: QuantizationPlan = .llama
    var options: SmoothQuantOptions

    /// The scales of one pair, as amd-quark computes them: s = (max|X|^alpha / w^(1 − alpha))
    /// clamped below at `scaleClampMin`, with w = max over every target's rows of |W_:,j|, at least 1e-5.
    /// - Parameters:
    ///   - activationMaxima: [in] max |x_j| over the calibration tokens.
    ///   - weights: the targets' weights, each [out, in].
    static func scales(activationMaxima: [Float], weights: [Tensor], options: SmoothQuantOptions) -> [Float] {
        var weightMaxima = [Float](repeating: 0, count: activationMaxima.count)
        for weight in weights {
            let values = weight.floats(), columns = weight.shape[1]
            for index in values.indices { weightMaxima[index % columns] = max(weightMaxima[index % columns], abs(values[index])) }
        }
        return zip(activationMaxima, weightMaxima).map { activation, weight in
            max(options.scaleClampMin, pow(activation, options.alpha) / pow(max(weight, 1e-5), 1 - options.alpha))
        }
    }

    /// Smooths layer `index` of `model` in place from the calibration windows' inputs `hidden` to it.
    /// - Returns: per target slot, the smallest and largest scale its columns were multiplied by.
    func smoothLayer(_ model: inout LlamaModel, index: Int, hidden: [Tensor]) -> [Int: ClosedRange<Float>] {
        let configuration = model.configuration
        let pairs = plan.smoothingPairs(for: configuration, sharingHeadGroupScales: true)
        let paths = LlamaLayer.linearKeyPaths
        var probe = model
        var collectors: [Int: ChannelRangeCollector] = [:]
        for pair in pairs {
            let first = pair.targets[0], linear = model.layers[index][keyPath: paths[first]]
            let collector = ChannelRangeCollector(features: linear.inFeatures, next: linear.inputQuantizer)
            probe.layers[index][keyPath: paths[first]].inputQuantizer = collector
            collectors[first] = collector
        }
        for window in hidden {
            var copy = window
            probe.forwardLayer(index, hidden: &copy, cache: probe.makeCache(capacity: copy.shape[0]))
        }
        var ranges: [Int: ClosedRange<Float>] = [:]
        for pair in pairs {
            let targets = pair.targets.map { model.layers[index][keyPath: paths[$0]].weight }
            var scales = Self.scales(activationMaxima: collectors[pair.targets[0]]!.magnitudeMaxima, weights: targets, options: options)
            Self.fold(&scales, pair: pair, into: &model.layers[index], configuration: configuration)
            for target in pair.targets { ranges[target] = (scales.min() ?? 1)...(scales.max() ?? 1) }
        }
        return ranges
    }

    /// Divides the source by `scales` and multiplies the targets' columns by them. For v → o under
    /// grouped-query attention one v row feeds the same column of every query head in its group, so
    /// the scales are first made equal across the group (their max, as amd-quark does) and v's rows
    /// take the group's scale.
    static func fold(_ scales: inout [Float], pair: QuantizationPlan.SmoothingPair, into layer: inout LlamaLayer,
                     configuration: LlamaConfiguration) {
        let paths = LlamaLayer.linearKeyPaths
        switch pair.source {
        case .inputNorm:
            layer.inputNorm = divided(layer.inputNorm, by: scales)
        case .postAttentionNorm:
            layer.postAttentionNorm = divided(layer.postAttentionNorm, by: scales)
        case let .linear(slot):
            var source = layer[keyPath: paths[slot]]
            var rowScales = scales
            if source.outFeatures != scales.count {
                let headDimension = configuration.headDimension
                let repeats = configuration.headCount / configuration.keyValueHeadCount
                rowScales = []
                for group in 0..<configuration.keyValueHeadCount {
                    for offset in 0..<headDimension {
                        let shared = (0..<repeats).map { scales[((group * repeats) + $0) * headDimension + offset] }.max()!
                        rowScales.append(shared)
                        for head in 0..<repeats { scales[((group * repeats) + head) * headDimension + offset] = shared }
                    }
                }
            }
            source.weight = dividedRows(source.weight, by: rowScales)
            if let bias = source.bias { source.bias = divided(bias, by: rowScales) }
            layer[keyPath: paths[slot]] = source
        }
        for target in pair.targets {
            layer[keyPath: paths[target]].weight = scaledColumns(layer[keyPath: paths[target]].weight, by: scales)
        }
    }

    /// [n] / [n], in float32.
    static func divided(_ vector: Tensor, by scales: [Float]) -> Tensor {
        Tensor(shape: vector.shape, floats: zip(vector.floats(), scales).map { $0 / $1 })
    }

    /// weight [out, in] with row r divided by scales[r] (a division, as amd-quark's `div_`).
    static func dividedRows(_ weight: Tensor, by scales: [Float]) -> Tensor {
        let columns = weight.shape[1]
        var values = weight.floats()
        for index in values.indices { values[index] /= scales[index / columns] }
        return Tensor(shape: weight.shape, floats: values)
    }

    /// weight [out, in] with column c multiplied by factors[c].
    static func scaledColumns(_ weight: Tensor, by factors: [Float]) -> Tensor {
        let columns = weight.shape[1]
        var values = weight.floats()
        for index in values.indices { values[index] *= factors[index % columns] }
        return Tensor(shape: weight.shape, floats: values)
    }
}
