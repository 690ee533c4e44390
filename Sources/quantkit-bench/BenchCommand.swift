import ArgumentParser
import Foundation
import Formats
import Models
import Tensors
import Tokenizers

/// Timing harness for Scripts/bench/*.py: each subcommand repeats one operation and prints the
/// median wall time as JSON. The peers are timed by the Python driver in the same run.
@main
struct BenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "quantkit-bench",
        abstract: "Micro-benchmarks of QuantKit's building blocks (medians of repeated runs, JSON on stdout).",
        subcommands: [TokenizeBench.self, DequantizeBench.self, MatmulBench.self, GenerateBench.self, BandwidthBench.self, MatrixVectorBench.self, AttentionBench.self])
}

/// Median seconds of `repeats` runs of `body` (after one warm-up run).
func medianSeconds(repeats: Int, _ body: () throws -> Void) rethrows -> Double {
    try body()
    var times: [Double] = []
    for _ in 0..<repeats {
        let start = DispatchTime.now().uptimeNanoseconds
        try body()
        times.append(Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9)
    }
    return times.sorted()[times.count / 2]
}

struct Result: Encodable {
    var median_seconds: Double
    var repeats: Int
    var detail: [String: Double] = [:]
}

func emit(_ result: Result) throws {
    let data = try JSONEncoder().encode(result)
    print(String(decoding: data, as: UTF8.self))
}

struct TokenizeBench: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "tokenize", abstract: "Encode a file (no special tokens).")
    @Option var model: String
    @Option var file: String
    @Option var repeats = 5
    @Flag var json = false

    func run() throws {
        let tokenizer = try ModelLoader.loadTokenizer(model)
        let text = try String(contentsOfFile: file, encoding: .utf8)
        var count = 0
        // The word cache persists across runs, as it would in a server; HF tokenizers caches words too.
        let seconds = try medianSeconds(repeats: repeats) { count = tokenizer.encode(text, addSpecialTokens: false).count }
        try emit(Result(median_seconds: seconds, repeats: repeats, detail: ["tokens": Double(count)]))
    }
}

struct DequantizeBench: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "dequantize", abstract: "Dequantize every tensor of one ggml type.")
    @Option var gguf: String
    @Option var type: String
    @Option var repeats = 5
    @Flag var json = false

    func run() throws {
        let file = try GGUFFile(url: URL(fileURLWithPath: gguf))
        let infos = file.tensors.filter { $0.type.name == type }
        guard !infos.isEmpty else { throw ValidationError("\(gguf): no tensor of type \(type)") }
        let seconds = try medianSeconds(repeats: repeats) { for info in infos { _ = try file.dequantize(info) } }
        try emit(Result(median_seconds: seconds, repeats: repeats, detail: ["tensors": Double(infos.count)]))
    }
}

struct MatmulBench: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "sgemm", abstract: "X[m,k] · W[n,k]ᵀ through OpenBLAS.")
    @Option var m: Int
    @Option var n: Int
    @Option var k: Int
    @Option var repeats = 5
    @Flag var json = false

    func run() throws {
        let x = (0..<(m * k)).map { Float(($0 * 7919) % 1000) / 1000 - 0.5 }
        let w = (0..<(n * k)).map { Float(($0 * 104729) % 1000) / 1000 - 0.5 }
        var y = [Float](repeating: 0, count: m * n)
        let seconds = medianSeconds(repeats: repeats) {
            y.withUnsafeMutableBufferPointer { out in
                matmul(m: m, n: n, k: k, a: x, lda: k, b: w, ldb: k, transposeB: true, c: out.baseAddress!, ldc: n)
            }
        }
        try emit(Result(median_seconds: seconds, repeats: repeats))
    }
}
