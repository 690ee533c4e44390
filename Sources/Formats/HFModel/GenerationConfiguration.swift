import Foundation

/// generation_config.json: the token ids that start, end and pad generation, and the sampling
/// defaults the model's authors chose. Absent keys stay nil (transformers' defaults apply).
public struct GenerationConfiguration: Sendable, Equatable {
    public var bosTokenId: Int?
    /// `eos_token_id` is an int or a list (Llama 3 lists several stop ids).
    public var eosTokenIds: [Int]
    public var padTokenId: Int?
    public var doSample: Bool?
    public var temperature: Double?
    public var topP: Double?
    public var topK: Int?
    public var maxNewTokens: Int?
    public var repetitionPenalty: Double?

    public init(url: URL) throws(HFModelError) {
        guard let data = FileManager.default.contents(atPath: url.path) else { throw .missingFile(path: url.path) }
        try self.init(data: data, path: url.path)
    }

    public init(data: Data, path: String) throws(HFModelError) {
        guard let object = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any] else { throw .invalidJSON(path: path) }
        func present(_ key: String) -> Any? { object[key].flatMap { $0 is NSNull ? nil : $0 } }
        func int(_ key: String) throws(HFModelError) -> Int? {
            guard let value = present(key) else { return nil }
            guard let number = jsonInteger(value) else { throw .invalidValue(path: path, key: key, expected: "an integer") }
            return number
        }
        func double(_ key: String) throws(HFModelError) -> Double? {
            guard let value = present(key) else { return nil }
            guard let number = jsonDouble(value) else { throw .invalidValue(path: path, key: key, expected: "a number") }
            return number
        }
        bosTokenId = try int("bos_token_id")
        padTokenId = try int("pad_token_id")
        if let list = present("eos_token_id") as? [Any] {
            eosTokenIds = try list.map { (item: Any) throws(HFModelError) -> Int in
                guard let id = jsonInteger(item) else { throw .invalidValue(path: path, key: "eos_token_id", expected: "an integer or a list of integers") }
                return id
            }
        } else if let single = present("eos_token_id") {
            guard let id = jsonInteger(single) else { throw .invalidValue(path: path, key: "eos_token_id", expected: "an integer or a list of integers") }
            eosTokenIds = [id]
        } else {
            eosTokenIds = []
        }
        if let value = present("do_sample") {
            guard let flag = jsonBool(value) else { throw .invalidValue(path: path, key: "do_sample", expected: "true or false") }
            doSample = flag
        }
        temperature = try double("temperature")
        topP = try double("top_p")
        topK = try int("top_k")
        maxNewTokens = try int("max_new_tokens")
        repetitionPenalty = try double("repetition_penalty")
    }
}
