import Foundation
import Tensors

/// Joins safetensors part files (written one at a time while a model is produced) into a model
/// directory's weight files, named as transformers' `save_pretrained` names them: one
/// `model.safetensors` when everything fits in `maximumShardBytes`, else
/// `model-0000i-of-0000N.safetensors` plus `model.safetensors.index.json`.
///
/// Parts are taken in order and never split, so a shard holds whole parts; a part larger than the
/// limit is a shard of its own. Bytes are copied from the mapped parts tensor by tensor, so memory
/// stays bounded whatever the model's size; the same parts always give the same bytes.
public enum SafetensorsShards {
    /// Writes the joined files into `directory` and returns their names.
    @discardableResult
    public static func join(parts: [URL], into directory: URL, maximumShardBytes: Int,
                            metadata: [String: String] = [:]) throws(SafetensorsError) -> [String] {
        let files = try parts.map { url throws(SafetensorsError) in try SafetensorsFile(url: url) }
        var groups: [[SafetensorsFile]] = []
        var groupBytes = 0
        for file in files {
            let bytes = file.entries.reduce(0) { $0 + $1.dataRange.count }
            if groups.isEmpty || (groupBytes + bytes > maximumShardBytes && !groups[groups.count - 1].isEmpty) {
                groups.append([])
                groupBytes = 0
            }
            groups[groups.count - 1].append(file)
            groupBytes += bytes
        }
        if groups.isEmpty { groups = [[]] }
        let names = groups.count == 1 ? ["model.safetensors"]
            : groups.indices.map { String(format: "model-%05d-of-%05d.safetensors", $0 + 1, groups.count) }
        var weightMap: [String: String] = [:]
        var totalSize = 0
        for (group, name) in zip(groups, names) {
            var sources: [String: SafetensorsFile] = [:]
            var entries: [SafetensorsWriter.Entry] = []
            for file in group {
                for entry in file.entries {
                    guard sources.updateValue(file, forKey: entry.name) == nil, weightMap[entry.name] == nil else {
                        throw .invalidEntry(path: file.url.path, tensor: entry.name, reason: "appears in more than one part")
                    }
                    entries.append(.init(name: entry.name, dtype: entry.dtype, shape: entry.shape))
                    weightMap[entry.name] = name
                    totalSize += entry.dataRange.count
                }
            }
            let writer = try SafetensorsWriter(url: directory.appendingPathComponent(name), entries: entries, metadata: metadata)
            for entry in writer.entries {
                let tensor = try sources[entry.name]!.tensor(named: entry.name)
                var failure: SafetensorsError?
                tensor.withUnsafeBytes { bytes in
                    do throws(SafetensorsError) { try writer.append(bytes) } catch { failure = error }
                }
                if let failure { throw failure }
                tensor.releaseMappedPages()
            }
            try writer.finish()
        }
        if names.count > 1 {
            let index: [String: Any] = ["metadata": ["total_size": totalSize], "weight_map": weightMap]
            let url = directory.appendingPathComponent("model.safetensors.index.json")
            do {
                var data = try JSONSerialization.data(withJSONObject: index, options: [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes])
                data.append(0x0A)
                try data.write(to: url)
            } catch {
                throw .writeFailed(path: url.path, reason: error.localizedDescription)
            }
        }
        return names
    }
}
