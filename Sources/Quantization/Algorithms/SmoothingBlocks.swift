import Foundation
import Models
import Tensors

/// The blocks a smoothing search judges its candidates on (`SearchObjective.block`), as AutoAWQ,
/// llm-compressor and amd-quark judge AWQ and AutoSmoothQuant: each smoothing pair on the output of
/// the block its targets feed, with only those targets quantized and the rest of the layer float.
///
/// | pair | judged on | recomputed per candidate |
/// |---|---|---|
/// | input norm → q/k/v | o_proj's output | norm, q/k/v, attention, o_proj |
/// | v → o | o_proj's output | o_proj on the cached attention mix / s |
/// | post-attention norm → gate/up | down_proj's output | norm, gate/up, down_proj |
/// | up → down | down_proj's output | down_proj on the cached activation / s |
///
/// A candidate costs about a third of a layer pass on average where the layer objective costs a
/// whole one, and the two linear-sourced pairs reuse the float layer's cached inputs: dividing a
/// source's rows by s divides its output columns by s exactly, attention being linear in v.
struct SmoothingBlocks {
    /// What the float layer computes on one search window, every block's input and output.
    struct Window {
        /// [tokens, hidden] the layer's input (the attention block's).
        var hidden: Tensor
        /// [tokens, heads·headDim] o_proj's input.
        var mix: Tensor
        /// [tokens, hidden] o_proj's output.
        var attentionOutput: Tensor
        /// [tokens, hidden] the residual after attention (the MLP block's input).
        var residual: Tensor
        /// [tokens, intermediate] down_proj's input.
        var activation: Tensor
        /// [tokens, hidden] down_proj's output.
        var mlpOutput: Tensor
    }

    let model: LlamaModel
    let windows: [Window]

    /// Runs the float `layer` of `model` over `hidden` (the search windows), keeping every block's
    /// input and output.
    init(model: LlamaModel, layer: LlamaLayer, hidden: [Tensor]) {
        self.model = model
        windows = hidden.map { input in
            let mix = model.attentionMix(of: layer, hidden: input)
            let attentionOutput = layer.outputProjection(mix)
            var residual = input
            residual.withUnsafeMutableBufferPointer(as: Float.self) { r in
                attentionOutput.withUnsafeBufferPointer(as: Float.self) { a in addInPlace(a.baseAddress!, into: r.baseAddress!, count: r.count) }
            }
            let activation = model.mlpActivation(of: layer, hidden: residual)
            return Window(hidden: input, mix: mix, attentionOutput: attentionOutput, residual: residual,
                          activation: activation, mlpOutput: layer.downProjection(activation))
        }
    }

    /// Mean squared error, over the search windows, of the block `pair` feeds when `layer` (the
    /// float layer with a candidate's scales folded in and its targets prepared as the candidate
    /// quantizes them: weights, input quantizers) runs it. `scales` are the candidate's as
    /// `SmoothQuant.fold` left them, one per target input column.
    func loss(pair: QuantizationPlan.SmoothingPair, layer: LlamaLayer, scales: [Float]) -> Double {
        var total = 0.0, count = 0
        for window in windows {
            let output: Tensor, expected: Tensor
            switch pair.source {
            case .inputNorm:
                output = layer.outputProjection(model.attentionMix(of: layer, hidden: window.hidden))
                expected = window.attentionOutput
            case .postAttentionNorm:
                output = layer.downProjection(model.mlpActivation(of: layer, hidden: window.residual))
                expected = window.mlpOutput
            case .linear:
                let target = layer[keyPath: LlamaLayer.linearKeyPaths[pair.targets[0]]]
                let (input, reference) = Self.cachedBlock(ofTarget: pair.targets[0])!
                output = target(Self.dividedColumns(window[keyPath: input], by: scales))
                expected = window[keyPath: reference]
            }
            output.withUnsafeBufferPointer(as: Float.self) { ours in
                expected.withUnsafeBufferPointer(as: Float.self) { theirs in
                    var sum = 0.0
                    for position in 0..<ours.count {
                        let difference = Double(ours[position] - theirs[position])
                        sum += difference * difference
                    }
                    total += sum
                    count += ours.count
                }
            }
        }
        return total / Double(max(count, 1))
    }

    /// Where a linear-sourced pair's single target finds its float input and output in a `Window`:
    /// o_proj (slot 3) and down_proj (slot 6); nil for any other target.
    static func cachedBlock(ofTarget slot: Int) -> (input: KeyPath<Window, Tensor>, output: KeyPath<Window, Tensor>)? {
        switch slot {
        case 3: (\.mix, \.attentionOutput)
        case 6: (\.activation, \.mlpOutput)
        default: nil
        }
    }

    /// Whether `pair` has a block this search can judge it on.
    static func judges(_ pair: QuantizationPlan.SmoothingPair) -> Bool {
        switch pair.source {
        case .inputNorm: pair.targets.allSatisfy { $0 < 3 }
        case .postAttentionNorm: pair.targets.allSatisfy { $0 == 4 || $0 == 5 }
        case .linear: pair.targets.count == 1 && cachedBlock(ofTarget: pair.targets[0]) != nil
        }
    }

    /// Throws unless every pair has a block to be judged on.
    static func requireJudged(_ pairs: [QuantizationPlan.SmoothingPair], algorithm: String) throws(QuantizationError) {
        guard let unjudged = pairs.first(where: { !judges($0) }) else { return }
        let targets = unjudged.targets.map { LlamaLayer.linearNames[$0] }.joined(separator: ", ")
        throw .unsupported(feature: "\(algorithm) judged by block for the smoothing pair into \(targets) (no block is defined for it; use the layer objective)", source: "quantize")
    }

    /// `values` [rows, columns] with column c divided by scales[c].
    static func dividedColumns(_ values: Tensor, by scales: [Float]) -> Tensor {
        let columns = values.shape[1]
        var result = values
        result.withUnsafeMutableBufferPointer(as: Float.self) { v in
            for row in 0..<values.shape[0] {
                for column in 0..<columns { v[row * columns + column] /= scales[column] }
            }
        }
        return result
    }
}
