import Foundation
import Testing
import Formats
@testable import Quantization
import Tensors

/// QuantKit's GPTQ against the reference of Scripts/fixtures/make_gptq_reference.py: the paper's
/// `fasterquant` in torch float32 with Quark's column quantizer, on a seeded 128 × 512 layer whose
/// inputs both sides regenerate from the same integer recipe. Independent float32 implementations
/// cannot agree bit for bit (BLAS summation order, and a flipped code changes its row's later
/// columns), so the contract is agreement: ≥ 99.9 % of codes without act-order, loss within 1 %.
/// The manifest is read-only after loading, hence `nonisolated(unsafe)`.
struct GPTQReferenceTests {
    static let directory = Bundle.module.resourceURL!.appendingPathComponent("Fixtures")
    nonisolated(unsafe) static let manifest = try! JSONSerialization.jsonObject(
        with: Data(contentsOf: directory.appendingPathComponent("gptq_reference.json"))) as! [String: Any]
    nonisolated(unsafe) static let cases = manifest["cases"] as! [[String: Any]]
    nonisolated(unsafe) static let inputs = manifest["inputs"] as! [String: Any]
    static let rows = inputs["rows"] as! Int, columns = inputs["columns"] as! Int

    /// Value `index` of the script's counter-based SplitMix64 stream `stream`.
    static func splitmix(_ stream: UInt64, _ index: Int) -> UInt64 {
        var z = stream &+ UInt64(index + 1) &* 0x9E37_79B9_7F4A_7C15
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// The script's `make_weight`: three 16-bit uniforms summed, centred, times 2⁻²⁰; outlier columns × 8.
    static func weight() -> [Float] {
        let count = rows * columns
        let outliers = Set(inputs["outlier_weight_columns"] as! [Int])
        return (0..<count).map { index in
            let sum = (0..<3).reduce(Int64(0)) { $0 + Int64(splitmix(1, $1 * count + index) >> 48) }
            let value = Double(sum - 98302) * 0x1p-20 * (outliers.contains(index % columns) ? 8 : 1)
            return Float(value)
        }
    }

    /// The script's `make_batch`: [tokens, columns] = scale_j · (noise + factors · mixing).
    static func batch(_ index: Int) -> [Float] {
        let tokens = inputs["tokens_per_batch"] as! Int, factors = inputs["factors"] as! Int
        let dead = Set(inputs["dead_features"] as! [Int]), outliers = Set(inputs["outlier_features"] as! [Int])
        let scales: [Double] = (0..<columns).map { j in
            dead.contains(j) ? 0 : (1024 + Double(j)) / 1024 * (outliers.contains(j) ? 4 : 1)
        }
        let mixing = (0..<(factors * columns)).map { Int64(splitmix(300, $0) % 3) - 1 }
        var values = [Float](repeating: 0, count: tokens * columns)
        for token in 0..<tokens {
            let shared = (0..<factors).map { Int64(splitmix(UInt64(200 + index), token * factors + $0) % 7) - 3 }
            for j in 0..<columns {
                var x = Int64(splitmix(UInt64(100 + index), token * columns + j) % 7) - 3
                for f in 0..<factors { x += shared[f] * mixing[f * columns + j] }
                values[token * columns + j] = Float(Double(x) * scales[j])
            }
        }
        return values
    }

    /// Σ bitPattern(xᵢ) · (i + 1) mod 2⁶⁴, the script's checksum.
    static func checksum(_ values: [Float]) -> String {
        let sum = values.enumerated().reduce(UInt64(0)) { $0 &+ UInt64($1.element.bitPattern) &* UInt64($1.offset + 1) }
        let hex = String(sum, radix: 16)
        return String(repeating: "0", count: 16 - hex.count) + hex
    }

    static let weightValues = weight()
    static let batches = (0..<(inputs["batches"] as! Int)).map(batch)
    static let hessian: Hessian = {
        var h = Hessian(features: columns)
        for batch in batches { batch.withUnsafeBufferPointer { h.add($0, tokens: batch.count / columns) } }
        return h
    }()

    @Test func inputsAreTheScriptsInputs() {
        #expect(Self.checksum(Self.weightValues) == Self.inputs["weight_checksum"] as! String)
        #expect(Self.batches.map(Self.checksum) == Self.inputs["batch_checksums"] as! [String])
        let matrix = Self.hessian.matrix
        let trace = (0..<Self.columns).reduce(0.0) { $0 + Double(matrix[$1 * Self.columns + $1]) }
        let expected = Self.inputs["hessian_trace"] as! Double
        #expect(abs(trace - expected) <= 1e-6 * expected, "trace \(trace) vs \(expected)")
    }

    static func spec(_ entry: [String: Any]) -> QuantSpec {
        let format = ElementFormat(rawValue: entry["format"] as! String)!
        let group = entry["group"] as! Int
        return QuantSpec(format: format, granularity: group == -1 ? .perChannel : .perGroup(size: group),
                         symmetric: entry["symmetric"] as! Bool)
    }

    /// The fixture's codes as QuantKit writes them (signed formats sign-extended).
    static func expectedCodes(_ file: SafetensorsFile, format: ElementFormat) throws -> [Int32] {
        let bytes = try file.tensor(named: "codes").withUnsafeBufferPointer(as: UInt8.self) { Array($0) }
        switch format {
        case .int4: return bytes.flatMap { [Int32($0 & 0xF), Int32($0 >> 4)] }.map { $0 >= 8 ? $0 - 16 : $0 }
        case .uint4: return bytes.flatMap { [Int32($0 & 0xF), Int32($0 >> 4)] }
        case .int8: return bytes.map { Int32(Int8(bitPattern: $0)) }
        default: return bytes.map(Int32.init)
        }
    }

    @Test(arguments: cases.map { $0["name"] as! String })
    func agreesWithReference(caseName: String) throws {
        let entry = Self.cases.first { $0["name"] as? String == caseName }!
        let spec = Self.spec(entry)
        let actOrder = entry["actorder"] as! Bool, staticGroups = entry["static_groups"] as! Bool
        let options = GPTQOptions(activationOrder: actOrder, staticGroups: staticGroups)
        let result = try Self.weightValues.withUnsafeBufferPointer {
            try GPTQ.quantize(weight: $0, rows: Self.rows, columns: Self.columns, hessian: Self.hessian, spec: spec, options: options)
        }
        let file = try SafetensorsFile(url: Self.directory.appendingPathComponent(entry["file"] as! String))
        let codes = try Self.expectedCodes(file, format: spec.format)
        let codeAgreement = Double(zip(result.quantized.codes, codes).filter { $0 == $1 }.count) / Double(codes.count)
        let expectedLoss = entry["loss"] as! Double
        let lossRatio = result.loss / expectedLoss

        let scales = try file.tensor(named: "scales").floats()
        let scaleAgreement = Double(zip(result.quantized.parameters.scales, scales).filter { abs($0 - $1) <= 1e-5 * abs($1) }.count) / Double(scales.count)
        var zeroAgreement = 1.0
        if !spec.symmetric {
            let zeros = try file.tensor(named: "zero_points").withUnsafeBufferPointer(as: Int32.self) { Array($0) }
            zeroAgreement = Double(zip(result.quantized.parameters.zeroPoints ?? [], zeros).filter { $0 == $1 }.count) / Double(zeros.count)
        }
        print("GPTQ reference \(caseName): codes \(String(format: "%.4f", codeAgreement * 100)) % equal, loss \(result.loss) vs \(expectedLoss) (ratio \(String(format: "%.5f", lossRatio))), scales \(String(format: "%.2f", scaleAgreement * 100)) %, zero points \(String(format: "%.2f", zeroAgreement * 100)) %, damp \(result.damping) vs \(entry["damp"] as! Double)")

        #expect(result.triedDampingFractions == [0.01] && !result.fellBackToRoundToNearest)
        #expect(abs(result.damping - (entry["damp"] as! Double)) <= 1e-5 * (entry["damp"] as! Double))
        #expect(result.deadColumns == Self.inputs["dead_features"] as! [Int])
        // Without act-order the sweep order is the column order and the contract is 99.9 %; act-order
        // adds the ordering of diag H, whose float32 rounding the reference measures at ≥ 99.9 % too
        // for this layer, but the agreement is reported rather than promised there.
        #expect(codeAgreement >= (actOrder ? 0.995 : 0.999), "codes \(codeAgreement)")
        #expect(abs(lossRatio - 1) <= 0.01, "loss \(result.loss) vs \(expectedLoss)")
        #expect(scaleAgreement >= 0.995 && zeroAgreement >= 0.995)
        if actOrder {
            let gIdx = try file.tensor(named: "g_idx").withUnsafeBufferPointer(as: Int32.self) { Array($0) }
            #expect(result.groupIndex == gIdx)
        } else {
            #expect(result.groupIndex == nil)
        }
        // The codes and parameters reproduce the dequantized weight the sweep computed with.
        #expect(result.quantized.dequantized() == result.dequantized)
    }
}
