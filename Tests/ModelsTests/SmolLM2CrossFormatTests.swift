import Foundation
import Testing
@testable import Formats
@testable import Models
import Tensors

/// SmolLM2-135M read from its GGUF (QuantKit's dequantization and Q/K un-permutation) against the
/// directory transformers converted from the same GGUF (Scripts/fetch-smollm2.sh). Runs when the
/// model cache exists (CI creates it; no network is used here).
struct SmolLM2CrossFormatTests {
    static let models = ProcessInfo.processInfo.environment["QUANTKIT_MODELS"]
        ?? FileManager.default.homeDirectoryForCurrentUser.appendingPathComponent(".cache/quantkit/models").path
    static let gguf = URL(fileURLWithPath: models).appendingPathComponent("SmolLM2-135M-Instruct.Q4_1.gguf")
    static let directory = URL(fileURLWithPath: models).appendingPathComponent("smollm2-135m-f32")
    static let available = FileManager.default.fileExists(atPath: gguf.path)
        && FileManager.default.fileExists(atPath: directory.appendingPathComponent("model.safetensors").path)

    @Test(.enabled(if: available, "SmolLM2 is not in the model cache; run Scripts/fetch-smollm2.sh"))
    func ggufAndConvertedDirectoryGiveTheSameLogits() throws {
        let file = try GGUFFile(url: Self.gguf)
        let fromGGUF = try GGUFWeightSource(file: file)
        let hf = try HFConfiguration(url: Self.directory.appendingPathComponent("config.json"))
        let configuration = try LlamaConfiguration(hf, source: "config.json")
        #expect(fromGGUF.configuration == configuration)
        let a = try LlamaModel(configuration: fromGGUF.configuration, weights: fromGGUF)
        let b = try LlamaModel(configuration: configuration, weights: SafetensorsCheckpoint(directory: Self.directory))
        let tokens = [1, 9690, 198, 2683, 359, 253, 5356, 5646, 11173, 2]
        let x = try a.forward(tokens: tokens, cache: a.makeCache(capacity: 16)).floats()
        let y = try b.forward(tokens: tokens, cache: b.makeCache(capacity: 16)).floats()
        let largest = y.map(abs).max()!
        let worst = zip(x, y).map { abs($0 - $1) }.max()!
        #expect(worst <= 1e-5 * largest, "max |Δ| \(worst), max |logit| \(largest)")
    }
}
