import Foundation
import Testing
@testable import Quantization

/// The observer, power-of-two and MXINT8 vocabulary of Quark's `QTensorConfig` dictionaries:
/// what amd-quark 0.13 wrote for the golden cases parses and is written back under the same names,
/// and what Quark refuses is refused with the key and the valid values.
struct ObserverConfigTests {
    static var cases: [[String: Any]] { QuarkGoldenTests.supportedCases }

    static func canonical(_ object: Any) throws -> String {
        String(decoding: try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .fragmentsAllowed]), as: UTF8.self)
    }

    @Test func everyGoldenConfigKeepsItsObserverAndScaleType() throws {
        // fp4 with e8m0 scales per channel is read as MX blocks (a simplification older than these observers).
        for entry in Self.cases where entry["name"] as? String != "w_a.fp4.pc.scale_e8m0" {
            let name = entry["name"] as! String
            let config = entry["config"] as! [String: Any]
            let written = try QuantSpec(quark: config, source: name).quarkDictionary()
            #expect(try Self.canonical(written["observer_cls"]!) == Self.canonical(config["observer_cls"]!), "\(name)")
            if config["scale_type"] as? String == "pof2" { #expect(written["scale_type"] as? String == "pof2", "\(name)") }
        }
    }

    /// MXINT8 exists in Quark 0.13 only as `OCP_MXINT8Spec`'s legacy `dtype: mx`; QuantKit writes it
    /// back key for key.
    @Test func mxint8IsWrittenAsQuarkWritesIt() throws {
        let mxint8 = Self.cases.filter { ($0["config"] as! [String: Any])["dtype"] as? String == "mx" }
        #expect(mxint8.count == 9)
        for entry in mxint8 {
            let config = entry["config"] as! [String: Any]
            let spec = try QuantSpec(quark: config, source: "mxint8")
            #expect(spec.format == .int8 && spec.isMX && spec.isDynamic && spec.granularity == .perGroup(size: 32))
            #expect(try Self.canonical(spec.quarkDictionary()) == Self.canonical(config))
        }
        #expect(QuantSpec.mx(.int8).isDynamic, "Quark has no static MXINT8")
    }

    /// Quark refuses power-of-two observers on int4 and on groups, and percentile / MSE observers on
    /// channels; so does QuantKit, naming `observer_cls` and what would do.
    @Test func combinationsQuarkRefusesAreRefused() throws {
        let rejected = (QuarkGoldenTests.manifest["rejected"] as! [[String: Any]]).filter { entry in
            let observer = (entry["config"] as? [String: Any])?["observer_cls"] as? String ?? ""
            return ["QTensorConfig", "FakeQuantizeBase.get_fake_quantize"].contains(entry["stage"] as? String ?? "")
                && ["PowOf2", "Percentile", "MSE"].contains { observer.contains($0) }
        }
        #expect(rejected.count == 11)
        for entry in rejected {
            let config = entry["config"] as! [String: Any]
            let result = Result { () throws(QuantizationError) in try QuantSpec(quark: config, source: "cfg") }
            guard case let .failure(.invalidValue(key, value, valid, _)) = result else {
                Issue.record("\(entry["name"]!): \(result), though Quark said \(entry["error"]!)")
                continue
            }
            #expect(key == "observer_cls" && value == config["observer_cls"] as? String && !valid.isEmpty, "\(entry["name"]!)")
            #expect(!valid.contains(value))
        }
    }

    @Test func unknownObserverNamesListTheValidOnes() {
        var config = QuantSpec(format: .int8).quarkDictionary()
        config["observer_cls"] = "PerTensorHistogramObserver"
        #expect(throws: QuantizationError.invalidValue(key: "observer_cls", value: "PerTensorHistogramObserver",
                                                       valid: ObserverKind.quarkNames, source: "cfg")) {
            try QuantSpec(quark: config, source: "cfg")
        }
        config["observer_cls"] = "PerTensorMinMaxObserver"
        config["scale_type"] = "power_of_2"
        #expect(throws: QuantizationError.invalidValue(key: "scale_type", value: "power_of_2",
                                                       valid: ["float", "float32", "float16", "bfloat16", "pof2"], source: "cfg")) {
            try QuantSpec(quark: config, source: "cfg")
        }
    }

    @Test func dynamicSpecsTakeMinMaxOnly() {
        let dynamic = QuantSpec(format: .int8, granularity: .perChannel, isDynamic: true, observer: .percentile)
        #expect(throws: QuantizationError.invalidValue(key: "observer_cls", value: "PerTensorPercentileObserver",
                                                       valid: ["PerChannelMinMaxObserver"], source: "input")) {
            try dynamic.checkObserver(source: "input")
        }
    }

    @Test func legacyMXNeedsAnOCPElement() {
        var config = QuantSpec.mx(.int8).quarkDictionary()
        config["mx_element_dtype"] = "int4"
        #expect(throws: QuantizationError.invalidValue(key: "mx_element_dtype", value: "int4",
                                                       valid: ["int8", "fp8_e4m3", "fp8_e5m2", "fp6_e3m2", "fp6_e2m3", "fp4"], source: "cfg")) {
            try QuantSpec(quark: config, source: "cfg")
        }
        config["mx_element_dtype"] = NSNull()
        #expect(throws: QuantizationError.missingKey(key: "mx_element_dtype", source: "cfg")) { try QuantSpec(quark: config, source: "cfg") }
    }

    /// Each observer kind survives a trip through Quark's dictionary at every granularity it runs at.
    @Test(arguments: ObserverKind.allCases)
    func observerRoundTrips(kind: ObserverKind) throws {
        for granularity in [Granularity.perTensor, .perChannel, .perGroup(size: 32)] {
            for format in [ElementFormat.int8, .uint8, .int4, .fp8E4M3] {
                let spec = QuantSpec(format: format, granularity: granularity, symmetric: format != .uint8,
                                     scaleType: kind == .powerOfTwoMinMax || kind == .powerOfTwoMSE ? .powerOfTwo : .float32,
                                     observer: kind)
                guard spec.validObservers.contains(kind) else {
                    #expect(throws: QuantizationError.self) { try spec.checkObserver(source: "x") }
                    continue
                }
                #expect(try QuantSpec(quark: spec.quarkDictionary(), source: "x") == spec)
            }
        }
    }
}
