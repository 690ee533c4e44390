import Tensors

/// Where a model's tensors come from, under their HF names (`model.layers.0.self_attn.q_proj.weight`).
/// Implemented for safetensors checkpoints and, with name mapping and Q/K un-permutation, for GGUF.
public protocol WeightSource {
    /// Names the errors use: the file or directory the tensors come from.
    var sourceDescription: String { get }
    /// Every tensor name the source holds.
    var tensorNames: [String] { get }
    /// The tensor, or nil if absent. May be a zero-copy view of a mapped file.
    func tensor(named name: String) throws -> Tensor?
    /// The tensor's shape without reading its data (exporters declare every tensor before writing).
    func shape(of name: String) throws -> [Int]?
}

extension WeightSource {
    public func shape(of name: String) throws -> [Int]? { try tensor(named: name)?.shape }
}

/// An in-memory source, for tests and for models built in code.
public struct DictionaryWeightSource: WeightSource {
    public var tensors: [String: Tensor]
    public var sourceDescription: String
    public init(_ tensors: [String: Tensor], sourceDescription: String = "in-memory weights") {
        self.tensors = tensors
        self.sourceDescription = sourceDescription
    }
    public var tensorNames: [String] { tensors.keys.sorted() }
    public func tensor(named name: String) throws -> Tensor? { tensors[name] }
}
