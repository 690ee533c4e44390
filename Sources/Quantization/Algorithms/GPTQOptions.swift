/// How GPTQ runs on one linear layer. The defaults are the paper's and every peer's (IST-DASLab/gptq,
/// GPTQModel, llm-compressor, Quark): block 128, 1 % dampening, no act-order, dynamic groups.
public struct GPTQOptions: Sendable, Hashable {
    /// Columns per lazy batch update (the paper's B). Only rounding depends on it, except where a group
    /// starts inside a block: its parameters then come from weights that the earlier columns of the
    /// same block have not updated yet, exactly as in the reference (which reads W, not the block copy).
    public var blockSize: Int
    /// λ = dampingFraction · mean(diag H) is added to H's diagonal (percdamp, damp_percent, dampening_frac).
    public var dampingFraction: Double
    /// After a failed factorization the fraction is multiplied by this (starting from 10⁻⁶ when it was 0).
    public var dampingGrowth: Double
    /// The largest fraction tried; past it the layer falls back to round-to-nearest (reported, never thrown).
    public var maximumDampingFraction: Double
    /// Act-order (desc_act / actorder): quantize columns in descending order of diag H, so the inputs with
    /// the most energy are quantized first and the rest compensate for them.
    public var activationOrder: Bool
    /// Compute every group's parameters once, from the weight before any update, over contiguous original
    /// columns (static_groups; llm-compressor's "static" act-order). With act-order this keeps g_idx
    /// trivial (column / groupSize), which is what Quark requires and fast kernels expect.
    public var staticGroups: Bool
    /// Within a decoder layer, each sequential group (q/k/v, o, gate/up, down) takes its Hessian from a
    /// forward in which the earlier groups are already quantized (AutoGPTQ's true_sequential, the
    /// default). Off, every Hessian comes from one forward of the float layer, as llm-compressor does.
    public var trueSequential: Bool
    /// Outlier-token cap on the Hessian (nil: the paper's H). A calibration token whose input norm
    /// exceeds this multiple of its window's median token norm enters H scaled down to that norm.
    /// Why: SmolLM2's first position carries activations ~1000× a typical token's on a few channels;
    /// uncapped, those 32-odd tokens dominate H, and GPTQ's compensation fits them at the expense of
    /// every other token (BENCHMARKS.md, "GPTQ against llm-compressor"). Capped, they still count, as strongly as the
    /// largest ordinary tokens.
    public var hessianTokenCap: Float?

    public init(blockSize: Int = 128, dampingFraction: Double = 0.01, dampingGrowth: Double = 10,
                maximumDampingFraction: Double = 10, activationOrder: Bool = false, staticGroups: Bool = false,
                trueSequential: Bool = true, hessianTokenCap: Float? = nil) {
        precondition(blockSize > 0, "blockSize must be positive")
        precondition(dampingFraction >= 0 && dampingFraction <= maximumDampingFraction, "dampingFraction must be in 0...maximumDampingFraction")
        precondition(dampingGrowth > 1, "dampingGrowth must exceed 1")
        precondition(hessianTokenCap.map { $0 > 0 } ?? true, "hessianTokenCap must be positive")
        self.blockSize = blockSize
        self.dampingFraction = dampingFraction
        self.dampingGrowth = dampingGrowth
        self.maximumDampingFraction = maximumDampingFraction
        self.activationOrder = activationOrder
        self.staticGroups = staticGroups
        self.trueSequential = trueSequential
        self.hessianTokenCap = hessianTokenCap
    }
}

/// What GPTQ made of one linear layer.
public struct GPTQResult: Sendable {
    /// Codes [rows · columns] in the original column order, with their parameters. When act-order ran
    /// with dynamic groups, the scales of each row are in the order the sweep found them and
    /// `quantized.groupIndex` maps every column to its group.
    public var quantized: QuantizedTensor
    /// The quantized weight as the layer computes with it, [rows, columns] float32.
    public var dequantized: [Float]
    /// g_idx [columns] whenever act-order ran (GPTQModel's convention): the group of its row each input
    /// column's parameters are in. With static groups it is column / groupSize.
    public var groupIndex: [Int32]?
    /// The sweep order when act-order ran: `permutation[k]` is the original column quantized k-th.
    public var permutation: [Int]?
    /// Σ over every weight of (w − q)² / U[i, i]², halved: the figure the reference prints as `error`
    /// (GPTQModel divides it by the token count for its `avg_loss`).
    public var loss: Double
    /// The dampening fraction that gave a usable factor (the requested one unless it escalated).
    public var dampingFraction: Double
    /// λ added to the diagonal (NaN after a fallback).
    public var damping: Double
    /// Every fraction tried, in order; more than one means the factorization failed and dampening escalated.
    public var triedDampingFractions: [Double]
    /// No fraction up to the limit worked (H not finite): the layer was rounded to nearest, with no error feedback.
    public var fellBackToRoundToNearest: Bool
    /// Input columns that no calibration token ever activated (diag H = 0): their weights were set to 0.
    public var deadColumns: [Int]

    /// Whether dampening had to grow past the requested fraction.
    public var escalatedDamping: Bool { triedDampingFractions.count > 1 }
}
