import Foundation
import Testing
import Formats
@testable import Quantization
import Tensors

/// QuantKit's scales, zero points, codes and dequantized values against amd-quark 0.13's own
/// quantizers (Scripts/fixtures/make_quark_goldens.py), bit for bit, for every weight case whose
/// observer QuantKit implements (min-max per tensor / channel / group, MX blocks including MXINT8,
/// percentile, MSE, power-of-two). The manifest is read-only after loading, hence `nonisolated(unsafe)`.
struct QuarkGoldenTests {
    static let directory = Bundle.module.resourceURL!.appendingPathComponent("Fixtures")
    nonisolated(unsafe) static let manifest = try! JSONSerialization.jsonObject(
        with: Data(contentsOf: directory.appendingPathComponent("quark_goldens.json"))) as! [String: Any]

    static func file(_ name: String) throws -> SafetensorsFile {
        try SafetensorsFile(url: directory.appendingPathComponent(name))
    }

    static func floats(_ file: SafetensorsFile, _ key: String) throws -> [Float] { try file.tensor(named: key).toFloat32().floats() }
    static func integers(_ file: SafetensorsFile, _ key: String) throws -> [Int32] {
        try file.tensor(named: key).toFloat32().floats().map { Int32($0) }
    }

    /// The weight cases QuantKit implements: every observer it runs, integer zero points, and of
    /// Quark's legacy `dtype: mx` only MXINT8 (its other elements repeat the PerBlockMXObserver cases).
    nonisolated(unsafe) static let supportedCases: [[String: Any]] = (manifest["cases"] as! [[String: Any]]).filter { entry in
        let config = entry["config"] as? [String: Any] ?? [:]
        let observer = (entry["classes"] as? [String: Any])?["observer"] as? String ?? ""
        let legacyMX = config["dtype"] as? String == "mx"
        return ["w_a", "w_b", "w_c"].contains(entry["input"] as? String ?? "")
            && (ObserverKind.quarkNames.contains(observer) && !legacyMX || legacyMX && config["mx_element_dtype"] as? String == "int8")
            && config["zero_point_type"] as? String == "int32"
    }

    @Test func enoughCasesAreChecked() {
        #expect(Self.supportedCases.count >= 245, "only \(Self.supportedCases.count) cases")
    }

    @Test(arguments: supportedCases.map { $0["name"] as! String })
    func matchesQuark(caseName: String) throws {
        let entry = Self.supportedCases.first { $0["name"] as? String == caseName }!
        let spec = try QuantSpec(quark: entry["config"] as! [String: Any], source: caseName)
        let inputs = try Self.file("quark_inputs.safetensors")
        let inputName = entry["input"] as! String
        let input = try inputs.tensor(named: inputName).toFloat32()
        let rows = input.shape[0], columns = input.shape[1]
        let quantized = try input.withUnsafeBufferPointer(as: Float.self) { try Quantizer.quantize($0, rows: rows, columns: columns, spec: spec) }
        let file = try Self.file(entry["file"] as! String)
        let tensors = entry["tensors"] as! [String: String]

        let scales = try Self.floats(file, tensors["scale"]!)
        #expect(quantized.parameters.scales.map(\.bitPattern) == scales.map(\.bitPattern), "scales: \(quantized.parameters.scales.prefix(4)) vs \(scales.prefix(4))")
        let powerOfTwo = [.powerOfTwoMinMax, .powerOfTwoMSE].contains(spec.observer)
        if let zeroKey = tensors["zero_point"], powerOfTwo {
            // Power-of-two observers move the zero point even when symmetric (uint8: 128, an all-zero
            // channel: Int32.min), so every value is compared.
            #expect(quantized.parameters.zeroPoints == (try Self.integers(file, zeroKey)), "zero points")
        } else if let zeroKey = tensors["zero_point"], !spec.symmetric {
            // Quark keeps the per-tensor zero point of asymmetric int4 in a uint8 buffer (−7 reads 249);
            // its codes use the signed value, as QuantKit's do, so compare modulo 256.
            let expected = try Self.integers(file, zeroKey).map { $0 & 0xFF }
            #expect(quantized.parameters.zeroPoints?.map { $0 & 0xFF } == expected, "zero points")
        }
        // Where Quark's standalone real quantizer (round after adding z) and its fake quantizer (round,
        // then add z) disagree, QuantKit follows the fake path, which is what Quark's quantize → freeze →
        // export pipeline writes; the dequantized values below are then the reference.
        // MXINT8 codes are Quark's fake-quantized values over its block step (exact integers).
        let pathsAgree = entry["quark_dequantize_of_codes_equals_fake_quantize"] as? Bool ?? entry["codes_exact_integers"] as? Bool ?? false
        if let codesKey = tensors["codes"], pathsAgree {
            let expected = try file.tensor(named: codesKey)
            var codes: [Int32]
            switch expected.dtype {
            case .int8: codes = expected.withUnsafeBufferPointer(as: Int8.self) { $0.map(Int32.init) }
            case .uint8: codes = expected.withUnsafeBufferPointer(as: UInt8.self) { $0.map(Int32.init) }
            default: codes = expected.toFloat32().floats().map { Int32($0) }
            }
            let mismatches = zip(quantized.codes, codes).enumerated().filter { $1.0 != $1.1 }
            #expect(mismatches.isEmpty, "\(mismatches.count) codes differ, e.g. \(mismatches.prefix(4).map { "[\($0.offset)] \($0.element.0) vs \($0.element.1)" })")
        }
        if let key = tensors["dequantized"] {
            let expected = try Self.floats(file, key)
            let actual = quantized.dequantized()
            let mismatches = zip(actual, expected).enumerated().filter { $1.0.bitPattern != $1.1.bitPattern && !($1.0 == 0 && $1.1 == 0) }
            #expect(mismatches.isEmpty, "\(mismatches.count) dequantized values differ, e.g. \(mismatches.prefix(3).map { "[\($0.offset)] \($0.element.0) vs \($0.element.1)" })")
            // The in-place path activations take must give the same values.
            var faked = input.floats()
            faked.withUnsafeMutableBufferPointer { Quantizer.fakeQuantize($0, parameters: quantized.parameters, spec: spec) }
            let fakeMismatches = zip(faked, expected).filter { $0.bitPattern != $1.bitPattern && !($0 == 0 && $1 == 0) }
            #expect(fakeMismatches.isEmpty, "fakeQuantize: \(fakeMismatches.count) values differ from Quark's")
        }
    }
}
