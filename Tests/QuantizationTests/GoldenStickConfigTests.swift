import Foundation
import Testing
@testable import Quantization

/// Golden-Stick YAML (seed 004's `quantization_config`) maps onto the same QuantConfig as the
/// equivalent explicit spec.
struct GoldenStickConfigTests {
    func load(_ yaml: String) throws -> QuantConfig {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("gs-\(getpid())-\(UInt32.random(in: 0...UInt32.max)).yaml")
        try yaml.write(to: url, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(at: url) }
        return try QuantConfigFile.load(url.path)
    }

    @Test func rtnA16W8AsMindFormersWritesIt() throws {
        // The llama2_13b_rtn example of seed 004, nested as MindFormers nests it.
        let config = try load("""
            model:
              model_config:
                quantization_config:
                  quant_method: 'rtn'
                  weight_dtype: 'int8'
                  activation_dtype: None
                  kvcache_dtype: None
                  outliers_suppression: None
                  modules_to_not_convert: ['lm_head']
                  algorithm_args: {}
            """)
        #expect(config == QuantConfig(global: LayerQuantSpec(weight: QuantSpec(format: .int8, granularity: .perChannel)),
                                      exclude: ["lm_head"], algorithms: [.rtn]))
    }

    @Test func awqOutlierSuppression() throws {
        let config = try load("""
            quantization_config:
              quant_method: ptq
              weight_dtype: int8
              activation_dtype: None
              outliers_suppression: awq
            """)
        #expect(config.algorithms == [.awq, .rtn])
        #expect(config.global.weight == QuantSpec(format: .int8, granularity: .perChannel))
        #expect(throws: QuantizationError.self) {
            try load("""
                quantization_config:
                  quant_method: ptq
                  weight_dtype: None
                  outliers_suppression: awq
                """)
        }
    }

    @Test func smoothQuantAndPTQ() throws {
        let smooth = try load("""
            quantization_config:
              quant_method: smooth_quant
              weight_dtype: int8
              activation_dtype: int8
              kvcache_dtype: None
              outliers_suppression: None
              modules_to_not_convert: [lm_head]
              algorithm_args: {alpha: 0.8}
            """)
        #expect(smooth.algorithms == [.smoothquant, .rtn])
        #expect(smooth.smoothQuant.alpha == 0.8)
        #expect(smooth.global.input == QuantSpec(format: .int8))
        let ptq = try load("""
            quantization_config:
              quant_method: ptq
              weight_dtype: int8
              activation_dtype: int8
              kvcache_dtype: int8
              outliers_suppression: smooth
              modules_to_not_convert: [lm_head]
              algorithm_args: {}
            """)
        #expect(ptq.algorithms == [.smoothquant, .rtn] && ptq.kvCache == QuantSpec(format: .int8))
        #expect(ptq.smoothQuant == SmoothQuantOptions())
    }

    @Test func mistakesNameTheKeyAndTheValidValues() {
        #expect(throws: QuantizationError.self) { try load("quantization_config: {quant_method: awq, weight_dtype: int8}") }
        do { _ = try load("quantization_config: {quant_method: awq, weight_dtype: int8}") } catch {
            #expect("\(error)".contains("quant_method 'awq' is not valid; valid: rtn, smooth_quant, ptq"))
        }
        do { _ = try load("quantization_config: {quant_method: rtn, weight_dtype: int4}") } catch {
            #expect("\(error)".contains("weight_dtype 'int4'"))
        }
        do { _ = try load("quantization_config: {quant_method: rtn, wieght_dtype: int8}") } catch {
            #expect("\(error)".contains("quantization_config.wieght_dtype"))
        }
        do { _ = try load("model: {}") } catch { #expect("\(error)".contains("'quantization_config' is missing")) }
    }
}
