import Foundation
import Models
import Tensors

/// AWQ's clipping search (AutoAWQ and amd-quark `_compute_best_clip`; ALGORITHMS.md A2): per output
/// row and quantization group, the weights are clamped to ±f·max|w| for f = 1, 1 − 1/grid, …,
/// 1 − (maxShrink·grid − 1)/grid, and the f whose quantized group gives the smallest error on the
/// group's share of the output, mean over tokens of (x_g · (w_g − Q(clamp(w_g))))², is kept. f = 1
/// (no clipping) is a candidate and wins ties, so clipping never raises a group's loss.
///
/// The loss uses the group's input Gram matrix G_g = Xᵀ_g X_g / tokens, so it is dᵀ G_g d for
/// d = w_g − Q(clamp(w_g)): exact for every sampled token at the cost of one small product per step.
struct AWQClipping {
    var grid = 20
    var maxShrink: Float = 0.5

    struct Result {
        /// [out, in] the clamped float weight, to be quantized as usual.
        var weight: Tensor
        /// [out · groups] per (row, group), row-major: the loss without clipping and the kept one.
        var unclippedLosses: [Double]
        var losses: [Double]
        /// How many (row, group) cells were clamped below their max.
        var clippedGroups: Int
    }

    /// The quantization group width of `spec` on a weight with `columns` inputs; nil when clipping
    /// does not apply (per-tensor scales).
    static func groupSize(for spec: QuantSpec, columns: Int) -> Int? {
        switch spec.granularity {
        case let .perGroup(size): return size
        case .perChannel: return columns
        default: return nil
        }
    }

    /// - Parameters:
    ///   - weight: [out, in] the (scaled) float weight.
    ///   - inputs: [tokens, in] sampled inputs of the linear.
    ///   - name: the linear's full name, for errors.
    func search(weight: Tensor, inputs: Tensor, spec: QuantSpec, name: String) throws -> Result? {
        let rows = weight.shape[0], columns = weight.shape[1], tokens = inputs.shape[0]
        guard let group = Self.groupSize(for: spec, columns: columns), tokens > 0 else { return nil }
        guard columns % group == 0 else {
            throw QuantizationError.groupSizeDoesNotDivide(inFeatures: columns, groupSize: group, layer: name)
        }
        let groups = columns / group
        let original = weight.floats()
        let grams = Self.groupGrams(inputs, group: group)
        var amax = [Float](repeating: 0, count: rows * groups)
        for row in 0..<rows {
            for g in 0..<groups {
                let start = row * columns + g * group
                amax[row * groups + g] = original[start..<(start + group)].reduce(Float(0)) { max($0, abs($1)) }
            }
        }
        var bestLosses = [Double](repeating: .infinity, count: rows * groups)
        var bestFactors = [Float](repeating: 1, count: rows * groups)
        var unclipped: [Double] = []
        for step in 0..<Int(maxShrink * Float(grid)) {
            let factor = 1 - Float(step) / Float(grid)
            let clamped = Self.clamp(original, rows: rows, columns: columns, group: group) { amax[$0] * factor }
            let quantized = try ModelQuantizer.quantizeWeight(Tensor(shape: [rows, columns], floats: clamped), spec: spec, name: name).0.floats()
            let difference = zip(original, quantized).map { $0 - $1 }
            let losses = Self.groupLosses(difference, grams: grams, rows: rows, columns: columns, group: group)
            if step == 0 { unclipped = losses }
            for cell in losses.indices where losses[cell] < bestLosses[cell] {
                bestLosses[cell] = losses[cell]
                bestFactors[cell] = factor
            }
        }
        let clipped = Self.clamp(original, rows: rows, columns: columns, group: group) { amax[$0] * bestFactors[$0] }
        return Result(weight: Tensor(shape: [rows, columns], floats: clipped), unclippedLosses: unclipped, losses: bestLosses,
                      clippedGroups: bestFactors.filter { $0 < 1 }.count)
    }

    /// `values` [rows, columns] with each (row, group) cell clamped to ±limit(cell index).
    static func clamp(_ values: [Float], rows: Int, columns: Int, group: Int, limit: (Int) -> Float) -> [Float] {
        var result = values
        let groups = columns / group
        for row in 0..<rows {
            for g in 0..<groups {
                let bound = limit(row * groups + g)
                let start = row * columns + g * group
                for position in start..<(start + group) { result[position] = min(max(result[position], -bound), bound) }
            }
        }
        return result
    }

    /// Per input group, Xᵀ_g X_g / tokens.
    /// - Parameter inputs: [tokens, in]
    /// - Returns: [in / group] matrices, each [group, group] row-major.
    static func groupGrams(_ inputs: Tensor, group: Int) -> [[Float]] {
        let tokens = inputs.shape[0], columns = inputs.shape[1]
        let values = inputs.floats()
        return (0..<(columns / group)).map { g in
            var gram = [Float](repeating: 0, count: group * group)
            values.withUnsafeBufferPointer { x in
                gram.withUnsafeMutableBufferPointer { c in
                    // Xᵀ_g X_g = (X_g)ᵀ · X_g: a [group, tokens] · [tokens, group] product read in place.
                    var transposed = [Float](repeating: 0, count: group * tokens)
                    for t in 0..<tokens { for k in 0..<group { transposed[k * tokens + t] = x[t * columns + g * group + k] } }
                    transposed.withUnsafeBufferPointer { a in
                        matmul(m: group, n: group, k: tokens, alpha: 1 / Float(tokens), a: a.baseAddress!, lda: tokens,
                               b: a.baseAddress!, ldb: tokens, transposeB: true, c: c.baseAddress!, ldc: group)
                    }
                }
            }
            return gram
        }
    }

    /// dᵀ G_g d for every (row, group) of `difference` [rows, columns].
    static func groupLosses(_ difference: [Float], grams: [[Float]], rows: Int, columns: Int, group: Int) -> [Double] {
        let groups = columns / group
        var losses = [Double](repeating: 0, count: rows * groups)
        var product = [Float](repeating: 0, count: rows * group)
        difference.withUnsafeBufferPointer { d in
            for g in 0..<groups {
                grams[g].withUnsafeBufferPointer { gram in
                    product.withUnsafeMutableBufferPointer { p in
                        // [rows, group] (inside the wider difference rows) · G_g [group, group].
                        matmul(m: rows, n: group, k: group, a: d.baseAddress! + g * group, lda: columns,
                               b: gram.baseAddress!, ldb: group, transposeB: false, c: p.baseAddress!, ldc: group)
                    }
                }
                for row in 0..<rows {
                    var total = 0.0
                    for k in 0..<group { total += Double(product[row * group + k]) * Double(d[row * columns + g * group + k]) }
                    losses[row * groups + g] = max(total, 0)
                }
            }
        }
        return losses
    }
}

extension AWQ {
    /// AWQ's clipping on the (already scaled) layer `index`: samples each eligible linear's inputs
    /// (at most 512 rows, spread over the search windows, as AutoAWQ's `n_sample_token`) in one float
    /// pass and clips every linear but q_proj and k_proj (AutoAWQ skips them: their error goes through
    /// the q·k product, which a per-group output loss does not see).
    /// - Returns: per slot, the clipping result (absent: not clipped).
    func clipLayer(_ model: LlamaModel, index: Int, hidden: [Tensor], specs: [Int: QuantSpec]) throws -> [Int: AWQClipping.Result] {
        let paths = LlamaLayer.linearKeyPaths
        let searched = Array(hidden.prefix(max(1, options.searchWindows)))
        let slots = specs.keys.filter { $0 >= 2 }.sorted().filter { slot in
            AWQClipping.groupSize(for: specs[slot]!, columns: model.layers[index][keyPath: paths[slot]].inFeatures) != nil
        }
        guard !slots.isEmpty, !searched.isEmpty else { return [:] }
        var probe = model
        var samplers: [Int: InputSampler] = [:]
        for slot in slots {
            let sampler = InputSampler(next: nil, calls: searched.count, rowsPerCall: max(1, 512 / searched.count))
            probe.layers[index][keyPath: paths[slot]].inputQuantizer = sampler
            samplers[slot] = sampler
        }
        for window in searched {
            var output = window
            probe.forwardLayer(index, hidden: &output, cache: probe.makeCache(capacity: output.shape[0]))
        }
        var results: [Int: AWQClipping.Result] = [:]
        for slot in slots {
            guard let inputs = samplers[slot]!.samples else { continue }
            let name = "model.layers.\(index).\(LlamaLayer.linearNames[slot])"
            results[slot] = try AWQClipping().search(weight: model.layers[index][keyPath: paths[slot]].weight, inputs: inputs,
                                                     spec: specs[slot]!, name: name)
        }
        return results
    }
}
