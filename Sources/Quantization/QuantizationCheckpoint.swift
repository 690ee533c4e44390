import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// What a killed quantization run needs to continue, saved as `state.json` after every decoder
/// layer, once that layer's outputs are on disk (`ActivationStore`) and its tensors are written.
///
/// `settings` records what the run was asked (model, scheme, algorithms, calibration digest, ...):
/// a resumed run must be asked the same, or it would mix two recipes in one export.
public struct QuantizationCheckpoint: Codable, Sendable {
    public var settings: [String: String]
    /// Layers finished; their outputs are the activations at boundary `layersDone`.
    public var layersDone: Int
    /// The token count of each carried calibration window.
    public var windowRows: [Int]
    /// The finished layers' rows of the closing table.
    public var report: [LayerReport]

    public init(settings: [String: String], layersDone: Int, windowRows: [Int], report: [LayerReport]) {
        self.settings = settings
        self.layersDone = layersDone
        self.windowRows = windowRows
        self.report = report
    }

    enum CodingKeys: String, CodingKey {
        case settings, report
        case layersDone = "layers_done"
        case windowRows = "window_rows"
    }

    static func url(_ directory: URL) -> URL { directory.appendingPathComponent("state.json") }

    /// The checkpoint in `directory`, or nil when no layer has been finished there.
    public static func load(from directory: URL) throws(QuantizationError) -> QuantizationCheckpoint? {
        let url = url(directory)
        guard let data = FileManager.default.contents(atPath: url.path) else { return nil }
        do {
            return try JSONDecoder().decode(QuantizationCheckpoint.self, from: data)
        } catch {
            throw .checkpoint(path: url.path, reason: "cannot be read (\(error)); delete the interrupted run's directory to start over")
        }
    }

    /// Writes the state under a temporary name and renames it, so a crash leaves the old or the new
    /// state, never half of one.
    public func save(to directory: URL) throws(QuantizationError) {
        let url = Self.url(directory)
        let temporary = directory.appendingPathComponent(".state.json.partial")
        do {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
            FileManager.default.createFile(atPath: temporary.path, contents: nil)
            let handle = try FileHandle(forWritingTo: temporary)
            try handle.write(contentsOf: try encoder.encode(self))
            try handle.synchronize()
            try handle.close()
        } catch {
            throw .checkpoint(path: url.path, reason: "cannot be written: \(error.localizedDescription)")
        }
        guard rename(temporary.path, url.path) == 0 else {
            throw .checkpoint(path: url.path, reason: "cannot be written: \(String(cString: strerror(errno)))")
        }
    }

    /// Throws unless this run was asked what `settings` asks, naming the first difference.
    public func check(settings current: [String: String], directory: URL) throws(QuantizationError) {
        for key in Set(settings.keys).union(current.keys).sorted() where settings[key] != current[key] {
            throw .checkpoint(path: Self.url(directory).path,
                              reason: "the interrupted run had \(key) = \(settings[key] ?? "(unset)"), this one has \(current[key] ?? "(unset)"); resume with the same arguments, or delete the directory to start over")
        }
    }
}
