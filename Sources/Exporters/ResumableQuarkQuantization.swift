import Foundation
import Models
import Quantization

/// Quantizes a model and writes its Quark export in one streaming pass: every finished decoder
/// layer goes straight to the export's staging directory and is then dropped from memory, and a
/// checkpoint (the calibration activations at the next layer, the progress, the report) is saved
/// after it. A killed run leaves `.NAME.partial`; run again with `resume` and it continues at the
/// first unfinished layer and writes the same bytes an uninterrupted run writes.
public struct ResumableQuarkQuantization {
    public var quantizer: ModelQuantizer
    /// What the run is asked, beyond the quantizer's config (model path, calibration digest, flags):
    /// a resumed run must match it.
    public var settings: [String: String]
    /// The source model's config.json object.
    public var baseConfig: [String: Any]
    /// Writes the tokenizer files into the staging directory.
    public var writeTokenizer: (URL) throws -> Void

    public init(quantizer: ModelQuantizer, settings: [String: String], baseConfig: [String: Any],
                writeTokenizer: @escaping (URL) throws -> Void) {
        self.quantizer = quantizer
        self.settings = settings
        self.baseConfig = baseConfig
        self.writeTokenizer = writeTokenizer
    }

    /// What a run did: its per-linear report, and the layer it resumed at (nil: it started afresh).
    public struct Outcome {
        public var report: [LayerReport]
        public var resumedAt: Int?
    }

    /// - Parameters:
    ///   - resume: continue the interrupted run that left `.NAME.partial` beside `output`.
    ///   - afterLayer: called once each layer's checkpoint is saved (a test stops a run here).
    public func run(_ model: LlamaModel, calibration: [[Int]], errorWindows: Int = 0, output: URL, resume: Bool,
                    afterLayer: @escaping (Int) throws -> Void = { _ in }, progress: (Int, Int) -> Void = { _, _ in }) throws -> Outcome {
        let directory = try AtomicDirectory(resumable: output, resume: resume)
        let export = try QuarkStreamingExport(directory)
        let checkpoints = export.checkpointDirectory
        var settings = self.settings
        settings["quantization_config"] = Self.canonicalJSON(quantizer.config.quarkDictionary())
        settings["gptq_options"] = "\(quantizer.gptqOptions)"
        settings["awq_options"] = "\(quantizer.awqOptions)"
        settings["autosmoothquant_options"] = "\(quantizer.autoSmoothQuantOptions)"
        // The seed is not in Quark's RotationConfig, and another seed rotates differently.
        settings["rotation"] = "\(quantizer.config.rotation)"
        settings["error_windows"] = "\(errorWindows)"
        let rows = quantizer.carriedWindows(calibration, errorWindows: errorWindows, layerCount: model.configuration.layerCount).map(\.count)
        var resumed: (store: ActivationStore, report: [LayerReport])?
        if directory.reopened, let state = try QuantizationCheckpoint.load(from: checkpoints) {
            try state.check(settings: settings, directory: checkpoints)
            let store = try ActivationStore(resuming: checkpoints, boundary: state.layersDone, rows: state.windowRows,
                                            width: model.configuration.hiddenSize)
            resumed = (store, state.report)
        }
        let resumedAt = resumed?.store.boundary
        var report = resumed?.report ?? []
        let stream = QuantizationStream(backing: .files(checkpoints), resume: resumed, layerDone: { finished in
            try export.write(finished)
            report += finished.report
            try QuantizationCheckpoint(settings: settings, layersDone: finished.index + 1, windowRows: rows, report: report)
                .save(to: checkpoints)
            try afterLayer(finished.index)
        }, retainsLayers: false)
        let result: QuantizedModel
        do {
            result = try quantizer.quantize(model, calibration: calibration, errorWindows: errorWindows, stream: stream, progress: progress)
        } catch {
            // Keep the partial directory only when it holds finished layers worth resuming.
            if (try? QuantizationCheckpoint.load(from: checkpoints)) == nil { try? FileManager.default.removeItem(at: directory.staging) }
            throw error
        }
        try export.finish(model: result.model, config: quantizer.config, baseConfig: baseConfig, writeTokenizer: writeTokenizer)
        return Outcome(report: result.report, resumedAt: resumedAt)
    }

    /// Key-sorted compact JSON, so equal configs compare equal as text.
    static func canonicalJSON(_ object: Any) -> String {
        guard let data = try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes]) else {
            return "\(object)"
        }
        return String(decoding: data, as: UTF8.self)
    }
}
