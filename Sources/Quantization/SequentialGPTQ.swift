import Foundation
import Models
import Tensors

/// Accumulates the Hessian of the inputs a linear receives (GPTQ's 2/n · Σ xᵀx), passing the
/// values on to `next` unchanged.
final class HessianCollector: ActivationQuantizer, @unchecked Sendable {
    private let lock = NSLock()
    private var accumulated: Hessian
    private let next: (any ActivationQuantizer)?

    init(features: Int, next: (any ActivationQuantizer)?) {
        accumulated = Hessian(features: features)
        self.next = next
    }

    var hessian: Hessian { lock.withLock { accumulated } }

    func apply(_ values: UnsafeMutableBufferPointer<Float>, rows: Int, columns: Int) {
        lock.withLock { accumulated.add(UnsafeBufferPointer(values), tokens: rows) }
        next?.apply(values, rows: rows, columns: columns)
    }
}

/// GPTQ over one decoder layer, true-sequential (ALGORITHMS.md): each group of the plan gets its
/// Hessian from a forward of the layer over every calibration window in which the earlier groups are
/// already quantized, so o_proj sees what the quantized q/k/v produce.
struct SequentialGPTQ {
    var plan: QuantizationPlan = .llama
    var options: GPTQOptions

    /// - Parameters:
    ///   - model: the model whose layer `index` is quantized (earlier layers already are).
    ///   - hidden: the calibration windows' inputs to layer `index`.
    ///   - specs: the weight spec of every slot to quantize (absent slots stay float).
    /// - Returns: layer `index` with dequantized GPTQ weights, and per slot the result and the
    ///   seconds it took (its group's Hessian pass included).
    func quantizeLayer(_ model: LlamaModel, index: Int, hidden: [Tensor], specs: [Int: QuantSpec])
        throws -> (LlamaLayer, [Int: (result: GPTQResult, seconds: Double)]) {
        var working = model
        let paths = LlamaLayer.linearKeyPaths
        var results: [Int: (result: GPTQResult, seconds: Double)] = [:]
        for group in plan.sequentialGroups {
            var start = Date()
            let members = group.filter { specs[$0] != nil }
            guard let first = members.first else { continue }
            let original = working.layers[index][keyPath: paths[first]]
            let collector = HessianCollector(features: original.inFeatures, next: original.inputQuantizer)
            var probe = working
            probe.layers[index][keyPath: paths[first]].inputQuantizer = collector
            for window in hidden {
                var copy = window
                probe.forwardLayer(index, hidden: &copy, cache: probe.makeCache(capacity: copy.shape[0]))
            }
            let hessian = collector.hessian
            for slot in members {
                let name = "model.layers.\(index).\(LlamaLayer.linearNames[slot])"
                let linear = working.layers[index][keyPath: paths[slot]]
                let result = try GPTQ.quantize(weight: linear.weight, hessian: hessian, spec: specs[slot]!, options: options, layer: name)
                // A copy keeps the bias, quantizers and any online input transform.
                var replaced = linear
                replaced.weight = Tensor(shape: linear.weight.shape, floats: result.dequantized)
                working.layers[index][keyPath: paths[slot]] = replaced
                results[slot] = (result, Date().timeIntervalSince(start))
                start = Date()
            }
        }
        return (working.layers[index], results)
    }
}
