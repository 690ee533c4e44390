import ArgumentParser
import Evaluation
import Exporters
import Foundation
import Formats
import Models
import Quantization

struct QuantizeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "quantize",
        abstract: "Quantize a model (scheme or config file), report what it cost, and export it for its consumer.",
        discussion: "Quark's script spellings are accepted too: --model_dir, --output_dir, --quant_scheme, --quant_algo, --num_calib_data, --kv_cache_dtype, --model_export hf_format.")

    @Option(name: [.customLong("model"), .customLong("model_dir")], help: "HF model directory or .gguf file.") var model: String?
    @Option(name: [.customLong("output"), .customLong("output_dir")], help: "Directory to create for the export.") var output: String?
    @Option(name: [.customLong("scheme"), .customLong("quant_scheme")], help: "A named scheme (--list-schemes).") var scheme: String?
    @Option(name: [.customLong("group-size"), .customLong("group_size")], help: "Group size of grouped schemes.") var groupSize: Int?
    @Option(name: .long, help: "A Quark-style JSON quantization config.") var config: String?
    @Option(name: [.customLong("algo"), .customLong("quant_algo")], help: "Algorithms in order: rtn (default), rotation, smoothquant, autosmoothquant, awq, gptq (e.g. --algo rotation --algo smoothquant --algo rtn, --algo awq [--algo rtn|gptq]).") var algo: [String] = []
    @Option(name: [.customLong("smooth-alpha"), .customLong("alpha")], help: "SmoothQuant migration strength alpha in 0...1 (default 0.5; a config file's own value otherwise).")
    var smoothAlpha: Float?
    @Option(name: .long, help: "Seed of --algo rotation's random signs and orthogonal factors (the same seed writes the same bytes).")
    var seed: UInt64 = 0
    @Flag(name: .customLong("rotation-online-down"), help: "With --algo rotation, also rotate down_proj's input at run time (QuaRot's R4). Evaluation only (--eval ppl): no export format expresses it.")
    var rotationOnlineDown = false
    @Option(name: .long, help: "GPTQ dampening: this fraction of mean(diag H) is added to the diagonal (grows automatically when a Cholesky fails).")
    var damp = 0.01
    @Option(name: [.customLong("awq-search-windows")], help: "AWQ: calibration windows each scale candidate and the clipping search are judged on (the first ones; default 2).")
    var awqSearchWindows = 2
    @Flag(name: [.customLong("no-awq-clip")], help: "AWQ: skip the clipping search.") var noAWQClip = false
    @Option(name: [.customLong("search-objective")], help: "AWQ and AutoSmoothQuant: judge each scale candidate on its pair's block (block: o_proj's output for q/k/v and o, down_proj's for gate/up and down, as AutoAWQ, llm-compressor and amd-quark do) or on the whole decoder layer (layer: about three times slower).")
    var searchObjective: SearchObjective = .block
    @Option(name: [.customLong("autosmoothquant-search-windows")], help: "AutoSmoothQuant: calibration windows each candidate is judged on (the first ones; default: all). Input ranges always come from every window.")
    var autoSmoothQuantSearchWindows: Int?
    @Flag(name: [.customLong("act-order"), .customLong("desc_act")], help: "GPTQ act-order: quantize columns by descending diag H.") var actOrder = false
    @Flag(name: [.customLong("static-groups"), .customLong("static_groups")], help: "GPTQ: group parameters from the original weight (needed with --act-order for the Quark format).")
    var staticGroups = false
    @Flag(name: [.customLong("no-true-sequential")], help: "GPTQ: take every linear's Hessian from one forward of the float layer (llm-compressor) instead of quantizing q/k/v, o, gate/up and down in turn, each group seeing the earlier ones quantized.")
    var noTrueSequential = false
    @Option(name: [.customLong("hessian-token-cap")], help: "GPTQ: a calibration token whose input norm exceeds this multiple of its window's median counts in the Hessian at that norm, so the first position's massive activations do not dominate it (0: the paper's Hessian).")
    var hessianTokenCap: Float = 4
    @Option(name: [.customLong("kv-cache-dtype"), .customLong("kv_cache_dtype")], help: "Quantize the KV cache: fp8 or int8.") var kvCacheDType: String?
    @Option(name: [.customLong("kv-cache-granularity")], help: "KV-cache scales: tensor (one per layer, what Quark and vLLM store) or head (one per KV head; not exportable to the quark format).")
    var kvCacheGranularity = "tensor"
    @Option(name: [.customLong("calib-data")], help: "Calibration text (default: the bundled Data/wiki_calib.txt).") var calibData: String?
    @Option(name: [.customLong("num-calib-data"), .customLong("num_calib_data")], help: "Calibration windows.") var numCalibData = 128
    @Option(name: [.customLong("seq-len"), .customLong("seq_len")], help: "Tokens per calibration window.") var seqLen = 512
    @Option(name: .long, help: "Module patterns left unquantized (default lm_head).") var exclude: [String] = []
    @Option(name: .long, help: "Export format: quark.") var format = "quark"
    @Option(name: [.customLong("model_export")], help: "Quark alias: hf_format means --format quark.") var modelExport: String?
    @Option(name: .long, help: "ppl: print the float and the quantized perplexity.") var eval: String?
    @Option(name: [.customLong("tasks")], help: "Quark alias of --eval (ppl / wikitext).") var tasks: String?
    @Option(name: [.customLong("eval-data")], help: "Evaluation text (default: the bundled Data/wiki_eval.txt).") var evalData: String?
    @Option(name: [.customLong("eval-windows")], help: "Perplexity windows of --seq-len.") var evalWindows = 64
    @Option(name: [.customLong("error-windows")], help: "Calibration windows that measure each linear's output error (0: none).")
    var errorWindows = 4
    @Flag(name: .long, help: "Continue the interrupted run toward --output (its .NAME.partial directory) at its first unfinished layer; the files equal an uninterrupted run's.")
    var resume = false
    @Option(name: [.customLong("max-memory")], help: "Calibration activations above this size (e.g. 512M, 4G) live in a memory-mapped file instead of RAM (default 4G; with --output they always do, as the checkpoint).")
    var maxMemory = "4G"
    @Flag(name: [.customLong("list-schemes")], help: "Print the named schemes, one per line.") var listSchemes = false
    @Flag(name: .long, help: "Print one JSON object on stdout.") var json = false

    func validate() throws {
        if listSchemes { return }
        guard model != nil else { throw ValidationError("--model is required") }
        guard output != nil || eval != nil || tasks != nil else { throw ValidationError("--output is required (or --eval ppl to only measure)") }
        guard (scheme == nil) != (config == nil) else { throw ValidationError("give exactly one of --scheme or --config") }
        guard numCalibData >= 1 else { throw ValidationError("--num-calib-data must be at least 1, got \(numCalibData)") }
        guard errorWindows >= 0 else { throw ValidationError("--error-windows must be 0 or more, got \(errorWindows)") }
        guard seqLen >= 2 else { throw ValidationError("--seq-len must be at least 2, got \(seqLen)") }
        if let groupSize, groupSize < 1 { throw ValidationError("--group-size must be positive, got \(groupSize)") }
        if let kvCacheDType, !["fp8", "int8"].contains(kvCacheDType) {
            throw ValidationError("--kv-cache-dtype '\(kvCacheDType)' is not supported; valid: fp8, int8")
        }
        guard ["tensor", "head"].contains(kvCacheGranularity) else {
            throw ValidationError("--kv-cache-granularity '\(kvCacheGranularity)' is not supported; valid: tensor, head")
        }
        if kvCacheGranularity == "head" {
            guard kvCacheDType != nil else { throw ValidationError("--kv-cache-granularity head needs --kv-cache-dtype fp8|int8") }
            guard output == nil else {
                throw ValidationError("--kv-cache-granularity head cannot be exported to the quark format (one k/v scale per layer); drop --output and use --eval ppl")
            }
        }
        if let modelExport, modelExport != "hf_format" { throw ValidationError("--model_export '\(modelExport)' is not supported; valid: hf_format") }
        guard format == "quark" else { throw ValidationError("--format '\(format)' is not supported yet; valid: quark") }
        for name in algo where AlgorithmName(quarkName: name) == nil {
            throw ValidationError("--algo '\(name)' is unknown; valid: \(AlgorithmName.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        if rotationOnlineDown {
            guard config != nil || algo.contains(where: { AlgorithmName(quarkName: $0) == .rotation }) else {
                throw ValidationError("--rotation-online-down needs --algo rotation")
            }
            guard output == nil else {
                throw ValidationError("--rotation-online-down cannot be exported: the quark format's consumers would not rotate down_proj's input at run time; drop --output and use --eval ppl")
            }
        }
        if let smoothAlpha, !(0...1).contains(smoothAlpha) { throw ValidationError("--smooth-alpha must be in 0...1, got \(smoothAlpha)") }
        if resume && output == nil { throw ValidationError("--resume continues an interrupted export: give the same --output") }
        _ = try byteCount(maxMemory, flag: "--max-memory")
        if let windows = autoSmoothQuantSearchWindows, windows < 1 {
            throw ValidationError("--autosmoothquant-search-windows must be at least 1, got \(windows)")
        }
        guard awqSearchWindows >= 1 else { throw ValidationError("--awq-search-windows must be at least 1, got \(awqSearchWindows)") }
        guard damp >= 0 && damp <= 10 else { throw ValidationError("--damp must be in 0...10, got \(damp)") }
        guard hessianTokenCap >= 0, hessianTokenCap.isFinite else { throw ValidationError("--hessian-token-cap must be 0 (off) or a positive ratio, got \(hessianTokenCap)") }
        if actOrder && !staticGroups && output != nil {
            throw ValidationError("--act-order without --static-groups needs g_idx, which the quark format cannot store; add --static-groups")
        }
        if let metric = eval ?? tasks, !["ppl", "wikitext"].contains(metric) { throw ValidationError("--eval '\(metric)' is not supported; valid: ppl") }
    }

    func run() throws {
        if listSchemes {
            for entry in QuantScheme.all(groupSize: groupSize) { print("\(entry.name)\t\(entry.summary)") }
            return
        }
        let start = Date()
        var quantConfig = try makeConfig()
        let loaded = try AnyModelLoader.load(model!)
        if kvCacheGranularity == "head" { quantConfig.kvCache?.granularity = .perGroup(size: loaded.model.configuration.headDimension) }
        if output != nil { try QuarkExporter.checkExportable(quantConfig, layerCount: loaded.model.configuration.layerCount) }
        if output != nil, quantConfig.algorithms.contains(.rotation), quantConfig.rotation.onlineDown {
            // A config file's `r4: true` asks for the same online rotation the flag does; refused before quantizing.
            throw ValidationError("the config's rotation has r4 (online down_proj rotation), which cannot be exported; drop --output and use --eval ppl")
        }
        var calibration: [[Int]] = []
        let quantizer = ModelQuantizer(config: quantConfig, gptqOptions: GPTQOptions(dampingFraction: damp, activationOrder: actOrder,
                                                                                    staticGroups: staticGroups, trueSequential: !noTrueSequential,
                                                                                    hessianTokenCap: hessianTokenCap > 0 ? hessianTokenCap : nil),
                                       awqOptions: AWQOptions(searchWindows: awqSearchWindows, clip: !noAWQClip,
                                                              objective: searchObjective),
                                       autoSmoothQuantOptions: AutoSmoothQuantOptions(objective: searchObjective,
                                                                                      searchWindows: autoSmoothQuantSearchWindows))
        let calibrating = quantizer.needsCalibration(layerCount: loaded.model.configuration.layerCount)
        // Weight-only runs read calibration text only to measure output errors: without a bundled
        // text they go on without that column.
        let calibrationPath: String? = calibrating ? try calibData ?? bundledData("wiki_calib.txt", flag: "--calib-data")
            : errorWindows > 0 ? calibData ?? (try? bundledData("wiki_calib.txt", flag: "--calib-data")) : nil
        if let path = calibrationPath {
            let tokens = loaded.tokenizer.encode(try readText(path), addSpecialTokens: false)
            guard tokens.count >= seqLen else {
                throw ValidationError("\(path): \(tokens.count) tokens is shorter than one calibration window of --seq-len \(seqLen)")
            }
            let wanted = calibrating ? numCalibData : min(numCalibData, errorWindows)
            let count = min(wanted, tokens.count / seqLen)
            if count < wanted { note("\(path) holds \(count) windows of \(seqLen) tokens; calibrating on \(count)") }
            calibration = (0..<count).map { Array(tokens[($0 * seqLen)..<(($0 + 1) * seqLen)]) }
        }
        let progress = Progress("layer", total: loaded.model.configuration.layerCount)
        let report: [LayerReport]
        var evaluated = loaded.model
        if let output {
            // Streaming: each layer is written as it finishes and checkpointed, so memory stays at one
            // layer and a killed run resumes (--resume).
            let run = ResumableQuarkQuantization(quantizer: quantizer, settings: runSettings(calibration: calibration),
                                                 baseConfig: try baseConfig(loaded)) { directory in
                try TokenizerFiles.copy(from: URL(fileURLWithPath: model!), into: directory)
            }
            let outcome = try run.run(loaded.model, calibration: calibration, errorWindows: errorWindows,
                                      output: URL(fileURLWithPath: output), resume: resume,
                                      progress: { done, _ in progress.update(done) })
            if let layer = outcome.resumedAt { note("resumed at layer \(layer) of \(loaded.model.configuration.layerCount)") }
            report = outcome.report
            if eval != nil || tasks != nil { evaluated = try AnyModelLoader.load(output).model }
        } else {
            let width = loaded.model.configuration.hiddenSize
            let rows = quantizer.carriedWindows(calibration, errorWindows: errorWindows, layerCount: loaded.model.configuration.layerCount).map(\.count)
            let spill = ActivationStore.byteCount(rows: rows, width: width) > (try byteCount(maxMemory, flag: "--max-memory"))
            let spillDirectory = FileManager.default.temporaryDirectory.appendingPathComponent("quantkit-activations-\(getpid())")
            defer { if spill { try? FileManager.default.removeItem(at: spillDirectory) } }
            let stream = QuantizationStream(backing: spill ? .files(spillDirectory) : .memory)
            let quantized = try quantizer.quantize(loaded.model, calibration: calibration, errorWindows: errorWindows, stream: stream) { done, _ in
                progress.update(done)
            }
            report = quantized.report
            evaluated = quantized.model
        }
        let quantizeSeconds = Date().timeIntervalSince(start)
        var summary = QuantizeSummary(output: output, format: format, seconds: 0, quantizeSeconds: quantizeSeconds,
                                      calibrationWindows: calibrating ? calibration.count : 0, layers: report)
        if eval != nil || tasks != nil {
            let path = try evalData ?? bundledData("wiki_eval.txt", flag: "--eval-data")
            let tokens = loaded.tokenizer.encode(try readText(path), addSpecialTokens: false)
            let floatResult = try Perplexity.evaluate(model: loaded.model, tokens: tokens, sequenceLength: seqLen, maxWindows: evalWindows, source: path)
            let quantizedResult = try Perplexity.evaluate(model: evaluated, tokens: tokens, sequenceLength: seqLen,
                                                          maxWindows: evalWindows, source: path)
            summary.perplexity = ["float": floatResult.perplexity, "quantized": quantizedResult.perplexity]
            summary.evalWindows = floatResult.windows
        }
        summary.seconds = Date().timeIntervalSince(start)
        if json { try printJSON(summary) } else { printTable(summary) }
    }

    /// What a resumed run must share with the interrupted one, besides the quantization config.
    func runSettings(calibration: [[Int]]) -> [String: String] {
        // FNV-1a over the calibration tokens: a different text, window count or length changes it.
        var digest: UInt64 = 0xcbf2_9ce4_8422_2325
        for window in calibration {
            for token in window + [-1] {
                digest = (digest ^ UInt64(bitPattern: Int64(token))) &* 0x100_0000_01b3
            }
        }
        return ["model": URL(fileURLWithPath: model!).standardizedFileURL.path, "calibration": String(digest, radix: 16),
                "seq_len": "\(seqLen)", "windows": "\(calibration.count)"]
    }

    func makeConfig() throws -> QuantConfig {
        var quantConfig: QuantConfig
        if let scheme {
            quantConfig = QuantConfig(global: try QuantScheme.spec(named: scheme, groupSize: groupSize))
        } else {
            quantConfig = try QuantConfigFile.load(config!)
        }
        if !exclude.isEmpty { quantConfig.exclude = exclude }
        switch kvCacheDType {
        // Quark writes the KV-cache output spec with `scale_type: null`.
        case "fp8": quantConfig.kvCache = QuantSpec(format: .fp8E4M3, scaleTypeUnset: true)
        case "int8": quantConfig.kvCache = QuantSpec(format: .int8, scaleTypeUnset: true)
        default: break
        }
        if !algo.isEmpty { quantConfig.algorithms = algo.compactMap(AlgorithmName.init(quarkName:)) }
        if let smoothAlpha { quantConfig.smoothQuant.alpha = smoothAlpha }
        quantConfig.rotation.seed = seed
        // The flag adds R4; it does not take away a config file's `r4: true`.
        if rotationOnlineDown { quantConfig.rotation.onlineDown = true }
        return quantConfig
    }

    /// The source's config.json object (an HF directory's own file, or one made from a GGUF's metadata).
    func baseConfig(_ loaded: LoadedModel) throws -> [String: Any] {
        let url = URL(fileURLWithPath: model!).appendingPathComponent("config.json")
        if let data = FileManager.default.contents(atPath: url.path),
           var object = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any] {
            object["quantization_config"] = nil
            return object
        }
        return loaded.model.configuration.hfConfigJSON(bosTokenId: loaded.tokenizer.bosTokenId, eosTokenId: loaded.tokenizer.eosTokenId,
                                                       dtype: "float32")
    }

    func printTable(_ summary: QuantizeSummary) {
        // Relative squared errors: of the weight, and of the linear's output on calibration inputs.
        let gptq = summary.layers.contains { $0.gptqLoss != nil }
        let smoothed = summary.layers.contains { $0.smoothingScales != nil }
        print("layer".padding(toLength: 44, withPad: " ", startingAt: 0) + "weight error  output error"
              + (smoothed ? "  smoothing scales     " : "") + (gptq ? "  gptq loss   damp" : ""))
        for layer in summary.layers {
            var line = layer.name.padding(toLength: 44, withPad: " ", startingAt: 0) + String(format: "%.3e     ", layer.weightError)
                + (layer.outputError.map { String(format: "%.3e", $0) } ?? "-        ")
            if smoothed {
                line += layer.smoothingScales.map { String(format: "    %.2e..%.2e", $0[0], $0[1]) } ?? "    -                 "
                if let ratio = layer.smoothingRatio { line += String(format: " (ratio %.2f)", ratio) }
                if let loss = layer.scaleSearchLoss, let identity = layer.scaleSearchIdentityLoss {
                    line += String(format: " awq loss %.3e (unscaled %.3e)", loss, identity)
                }
                if let clipped = layer.clippedGroups, clipped > 0 { line += " \(clipped) groups clipped" }
            }
            if let loss = layer.gptqLoss, let fraction = layer.dampingFraction {
                line += String(format: "   %.3e   %g", loss, fraction) + (layer.dampingEscalated == true ? " (escalated)" : "")
                    + ((layer.deadColumns ?? 0) > 0 ? ", \(layer.deadColumns!) dead inputs" : "")
            }
            print(line)
        }
        if let output = summary.output { print("wrote \(output) (\(summary.format))") }
        if let ppl = summary.perplexity {
            print(String(format: "perplexity: float %.4f, quantized %.4f (%+.2f%%) over %d windows",
                         ppl["float"]!, ppl["quantized"]!, 100 * (ppl["quantized"]! / ppl["float"]! - 1), summary.evalWindows ?? 0))
        }
        print(String(format: "quantized in %.1f s, %.1f s in all", summary.quantizeSeconds, summary.seconds))
    }
}

struct QuantizeSummary: Encodable {
    var output: String?
    var format: String
    var seconds: Double
    var quantizeSeconds: Double
    var calibrationWindows: Int
    var layers: [LayerReport]
    var perplexity: [String: Double]?
    var evalWindows: Int?

    enum CodingKeys: String, CodingKey {
        case output, format, seconds, layers, perplexity
        case quantizeSeconds = "quantize_seconds"
        case calibrationWindows = "calibration_windows"
        case evalWindows = "eval_windows"
    }
}

/// "512M", "4G", "1.5G" or a plain byte count.
func byteCount(_ text: String, flag: String) throws -> Int {
    let units: [Character: Double] = ["K": 0x1p10, "M": 0x1p20, "G": 0x1p30, "T": 0x1p40]
    var number = text.uppercased()
    var unit = 1.0
    if number.hasSuffix("B") { number.removeLast() }
    if let last = number.last, let factor = units[last] {
        unit = factor
        number.removeLast()
    }
    guard let value = Double(number), value >= 0, value.isFinite else {
        throw ValidationError("\(flag) '\(text)' is not a size; write e.g. 512M, 4G or a byte count")
    }
    return Int(value * unit)
}

/// A bundled text under Data/: next to the working directory, or above the executable (a checkout).
func bundledData(_ name: String, flag: String) throws -> String {
    var candidates = [URL(fileURLWithPath: FileManager.default.currentDirectoryPath)]
    var directory = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath().deletingLastPathComponent()
    for _ in 0..<5 {
        candidates.append(directory)
        directory = directory.deletingLastPathComponent()
    }
    for base in candidates {
        let path = base.appendingPathComponent("Data").appendingPathComponent(name).path
        if FileManager.default.fileExists(atPath: path) { return path }
    }
    throw ValidationError("the bundled Data/\(name) was not found near the working directory or the executable; give \(flag) FILE")
}

/// `--search-objective block|layer`: ArgumentParser checks the value and lists the valid ones.
extension SearchObjective: ExpressibleByArgument {}
