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
    @Option(name: [.customLong("algo"), .customLong("quant_algo")], help: "Algorithms in order: rtn (default), smoothquant, autosmoothquant, awq, gptq (e.g. --algo smoothquant --algo rtn, --algo awq [--algo rtn|gptq]).") var algo: [String] = []
    @Option(name: [.customLong("smooth-alpha"), .customLong("alpha")], help: "SmoothQuant migration strength alpha in 0...1 (default 0.5; a config file's own value otherwise).")
    var smoothAlpha: Float?
    @Option(name: .long, help: "GPTQ dampening: this fraction of mean(diag H) is added to the diagonal (grows automatically when a Cholesky fails).")
    var damp = 0.01
    @Option(name: [.customLong("awq-search-windows")], help: "AWQ: calibration windows each scale candidate and the clipping search are judged on (the first ones; default 4).")
    var awqSearchWindows = 4
    @Flag(name: [.customLong("no-awq-clip")], help: "AWQ: skip the clipping search.") var noAWQClip = false
    @Flag(name: [.customLong("act-order"), .customLong("desc_act")], help: "GPTQ act-order: quantize columns by descending diag H.") var actOrder = false
    @Flag(name: [.customLong("static-groups"), .customLong("static_groups")], help: "GPTQ: group parameters from the original weight (needed with --act-order for the Quark format).")
    var staticGroups = false
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
        let implemented: [AlgorithmName] = [.rtn, .smoothquant, .autosmoothquant, .awq, .gptq]
        for name in algo {
            guard let algorithm = AlgorithmName(quarkName: name) else {
                throw ValidationError("--algo '\(name)' is unknown; valid: \(AlgorithmName.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            guard implemented.contains(algorithm) else {
                throw ValidationError("--algo '\(name)' is not implemented yet; valid now: \(implemented.map(\.rawValue).joined(separator: ", "))")
            }
        }
        if let smoothAlpha, !(0...1).contains(smoothAlpha) { throw ValidationError("--smooth-alpha must be in 0...1, got \(smoothAlpha)") }
        guard awqSearchWindows >= 1 else { throw ValidationError("--awq-search-windows must be at least 1, got \(awqSearchWindows)") }
        guard damp >= 0 && damp <= 10 else { throw ValidationError("--damp must be in 0...10, got \(damp)") }
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
        var calibration: [[Int]] = []
        let quantizer = ModelQuantizer(config: quantConfig, gptqOptions: GPTQOptions(dampingFraction: damp, activationOrder: actOrder,
                                                                                    staticGroups: staticGroups),
                                       awqOptions: AWQOptions(searchWindows: awqSearchWindows, clip: !noAWQClip))
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
        let quantized = try quantizer.quantize(loaded.model, calibration: calibration, errorWindows: errorWindows) { done, _ in
            progress.update(done)
        }
        let quantizeSeconds = Date().timeIntervalSince(start)
        if let output {
            let exporter = QuarkExporter(quantized: quantized, baseConfig: try baseConfig(loaded)) { directory in
                try TokenizerFiles.copy(from: URL(fileURLWithPath: model!), into: directory)
            }
            try exporter.export(to: URL(fileURLWithPath: output))
        }
        var summary = QuantizeSummary(output: output, format: format, seconds: 0, quantizeSeconds: quantizeSeconds,
                                      calibrationWindows: calibrating ? calibration.count : 0, layers: quantized.report)
        if eval != nil || tasks != nil {
            let path = try evalData ?? bundledData("wiki_eval.txt", flag: "--eval-data")
            let tokens = loaded.tokenizer.encode(try readText(path), addSpecialTokens: false)
            let floatResult = try Perplexity.evaluate(model: loaded.model, tokens: tokens, sequenceLength: seqLen, maxWindows: evalWindows, source: path)
            let quantizedResult = try Perplexity.evaluate(model: quantized.model, tokens: tokens, sequenceLength: seqLen,
                                                          maxWindows: evalWindows, source: path)
            summary.perplexity = ["float": floatResult.perplexity, "quantized": quantizedResult.perplexity]
            summary.evalWindows = floatResult.windows
        }
        summary.seconds = Date().timeIntervalSince(start)
        if json { try printJSON(summary) } else { printTable(summary) }
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
