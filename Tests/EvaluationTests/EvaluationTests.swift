import Foundation
import Testing
import TestSupport
@testable import Evaluation
@testable import Models
import Tensors

struct EvaluationTests {
    /// A model whose logits ignore the input (all-zero weights but the head): every position gets
    /// the same distribution, so its perplexity is exp(mean NLL) computable by hand from softmax.
    @Test func perplexityOfAConstantDistributionIsExact() throws {
        let c = LlamaConfiguration(modelType: "llama", hiddenSize: 4, intermediateSize: 4, layerCount: 1, headCount: 1,
                                   keyValueHeadCount: 1, headDimension: 4, vocabularySize: 3, maxPositions: 16,
                                   rmsNormEpsilon: 1e-6, rope: RoPEScaling(theta: 10000), tiedEmbeddings: false)
        var weights: [String: Tensor] = [:]
        let p = "model.layers.0."
        for name in ["self_attn.q_proj", "self_attn.k_proj", "self_attn.v_proj", "self_attn.o_proj",
                     "mlp.gate_proj", "mlp.up_proj", "mlp.down_proj"] {
            weights[p + name + ".weight"] = Tensor(zeros: [4, 4])
        }
        weights[p + "input_layernorm.weight"] = Tensor(shape: [4], floats: [1, 1, 1, 1])
        weights[p + "post_attention_layernorm.weight"] = Tensor(shape: [4], floats: [1, 1, 1, 1])
        weights["model.norm.weight"] = Tensor(shape: [4], floats: [1, 1, 1, 1])
        // Every embedding row is (1,1,1,1): after RMSNorm still (1,1,1,1), so logits = row sums of the head.
        weights["model.embed_tokens.weight"] = Tensor(shape: [3, 4], floats: Array(repeating: 1, count: 12))
        weights["lm_head.weight"] = Tensor(shape: [3, 4], floats: [0.5, 0, 0, 0, 0, 0, 0, 0, -0.25, 0, 0, 0])
        let model = try LlamaModel(configuration: c, weights: DictionaryWeightSource(weights))
        let tokens = [0, 1, 2, 1, 0, 0, 2, 2, 1]
        let result = try Perplexity.evaluate(model: model, tokens: tokens, sequenceLength: 4)
        // Logits (0.5, 0, -0.25) → log-probabilities by hand.
        let logZ = log(exp(0.5) + exp(0.0) + exp(-0.25))
        let logProbability = [0.5 - logZ, 0 - logZ, -0.25 - logZ]
        // Windows [0,1,2,1] and [0,0,2,2]; targets are positions 1...3 of each.
        let targets = [1, 2, 1, 0, 2, 2]
        let expected = exp(-targets.map { logProbability[$0] }.reduce(0, +) / Double(targets.count))
        #expect(result.windows == 2 && result.tokensPredicted == 6 && result.tokensScored == 8)
        #expect(abs(result.perplexity - expected) < 1e-5 * expected)
    }

    @Test func divergenceOfAModelFromItselfIsZero() throws {
        let model = try TinyModelFactory.model(tied: true)
        let tokens = [1, 4, 9, 16, 3, 8, 13, 2, 7, 11]
        let result = try Divergence.evaluate(model: model, reference: model, tokens: tokens, sequenceLength: 5)
        #expect(abs(result.meanKLDivergence) < 1e-9)
        #expect(result.topOneAgreement == 1)
        #expect(abs(result.perplexity - result.referencePerplexity) < 1e-9)
    }

    @Test func badWindowsAreNamedErrors() throws {
        let model = try TinyModelFactory.model()  // 32 positions
        #expect(throws: EvaluationError.sequenceLengthExceedsContext(sequenceLength: 64, maxPositions: 32)) {
            try Perplexity.evaluate(model: model, tokens: Array(repeating: 1, count: 200), sequenceLength: 64)
        }
        #expect(throws: EvaluationError.tooFewTokens(tokens: 5, sequenceLength: 16, source: "short.txt")) {
            try Perplexity.evaluate(model: model, tokens: [1, 2, 3, 4, 5], sequenceLength: 16, source: "short.txt")
        }
        #expect(throws: EvaluationError.tooFewTokens(tokens: 0, sequenceLength: 16, source: "empty.txt")) {
            try Divergence.evaluate(model: model, reference: model, tokens: [], sequenceLength: 16, source: "empty.txt")
        }
        #expect(throws: EvaluationError.sequenceLengthTooSmall(1)) {
            try Perplexity.evaluate(model: model, tokens: [1, 2, 3], sequenceLength: 1)
        }
    }

    @Test func aPromptLongerThanTheContextIsANamedError() throws {
        let model = try TinyModelFactory.model()  // 32 positions
        let generator = Generator(model: model, stopTokenIds: [])
        #expect(throws: ModelError.contextTooLong(tokens: 33, maximum: 32)) {
            try generator.generate(prompt: Array(repeating: 3, count: 33), maxTokens: 4, sampler: Sampler(temperature: 0))
        }
        // A prompt that fits generates until the context is full: 32 positions hold the 30 prompt
        // tokens and 2 generated ones, and the last position still predicts a third.
        let result = try generator.generate(prompt: Array(repeating: 3, count: 30), maxTokens: 8, sampler: Sampler(temperature: 0))
        #expect(result.tokens.count == 3 && result.finish == .length)
        let full = try generator.generate(prompt: Array(repeating: 3, count: 32), maxTokens: 8, sampler: Sampler(temperature: 0))
        #expect(full.tokens.count == 1)
    }
}
