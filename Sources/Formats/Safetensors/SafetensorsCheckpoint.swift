import Foundation
import Tensors

/// The weights of an HF model directory: `model.safetensors`, or shards listed by
/// `model.safetensors.index.json` (`weight_map`: tensor name → shard file). One name lookup across
/// all shards; each shard is mapped once.
public struct SafetensorsCheckpoint: Sendable {
    public let directory: URL
    public let files: [SafetensorsFile]
    private let location: [String: Int]

    public init(directory: URL) throws(SafetensorsError) {
        self.directory = directory
        let single = directory.appendingPathComponent("model.safetensors")
        let indexURL = directory.appendingPathComponent("model.safetensors.index.json")
        if FileManager.default.fileExists(atPath: indexURL.path) {
            let path = indexURL.path
            guard let data = FileManager.default.contents(atPath: path) else { throw .cannotOpen(path: path, reason: "unreadable") }
            guard let object = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any],
                  let weightMap = object["weight_map"] as? [String: Any] else {
                throw .invalidHeader(path: path, reason: "expected a JSON object with a 'weight_map' object")
            }
            var shardIndex: [String: Int] = [:]
            var files: [SafetensorsFile] = []
            var location: [String: Int] = [:]
            for (tensor, rawShard) in weightMap.sorted(by: { $0.key < $1.key }) {
                guard let shard = rawShard as? String, !shard.contains("/") else {
                    throw .invalidHeader(path: path, reason: "weight_map value for '\(tensor)' is not a file name")
                }
                if shardIndex[shard] == nil {
                    let shardURL = directory.appendingPathComponent(shard)
                    guard FileManager.default.fileExists(atPath: shardURL.path) else { throw .missingShard(path: path, shard: shard) }
                    shardIndex[shard] = files.count
                    files.append(try SafetensorsFile(url: shardURL))
                }
                let fileIndex = shardIndex[shard]!
                guard files[fileIndex].entry(named: tensor) != nil else {
                    throw .tensorMissingFromShard(path: path, tensor: tensor, shard: shard)
                }
                location[tensor] = fileIndex
            }
            self.files = files
            self.location = location
        } else if FileManager.default.fileExists(atPath: single.path) {
            let file = try SafetensorsFile(url: single)
            files = [file]
            location = Dictionary(uniqueKeysWithValues: file.tensorNames.map { ($0, 0) })
        } else {
            throw .cannotOpen(path: directory.path, reason: "no model.safetensors or model.safetensors.index.json")
        }
    }

    /// Every tensor name, sorted.
    public var tensorNames: [String] { location.keys.sorted() }

    public func entry(named name: String) -> SafetensorsEntry? { location[name].flatMap { files[$0].entry(named: name) } }

    public func tensor(named name: String) throws(SafetensorsError) -> Tensor {
        guard let file = location[name] else { throw .missingTensor(path: directory.path, tensor: name) }
        return try files[file].tensor(named: name)
    }

    /// Metadata of the first file (transformers writes the same `format` key in every shard).
    public var metadata: [String: String] { files.first?.metadata ?? [:] }
}
