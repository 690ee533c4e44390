import Foundation
import Testing
@testable import Quantization

/// The `quantization_config` amd-quark 0.13 wrote into its own exports of SmolLM2
/// (Scripts/fixtures/extract_quark_configs.py): read as a `--config` file it gives exactly the
/// config the equivalent flags build (so `quantize` produces the same output), and QuantKit's
/// export writes the same object back.
struct QuarkExportConfigTests {
    nonisolated(unsafe) static let configs = (try! JSONSerialization.jsonObject(
        with: Data(contentsOf: QuarkGoldenTests.directory.appendingPathComponent("quark_export_configs.json"))) as! [String: Any])["configs"]
        as! [String: [String: Any]]

    /// (fixture key, --scheme, --kv-cache-dtype fp8?, --algo; amd-quark's SmoothQuant for llama
    /// defaults to alpha 1)
    static let runs: [(String, String, Bool, [AlgorithmName])] = [
        ("uint4_wo_64", "uint4_wo_64", false, []), ("int8", "int8", false, []), ("fp8+kv_fp8", "fp8", true, []),
        ("mxfp4", "mxfp4", false, []), ("int8+smoothquant", "int8", false, [.smoothquant])]

    @Test(arguments: runs.indices)
    func quarkConfigEqualsTheFlags(index: Int) throws {
        let (key, scheme, fp8KV, algorithms) = Self.runs[index]
        let quark = try #require(Self.configs[key], "fixture has no \(key)")
        // Through the file reader, as `quantize --config` reads it.
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("quark-config-\(getpid())-\(index).json")
        try JSONSerialization.data(withJSONObject: ["quantization_config": quark]).write(to: url)
        defer { try? FileManager.default.removeItem(at: url) }
        let fromFile = try QuantConfigFile.load(url.path)
        var fromFlags = QuantConfig(global: try QuantScheme.spec(named: scheme),
                                    kvCache: fp8KV ? QuantSpec(format: .fp8E4M3, scaleTypeUnset: true) : nil, algorithms: algorithms)
        if algorithms.contains(.smoothquant) { fromFlags.smoothQuant.alpha = 1 }
        #expect(fromFile == fromFlags)
        let written = fromFlags.quarkDictionary()
        let (ours, theirs) = (try QuantConfigTests.canonical(written), try QuantConfigTests.canonical(quark))
        #expect(ours == theirs, "QuantKit's quantization_config differs from amd-quark's for \(key):\n\(ours)\n\(theirs)")
    }
}
