import Foundation
import Testing
@testable import Quantization

struct QuantConfigTests {
    nonisolated(unsafe) static let quarkSchemes = (try! JSONSerialization.jsonObject(
        with: Data(contentsOf: QuarkGoldenTests.directory.appendingPathComponent("quark_schemes.json"))) as! [String: Any])["schemes"]
        as! [String: [String: Any]]

    static func canonical(_ object: Any) throws -> String {
        String(decoding: try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys]), as: UTF8.self)
    }

    static let supported = QuantScheme.all().filter { $0.spec != nil && $0.isQuark }.map(\.name)

    /// Every scheme QuantKit runs writes exactly the `global_quant_config` amd-quark's LLMTemplate
    /// builds for it, and Quark's dictionary parses back to the same spec.
    @Test(arguments: supported)
    func schemeMatchesQuarkTemplate(name: String) throws {
        let quark = try #require(Self.quarkSchemes[name], "Quark 0.13 has no scheme \(name)")
        let ours = QuantConfig(global: try QuantScheme.spec(named: name))
        let ourDictionary = ours.quarkDictionary()
        #expect(try Self.canonical(ourDictionary["global_quant_config"]!) == Self.canonical(quark["global_quant_config"]!))
        #expect(try Self.canonical(ourDictionary["exclude"]!) == Self.canonical(quark["exclude"]!))
        let parsed = try QuantConfig(quark: quark, source: name)
        #expect(parsed == ours)
    }

    /// Seed 003's FP8 W8A8: dynamic per-tensor activations, nothing to calibrate.
    @Test func fp8DynamicNeedsNoCalibration() throws {
        let dynamic = try QuantScheme.spec(named: "fp8_dynamic")
        #expect(dynamic.weight == QuantSpec(format: .fp8E4M3) && dynamic.input == QuantSpec(format: .fp8E4M3, isDynamic: true))
        #expect(try QuantScheme.spec(named: "w_fp8_a_fp8_dynamic") == dynamic)
        #expect(!ModelQuantizer(config: QuantConfig(global: dynamic)).needsCalibration(layerCount: 2))
        #expect(ModelQuantizer(config: QuantConfig(global: try QuantScheme.spec(named: "fp8"))).needsCalibration(layerCount: 2))
    }

    @Test func everyQuarkSchemeIsListed() {
        #expect(Set(QuantScheme.all().filter(\.isQuark).map(\.name)) == Set(Self.quarkSchemes.keys))
    }

    @Test func unknownSchemesListTheValidOnes() throws {
        #expect(throws: QuantizationError.self) { try QuantScheme.spec(named: "int3_wo") }
        do { _ = try QuantScheme.spec(named: "int3_wo") } catch {
            let message = "\(error)"
            #expect(message.contains("uint4_wo_64") && message.contains("int3_wo"))
        }
        let alias = try QuantScheme.spec(named: "w_fp8_a_fp8"), fp8 = try QuantScheme.spec(named: "fp8")
        #expect(alias == fp8)
        let regrouped = try QuantScheme.spec(named: "uint4_wo_128", groupSize: 64)
        #expect(regrouped.weight?.granularity == .perGroup(size: 64))
    }

    @Test func fnmatchFollowsPython() {
        #expect(fnmatch("model.layers.3.self_attn.k_proj", "*k_proj"))
        #expect(!fnmatch("model.layers.3.self_attn.k_proj_extra", "*k_proj"))
        #expect(fnmatch("model.layers.0.mlp.up_proj", "model.layers.0.*"))
        #expect(!fnmatch("model.layers.10.mlp.up_proj", "model.layers.1.*"))
        #expect(fnmatch("model.layers.7.mlp", "model.layers.[0-9].mlp"))
        #expect(!fnmatch("model.layers.7.mlp", "model.layers.[!0-9].mlp"))
        #expect(fnmatch("lm_head", "lm_head") && fnmatch("abc", "a?c") && !fnmatch("ac", "a?c"))
    }

    @Test func layerLookupHonoursExcludeOverridesAndKVCache() {
        let int8 = LayerQuantSpec(weight: QuantSpec(format: .int8), input: QuantSpec(format: .int8))
        let fp8 = LayerQuantSpec(weight: QuantSpec(format: .fp8E4M3))
        let config = QuantConfig(global: int8, layerOverrides: [.init(pattern: "*down_proj", spec: fp8)],
                                 exclude: ["lm_head", "model.layers.0.*"], kvCache: QuantSpec(format: .fp8E4M3))
        #expect(config.spec(forLayer: "lm_head") == nil)
        #expect(config.spec(forLayer: "model.layers.0.self_attn.q_proj") == nil)
        #expect(config.spec(forLayer: "model.layers.1.mlp.down_proj")?.weight == fp8.weight)
        #expect(config.spec(forLayer: "model.layers.1.self_attn.q_proj") == int8)
        #expect(config.spec(forLayer: "model.layers.1.self_attn.v_proj")?.output == QuantSpec(format: .fp8E4M3))
        // The KV spec survives a round trip through Quark's JSON.
        let reparsed = try? QuantConfig(quark: config.quarkDictionary(), source: "test")
        #expect(reparsed == config)
    }

    @Test func badConfigValuesNameTheKey() {
        var weight = (Self.quarkSchemes["int8"]!["global_quant_config"] as! [String: Any])["weight"] as! [String: Any]
        weight["dtype"] = "int7"
        #expect(throws: QuantizationError.invalidValue(key: "dtype", value: "int7", valid: ElementFormat.allCases.map(\.rawValue) + ["mx"], source: "cfg")) {
            try QuantSpec(quark: weight, source: "cfg")
        }
        weight["dtype"] = "int8"
        weight["qscheme"] = "per_row"
        #expect(throws: QuantizationError.invalidValue(key: "qscheme", value: "per_row", valid: ["per_tensor", "per_channel", "per_group"], source: "cfg")) {
            try QuantSpec(quark: weight, source: "cfg")
        }
        #expect(throws: QuantizationError.missingKey(key: "global_quant_config", source: "cfg")) {
            try QuantConfig(quark: ["quant_method": "quark"], source: "cfg")
        }
    }
}
