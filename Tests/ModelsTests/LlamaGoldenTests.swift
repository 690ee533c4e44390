import Foundation
import Testing
@testable import Formats
@testable import Models
import Tensors

/// QuantKit's logits against transformers' for the tiny models of Scripts/fixtures/make_tiny_models.py
/// (GQA, llama3 and linear RoPE, tied and untied heads, Mistral, Qwen2 biases, f32/bf16/f16 weights).
struct LlamaGoldenTests {
    static let fixtures = Bundle.module.resourceURL!.appendingPathComponent("Fixtures/tiny")
    static let names = ["llama_gqa_llama3rope", "llama_tied_linearrope_bf16", "mistral_gqa_f16", "qwen2_bias_tied"]

    @Test(arguments: names)
    func logitsMatchTransformers(name: String) throws {
        let directory = Self.fixtures.appendingPathComponent(name)
        let hf = try HFConfiguration(url: directory.appendingPathComponent("config.json"))
        let configuration = try LlamaConfiguration(hf, source: "config.json")
        let model = try LlamaModel(configuration: configuration, weights: SafetensorsCheckpoint(directory: directory))
        let expected = try SafetensorsFile(url: directory.appendingPathComponent("expected.safetensors"))
        let ids = try expected.tensor(named: "input_ids")
        let logits = try expected.tensor(named: "logits")
        let batch = ids.shape[0], tokens = ids.shape[1]
        let idValues = ids.withUnsafeBufferPointer(as: Int64.self) { $0.map(Int.init) }
        let reference = logits.floats()
        let largest = reference.map(abs).max()!
        for sequence in 0..<batch {
            let sequenceIds = Array(idValues[(sequence * tokens)..<((sequence + 1) * tokens)])
            let actual = try model.forward(tokens: sequenceIds, cache: model.makeCache()).floats()
            let expectedRow = reference[(sequence * actual.count)..<((sequence + 1) * actual.count)]
            let worst = zip(actual, expectedRow).map { abs($0 - $1) }.max()!
            #expect(worst <= 1e-4 * largest, "\(name) sequence \(sequence): max |Δ| \(worst), max |logit| \(largest)")
        }
    }
}
