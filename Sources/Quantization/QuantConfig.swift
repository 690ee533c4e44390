/// A whole model's quantization recipe: a global layer spec, overrides by name pattern and by layer
/// type, excluded layers, the KV-cache spec and the ordered algorithm list (Quark's `QConfig`).
public struct QuantConfig: Hashable, Sendable {
    public var global: LayerQuantSpec
    /// fnmatch patterns over full module names (`*k_proj`, `model.layers.0.*`), first match wins.
    public var layerOverrides: [PatternOverride]
    /// Overrides by layer class name (`Linear`).
    public var layerTypeOverrides: [String: LayerQuantSpec]
    /// Modules left unquantized (fnmatch patterns; default `lm_head`).
    public var exclude: [String]
    /// Spec of the cached keys and values (Quark: `output_tensors` of k_proj / v_proj).
    public var kvCache: QuantSpec?
    public var algorithms: [AlgorithmName]
    /// SmoothQuant's settings, used when `algorithms` lists it (Quark: the `smooth` algo_config entry).
    public var smoothQuant = SmoothQuantOptions()
    /// The rotation's seed, used when `algorithms` lists rotation.
    public var rotation = RotationOptions()

    public struct PatternOverride: Hashable, Sendable {
        public var pattern: String
        public var spec: LayerQuantSpec
        public init(pattern: String, spec: LayerQuantSpec) {
            self.pattern = pattern
            self.spec = spec
        }
    }

    public init(global: LayerQuantSpec, layerOverrides: [PatternOverride] = [], layerTypeOverrides: [String: LayerQuantSpec] = [:],
                exclude: [String] = ["lm_head"], kvCache: QuantSpec? = nil, algorithms: [AlgorithmName] = []) {
        self.global = global
        self.layerOverrides = layerOverrides
        self.layerTypeOverrides = layerTypeOverrides
        self.exclude = exclude
        self.kvCache = kvCache
        self.algorithms = algorithms
    }

    /// The spec of the linear layer `name` (e.g. `model.layers.3.self_attn.k_proj`), nil if excluded.
    /// Lookup order as in Quark and vLLM: exclude, name patterns, layer type, global; the KV-cache
    /// spec becomes the output spec of k_proj and v_proj.
    public func spec(forLayer name: String, type: String = "Linear") -> LayerQuantSpec? {
        if exclude.contains(where: { fnmatch(name, $0) || name == $0 }) { return nil }
        var spec = layerOverrides.first { fnmatch(name, $0.pattern) }?.spec ?? layerTypeOverrides[type] ?? global
        if let kvCache, name.hasSuffix("k_proj") || name.hasSuffix("v_proj") { spec.output = kvCache }
        return spec
    }
}

/// The algorithms a recipe can list, in the order they run.
public enum AlgorithmName: String, Hashable, Sendable, CaseIterable {
    case rtn, smoothquant, autosmoothquant, rotation, awq, gptq

    /// The name in a Quark `algo_config` entry (its `SmoothQuantConfig` is called `smooth`).
    public var quarkName: String { self == .smoothquant ? "smooth" : rawValue }

    /// From a Quark name or QuantKit's own spelling, case and underscores ignored.
    public init?(quarkName: String) {
        let name = quarkName.lowercased().replacingOccurrences(of: "_", with: "")
        guard let algorithm = name == "smooth" ? .smoothquant : AlgorithmName(rawValue: name) else { return nil }
        self = algorithm
    }
}
