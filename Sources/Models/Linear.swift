import Tensors

/// A linear layer `y = x · Wᵀ + b`. The weight stays in the dtype it was stored in (f32, f16 or
/// bf16, possibly a view of a memory-mapped file); 16-bit weights are widened to float32 block by
/// block as they are used, so no second full-size copy is ever made.
public struct Linear: Sendable {
    /// [outFeatures, inFeatures]
    public var weight: Tensor
    /// [outFeatures], float32
    public var bias: Tensor?
    /// [inFeatures, inFeatures], float32: an orthogonal matrix R the input rows are multiplied by
    /// before the input quantizer (QuaRot's online R4 on down_proj; the weight holds W·R, so the
    /// product is unchanged while the quantized input has no outlier channels). Nil for most layers.
    public var inputTransform: Tensor?
    /// Applied to the input rows before the product (activation quantization, calibration observers).
    public var inputQuantizer: (any ActivationQuantizer)?
    /// Applied to the output rows (Quark expresses KV-cache quantization as k_proj/v_proj outputs).
    public var outputQuantizer: (any ActivationQuantizer)?

    public var inFeatures: Int { weight.shape[1] }
    public var outFeatures: Int { weight.shape[0] }

    /// Rows of a 16-bit weight widened per GEMM call: 64 rows of a 1536-wide weight is 384 KB of
    /// float32, which stays in L2 while it is used.
    static let widenedRowBlock = 64

    public init(weight: Tensor, bias: Tensor? = nil) {
        precondition(weight.rank == 2, "a linear weight is 2-D, got \(weight.shape)")
        precondition(weight.dtype.isFloatingPoint, "a dense linear weight is a float tensor, got \(weight.dtype)")
        if let bias { precondition(bias.shape == [weight.shape[0]] && bias.dtype == .float32, "bias shape \(bias.shape)") }
        self.weight = weight
        self.bias = bias
    }

    /// `input` [rows, inFeatures] float32 → [rows, outFeatures] float32.
    public func callAsFunction(_ input: Tensor) -> Tensor {
        precondition(input.dtype == .float32 && input.rank == 2 && input.shape[1] == inFeatures,
                     "linear input \(input.shape) for weight \(weight.shape)")
        let rows = input.shape[0]
        var output = Tensor(zeros: [rows, outFeatures])
        var quantizedInput = transformedInput(input)
        if let inputQuantizer {
            quantizedInput.withUnsafeMutableBufferPointer(as: Float.self) { inputQuantizer.apply($0, rows: rows, columns: inFeatures) }
        }
        quantizedInput.withUnsafeBufferPointer(as: Float.self) { x in
            output.withUnsafeMutableBufferPointer(as: Float.self) { y in
                forward(x.baseAddress!, rows: rows, into: y.baseAddress!)
            }
        }
        if let outputQuantizer {
            output.withUnsafeMutableBufferPointer(as: Float.self) { outputQuantizer.apply($0, rows: rows, columns: outFeatures) }
        }
        return output
    }

    /// Output features `outputs` for every input row, transposed: `weight[outputs] · inputᵀ`,
    /// `input` [rows, inFeatures] → [outputs.count, rows]. A vocabulary-sized head applied a block of
    /// output features at a time reads each weight once per call and holds only a block of logits;
    /// transposed so the block of weights is GEMM's A (packed once) and the rows its B.
    /// Not for layers with an output quantizer (its groups run along an output row).
    public func transposedOutputs(_ input: Tensor, outputs: Range<Int>) -> Tensor {
        precondition(input.dtype == .float32 && input.rank == 2 && input.shape[1] == inFeatures,
                     "linear input \(input.shape) for weight \(weight.shape)")
        precondition(outputQuantizer == nil, "transposedOutputs of a layer with an output quantizer")
        precondition(outputs.lowerBound >= 0 && outputs.upperBound <= outFeatures, "outputs \(outputs) of \(outFeatures)")
        let rows = input.shape[0]
        var quantizedInput = transformedInput(input)
        if let inputQuantizer {
            quantizedInput.withUnsafeMutableBufferPointer(as: Float.self) { inputQuantizer.apply($0, rows: rows, columns: inFeatures) }
        }
        let block = weight.rows(outputs).toFloat32()
        var output = Tensor(zeros: [outputs.count, rows])
        quantizedInput.withUnsafeBufferPointer(as: Float.self) { x in
            block.withUnsafeBufferPointer(as: Float.self) { w in
                output.withUnsafeMutableBufferPointer(as: Float.self) { y in
                    Ops.gemm(m: outputs.count, n: rows, k: inFeatures, alpha: 1, a: w.baseAddress!, lda: inFeatures,
                             b: x.baseAddress!, ldb: inFeatures, transposeB: true, beta: 0, c: y.baseAddress!, ldc: rows)
                }
            }
        }
        if let bias {
            bias.withUnsafeBufferPointer(as: Float.self) { b in
                output.withUnsafeMutableBufferPointer(as: Float.self) { y in
                    for (index, feature) in outputs.enumerated() {
                        let value = b[feature]
                        for row in 0..<rows { y[index * rows + row] += value }
                    }
                }
            }
        }
        return output
    }

    /// `input` [rows, inFeatures] · `inputTransform`, or `input` itself.
    private func transformedInput(_ input: Tensor) -> Tensor {
        guard let inputTransform else { return input }
        precondition(inputTransform.shape == [inFeatures, inFeatures] && inputTransform.dtype == .float32,
                     "input transform \(inputTransform.shape) for \(inFeatures) input features")
        let rows = input.shape[0]
        var output = Tensor(zeros: input.shape)
        input.withUnsafeBufferPointer(as: Float.self) { x in
            inputTransform.withUnsafeBufferPointer(as: Float.self) { r in
                output.withUnsafeMutableBufferPointer(as: Float.self) { y in
                    Ops.gemm(m: rows, n: inFeatures, k: inFeatures, alpha: 1, a: x.baseAddress!, lda: inFeatures,
                             b: r.baseAddress!, ldb: inFeatures, transposeB: false, beta: 0, c: y.baseAddress!, ldc: inFeatures)
                }
            }
        }
        return output
    }

    private func forward(_ x: UnsafePointer<Float>, rows: Int, into y: UnsafeMutablePointer<Float>) {
        if weight.dtype == .float32 && rows == 1 {
            // Decoding: one input row, so the weights stream once at DRAM speed (Ops.matrixVector).
            weight.withUnsafeBufferPointer(as: Float.self) { w in
                Ops.matrixVector(w.baseAddress!, rows: outFeatures, columns: inFeatures, input: x, output: y)
            }
        } else if weight.dtype == .float32 {
            weight.withUnsafeBufferPointer(as: Float.self) { w in
                Ops.matmulTransposed(x, rows: rows, inFeatures: inFeatures, weight: w.baseAddress!,
                                     outFeatures: outFeatures, output: y)
            }
        } else {
            let block = Self.widenedRowBlock
            var widened = [Float](repeating: 0, count: block * inFeatures)
            weight.withUnsafeBytes { raw in
                widened.withUnsafeMutableBufferPointer { scratch in
                    var start = 0
                    while start < outFeatures {
                        let count = min(block, outFeatures - start)
                        let elementBytes = weight.dtype.byteSize
                        let source = UnsafeRawBufferPointer(rebasing: raw[(start * inFeatures * elementBytes)...]
                            .prefix(count * inFeatures * elementBytes))
                        convertToFloat32(source: source, dtype: weight.dtype,
                                         destination: UnsafeMutableBufferPointer(rebasing: scratch[0..<(count * inFeatures)]))
                        Ops.matmulTransposed(x, rows: rows, inFeatures: inFeatures, weight: scratch.baseAddress!,
                                             outFeatures: count, output: y + start, outputStride: outFeatures)
                        start += count
                    }
                }
            }
        }
        if let bias {
            bias.withUnsafeBufferPointer(as: Float.self) { b in
                Ops.addBias(b.baseAddress!, to: y, rowCount: rows, width: outFeatures)
            }
        }
    }
}
