import Foundation
import Yams

/// Reads a quantization config file: Quark-style JSON (a `quantization_config` object, bare or
/// inside a config.json) or Golden-Stick-style YAML (`.yaml` / `.yml`).
public enum QuantConfigFile {
    public static func load(_ path: String) throws(QuantizationError) -> QuantConfig {
        guard let data = FileManager.default.contents(atPath: path) else { throw .invalidFile(path: path, reason: "cannot read the file") }
        let lowered = path.lowercased()
        if lowered.hasSuffix(".yaml") || lowered.hasSuffix(".yml") {
            let object: Any?
            do { object = try Yams.load(yaml: String(decoding: data, as: UTF8.self)) } catch {
                throw .invalidFile(path: path, reason: "not valid YAML: \(error)")
            }
            guard let object else { throw .invalidFile(path: path, reason: "empty YAML document") }
            return try GoldenStickConfig.config(from: object, source: path)
        }
        guard let object = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any] else {
            throw .invalidFile(path: path, reason: "not a JSON object")
        }
        let root = (object["quantization_config"] as? [String: Any]) ?? object
        return try QuantConfig(quark: root, source: path)
    }
}
