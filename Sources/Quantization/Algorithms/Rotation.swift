import Models
import Tensors

/// How the residual-stream rotation is drawn.
public struct RotationOptions: Hashable, Sendable {
    /// Seeds the random signs and the random orthogonal factor of every transform; the same seed
    /// gives byte-identical rotated weights.
    public var seed: UInt64
    /// Also rotate down_proj's input online (QuaRot's R4): the weight absorbs R4 and the layer keeps
    /// it as an input transform applied at run time, before the input quantizer. QuantKit's forward
    /// runs it; no export format here can express it.
    public var onlineDown: Bool
    /// Rotate v_proj's outputs and o_proj's inputs per head (R2; amd-quark's `r2`).
    public var perHead: Bool

    public init(seed: UInt64 = 0, onlineDown: Bool = false, perHead: Bool = true) {
        self.seed = seed
        self.onlineDown = onlineDown
        self.perHead = perHead
    }
}

/// QuaRot's offline rotations (ALGORITHMS.md A4), fused into the weights of a Llama-family model
/// so that the float model computes the same logits while its activations lose their outlier
/// channels:
/// - R1, the residual stream: every RMSNorm weight is first folded into the linears that read it
///   (RMSNorm(x)·γ·Wᵀ = RMSNorm(x)·(W·diag γ)ᵀ) and set to ones, since only a weightless RMSNorm
///   commutes with an orthogonal Q. Then embedding E ← E·Q; readers q/k/v/gate/up and lm_head
///   W ← W·Q; writers o_proj/down_proj W ← Qᵀ·W and b ← Qᵀ·b. Tied embeddings are untied: the head
///   gets the final norm's weight and E would get it too.
/// - R2, per head (`perHead`): v_proj's rows of each KV head ← H_dᵀ·rows (bias too), o_proj's columns of each
///   query head ← columns·H_d. Every query head of a group reads its KV head's values, so one H_d
///   serves all heads.
/// - R4 (with `onlineDown`): down_proj W ← W·R4 and its input rows are multiplied by R4 at run
///   time (`Linear.inputTransform`), so SiLU(gate)·up reaches the quantizer without outlier channels.
/// R3 (queries and keys after RoPE) only matters for a quantized KV cache and is not applied.
public struct Rotation {
    public var options: RotationOptions

    public init(options: RotationOptions = RotationOptions()) { self.options = options }

    /// The residual-stream transform Q [hidden, hidden] for `model`.
    public func residualTransform(hiddenSize: Int) -> OrthogonalTransform {
        .randomized(size: hiddenSize, seed: options.seed)
    }

    /// The per-head transform H_d [headDim, headDim]; seeded apart from the residual one.
    public func headTransform(headDimension: Int) -> OrthogonalTransform {
        .randomized(size: headDimension, seed: options.seed &+ 0x5245_3200)
    }

    /// The online transform R4 [intermediate, intermediate]; seeded apart from the others.
    public func downTransform(intermediateSize: Int) -> OrthogonalTransform {
        .randomized(size: intermediateSize, seed: options.seed &+ 0x5234_0000)
    }

    /// `model` with R1 and R2 fused into float32 weights, its embeddings untied, every norm weight 1
    /// (and R4 split between down_proj's weight and its input transform with `onlineDown`).
    public func rotate(_ model: LlamaModel) -> LlamaModel {
        var rotated = rotateGlobals(model)
        rotated.layers = model.layers.map { rotate($0, configuration: model.configuration) }
        return rotated
    }

    /// `model` with its embeddings, final norm and (untied) lm_head rotated and its decoder layers
    /// as they are: a streaming quantizer rotates each layer when it reaches it (`rotate(_:configuration:)`),
    /// so one rotated layer at a time is in memory.
    public func rotateGlobals(_ model: LlamaModel) -> LlamaModel {
        var configuration = model.configuration
        let hidden = configuration.hiddenSize
        let qFloats = residualTransform(hiddenSize: hidden).floats
        let ones = Tensor(shape: [hidden], floats: [Float](repeating: 1, count: hidden))
        let finalNorm = model.finalNorm.toFloat32().floats()
        let outputHead = Linear(weight: Self.product(Self.scaledColumns(model.outputHead.weight, by: finalNorm), qFloats),
                                bias: model.outputHead.bias)
        configuration.tiedEmbeddings = false
        return LlamaModel(configuration: configuration, embedding: Self.product(model.embedding, qFloats), layers: model.layers,
                          finalNorm: ones, outputHead: outputHead)
    }

    /// One decoder layer of a model whose globals `rotateGlobals` rotated: norms folded into the
    /// linears that read them and set to 1, R1 on the residual side, R2 per head, R4 if asked.
    public func rotate(_ layer: LlamaLayer, configuration: LlamaConfiguration) -> LlamaLayer {
        let hidden = configuration.hiddenSize
        let q = residualTransform(hiddenSize: hidden)
        let qFloats = q.floats, qTransposed = q.transposed.floats
        let head = headTransform(headDimension: configuration.headDimension)
        let headFloats = head.floats, headTransposed = head.transposed.floats
        let ones = Tensor(shape: [hidden], floats: [Float](repeating: 1, count: hidden))
        var layer = layer
        let inputNorm = layer.inputNorm.toFloat32().floats(), postNorm = layer.postAttentionNorm.toFloat32().floats()
        for path in [\LlamaLayer.queryProjection, \.keyProjection, \.valueProjection] {
            layer[keyPath: path].weight = Self.product(Self.scaledColumns(layer[keyPath: path].weight, by: inputNorm), qFloats)
        }
        for path in [\LlamaLayer.gateProjection, \.upProjection] {
            layer[keyPath: path].weight = Self.product(Self.scaledColumns(layer[keyPath: path].weight, by: postNorm), qFloats)
        }
        layer.inputNorm = ones
        layer.postAttentionNorm = ones
        if options.perHead {
            layer.valueProjection = Self.rotatingOutputs(layer.valueProjection, blockTransposed: headTransposed,
                                                         block: configuration.headDimension)
            layer.outputProjection.weight = Self.rotatingColumnBlocks(layer.outputProjection.weight, by: headFloats,
                                                                      block: configuration.headDimension)
        }
        layer.outputProjection = Self.rotatingOutputs(layer.outputProjection, blockTransposed: qTransposed, block: hidden)
        layer.downProjection = Self.rotatingOutputs(layer.downProjection, blockTransposed: qTransposed, block: hidden)
        if options.onlineDown {
            let down = downTransform(intermediateSize: configuration.intermediateSize).floats
            layer.downProjection.weight = Self.product(layer.downProjection.weight, down)
            layer.downProjection.inputTransform = Tensor(shape: [configuration.intermediateSize, configuration.intermediateSize], floats: down)
        }
        return layer
    }

    /// weight [rows, n] · Q [n, n] → [rows, n] float32.
    static func product(_ weight: Tensor, _ transform: [Float]) -> Tensor {
        let rows = weight.shape[0], columns = weight.shape[1]
        precondition(transform.count == columns * columns, "transform of \(transform.count) entries for \(columns) columns")
        let values = weight.toFloat32()
        var output = Tensor(zeros: [rows, columns])
        values.withUnsafeBufferPointer(as: Float.self) { w in
            transform.withUnsafeBufferPointer { t in
                output.withUnsafeMutableBufferPointer(as: Float.self) { y in
                    matmul(m: rows, n: columns, k: columns, a: w.baseAddress!, lda: columns, b: t.baseAddress!, ldb: columns,
                           transposeB: false, c: y.baseAddress!, ldc: columns)
                }
            }
        }
        return output
    }

    /// The linear's output rows, in consecutive blocks of `block`, each left-multiplied by the
    /// transposed transform `blockTransposed` [block, block]; the bias likewise.
    static func rotatingOutputs(_ linear: Linear, blockTransposed: [Float], block: Int) -> Linear {
        let rows = linear.outFeatures, columns = linear.inFeatures
        precondition(rows % block == 0, "\(rows) output rows in blocks of \(block)")
        let values = linear.weight.toFloat32()
        var output = Tensor(zeros: [rows, columns])
        values.withUnsafeBufferPointer(as: Float.self) { w in
            blockTransposed.withUnsafeBufferPointer { t in
                output.withUnsafeMutableBufferPointer(as: Float.self) { y in
                    for start in stride(from: 0, to: rows, by: block) {
                        matmul(m: block, n: columns, k: block, a: t.baseAddress!, lda: block, b: w.baseAddress! + start * columns,
                               ldb: columns, transposeB: false, c: y.baseAddress! + start * columns, ldc: columns)
                    }
                }
            }
        }
        var rotated = linear
        rotated.weight = output
        if let bias = linear.bias {
            let b = bias.floats()
            var values = [Float](repeating: 0, count: rows)
            for start in stride(from: 0, to: rows, by: block) {
                for i in 0..<block {
                    var sum = 0.0
                    for j in 0..<block { sum += Double(blockTransposed[i * block + j]) * Double(b[start + j]) }
                    values[start + i] = Float(sum)
                }
            }
            rotated.bias = Tensor(shape: [rows], floats: values)
        }
        return rotated
    }

    /// weight [rows, heads·block] with each block of `block` columns right-multiplied by `transform`.
    static func rotatingColumnBlocks(_ weight: Tensor, by transform: [Float], block: Int) -> Tensor {
        let rows = weight.shape[0], columns = weight.shape[1]
        precondition(columns % block == 0, "\(columns) columns in blocks of \(block)")
        let values = weight.toFloat32()
        var output = Tensor(zeros: [rows, columns])
        values.withUnsafeBufferPointer(as: Float.self) { w in
            transform.withUnsafeBufferPointer { t in
                output.withUnsafeMutableBufferPointer(as: Float.self) { y in
                    for start in stride(from: 0, to: columns, by: block) {
                        matmul(m: rows, n: block, k: block, a: w.baseAddress! + start, lda: columns, b: t.baseAddress!, ldb: block,
                               transposeB: false, c: y.baseAddress! + start, ldc: columns)
                    }
                }
            }
        }
        return output
    }

    /// weight [rows, n] with column c multiplied by factors[c], float32.
    static func scaledColumns(_ weight: Tensor, by factors: [Float]) -> Tensor {
        let columns = weight.shape[1]
        var values = weight.toFloat32().floats()
        for index in values.indices { values[index] *= factors[index % columns] }
        return Tensor(shape: weight.shape, floats: values)
    }
}
