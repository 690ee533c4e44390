import Foundation
import Testing
import Formats
import Models
@testable import Quantization
import Tensors

/// QuantKit's SmoothQuant against amd-quark 0.13's on tiny Llama models
/// (Scripts/fixtures/make_smoothquant_goldens.py): the smoothed norm and linear weights, layer by
/// layer, with the calibration windows advancing through the float layers as in Quark.
struct SmoothQuantGoldenTests {
    static let directory = Bundle.module.resourceURL!.appendingPathComponent("Fixtures/smoothquant")

    static func load(_ name: String) throws -> (model: LlamaModel, expected: SafetensorsFile, calibration: [[Int]]) {
        let folder = directory.appendingPathComponent(name)
        let configurationURL = folder.appendingPathComponent("config.json")
        let configuration = try LlamaConfiguration(HFConfiguration(url: configurationURL), source: configurationURL.path)
        let model = try LlamaModel(configuration: configuration, weights: SafetensorsCheckpoint(directory: folder))
        let expected = try SafetensorsFile(url: folder.appendingPathComponent("smoothed.safetensors"))
        let ids = try expected.tensor(named: "input_ids")
        let flat = ids.toFloat32().floats().map { Int($0) }
        let width = ids.shape[1]
        return (model, expected, stride(from: 0, to: flat.count, by: width).map { Array(flat[$0..<($0 + width)]) })
    }

    /// Smooths every layer as ModelQuantizer does: statistics from the float inputs of the layer.
    static func smoothed(_ model: LlamaModel, calibration: [[Int]], alpha: Float) throws -> LlamaModel {
        var model = model
        var hidden = try calibration.map { try model.embed($0) }
        for index in model.layers.indices {
            _ = SmoothQuant(options: SmoothQuantOptions(alpha: alpha)).smoothLayer(&model, index: index, hidden: hidden)
            for window in hidden.indices {
                model.forwardLayer(index, hidden: &hidden[window], cache: model.makeCache(capacity: hidden[window].shape[0]))
            }
        }
        return model
    }

    @Test(arguments: [("gqa_alpha050", Float(0.5)), ("mha_alpha050", 0.5), ("gqa_alpha100", 1.0)])
    func smoothedWeightsEqualQuarks(name: String, alpha: Float) throws {
        let (model, expected, calibration) = try Self.load(name)
        let ours = try Self.smoothed(model, calibration: calibration, alpha: alpha)
        var compared = 0
        for (index, layer) in ours.layers.enumerated() {
            let prefix = "model.layers.\(index)."
            var tensors = ["input_layernorm.weight": layer.inputNorm, "post_attention_layernorm.weight": layer.postAttentionNorm]
            for (linearName, path) in zip(LlamaLayer.linearNames, LlamaLayer.linearKeyPaths) {
                tensors[linearName + ".weight"] = layer[keyPath: path].weight
            }
            for (key, tensor) in tensors {
                let reference = try expected.tensor(named: prefix + key).toFloat32().floats()
                let values = tensor.floats()
                let largest = reference.map(abs).max()!
                let difference = zip(values, reference).map { abs($0 - $1) }.max()!
                // The activation maxima come from QuantKit's forward, which sums in another order
                // than torch: a few ulps of the largest value, never a different scale.
                #expect(difference <= 1e-5 * largest, "\(name) \(prefix + key): max |Δ| \(difference) of \(largest)")
                compared += 1
            }
        }
        #expect(compared == 18)
    }

    /// Smoothing changes no output: the smoothed model's logits equal the float model's.
    @Test(arguments: ["gqa_alpha050", "mha_alpha050", "gqa_alpha100"])
    func smoothingPreservesTheFunction(name: String) throws {
        let (model, _, calibration) = try Self.load(name)
        let ours = try Self.smoothed(model, calibration: calibration, alpha: name.hasSuffix("100") ? 1 : 0.5)
        let tokens = [3, 14, 15, 92, 65, 35, 89, 79]
        let before = try model.forward(tokens: tokens, cache: model.makeCache()).floats()
        let after = try ours.forward(tokens: tokens, cache: ours.makeCache()).floats()
        let largest = before.map(abs).max()!
        #expect(zip(before, after).map { abs($0 - $1) }.max()! <= 1e-4 * largest)
    }

    /// For alpha 0.5 and a single target (up → down), the smoothed activation and weight maxima of
    /// every channel are equal (ALGORITHMS.md A3), up to the clamp.
    @Test func halfAlphaBalancesActivationAndWeightMaxima() {
        let activation: [Float] = [4, 0.25, 100, 1]
        let weight = Tensor(shape: [2, 4], floats: [0.5, -0.1, 0.02, 1, -0.25, 0.3, -0.01, 0.5])
        let scales = SmoothQuant.scales(activationMaxima: activation, weights: [weight], options: SmoothQuantOptions(alpha: 0.5))
        let smoothedWeight = SmoothQuant.scaledColumns(weight, by: scales).floats()
        for column in 0..<4 {
            let weightMax = max(abs(smoothedWeight[column]), abs(smoothedWeight[4 + column]))
            #expect(abs(activation[column] / scales[column] - weightMax) <= 1e-6 * weightMax)
        }
    }
}

/// Quark's `algo_config` names SmoothQuant `smooth` and carries its alpha (default 1 there).
struct SmoothQuantConfigTests {
    static var global: [String: Any] { ["weight": ["dtype": "int8", "qscheme": "per_tensor", "symmetric": true, "is_dynamic": false] as [String: Any]] }

    @Test func quarkAlgoConfigCarriesAlpha() throws {
        let parsed = try QuantConfig(quark: ["global_quant_config": Self.global,
                                             "algo_config": [["name": "smooth", "alpha": 0.75, "scale_clamp_min": 0.01]]], source: "test")
        #expect(parsed.algorithms == [.smoothquant])
        #expect(parsed.smoothQuant == SmoothQuantOptions(alpha: 0.75, scaleClampMin: 0.01))
        let written = parsed.quarkDictionary()["algo_config"] as? [[String: Any]]
        #expect(written?.first?["name"] as? String == "smooth")
        #expect(written?.first?["alpha"] as? Double == 0.75)
        // RTN is no Quark algorithm: amd-quark's loader refuses an algo_config entry named rtn.
        var withRTN = parsed
        withRTN.algorithms = [.smoothquant, .rtn]
        #expect((withRTN.quarkDictionary()["algo_config"] as? [[String: Any]])?.map { $0["name"] as? String } == ["smooth"])
        withRTN.algorithms = [.rtn]
        #expect(withRTN.quarkDictionary()["algo_config"] is NSNull)
        let quarkDefault = try QuantConfig(quark: ["global_quant_config": Self.global, "algo_config": [["name": "smooth"]]], source: "test")
        #expect(quarkDefault.smoothQuant.alpha == 1)
    }

    @Test func badAlphaNamesTheKey() {
        #expect(throws: QuantizationError.self) {
            try QuantConfig(quark: ["global_quant_config": Self.global, "algo_config": [["name": "smooth", "alpha": "high"]]], source: "test")
        }
        #expect(throws: QuantizationError.self) {
            try QuantConfig(quark: ["global_quant_config": Self.global, "algo_config": [["name": "smoothing"]]], source: "test")
        }
    }
}

/// AutoSmoothQuant's search on the tiny golden models, judged by block (amd-quark's way) and by the
/// whole layer: it keeps the function, and its choice is never worse than no smoothing (ratio 0 is
/// a candidate: all scales 1).
struct AutoSmoothQuantTests {
    static let w8a8 = LayerQuantSpec(weight: QuantSpec(format: .int8), input: QuantSpec(format: .int8))

    @Test(arguments: ["gqa_alpha050", "mha_alpha050"], SearchObjective.allCases)
    func searchKeepsTheFunctionAndBeatsNoSmoothing(name: String, objective: SearchObjective) throws {
        let (model, _, calibration) = try SmoothQuantGoldenTests.load(name)
        var smoothed = model
        let hidden = try calibration.map { try model.embed($0) }
        let specs = Dictionary(uniqueKeysWithValues: LlamaLayer.linearNames.indices.map { ($0, Self.w8a8) })
        let search = AutoSmoothQuant(options: AutoSmoothQuantOptions(objective: objective))
        let choices = try search.smoothLayer(&smoothed, index: 0, hidden: hidden, specs: specs)
        #expect(Set(choices.keys) == Set(0..<7))
        let tokens = [3, 14, 15, 92, 65, 35, 89, 79]
        let before = try model.forward(tokens: tokens, cache: model.makeCache()).floats()
        let after = try smoothed.forward(tokens: tokens, cache: smoothed.makeCache()).floats()
        let largest = before.map(abs).max()!
        #expect(zip(before, after).map { abs($0 - $1) }.max()! <= 1e-4 * largest)
        // Each pair's chosen scales give a loss no larger than the identity's, on the same trial.
        var reference = hidden
        for window in reference.indices { model.forwardLayer(0, hidden: &reference[window], cache: model.makeCache(capacity: 16)) }
        let blocks = objective == .block ? SmoothingBlocks(model: model, layer: model.layers[0], hidden: hidden) : nil
        let pairs = QuantizationPlan.llama.smoothingPairs(for: model.configuration, sharingHeadGroupScales: true)
        for pair in pairs {
            let collector = ChannelRangeCollector(features: model.layers[0][keyPath: LlamaLayer.linearKeyPaths[pair.targets[0]]].inFeatures)
            var probe = model
            probe.layers[0][keyPath: LlamaLayer.linearKeyPaths[pair.targets[0]]].inputQuantizer = collector
            for window in hidden { var copy = window; probe.forwardLayer(0, hidden: &copy, cache: probe.makeCache(capacity: 16)) }
            let (minima, maxima) = collector.ranges
            let ratio = choices[pair.targets[0]]!.ratio
            let scales = AutoSmoothQuant.candidateScales(magnitudes: collector.magnitudeMaxima, ratio: ratio)
            let chosenLoss = try search.trialLoss(model, index: 0, pair: pair, scales: scales, minima: minima, maxima: maxima,
                                                  specs: specs, blocks: blocks, hidden: hidden, reference: reference)
            let identityLoss = try search.trialLoss(model, index: 0, pair: pair, scales: [Float](repeating: 1, count: scales.count),
                                                    minima: minima, maxima: maxima, specs: specs, blocks: blocks, hidden: hidden, reference: reference)
            #expect(chosenLoss <= identityLoss, "\(name) pair \(pair.targets): ratio \(ratio) loss \(chosenLoss) vs identity \(identityLoss)")
        }
        // The outlier channels make some pair prefer real smoothing.
        #expect(choices.values.contains { $0.ratio > 0 })
    }
}
