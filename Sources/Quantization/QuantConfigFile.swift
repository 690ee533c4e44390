import Foundation

/// Reads a quantization config file: Quark-style JSON (a `quantization_config` object, bare or
/// inside a config.json).
public enum QuantConfigFile {
    public static func load(_ path: String) throws(QuantizationError) -> QuantConfig {
        guard let data = FileManager.default.contents(atPath: path) else { throw .invalidFile(path: path, reason: "cannot read the file") }
        let lowered = path.lowercased()
        if lowered.hasSuffix(".yaml") || lowered.hasSuffix(".yml") {
            throw .unsupported(feature: "Golden-Stick YAML configs (not yet; use Quark JSON)", source: path)
        }
        guard let object = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any] else {
            throw .invalidFile(path: path, reason: "not a JSON object")
        }
        let root = (object["quantization_config"] as? [String: Any]) ?? object
        return try QuantConfig(quark: root, source: path)
    }
}
