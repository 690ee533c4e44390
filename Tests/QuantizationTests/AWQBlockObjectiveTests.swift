import Foundation
import Testing
import Models
@testable import Quantization
import Tensors
import TestSupport

/// AWQ judged block by block (the peers' objective): the losses it reports for o_proj's and
/// down_proj's pairs are what the finished layer computes, measured here through the layer's own
/// forward rather than the search's cached inputs; the float function is kept.
struct AWQBlockObjectiveTests {
    /// Mean squared difference of two equally shaped tensors.
    static func meanSquaredError(_ ours: Tensor, _ theirs: Tensor) -> Double {
        zip(ours.floats(), theirs.floats()).reduce(0.0) { $0 + Double($1.0 - $1.1) * Double($1.0 - $1.1) } / Double(ours.count)
    }

    @Test(arguments: ["gqa_alpha050", "mha_alpha050", "tiny"])
    func reportedBlockLossesAreTheFinishedLayers(name: String) throws {
        let (model, calibration) = try AWQSearchTests.model(name)
        let inputs = try AWQSearchTests.layerInputs(model, calibration: calibration)
        let (spec, specs) = AWQSearchTests.specs(name)
        let search = AWQ(options: AWQOptions(searchWindows: calibration.count, objective: .block))
        var scaled = model
        var keptAny = false
        for index in model.layers.indices {
            let hidden = inputs[index]
            let choices = try search.scaleLayer(&scaled, index: index, hidden: hidden, specs: specs)
            #expect(Set(choices.keys) == Set(0..<7), "\(name): every pair is searched, v → o included under GQA")
            #expect(choices.values.allSatisfy { $0.loss <= $0.identityLoss }, "\(name): a kept scaling lowers its block's loss")
            keptAny = keptAny || choices.values.contains { $0.ratio != nil }
            let layer = scaled.layers[index]
            let float = model.layers[index]
            var withQuantizedOutput = layer, withQuantizedDown = layer
            withQuantizedOutput.outputProjection.weight = try ModelQuantizer.quantizeWeight(layer.outputProjection.weight, spec: spec, name: "o").0
            withQuantizedDown.downProjection.weight = try ModelQuantizer.quantizeWeight(layer.downProjection.weight, spec: spec, name: "down").0
            var outputLoss = 0.0, downLoss = 0.0
            for window in hidden {
                // o_proj's pair: the scaled layer's own attention (v's rows divided), quantized o_proj,
                // against the float layer's o_proj output.
                let expected = float.outputProjection(model.attentionMix(of: float, hidden: window))
                outputLoss += Self.meanSquaredError(withQuantizedOutput.outputProjection(scaled.attentionMix(of: layer, hidden: window)), expected)
                // down_proj's pair: the whole layer with only down_proj quantized differs from the float
                // layer by down_proj's output error alone, down_proj being the layer's last step.
                var ours = window, theirs = window
                var onlyDown = scaled
                onlyDown.layers[index] = withQuantizedDown
                onlyDown.forwardLayer(index, hidden: &ours, cache: onlyDown.makeCache(capacity: window.shape[0]))
                model.forwardLayer(index, hidden: &theirs, cache: model.makeCache(capacity: window.shape[0]))
                downLoss += Self.meanSquaredError(ours, theirs)
            }
            outputLoss /= Double(hidden.count)
            downLoss /= Double(hidden.count)
            let (reportedOutput, reportedDown) = (choices[3]!.loss, choices[6]!.loss)
            #expect(abs(reportedOutput - outputLoss) <= 1e-3 * max(outputLoss, 1e-12), "\(name) layer \(index): o_proj reported \(reportedOutput), measured \(outputLoss)")
            #expect(abs(reportedDown - downLoss) <= 1e-3 * max(downLoss, 1e-12), "\(name) layer \(index): down_proj reported \(reportedDown), measured \(downLoss)")
        }
        if name != "tiny" { #expect(keptAny, "\(name): the outlier channels should make some pair keep a scaling") }
        try AWQSearchTests.expectSameFunction(model, scaled, name)
    }
}
