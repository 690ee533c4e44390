import ArgumentParser
import Foundation
import Models
import Tensors

/// Prefill of `promptTokens` tokens, then `decodeTokens` single-token steps from the KV cache
/// (greedy), as llama-bench's pp/tg tests measure them.
struct GenerateBench: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "generate", abstract: "Prefill and decode tokens/s.")
    @Option var model: String
    @Option(name: .customLong("prompt-tokens")) var promptTokens = 512
    @Option(name: .customLong("decode-tokens")) var decodeTokens = 128
    @Option var repeats = 3
    @Flag var json = false

    func run() throws {
        let loaded = try ModelLoader.load(model)
        let model = loaded.model
        let prompt = (0..<promptTokens).map { ($0 * 7919 + 13) % model.configuration.vocabularySize }
        let cache = model.makeCache(capacity: promptTokens + decodeTokens + 1)
        var prefill: [Double] = [], decode: [Double] = []
        for _ in 0..<(repeats + 1) {
            cache.reset()
            var start = DispatchTime.now().uptimeNanoseconds
            var hidden = try model.normalizedHidden(tokens: prompt, cache: cache)
            var logits = model.logits(hidden.rows((promptTokens - 1)..<promptTokens))
            prefill.append(Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9)
            start = DispatchTime.now().uptimeNanoseconds
            for _ in 0..<decodeTokens {
                let next = logits.withUnsafeBufferPointer(as: Float.self) { Sampler.argmax($0) }
                hidden = try model.normalizedHidden(tokens: [next], cache: cache)
                logits = model.logits(hidden)
            }
            decode.append(Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9)
        }
        // The first round warms caches and page-ins; medians of the rest.
        let p = prefill.dropFirst().sorted()[repeats / 2], d = decode.dropFirst().sorted()[repeats / 2]
        try emit(Result(median_seconds: p + d, repeats: repeats,
                        detail: ["prefill_tokens_per_second": Double(promptTokens) / p,
                                 "decode_tokens_per_second": Double(decodeTokens) / d]))
    }
}

/// Read bandwidth of DRAM: sums a buffer far larger than the caches, on `ComputeThreads` threads.
struct BandwidthBench: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "bandwidth", abstract: "DRAM read GB/s.")
    @Option var megabytes = 1024
    @Option var threads = 1
    @Option var repeats = 5
    @Flag var json = false

    func run() throws {
        let count = megabytes * 1_048_576 / 64
        let buffer = UnsafeMutableBufferPointer<SIMD16<Float>>.allocate(capacity: count)
        defer { buffer.deallocate() }
        buffer.initialize(repeating: SIMD16(repeating: 1))
        let chunk = (count + threads - 1) / threads
        let base = SendableMutablePointer(buffer.baseAddress!)
        let seconds = medianSeconds(repeats: repeats) {
            DispatchQueue.concurrentPerform(iterations: threads) { part in
                var sum = SIMD16<Float>.zero
                let start = part * chunk, end = min(count, start + chunk)
                var i = start
                while i < end { sum += base[i]; i += 1 }
                if sum[0] == -1 { print("") }  // keeps the loop from being optimized away
            }
        }
        try emit(Result(median_seconds: seconds, repeats: repeats,
                        detail: ["gigabytes_per_second": Double(count * 64) / 1e9 / seconds]))
    }
}
