import Tensors

extension GPTQ {
    /// The column sweep with lazy block updates (the paper's Sec. 3.2 and Algorithm 1).
    ///
    /// Inside a block of B columns, each column is quantized with its group's parameters and its error
    /// e = (w − q) / U[i, i] is folded into the block's later columns at once (rank-1, O(rows · B²)
    /// per block); the columns after the block get all B errors in one GEMM, W[:, i2:] −= E · U[i1:i2, i2:].
    /// Rows never interact (every row has its own parameters and its own error), so the in-block work
    /// runs in row chunks on `parallelFor`, and the GEMM between blocks on BLAS's threads.
    enum Sweep {
        /// - Parameters:
        ///   - work: W [rows, columns] in sweep order; columns after each block receive the lazy updates.
        ///   - upper: U [columns, columns], the upper factor of the inverse Hessian in sweep order.
        ///   - table: group parameters; filled in as groups start when `dynamicGroupSize` is set.
        ///   - groupOfPosition: [columns] the table column that sweep position p quantizes with.
        ///   - codes, values: [rows, columns] outputs in sweep order.
        /// - Returns: Σ (w − q)² / U[i, i]² / 2 over every weight.
        static func run(work: inout [Float], upper: [Float], rows: Int, columns: Int, blockSize: Int, spec: QuantSpec,
                        table: inout GroupTable, dynamicGroupSize: Int?, groupOfPosition: [Int],
                        codes: inout [Int32], values: inout [Float]) -> Double {
            var lossPerRow = [Double](repeating: 0, count: rows)
            let blockCapacity = Swift.min(blockSize, columns)
            var block = [Float](repeating: 0, count: blockCapacity * rows)      // [count, rows]: block columns, contiguous
            var errors = [Float](repeating: 0, count: rows * blockCapacity)     // [rows, count]: the GEMM's left operand
            let groups = table.groups
            // Symmetric and float specs have no zero points: an empty stand-in gives the nested buffer
            // accessors below something to open, and is never read.
            let hasZeroPoints = table.zeroPoints != nil
            if table.zeroPoints == nil { table.zeroPoints = [] }

            work.withUnsafeMutableBufferPointer { workBuffer in
            upper.withUnsafeBufferPointer { upperBuffer in
            block.withUnsafeMutableBufferPointer { blockBuffer in
            errors.withUnsafeMutableBufferPointer { errorBuffer in
            table.scales.withUnsafeMutableBufferPointer { scaleBuffer in
            table.zeroPoints!.withUnsafeMutableBufferPointer { zeroBuffer in
            codes.withUnsafeMutableBufferPointer { codeBuffer in
            values.withUnsafeMutableBufferPointer { valueBuffer in
            lossPerRow.withUnsafeMutableBufferPointer { lossBuffer in
            groupOfPosition.withUnsafeBufferPointer { groupBuffer in
                let w = SendableMutablePointer(workBuffer), u = SendablePointer(upperBuffer)
                let blockColumns = SendableMutablePointer(blockBuffer), errorMatrix = SendableMutablePointer(errorBuffer)
                let scales = SendableMutablePointer(scaleBuffer)
                let zeros = hasZeroPoints ? SendableMutablePointer(zeroBuffer) : nil
                let codeOut = SendableMutablePointer(codeBuffer), valueOut = SendableMutablePointer(valueBuffer)
                let losses = SendableMutablePointer(lossBuffer), groupOf = SendablePointer(groupBuffer)
                for start in stride(from: 0, to: columns, by: blockSize) {
                    let end = Swift.min(start + blockSize, columns), count = end - start
                    parallelFor(count: rows, minimumChunk: 16) { chunk in
                        let first = chunk.lowerBound, width = chunk.count
                        for i in 0..<count {
                            for row in chunk { blockColumns[i * rows + row] = w[row * columns + start + i] }
                        }
                        var parameters: QuantParameters?
                        var parametersGroup = -1
                        var errorColumn = [Float](repeating: 0, count: width)
                        var dequantized = [Float](repeating: 0, count: width)
                        for i in 0..<count {
                            let position = start + i
                            if let size = dynamicGroupSize, position % size == 0 {
                                // A new group: parameters from W as the lazy updates left it (gptq.py reads W,
                                // not the block copy, so this block's earlier columns are not folded in).
                                var minimum = [Float](repeating: 0, count: width), maximum = minimum
                                for (offset, row) in chunk.enumerated() {
                                    var low = Float.infinity, high = -Float.infinity
                                    for column in position..<Swift.min(position + size, columns) {
                                        let value = w[row * columns + column]
                                        low = Swift.min(low, value)
                                        high = Swift.max(high, value)
                                    }
                                    minimum[offset] = low
                                    maximum[offset] = high
                                }
                                let found = QuantParameters(minimum: minimum, maximum: maximum, spec: spec, groupLength: 1)
                                let group = position / size
                                for (offset, row) in chunk.enumerated() {
                                    scales[row * groups + group] = found.scales[offset]
                                    if let zeros { zeros[row * groups + group] = found.zeroPoints![offset] }
                                }
                                parametersGroup = -1
                            }
                            let group = groupOf[position]
                            if group != parametersGroup {
                                parameters = QuantParameters(
                                    scales: chunk.map { scales[$0 * groups + group] },
                                    zeroPoints: zeros.map { z in chunk.map { z[$0 * groups + group] } }, groupLength: 1)
                                parametersGroup = group
                            }
                            let column = UnsafeBufferPointer(start: blockColumns.base + i * rows + first, count: width)
                            let columnCodes = Quantizer.codes(column, parameters: parameters!, spec: spec)
                            Quantizer.dequantize(columnCodes, parameters: parameters!, spec: spec, into: &dequantized)
                            let diagonal = u[position * columns + position]
                            let diagonalSquared = diagonal * diagonal
                            for offset in 0..<width {
                                let row = first + offset
                                let difference = column[offset] - dequantized[offset]
                                losses[row] += Double(difference * difference / diagonalSquared)
                                let error = difference / diagonal
                                errorColumn[offset] = error
                                errorMatrix[row * count + i] = error
                                codeOut[row * columns + position] = columnCodes[offset]
                                valueOut[row * columns + position] = dequantized[offset]
                            }
                            // The block's later columns absorb this column's error now (rank 1).
                            errorColumn.withUnsafeBufferPointer { errorsOfColumn in
                                for j in (i + 1)..<count {
                                    let coefficient = u[position * columns + start + j]
                                    guard coefficient != 0 else { continue }
                                    subtractScaled(errorsOfColumn, coefficient, from: blockColumns.base + j * rows + first)
                                }
                            }
                        }
                    }
                    // The columns after the block absorb all of its errors in one GEMM.
                    if end < columns {
                        matmul(m: rows, n: columns - end, k: count, alpha: -1, a: errorMatrix.base, lda: count,
                               b: u.base + start * columns + end, ldb: columns, transposeB: false,
                               beta: 1, c: w.base + end, ldc: columns)
                    }
                }
            }}}}}}}}}}
            if !hasZeroPoints { table.zeroPoints = nil }
            return lossPerRow.reduce(0, +) / 2
        }

        /// `target[k] −= coefficient · source[k]`: the product rounded, then subtracted, as torch's
        /// outer product followed by `-=` computes it.
        @inline(__always)
        static func subtractScaled(_ source: UnsafeBufferPointer<Float>, _ coefficient: Float, from target: UnsafeMutablePointer<Float>) {
            let count = source.count
            guard let base = source.baseAddress else { return }
            var k = 0
            let scale = SIMD16<Float>(repeating: coefficient)
            while k + 16 <= count {
                let product = UnsafeRawPointer(base + k).loadUnaligned(as: SIMD16<Float>.self) * scale
                let updated = UnsafeRawPointer(target + k).loadUnaligned(as: SIMD16<Float>.self) - product
                UnsafeMutableRawPointer(target + k).storeBytes(of: updated, as: SIMD16<Float>.self)
                k += 16
            }
            while k < count {
                target[k] -= base[k] * coefficient
                k += 1
            }
        }
    }
}
