import Foundation
import Testing
import Formats
@testable import Quantization
import Tensors

/// Static activation calibration against amd-quark 0.13 (Scripts/fixtures/make_quark_calibration_
/// goldens.py): the same batches through the same observer, and after every batch the same scale
/// and zero point, bit for bit; the last batch fake-quantized to the same bits; and a failure on
/// the batch where Quark's own observer fails.
struct CalibrationGoldenTests {
    nonisolated(unsafe) static let manifest = try! JSONSerialization.jsonObject(
        with: Data(contentsOf: QuarkGoldenTests.directory.appendingPathComponent("quark_calibration.json"))) as! [String: Any]
    nonisolated(unsafe) static let cases = manifest["cases"] as! [[String: Any]]

    static let inputs = try! QuarkGoldenTests.file("quark_calibration_inputs.safetensors")
    static let outputs = try! QuarkGoldenTests.file("quark_calibration.safetensors")

    static func batches(_ sequence: String) throws -> [Tensor] {
        let shapes = (manifest["sequences"] as! [String: [[Int]]])[sequence]!
        return try shapes.indices.map { try inputs.tensor(named: "\(sequence).batch\($0)").toFloat32() }
    }

    /// Batch `index` of the synthetic sequence, by the integer recipe the generator documents.
    static func syntheticBatch(_ index: Int) -> [Float] {
        let size = 1 << 20
        var values = [Float](repeating: 0, count: size)
        for i in 0..<size {
            let k = UInt32(truncatingIfNeeded: UInt64(i) &* 2_654_435_761 &+ UInt64(index) &* 40503)
            values[i] = Float(Int(k >> 9) - (1 << 22)) / Float(1 << 20)
        }
        if index % 4 == 3 { values[12345] = (5 + Float(index) / 8) * (index / 4 % 2 == 0 ? 1 : -1) }
        return values
    }

    @Test func everyObserverKindIsCovered() {
        let observers = Set(Self.cases.map { ($0["config"] as! [String: Any])["observer_cls"] as! String })
        #expect(observers == ["PerTensorMinMaxObserver", "PerTensorPercentileObserver", "PerTensorMSEObserver",
                              "PerTensorPowOf2MinMaxObserver", "PerTensorPowOf2MinMSEObserver"])
        #expect(Self.cases.count == 153)
        // Quark's asymmetric MSE search fails on negative candidates (4 cases) and on a histogram whose
        // bins and edges drifted apart (1); its percentile observer survives three drifted histograms.
        #expect(Self.cases.filter { $0["quark_failure"] != nil }.count == 5)
        #expect(Self.cases.filter { $0["histogram_edges"] != nil }.count >= 3)
    }

    @Test(arguments: cases.filter { $0["sequence"] as? String != "synthetic" }.map { $0["name"] as! String })
    func matchesQuarkBatchByBatch(caseName: String) throws {
        let entry = Self.cases.first { $0["name"] as? String == caseName }!
        try Self.check(entry, batches: try Self.batches(entry["sequence"] as! String).map { $0.floats() }, rows: nil, everyBatch: true)
    }

    /// 36 batches of 2²⁰ values: the histogram total passes 2²⁴, where float32 sums round and the
    /// percentile clips the last outliers. Histogram MSE searches are checked after the last batch
    /// only (thousands of candidates per batch are slow in a debug build).
    @Test(arguments: cases.filter { $0["sequence"] as? String == "synthetic" }.map { $0["name"] as! String })
    func matchesQuarkPastTwoToTheTwentyFour(caseName: String) throws {
        let entry = Self.cases.first { $0["name"] as? String == caseName }!
        let synthetic = Self.manifest["synthetic"] as! [String: Any]
        let batches = (0..<(synthetic["batches"] as! Int)).map(Self.syntheticBatch)
        let observer = (entry["config"] as! [String: Any])["observer_cls"] as! String
        try Self.check(entry, batches: batches, rows: synthetic["rows"] as? Int, everyBatch: observer != "PerTensorMSEObserver")
    }

    /// The activation hook ModelQuantizer installs: batches through `apply`, Quark's final scale out,
    /// and Quark's failure kept until `parameters()` is asked for.
    @Test func calibrationObserverGivesQuarksFinalParametersOrItsFailure() throws {
        for name in ["grow.percentile.int8.sym", "tail.pof2_minmse.uint8.asym", "negative.mse.uint8.asym"] {
            let entry = Self.cases.first { $0["name"] as? String == name }!
            let spec = try QuantSpec(quark: entry["config"] as! [String: Any], source: name)
            let observer = CalibrationObserver(spec: spec)
            for batch in try Self.batches(entry["sequence"] as! String) {
                var values = batch.floats()
                let original = values
                values.withUnsafeMutableBufferPointer { observer.apply($0, rows: batch.shape[0], columns: batch.shape[1]) }
                #expect(values == original, "observing leaves the activations unchanged")
            }
            if entry["quark_failure"] != nil {
                #expect { try observer.parameters() } throws: { error in
                    guard case let .observerFailure(observerName, _, _) = error as? QuantizationError else { return false }
                    return observerName == "PerTensorMSEObserver"
                }
            } else {
                let scales = try QuarkGoldenTests.floats(Self.outputs, (entry["tensors"] as! [String: String])["scale"]!)
                #expect(try observer.parameters().scales.map(\.bitPattern) == [scales.last!.bitPattern], "\(name)")
            }
        }
    }

    static func check(_ entry: [String: Any], batches: [[Float]], rows: Int?, everyBatch: Bool) throws {
        let name = entry["name"] as! String
        let spec = try QuantSpec(quark: entry["config"] as! [String: Any], source: name)
        let tensors = entry["tensors"] as! [String: String]
        let scales = try tensors["scale"].map { try QuarkGoldenTests.floats(outputs, $0) } ?? []
        let zeros = try tensors["zero_point"].map { try QuarkGoldenTests.integers(outputs, $0) } ?? []
        let failure = entry["quark_failure"] as? [String: Any]
        var observer = spec.makeObserver()
        var parameters: QuantParameters?
        for (index, batch) in batches.enumerated() {
            let columns = 64
            do {
                try batch.withUnsafeBufferPointer { try observer.observe($0, rows: rows ?? batch.count / columns, columns: columns) }
                guard everyBatch || index == batches.count - 1 else { continue }
                parameters = try observer.parameters()
            } catch let error as QuantizationError {
                #expect(failure?["batch"] as? Int == index, "\(name): batch \(index) failed (\(error)), Quark: \(failure ?? [:])")
                guard case .observerFailure = error else { Issue.record("\(name): \(error) is not an observer failure"); return }
                return
            }
            #expect(parameters!.scales.map(\.bitPattern) == [scales[index].bitPattern], "\(name) batch \(index): scale \(parameters!.scales[0]) vs \(scales[index])")
            if spec.format.isInteger {
                #expect((parameters!.zeroPoints?[0] ?? 0) == zeros[index], "\(name) batch \(index): zero point")
            }
        }
        #expect(failure == nil, "\(name): Quark failed on batch \(failure?["batch"] ?? -1) (\(failure?["error"] ?? "")); QuantKit did not")
        guard let key = tensors["dequantized"], var values = batches.last, let parameters else { return }
        var whole = parameters
        whole.groupLength = values.count
        values.withUnsafeMutableBufferPointer { Quantizer.fakeQuantize($0, parameters: whole, spec: spec) }
        let expected = try QuarkGoldenTests.floats(outputs, key)
        let mismatches = zip(values, expected).filter { $0.bitPattern != $1.bitPattern }
        #expect(mismatches.isEmpty, "\(name): \(mismatches.count) dequantized values differ, e.g. \(mismatches.prefix(3))")
    }
}
