import Foundation
import Testing
import Models
@testable import Quantization
import Tensors
import TestSupport

/// AWQ's scale search: its statistics on hand-worked examples, and on tiny models a scaled layer
/// that computes the same function and, quantized, errs no more than plain RTN.
struct AWQSearchTests {
    static let int4 = QuantSpec(format: .int4, granularity: .perGroup(size: 16))
    static let uint4 = QuantSpec(format: .uint4, granularity: .perGroup(size: 16), symmetric: false)

    @Test func weightStatisticNormalizesEachGroupByItsMax() {
        // Row 0: groups [1, -2] (max 2) and [0, 4] (max 4) → 0.5, 1, 0, 1; row 1: [2, 2], [1, 1] → all 1.
        let weight = Tensor(shape: [2, 4], floats: [1, -2, 0, 4, 2, 2, 1, 1])
        let means = AWQ.normalizedWeightMeans([weight], granularity: .perGroup(size: 2))
        for (value, expected) in zip(means, [Float(0.75), 1, 0.5, 1]) { #expect(abs(value - expected) < 1e-5) }
        // Per channel the whole row is one group (max 4 for row 0, 2 for row 1).
        let rows = AWQ.normalizedWeightMeans([weight], granularity: .perChannel)
        for (value, expected) in zip(rows, [Float(0.625), 0.75, 0.25, 0.75]) { #expect(abs(value - expected) < 1e-5) }
        // Two targets count as one matrix of their stacked rows.
        let stacked = AWQ.normalizedWeightMeans([weight, weight], granularity: .perGroup(size: 2))
        for (value, expected) in zip(stacked, [Float(0.75), 1, 0.5, 1]) { #expect(abs(value - expected) < 1e-5) }
    }

    @Test func candidateIsDuoScalingNormalizedBySquareRootOfMaxTimesMin() {
        // r = 0.5: sqrt([1, 4]) / (sqrt([1, 0.25]) + 1e-4) ≈ [1, 4]; normalized by sqrt(4) → [0.5, 2].
        let half = AWQ.candidateScales(activationMeans: [1, 4], weightMeans: [1, 0.25], ratio: 0.5)
        for (value, expected) in zip(half, [Float(0.5), 2]) { #expect(abs(value - expected) < 1e-3) }
        // r = 0 is 1 / w̄ (not the identity): [1, 4] → [0.5, 2].
        let zero = AWQ.candidateScales(activationMeans: [1, 4], weightMeans: [1, 0.25], ratio: 0)
        for (value, expected) in zip(zero, [Float(0.5), 2]) { #expect(abs(value - expected) < 1e-3) }
        // A dead channel is clamped at 1e-4 before normalizing, so nothing is zero or infinite.
        let dead = AWQ.candidateScales(activationMeans: [0, 1], weightMeans: [1, 1], ratio: 0.9)
        #expect(dead.allSatisfy { $0.isFinite && $0 > 0 })
    }

    /// The models: amd-quark's tiny golden models (outlier channels; grouped-query and multi-head
    /// attention) with their calibration windows, and the random tiny model with made-up windows.
    static func model(_ name: String) throws -> (LlamaModel, [[Int]]) {
        if name == "tiny" {
            let model = try TinyModelFactory.model()
            return (model, (0..<4).map { window in (0..<12).map { (window * 7 + $0 * 3) % 20 } })
        }
        let (model, _, calibration) = try SmoothQuantGoldenTests.load(name)
        return (model, calibration)
    }

    /// Every layer's float inputs, as ModelQuantizer feeds them (float outputs propagate).
    static func layerInputs(_ model: LlamaModel, calibration: [[Int]]) throws -> [[Tensor]] {
        var hidden = try calibration.map { try model.embed($0) }
        var inputs: [[Tensor]] = []
        for index in model.layers.indices {
            inputs.append(hidden)
            for window in hidden.indices { model.forwardLayer(index, hidden: &hidden[window], cache: model.makeCache(capacity: hidden[window].shape[0])) }
        }
        return inputs
    }

    /// The layer's output MSE against `reference` with every linear's weight round-to-nearest quantized.
    static func quantizedLoss(_ model: LlamaModel, index: Int, spec: QuantSpec, hidden: [Tensor], reference: [Tensor]) throws -> Double {
        var quantized = model
        for path in LlamaLayer.linearKeyPaths {
            quantized.layers[index][keyPath: path].weight = try ModelQuantizer.quantizeWeight(
                model.layers[index][keyPath: path].weight, spec: spec, name: "test").0
        }
        var total = 0.0, count = 0
        for (window, expected) in zip(hidden, reference) {
            var output = window
            quantized.forwardLayer(index, hidden: &output, cache: quantized.makeCache(capacity: output.shape[0]))
            for (ours, theirs) in zip(output.floats(), expected.floats()) { total += Double(ours - theirs) * Double(ours - theirs) }
            count += output.count
        }
        return total / Double(count)
    }

    /// The int4 spec the searches use on `name` (groups of 8 on the random tiny model, whose MLP is
    /// 24 wide), and that spec for every linear slot.
    static func specs(_ name: String) -> (QuantSpec, [Int: QuantSpec]) {
        let spec = name == "tiny" ? QuantSpec(format: .int4, granularity: .perGroup(size: 8)) : int4
        return (spec, Dictionary(uniqueKeysWithValues: LlamaLayer.linearNames.indices.map { ($0, spec) }))
    }

    /// A scaled model computes the float model's logits (within 1e-4 of the largest).
    static func expectSameFunction(_ model: LlamaModel, _ scaled: LlamaModel, _ name: String) throws {
        let tokens = [3, 14, 15, 12, 6, 5, 9, 7]
        let before = try model.forward(tokens: tokens, cache: model.makeCache()).floats()
        let after = try scaled.forward(tokens: tokens, cache: scaled.makeCache()).floats()
        let largest = before.map(abs).max()!
        #expect(zip(before, after).map { abs($0 - $1) }.max()! <= 1e-4 * largest, "\(name): scaling must keep the float function")
    }

    @Test(arguments: ["gqa_alpha050", "mha_alpha050", "tiny"])
    func layerObjectiveKeepsTheFunctionAndNeverLosesToRTN(name: String) throws {
        let (model, calibration) = try Self.model(name)
        let inputs = try Self.layerInputs(model, calibration: calibration)
        let (spec, specs) = Self.specs(name)
        let search = AWQ(options: AWQOptions(searchWindows: calibration.count, objective: .layer))
        var scaled = model
        var keptAny = false
        for index in model.layers.indices {
            let hidden = inputs[index]
            let reference = hidden.map { window in
                var output = window
                model.forwardLayer(index, hidden: &output, cache: model.makeCache(capacity: output.shape[0]))
                return output
            }
            let choices = try search.scaleLayer(&scaled, index: index, hidden: hidden, specs: specs)
            #expect(Set(choices.keys) == Set(0..<7), "\(name): every pair is searched, v → o included under GQA")
            keptAny = keptAny || choices.values.contains { $0.ratio != nil }
            let rtn = try Self.quantizedLoss(model, index: index, spec: spec, hidden: hidden, reference: reference)
            let awq = try Self.quantizedLoss(scaled, index: index, spec: spec, hidden: hidden, reference: reference)
            #expect(awq <= rtn * (1 + 1e-6), "\(name) layer \(index): AWQ \(awq) vs RTN \(rtn)")
            // The reported loss of the last pair is the whole quantized layer's, measured here independently.
            let last = choices[6]!.loss
            #expect(abs(last - awq) <= 1e-4 * max(awq, 1e-12), "\(name) layer \(index): reported \(last), measured \(awq)")
            #expect(choices.values.allSatisfy { $0.loss <= $0.identityLoss })
        }
        if name != "tiny" { #expect(keptAny, "\(name): the outlier channels should make some pair keep a scaling") }
        try Self.expectSameFunction(model, scaled, name)
    }

    @Test func modelQuantizerRunsAWQAloneWithRTNAndWithGPTQ() throws {
        let (model, calibration) = try Self.model("gqa_alpha050")
        for algorithms: [AlgorithmName] in [[.awq], [.awq, .rtn], [.awq, .gptq]] {
            for spec in [Self.int4, Self.uint4] {
                let config = QuantConfig(global: LayerQuantSpec(weight: spec), algorithms: algorithms)
                let quantized = try ModelQuantizer(config: config).quantize(model, calibration: calibration, errorWindows: 1)
                #expect(quantized.report.count == 14)
                #expect(quantized.report.allSatisfy { $0.scaleSearchLoss != nil && $0.smoothingScales != nil })
                // Clipping runs with round-to-nearest, never with GPTQ, and skips q_proj and k_proj.
                let clipped = quantized.report.filter { $0.clippedGroups != nil }.map(\.name)
                if algorithms.contains(.gptq) { #expect(clipped.isEmpty) } else {
                    #expect(clipped.count == 10)
                    #expect(!clipped.contains { $0.hasSuffix("q_proj") || $0.hasSuffix("k_proj") })
                }
                let logits = try quantized.model.forward(tokens: calibration[0], cache: quantized.model.makeCache()).floats()
                #expect(logits.allSatisfy { $0.isFinite })
            }
        }
        let mixed = QuantConfig(global: LayerQuantSpec(weight: Self.int4), algorithms: [.awq, .smoothquant, .rtn])
        #expect(throws: QuantizationError.unsupported(feature: "awq together with smoothquant or autosmoothquant (each scales the same pairs; give one)", source: "quantize")) {
            try ModelQuantizer(config: mixed).quantize(model, calibration: calibration)
        }
        let awq = QuantConfig(global: LayerQuantSpec(weight: Self.int4), algorithms: [.awq])
        #expect(throws: QuantizationError.self) {
            try ModelQuantizer(config: awq, awqOptions: AWQOptions(searchWindows: 0)).quantize(model, calibration: calibration)
        }
        #expect(ModelQuantizer(config: awq).needsCalibration(layerCount: 2))
    }

    @Test func quarkAlgoConfigRoundTrip() throws {
        let config = QuantConfig(global: LayerQuantSpec(weight: Self.uint4), algorithms: [.awq, .rtn])
        let written = config.quarkDictionary()
        let entries = try #require(written["algo_config"] as? [[String: Any]])
        // amd-quark 0.13's AWQConfig fields are name, scaling_layers and model_decoder_layers, nothing else.
        #expect(entries.count == 1)
        #expect(Set(entries[0].keys) == ["name", "scaling_layers", "model_decoder_layers"])
        #expect(entries[0]["name"] as? String == "awq")
        #expect(entries[0]["model_decoder_layers"] as? String == "model.layers")
        let layers = try #require(entries[0]["scaling_layers"] as? [[String: Any]])
        #expect(layers.map { $0["prev_op"] as? String } == ["input_layernorm", "self_attn.v_proj", "post_attention_layernorm", "mlp.up_proj"])
        let data = try JSONSerialization.data(withJSONObject: written)
        let parsed = try QuantConfig(quark: try JSONSerialization.jsonObject(with: data) as! [String: Any], source: "test")
        #expect(parsed.algorithms == [.awq])
        #expect(parsed.global == config.global)
        // What amd-quark itself writes for llama (its entry, trimmed to what QuantKit reads).
        let quark = try QuantConfig(quark: ["global_quant_config": ["weight": Self.uint4.quarkDictionary()],
                                            "algo_config": [["name": "awq", "model_decoder_layers": "model.layers", "scaling_layers": []]]],
                                    source: "quark")
        #expect(quark.algorithms == [.awq])
    }
}
