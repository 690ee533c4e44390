import Tensors

extension Linear {
    /// `layers[i](input)` for each layer, for layers that read the same input (q/k/v, gate/up).
    /// Decoding (one float32 input row, float32 weights, no quantizers) runs all of them as one
    /// parallel pass over their stacked rows: one hand-off to the worker threads instead of one per
    /// layer (k_proj and v_proj alone are ~10 µs each at two threads, about what a hand-off costs).
    /// Otherwise each layer runs on its own. The outputs are views of one buffer.
    public static func outputs(of layers: [Linear], for input: Tensor) -> [Tensor] {
        let fused = input.rank == 2 && input.shape[0] == 1 && input.dtype == .float32
            && layers.allSatisfy { $0.weight.dtype == .float32 && $0.inputTransform == nil && $0.inputQuantizer == nil && $0.outputQuantizer == nil
                && $0.inFeatures == input.shape[1] }
        guard fused else { return layers.map { $0(input) } }
        let offsets = layers.reduce(into: [0]) { $0.append($0.last! + $1.outFeatures) }
        var stacked = Tensor(zeros: [offsets.last!])
        stacked.withUnsafeMutableBufferPointer(as: Float.self) { y in
            input.withUnsafeBufferPointer(as: Float.self) { x in
                withWeightPointers(layers[...]) { weights in
                    let products = weights.indices.map {
                        MatrixVectorProduct(weight: weights[$0], rows: layers[$0].outFeatures, output: y.baseAddress! + offsets[$0])
                    }
                    parallelMatrixVectors(products, input: x.baseAddress!, columns: x.count)
                }
            }
            for (index, layer) in layers.enumerated() {
                layer.bias?.withUnsafeBufferPointer(as: Float.self) { b in
                    addInPlace(b.baseAddress!, into: y.baseAddress! + offsets[index], count: layer.outFeatures)
                }
            }
        }
        return layers.indices.map { stacked.rows(offsets[$0]..<offsets[$0 + 1]).reshaped([1, layers[$0].outFeatures]) }
    }

    /// Calls `body` with every layer's weight pointer, each valid for the duration of the call.
    private static func withWeightPointers<R>(_ layers: ArraySlice<Linear>, _ body: ([UnsafePointer<Float>]) -> R) -> R {
        guard let first = layers.first else { return body([]) }
        return first.weight.withUnsafeBufferPointer(as: Float.self) { w in
            withWeightPointers(layers.dropFirst()) { rest in body([w.baseAddress!] + rest) }
        }
    }
}
