import Foundation

/// config.json of a Llama-family HF model, as transformers 4.x and 5.x write it. Field names
/// follow the file; optional fields carry transformers' defaults where the model code applies them.
public struct HFConfiguration: Sendable, Equatable {
    public var modelType: String
    public var hiddenSize: Int
    public var intermediateSize: Int
    public var layerCount: Int
    public var headCount: Int
    public var keyValueHeadCount: Int
    public var headDimension: Int
    public var vocabularySize: Int
    public var maxPositions: Int
    public var rmsNormEpsilon: Double
    /// `rope_parameters` (5.x) or `rope_theta` + `rope_scaling` (4.x), merged.
    public var ropeTheta: Double
    public var ropeType: String
    public var ropeFactor: Double?
    public var ropeLowFrequencyFactor: Double?
    public var ropeHighFrequencyFactor: Double?
    public var ropeOriginalMaxPositions: Int?
    public var tieWordEmbeddings: Bool
    public var attentionBias: Bool
    public var mlpBias: Bool
    public var bosTokenIds: [Int]
    public var eosTokenIds: [Int]
    public var hiddenActivation: String
    /// The raw `quantization_config` object, if any (exporters and readers interpret it).
    public var quantizationConfig: [String: Any]? { get { raw["quantization_config"] as? [String: Any] } }
    /// The whole file, for fields not modelled here.
    public let rawJSON: Data
    private var raw: [String: Any] { ((try? JSONSerialization.jsonObject(with: rawJSON)) as? [String: Any]) ?? [:] }

    public static func == (a: Self, b: Self) -> Bool { a.rawJSON == b.rawJSON }

    /// Parses config.json at `url`; errors name the file and the key.
    public init(url: URL) throws(HFModelError) {
        let path = url.path
        guard let data = FileManager.default.contents(atPath: path) else { throw .missingFile(path: path) }
        try self.init(data: data, path: path)
    }

    public init(data: Data, path: String) throws(HFModelError) {
        guard let object = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any] else {
            throw .invalidJSON(path: path)
        }
        rawJSON = data
        func int(_ key: String) throws(HFModelError) -> Int {
            guard let value = object[key] else { throw .missingKey(path: path, key: key) }
            guard let number = jsonInteger(value) else { throw .invalidValue(path: path, key: key, expected: "an integer") }
            return number
        }
        func optionalInt(_ key: String, in dictionary: [String: Any]) throws(HFModelError) -> Int? {
            guard let value = dictionary[key], !(value is NSNull) else { return nil }
            guard let number = jsonInteger(value) else { throw .invalidValue(path: path, key: key, expected: "an integer") }
            return number
        }
        func double(_ key: String, in dictionary: [String: Any]) throws(HFModelError) -> Double? {
            guard let value = dictionary[key], !(value is NSNull) else { return nil }
            guard let number = value as? NSNumber, String(cString: number.objCType) != "c" else {
                throw .invalidValue(path: path, key: key, expected: "a number")
            }
            return number.doubleValue
        }
        func ids(_ key: String) throws(HFModelError) -> [Int] {
            guard let value = object[key], !(value is NSNull) else { return [] }
            if let single = jsonInteger(value) { return [single] }
            if let list = value as? [Any] {
                var result: [Int] = []
                for item in list {
                    guard let id = jsonInteger(item) else { throw .invalidValue(path: path, key: key, expected: "an integer or a list of integers") }
                    result.append(id)
                }
                return result
            }
            throw .invalidValue(path: path, key: key, expected: "an integer or a list of integers")
        }
        guard let modelType = object["model_type"] as? String else { throw .missingKey(path: path, key: "model_type") }
        self.modelType = modelType
        hiddenSize = try int("hidden_size")
        intermediateSize = try int("intermediate_size")
        layerCount = try int("num_hidden_layers")
        headCount = try int("num_attention_heads")
        let kvHeads = try optionalInt("num_key_value_heads", in: object)
        keyValueHeadCount = kvHeads ?? headCount
        let explicitHeadDimension = try optionalInt("head_dim", in: object)
        headDimension = explicitHeadDimension ?? (headCount > 0 ? hiddenSize / headCount : 0)
        vocabularySize = try int("vocab_size")
        maxPositions = try int("max_position_embeddings")
        let epsilon = try double("rms_norm_eps", in: object)
        rmsNormEpsilon = epsilon ?? 1e-6
        // transformers 5 nests theta and scaling in `rope_parameters`; 4.x has `rope_theta` and `rope_scaling`.
        let rope = (object["rope_parameters"] as? [String: Any]) ?? (object["rope_scaling"] as? [String: Any]) ?? [:]
        let nestedTheta = try double("rope_theta", in: rope)
        let topLevelTheta = try double("rope_theta", in: object)
        ropeTheta = nestedTheta ?? topLevelTheta ?? 10000
        ropeType = (rope["rope_type"] as? String) ?? (rope["type"] as? String) ?? "default"
        ropeFactor = try double("factor", in: rope)
        ropeLowFrequencyFactor = try double("low_freq_factor", in: rope)
        ropeHighFrequencyFactor = try double("high_freq_factor", in: rope)
        ropeOriginalMaxPositions = try optionalInt("original_max_position_embeddings", in: rope)
        tieWordEmbeddings = (object["tie_word_embeddings"] as? Bool) ?? false
        attentionBias = (object["attention_bias"] as? Bool) ?? false
        mlpBias = (object["mlp_bias"] as? Bool) ?? false
        bosTokenIds = try ids("bos_token_id")
        eosTokenIds = try ids("eos_token_id")
        hiddenActivation = (object["hidden_act"] as? String) ?? "silu"
    }
}

/// Why an HF model directory or one of its JSON files was rejected.
public enum HFModelError: Error, Equatable, CustomStringConvertible {
    case missingFile(path: String)
    case invalidJSON(path: String)
    case missingKey(path: String, key: String)
    case invalidValue(path: String, key: String, expected: String)

    public var description: String {
        switch self {
        case let .missingFile(path): "\(path): file not found"
        case let .invalidJSON(path): "\(path): not a valid JSON object"
        case let .missingKey(path, key): "\(path): required key '\(key)' is missing"
        case let .invalidValue(path, key, expected): "\(path): '\(key)' must be \(expected)"
        }
    }
}
