import Models

/// How a quantization run streams through the decoder layers (DESIGN.md: bounded memory).
public struct QuantizationStream {
    /// Where the calibration activations live between layers when the run starts afresh.
    public var backing: ActivationStore.Backing
    /// A resumed run: its activations at the first unfinished layer, and the report rows of the
    /// layers already done.
    public var resume: (store: ActivationStore, report: [LayerReport])?
    /// Receives each finished layer, in order, before the next one starts (an exporter writes it; a
    /// checkpoint records it).
    public var layerDone: ((FinishedLayer) throws -> Void)?
    /// Whether finished layers stay quantized in the returned model. When not, each returns to its
    /// source weights once `layerDone` has it, and the result's `linears` stays empty: memory then
    /// holds the embeddings, one decoder layer and the activations, whatever the model's depth.
    public var retainsLayers: Bool

    public init(backing: ActivationStore.Backing = .memory, resume: (store: ActivationStore, report: [LayerReport])? = nil,
                layerDone: ((FinishedLayer) throws -> Void)? = nil, retainsLayers: Bool = true) {
        self.backing = backing
        self.resume = resume
        self.layerDone = layerDone
        self.retainsLayers = retainsLayers
    }
}

/// One decoder layer as quantization left it.
public struct FinishedLayer {
    public var index: Int
    /// Its forward as the consumer computes it (dequantized weights, activation quantizers); the
    /// norms and biases an exporter writes.
    public var layer: LlamaLayer
    /// Its quantized linears, in the plan's order.
    public var linears: [QuantizedLinear]
    /// Its rows of the closing table.
    public var report: [LayerReport]

    public init(index: Int, layer: LlamaLayer, linears: [QuantizedLinear], report: [LayerReport]) {
        self.index = index
        self.layer = layer
        self.linears = linears
        self.report = report
    }
}
