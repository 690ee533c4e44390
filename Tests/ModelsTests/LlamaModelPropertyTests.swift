import Testing
@testable import Models
import TestSupport
import Tensors

/// Properties of the forward pass that hold whatever the weights: decoding token by token from the
/// cache equals one batched prefill, and loading rejects inconsistent weights with named errors.
/// (Exactness against transformers is in LlamaGoldenTests.)
struct LlamaModelPropertyTests {
    @Test(arguments: [(false, 2, false), (true, 4, false), (false, 1, true)])
    func incrementalDecodeMatchesPrefill(tied: Bool, kvHeads: Int, bias: Bool) throws {
        let model = try TinyModelFactory.model(tied: tied, kvHeads: kvHeads, qkvBias: bias)
        let tokens = [3, 17, 0, 9, 9, 12, 5]
        let full = try model.forward(tokens: tokens, cache: model.makeCache()).floats()
        let cache = model.makeCache()
        var stepwise: [Float] = []
        // A 3-token prefill, then single tokens: exercises both paths and a non-zero cache start.
        stepwise += try model.forward(tokens: Array(tokens[0..<3]), cache: cache).floats()
        for token in tokens[3...] { stepwise += try model.forward(tokens: [token], cache: cache).floats() }
        #expect(cache.length == tokens.count)
        let worst = zip(full, stepwise).map { abs($0 - $1) }.max() ?? .infinity
        #expect(worst < 1e-5, "largest difference \(worst)")
    }

    /// Scoring a window without a cache (each layer attends over its own keys and values) is the
    /// prefill of a fresh cache.
    @Test(arguments: [(false, 2, false), (true, 4, false), (false, 1, true)])
    func windowWithoutCacheMatchesFreshCache(tied: Bool, kvHeads: Int, bias: Bool) throws {
        let model = try TinyModelFactory.model(tied: tied, kvHeads: kvHeads, qkvBias: bias)
        let tokens = [3, 17, 0, 9, 9, 12, 5]
        let cached = try model.normalizedHidden(tokens: tokens, cache: model.makeCache()).floats()
        let uncached = try model.normalizedHidden(tokens: tokens).floats()
        let worst = zip(cached, uncached).map { abs($0 - $1) }.max() ?? .infinity
        #expect(worst < 1e-6, "largest difference \(worst)")
        #expect(throws: ModelError.contextTooLong(tokens: 33, maximum: 32)) {
            try model.normalizedHidden(tokens: Array(repeating: 1, count: 33))
        }
    }

    @Test func missingTensorIsNamed() throws {
        let c = TinyModelFactory.configuration()
        var weights = TinyModelFactory.weights(for: c)
        weights["model.layers.1.mlp.up_proj.weight"] = nil
        #expect(throws: ModelError.missingTensor(name: "model.layers.1.mlp.up_proj.weight", source: "test.safetensors")) {
            try LlamaModel(configuration: c, weights: DictionaryWeightSource(weights, sourceDescription: "test.safetensors"))
        }
    }

    @Test func shapeThatDisagreesWithConfigIsNamed() throws {
        let c = TinyModelFactory.configuration()
        var weights = TinyModelFactory.weights(for: c)
        weights["model.layers.0.self_attn.k_proj.weight"] = Tensor(zeros: [c.queryWidth, c.hiddenSize])
        let error = #expect(throws: ModelError.self) {
            try LlamaModel(configuration: c, weights: DictionaryWeightSource(weights, sourceDescription: "m"))
        }
        #expect(error == .shapeMismatch(tensor: "model.layers.0.self_attn.k_proj.weight",
                                        expected: [c.keyValueWidth, c.hiddenSize], actual: [c.queryWidth, c.hiddenSize], source: "m"))
        #expect(error?.description.contains("k_proj") == true)
    }

    @Test func unexpectedTensorsAreListed() throws {
        let c = TinyModelFactory.configuration()
        var weights = TinyModelFactory.weights(for: c)
        weights["model.layers.2.mlp.up_proj.weight"] = Tensor(zeros: [1])
        #expect(throws: ModelError.unexpectedTensors(names: ["model.layers.2.mlp.up_proj.weight"], source: "m")) {
            try LlamaModel(configuration: c, weights: DictionaryWeightSource(weights, sourceDescription: "m"))
        }
    }

    @Test func unknownModelTypeListsSupportedOnes() throws {
        var c = TinyModelFactory.configuration()
        c.modelType = "gpt_neox"
        let error = #expect(throws: ModelError.self) {
            try LlamaModel(configuration: c, weights: DictionaryWeightSource(TinyModelFactory.weights(for: c), sourceDescription: "config.json"))
        }
        #expect(error?.description == "config.json: model_type 'gpt_neox' is not supported; supported: llama, mistral, qwen2")
    }

    @Test func tooManyTokensForTheContextIsAnError() throws {
        let model = try TinyModelFactory.model()
        #expect(throws: ModelError.contextTooLong(tokens: 33, maximum: 32)) {
            try model.forward(tokens: Array(repeating: 1, count: 33), cache: model.makeCache())
        }
    }

    @Test func tokenOutsideTheVocabularyIsAnError() throws {
        let model = try TinyModelFactory.model()
        #expect(throws: ModelError.tokenOutOfRange(id: 20, vocabularySize: 20)) {
            try model.forward(tokens: [1, 20], cache: model.makeCache())
        }
    }
}
