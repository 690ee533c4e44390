import Foundation
import Models
import Tensors

/// Accumulates the Hessian of the inputs a linear receives (GPTQ's 2/n · Σ xᵀx), passing the
/// values on to `next` unchanged.
final class HessianCollector: ActivationQuantizer, @unchecked Sendable {
    private let lock = NSLock()
    private var accumulated: Hessian
    private let next: (any ActivationQuantizer)?
    private let tokenNormCap: Float?

    /// - Parameter tokenNormCap: see `GPTQOptions.hessianTokenCap` (each forward call is one window).
    init(features: Int, next: (any ActivationQuantizer)?, tokenNormCap: Float? = nil) {
        accumulated = Hessian(features: features)
        self.next = next
        self.tokenNormCap = tokenNormCap
    }

    var hessian: Hessian { lock.withLock { accumulated } }

    func apply(_ values: UnsafeMutableBufferPointer<Float>, rows: Int, columns: Int) {
        lock.withLock { accumulated.add(UnsafeBufferPointer(values), tokens: rows, tokenNormCap: tokenNormCap) }
        next?.apply(values, rows: rows, columns: columns)
    }
}

/// GPTQ over one decoder layer. True-sequential (ALGORITHMS.md; the default): each group of the plan
/// gets its Hessian from a forward of the layer over every calibration window in which the earlier
/// groups are already quantized, so o_proj sees what the quantized q/k/v produce. With
/// `options.trueSequential` off, one forward of the float layer gives every group's Hessian.
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
        let groups = plan.sequentialGroups.map { $0.filter { specs[$0] != nil } }.filter { !$0.isEmpty }
        var start = Date()
        var hessians = options.trueSequential ? [:] : hessians(of: working, index: index, hidden: hidden, slots: groups.map { $0[0] })
        for members in groups {
            let first = members[0]
            if options.trueSequential {
                hessians = self.hessians(of: working, index: index, hidden: hidden, slots: [first])
            }
            let hessian = hessians[first]!
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

    /// The Hessians of the inputs the linears in `slots` receive, from one forward of layer `index` over
    /// every window (slots of one group share an input, so one member stands for its group).
    func hessians(of model: LlamaModel, index: Int, hidden: [Tensor], slots: [Int]) -> [Int: Hessian] {
        let paths = LlamaLayer.linearKeyPaths
        var probe = model
        var collectors: [Int: HessianCollector] = [:]
        for slot in slots {
            let linear = model.layers[index][keyPath: paths[slot]]
            let collector = HessianCollector(features: linear.inFeatures, next: linear.inputQuantizer,
                                             tokenNormCap: options.hessianTokenCap)
            probe.layers[index][keyPath: paths[slot]].inputQuantizer = collector
            collectors[slot] = collector
        }
        for window in hidden {
            var copy = window
            probe.forwardLayer(index, hidden: &copy, cache: probe.makeCache(capacity: copy.shape[0]))
        }
        return collectors.mapValues(\.hessian)
    }
}
