import Tensors

/// GPTQ (Frantar et al., "GPTQ: Accurate Post-Training Quantization for Generative Pre-trained
/// Transformers", ICLR 2023) on one linear layer: quantize the weight column by column, each time
/// spreading the column's rounding error over the columns not yet quantized so that the layer's
/// outputs on the calibration inputs, not its weights, stay close. The steps and their order are
/// the paper's reference code (IST-DASLab/gptq `fasterquant`), which GPTQModel, llm-compressor and
/// Quark follow; the column quantizer is QuantKit's `Quantizer`, so any weight spec works (int4/uint4/
/// int8, FP8, MX) and with H = I the result is round-to-nearest bit for bit.
///
/// Where the references differ, QuantKit does what Quark does: per-channel and per-tensor parameters
/// are measured after dead columns are zeroed (gptq.py and GPTQModel measure before, so a dead
/// column's weights could widen a row's range), and act-order breaks ties in diag H by column index
/// (gptq.py leaves them to an unstable argsort).
public enum GPTQ {
    /// Quantizes `weight` [rows = outFeatures, columns = inFeatures] (row-major float32) with the
    /// Hessian of its inputs.
    ///
    /// - Throws: `QuantizationError.groupSizeDoesNotDivide` when a group size does not divide
    ///   `columns`; `.unsupported` for a spec that is a plain cast (float16/bfloat16). A Hessian that
    ///   cannot be factored never throws: dampening escalates, and past its limit the layer is rounded
    ///   to nearest (both reported in the result).
    public static func quantize(weight: UnsafeBufferPointer<Float>, rows: Int, columns: Int, hessian: Hessian,
                                spec: QuantSpec, options: GPTQOptions = GPTQOptions(), layer: String = "weight") throws -> GPTQResult {
        precondition(rows > 0 && columns > 0 && weight.count == rows * columns, "weight is not [\(rows), \(columns)]")
        precondition(hessian.features == columns, "Hessian of \(hessian.features) features for a weight of \(columns) columns")
        guard spec.format.isInteger || spec.format.minifloat != nil else {
            throw QuantizationError.unsupported(feature: "GPTQ to \(spec.format.rawValue) (a cast, not a quantized format)", source: layer)
        }
        var groupSize: Int?
        if case let .perGroup(size) = spec.granularity {
            guard columns % size == 0 else {
                throw QuantizationError.groupSizeDoesNotDivide(inFeatures: columns, groupSize: size, layer: layer)
            }
            groupSize = size
        }

        var h = hessian.matrix
        var work = Array(weight)
        // Dead columns: no token ever reached them, so their weights cannot matter; a unit diagonal
        // keeps H invertible (the reference's rule).
        var dead: [Int] = []
        for column in 0..<columns where h[column * columns + column] == 0 {
            dead.append(column)
            h[column * columns + column] = 1
            for row in 0..<rows { work[row * columns + column] = 0 }
        }

        // Parameters known before the sweep: per tensor / per channel always, per group when static.
        var table: GroupTable
        var dynamicGroupSize: Int?
        if let groupSize, !options.staticGroups {
            table = GroupTable(rows: rows, groups: columns / groupSize, asymmetric: !spec.symmetric && spec.format.isInteger && !spec.isMX)
            dynamicGroupSize = groupSize
        } else {
            let groupLength = groupSize ?? spec.granularity.groupLength(rows: rows, columns: columns)
            let parameters = work.withUnsafeBufferPointer { values in
                let (minimum, maximum) = Quantizer.groupRanges(values, groupLength: groupLength)
                return QuantParameters(minimum: minimum, maximum: maximum, spec: spec, groupLength: groupLength)
            }
            table = GroupTable(parameters, rows: rows, columns: columns)
        }

        // Act-order: the sweep runs over permuted columns of W and rows/columns of H.
        var permutation: [Int]?
        if options.activationOrder {
            let diagonal = (0..<columns).map { h[$0 * columns + $0].isNaN ? -Float.infinity : h[$0 * columns + $0] }
            let order = (0..<columns).sorted { diagonal[$0] > diagonal[$1] || (diagonal[$0] == diagonal[$1] && $0 < $1) }
            permutation = order
            work = permuteColumns(work, rows: rows, columns: columns, order: order)
            var permuted = [Float](repeating: 0, count: columns * columns)
            for row in 0..<columns {
                for column in 0..<columns { permuted[row * columns + column] = h[order[row] * columns + order[column]] }
            }
            h = permuted
        }
        let factor = InverseHessianFactor(hessian: h, order: columns, options: options)
        h = []

        // Which table column each sweep position reads: its own group when dynamic (found in sweep
        // order), the original column's group when static, the single column otherwise.
        let groupOfPosition: [Int] = (0..<columns).map { position in
            guard let groupSize else { return 0 }
            if dynamicGroupSize != nil { return position / groupSize }
            return (permutation?[position] ?? position) / groupSize
        }
        var codes = [Int32](repeating: 0, count: rows * columns)
        var values = [Float](repeating: 0, count: rows * columns)
        let loss = Sweep.run(work: &work, upper: factor.upper, rows: rows, columns: columns, blockSize: options.blockSize,
                             spec: spec, table: &table, dynamicGroupSize: dynamicGroupSize,
                             groupOfPosition: groupOfPosition, codes: &codes, values: &values)

        var groupIndex: [Int32]?
        var storedGroupIndex: [Int32]?
        if let permutation {
            var inverse = [Int](repeating: 0, count: columns)
            for (position, column) in permutation.enumerated() { inverse[column] = position }
            codes = permuteColumns(codes, rows: rows, columns: columns, order: inverse)
            values = permuteColumns(values, rows: rows, columns: columns, order: inverse)
            // GPTQModel's g_idx: the sweep-order group of each original column, or its own group when static.
            groupIndex = (0..<columns).map { column in
                guard let groupSize else { return 0 }
                return Int32((dynamicGroupSize != nil ? inverse[column] : column) / groupSize)
            }
            if dynamicGroupSize != nil { storedGroupIndex = groupIndex }
        }
        let groupLength = groupSize ?? spec.granularity.groupLength(rows: rows, columns: columns)
        var quantized = QuantizedTensor(rows: rows, columns: columns, spec: spec, codes: codes,
                                        parameters: table.parameters(groupLength: groupLength))
        quantized.groupIndex = storedGroupIndex
        return GPTQResult(quantized: quantized, dequantized: values, groupIndex: groupIndex, permutation: permutation,
                          loss: loss, dampingFraction: factor.dampingFraction, damping: factor.damping,
                          triedDampingFractions: factor.triedFractions, fellBackToRoundToNearest: factor.fellBackToIdentity,
                          deadColumns: dead)
    }

    /// `quantize` for a weight tensor [outFeatures, inFeatures] of any float dtype.
    public static func quantize(weight: Tensor, hessian: Hessian, spec: QuantSpec, options: GPTQOptions = GPTQOptions(),
                                layer: String = "weight") throws -> GPTQResult {
        precondition(weight.rank == 2, "a linear weight is [outFeatures, inFeatures], not \(weight.shape)")
        let floats = weight.dtype == .float32 ? weight : weight.toFloat32()
        return try floats.withUnsafeBufferPointer(as: Float.self) {
            try quantize(weight: $0, rows: weight.shape[0], columns: weight.shape[1], hessian: hessian, spec: spec,
                         options: options, layer: layer)
        }
    }

    /// `result[r, k] = matrix[r, order[k]]` for a row-major [rows, columns] matrix.
    static func permuteColumns<Element>(_ matrix: [Element], rows: Int, columns: Int, order: [Int]) -> [Element] {
        var result = matrix
        for row in 0..<rows {
            for column in 0..<columns { result[row * columns + column] = matrix[row * columns + order[column]] }
        }
        return result
    }
}

/// The parameters of every row's groups during the sweep: [rows, groups] row-major, group k of row r
/// at r · groups + k. Per-tensor parameters are spread to every row so one lookup serves all cases.
struct GroupTable {
    var rows: Int
    var groups: Int
    var scales: [Float]
    var zeroPoints: [Int32]?
    /// One scale for the whole tensor, spread over the rows: handed back as the single scale it is.
    var perTensor: Bool = false

    /// An empty table the sweep fills in (dynamic groups).
    init(rows: Int, groups: Int, asymmetric: Bool) {
        self.rows = rows
        self.groups = groups
        scales = [Float](repeating: 0, count: rows * groups)
        zeroPoints = asymmetric ? [Int32](repeating: 0, count: rows * groups) : nil
    }

    /// A table of parameters measured before the sweep (groups tile each row; per tensor spans all).
    init(_ parameters: QuantParameters, rows: Int, columns: Int) {
        self.rows = rows
        if parameters.groupLength == rows * columns {
            groups = 1
            perTensor = true
            scales = [Float](repeating: parameters.scales[0], count: rows)
            zeroPoints = parameters.zeroPoints.map { [Int32](repeating: $0[0], count: rows) }
        } else {
            groups = columns / parameters.groupLength
            scales = parameters.scales
            zeroPoints = parameters.zeroPoints
        }
    }

    /// The table as a tensor's parameters (contiguous groups of `groupLength` in row-major order).
    func parameters(groupLength: Int) -> QuantParameters {
        if perTensor { return QuantParameters(scales: [scales[0]], zeroPoints: zeroPoints.map { [$0[0]] }, groupLength: groupLength) }
        return QuantParameters(scales: scales, zeroPoints: zeroPoints, groupLength: groupLength)
    }
}
