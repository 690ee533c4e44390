import Foundation
import Testing
@testable import Quantization

/// The float32 kernels Quark's observers run through torch, against torch 2.13's own outputs
/// (quark_torch_ranges / quark_torch_sums, written by make_quark_calibration_goldens.py), bit for bit.
struct TorchArithmeticTests {
    nonisolated(unsafe) static let kernels = CalibrationGoldenTests.manifest["torch_kernels"] as! [[String: Any]]
    static let ranges = try! QuarkGoldenTests.file("quark_torch_ranges.safetensors")
    static let sums = try! QuarkGoldenTests.file("quark_torch_sums.safetensors")

    static func cases(_ kernel: String) -> [[String: Any]] { kernels.filter { $0["kernel"] as? String == kernel } }

    static func expectSameBits(_ actual: [Float], _ expected: [Float], _ label: String) {
        #expect(actual.count == expected.count, "\(label): \(actual.count) values vs \(expected.count)")
        let mismatches = zip(actual, expected).enumerated().filter { $1.0.bitPattern != $1.1.bitPattern }
        #expect(mismatches.isEmpty, "\(label): \(mismatches.count) differ, e.g. \(mismatches.prefix(3).map { "[\($0.offset)] \($0.element.0) vs \($0.element.1)" })")
    }

    @Test func linspaceMatchesTorch() throws {
        #expect(Self.cases("linspace").count == 4)
        for entry in Self.cases("linspace") {
            let values = Torch.linspace(from: entry["start"] as! Double, to: entry["end"] as! Double, count: entry["count"] as! Int)
            Self.expectSameBits(values, try QuarkGoldenTests.floats(Self.ranges, entry["output"] as! String), "linspace \(entry)")
        }
    }

    @Test func arangeMatchesTorch() throws {
        #expect(Self.cases("arange").count == 3)
        for entry in Self.cases("arange") {
            let values = Torch.arange(from: entry["start"] as! Double, to: entry["end"] as! Double, step: entry["step"] as! Double)
            Self.expectSameBits(values, try QuarkGoldenTests.floats(Self.ranges, entry["output"] as! String), "arange \(entry)")
        }
    }

    @Test func sumMatchesTorch() throws {
        #expect(Self.cases("sum").count == 9)
        for entry in Self.cases("sum") {
            let input = try QuarkGoldenTests.floats(Self.sums, entry["input"] as! String)
            let expected = try QuarkGoldenTests.floats(Self.sums, entry["output"] as! String)
            Self.expectSameBits([Torch.sum(input)], expected, "sum of \(input.count)")
            Self.expectSameBits([Torch.sumReference(input)], expected, "reference sum of \(input.count)")
        }
    }

    @Test func histogramMatchesTorch() throws {
        #expect(Self.cases("histc").count == 3)
        for entry in Self.cases("histc") {
            let input = try QuarkGoldenTests.floats(Self.sums, entry["input"] as! String)
            let counts = input.withUnsafeBufferPointer {
                Torch.histogram($0, bins: entry["bins"] as! Int, lowest: entry["min"] as! Double, highest: entry["max"] as! Double)
            }
            Self.expectSameBits(counts, try QuarkGoldenTests.floats(Self.sums, entry["output"] as! String), "histc \(entry)")
        }
    }

    /// The pointer cascade against its scalar reference, over lengths that cross every boundary:
    /// the scalar path (< 8), partial ILP rows, level flushes (16 rows of 32) and tails.
    @Test(arguments: [1, 3, 7, 8, 17, 33, 129, 511, 512, 513, 4100, 70_001])
    func sumEqualsItsReference(count: Int) {
        var generator = SystemRandomNumberGenerator()
        let values = (0..<count).map { _ in Float.random(in: -1000...1000, using: &generator) * (Bool.random() ? 1 : 1e-3) }
        #expect(Torch.sum(values).bitPattern == Torch.sumReference(values).bitPattern)
    }

    @Test func int32ConversionFollowsX86() {
        #expect(Torch.int32(-7.9) == -7 && Torch.int32(127.5) == 127)
        #expect(Torch.int32(.nan) == .min && Torch.int32(2_147_483_648) == .min && Torch.int32(-.infinity) == .min)
        #expect(Torch.int32(-2_147_483_648) == .min && Torch.int32(2_147_483_520) == 2_147_483_520)
    }
}
