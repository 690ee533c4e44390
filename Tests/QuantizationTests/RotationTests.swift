import Testing
import TestSupport
import Models
@testable import Quantization
import Tensors

/// The fused rotation preserves the float model's function (ALGORITHMS.md A4, test 1), leaves the
/// norms weightless, unties the head, and composes with the other algorithms.
struct RotationTests {
    /// A model whose hidden (24 = 8·3), head (6 = 2·3) and MLP (36 = 4·9) sizes are not powers of two.
    static func oddModel(bias: Bool) throws -> LlamaModel {
        var c = TinyModelFactory.configuration(kvHeads: 2, qkvBias: bias)
        c.hiddenSize = 24
        c.headDimension = 6
        c.intermediateSize = 36
        c.outputProjectionBias = bias
        c.mlpBias = bias
        var weights = TinyModelFactory.weights(for: c)
        if bias {
            var random = SplitMixForTests(seed: 3)
            for layer in 0..<c.layerCount {
                for (name, count) in [("self_attn.o_proj", c.hiddenSize), ("mlp.gate_proj", c.intermediateSize),
                                      ("mlp.up_proj", c.intermediateSize), ("mlp.down_proj", c.hiddenSize)] {
                    weights["model.layers.\(layer).\(name).bias"] = Tensor(shape: [count], floats: (0..<count).map { _ in Float(random.gaussian() * 0.3) })
                }
            }
        }
        return try LlamaModel(configuration: c, weights: DictionaryWeightSource(weights))
    }

    static let models = ["GQA, untied", "GQA, tied", "MHA, tied, qkv biases (qwen2)", "GQA, odd sizes", "GQA, odd sizes, every bias"]

    static func model(_ index: Int) throws -> LlamaModel {
        switch index {
        case 0: try TinyModelFactory.model(tied: false, kvHeads: 2)
        case 1: try TinyModelFactory.model(tied: true, kvHeads: 2)
        case 2: try TinyModelFactory.model(tied: true, kvHeads: 4, qkvBias: true)
        case 3: try oddModel(bias: false)
        default: try oddModel(bias: true)
        }
    }

    static let tokens = [3, 7, 1, 12, 19, 0, 5, 5, 8, 2, 16, 11]

    /// With and without the online R4 (down_proj's input rotated at run time).
    @Test(arguments: models.indices, [false, true])
    func rotatedModelComputesTheSameLogits(index: Int, onlineDown: Bool) throws {
        let name = Self.models[index] + (onlineDown ? ", online R4" : "")
        let model = try Self.model(index)
        let rotated = Rotation(options: RotationOptions(seed: 11, onlineDown: onlineDown)).rotate(model)
        #expect((rotated.layers[0].downProjection.inputTransform != nil) == onlineDown)
        let expected = try model.forward(tokens: Self.tokens, cache: model.makeCache()).floats()
        let actual = try rotated.forward(tokens: Self.tokens, cache: rotated.makeCache()).floats()
        let largest = expected.map(abs).max()!
        let difference = zip(expected, actual).map { abs($0 - $1) }.max()!
        #expect(difference <= 1e-4 * largest, "\(name): max |Δ logit| \(difference) of \(largest)")
        // Not the identity: the weights did change.
        #expect(rotated.layers[0].queryProjection.weight.floats() != model.layers[0].queryProjection.weight.floats())
        #expect(rotated.embedding.floats() != model.embedding.toFloat32().floats())
    }

    @Test func normsBecomeOnesAndTheHeadIsUntied() throws {
        let model = try TinyModelFactory.model(tied: true)
        let rotated = Rotation().rotate(model)
        #expect(!rotated.configuration.tiedEmbeddings)
        #expect(rotated.finalNorm.floats().allSatisfy { $0 == 1 })
        for layer in rotated.layers {
            #expect(layer.inputNorm.floats().allSatisfy { $0 == 1 } && layer.postAttentionNorm.floats().allSatisfy { $0 == 1 })
        }
        #expect(rotated.outputHead.weight.floats() != rotated.embedding.floats())
    }

    @Test func sameSeedSameWeights() throws {
        let model = try TinyModelFactory.model()
        let a = Rotation(options: RotationOptions(seed: 4)).rotate(model), b = Rotation(options: RotationOptions(seed: 4)).rotate(model)
        let c = Rotation(options: RotationOptions(seed: 5)).rotate(model)
        #expect(a.layers[1].downProjection.weight.floats() == b.layers[1].downProjection.weight.floats())
        #expect(a.layers[1].downProjection.weight.floats() != c.layers[1].downProjection.weight.floats())
    }

    /// The residual stream of a model with one planted outlier channel (every embedding row carries a
    /// large value in channel 5, as LLM residual streams do): after rotation the embedded tokens'
    /// largest entry is a fraction of what it was, for the same norm.
    @Test func rotationFlattensAPlantedOutlierChannel() throws {
        let c = TinyModelFactory.configuration()
        var weights = TinyModelFactory.weights(for: c)
        var embedding = weights["model.embed_tokens.weight"]!.floats()
        for row in 0..<c.vocabularySize { embedding[row * c.hiddenSize + 5] = 12 }
        weights["model.embed_tokens.weight"] = Tensor(shape: [c.vocabularySize, c.hiddenSize], floats: embedding)
        let model = try LlamaModel(configuration: c, weights: DictionaryWeightSource(weights))
        let rotated = Rotation().rotate(model)
        let before = try model.embed(Self.tokens).floats(), after = try rotated.embed(Self.tokens).floats()
        let norm = { (x: [Float]) in x.reduce(0) { $0 + $1 * $1 }.squareRoot() }
        #expect(abs(norm(before) - norm(after)) < 1e-3 * norm(before))
        #expect(after.map(abs).max()! < 0.5 * before.map(abs).max()!)
        #expect(OrthogonalTransformTests.kurtosis(after.map(Double.init)) < OrthogonalTransformTests.kurtosis(before.map(Double.init)) / 2)
    }

    /// `--algo rotation --algo smoothquant --algo rtn` and `--algo rotation --algo gptq` quantize; the
    /// reverse order is refused with the order to use.
    @Test func composesWithSmoothQuantAndGPTQ() throws {
        let model = try TinyModelFactory.model(tied: true)
        let calibration = [[1, 5, 9, 3, 7, 11, 2, 8], [4, 4, 19, 0, 13, 6, 15, 10]]
        let w8a8 = LayerQuantSpec(weight: QuantSpec(format: .int8), input: QuantSpec(format: .int8))
        for algorithms: [AlgorithmName] in [[.rotation, .smoothquant, .rtn], [.rotation, .gptq], [.rotation]] {
            let quantized = try ModelQuantizer(config: QuantConfig(global: w8a8, algorithms: algorithms)).quantize(model, calibration: calibration)
            #expect(!quantized.model.configuration.tiedEmbeddings)
            let logits = try quantized.model.forward(tokens: Self.tokens, cache: quantized.model.makeCache()).floats()
            #expect(logits.allSatisfy { $0.isFinite }, "\(algorithms)")
        }
        #expect(throws: QuantizationError.self) {
            try ModelQuantizer(config: QuantConfig(global: w8a8, algorithms: [.smoothquant, .rotation, .rtn])).quantize(model, calibration: calibration)
        }
        // R4 under a static int8 input: the down_proj input quantizer runs on the rotated rows.
        var online = QuantConfig(global: w8a8, algorithms: [.rotation, .gptq])
        online.rotation.onlineDown = true
        let quantized = try ModelQuantizer(config: online).quantize(model, calibration: calibration)
        #expect(quantized.model.layers.allSatisfy { $0.downProjection.inputTransform != nil && $0.downProjection.inputQuantizer != nil })
        // Smoothing up → down would scale R4's input: refused.
        online.algorithms = [.rotation, .smoothquant, .rtn]
        #expect(throws: QuantizationError.self) { try ModelQuantizer(config: online).quantize(model, calibration: calibration) }
    }

    /// The algo_config entry reads back to the same options; Quark's own defaults (r1 only) read as
    /// R1 without R2; what QuantKit cannot do is refused by key.
    @Test func quarkEntryRoundTripsAndRefusesWhatItCannotDo() throws {
        var config = QuantConfig(global: LayerQuantSpec(weight: QuantSpec(format: .int8)), algorithms: [.rotation, .rtn])
        for (perHead, onlineDown) in [(true, false), (false, true)] {
            config.rotation = RotationOptions(seed: 0, onlineDown: onlineDown, perHead: perHead)
            let parsed = try QuantConfig(quark: config.quarkDictionary(), source: "test")
            #expect(parsed.rotation == config.rotation && parsed.algorithms == [.rotation])
        }
        let global = config.quarkDictionary()["global_quant_config"]!
        func parse(_ entry: [String: Any]) throws -> QuantConfig {
            try QuantConfig(quark: ["global_quant_config": global, "algo_config": [entry.merging(["name": "rotation"]) { $1 }]], source: "test")
        }
        #expect(try parse([:]).rotation == RotationOptions(seed: 0, onlineDown: false, perHead: false))
        for refused: [String: Any] in [["r3": true], ["r1": false], ["trainable": true], ["online_r1_rotation": true], ["rotation_size": 32]] {
            #expect(throws: QuantizationError.self, "\(refused)") { try parse(refused) }
        }
    }
}
