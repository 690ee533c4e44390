import Foundation

/// cos/sin of `position · inverseFrequency[i]` for every position up to the model's limit, in the
/// HF rotate-half convention (one value per frequency; the kernel applies it to both halves).
/// Inverse frequencies follow transformers' `modeling_rope_utils` (default, linear, llama3).
struct RoPETable: Sendable {
    let headDimension: Int
    /// [positions, headDimension / 2]
    let cosine: [Float]
    let sine: [Float]

    init(configuration: LlamaConfiguration, positions: Int) {
        headDimension = configuration.headDimension
        let inverse = Self.inverseFrequencies(configuration.rope, headDimension: headDimension)
        let half = headDimension / 2
        var cosine = [Float](repeating: 0, count: positions * half)
        var sine = [Float](repeating: 0, count: positions * half)
        for position in 0..<positions {
            for i in 0..<half {
                // transformers multiplies in float32 (a matmul of float32 positions and frequencies).
                let angle = Float(position) * inverse[i]
                cosine[position * half + i] = cos(angle)
                sine[position * half + i] = sin(angle)
            }
        }
        self.cosine = cosine
        self.sine = sine
    }

    /// `1 / theta^(2i / d)` in float32 as torch computes it, then the scaling rule.
    static func inverseFrequencies(_ rope: RoPEScaling, headDimension: Int) -> [Float] {
        var inverse = stride(from: 0, to: headDimension, by: 2).map { i in
            1 / Float(pow(Double(rope.theta), Double(Float(i) / Float(headDimension))))
        }
        switch rope.kind {
        case .default:
            break
        case .linear:
            inverse = inverse.map { $0 / rope.factor }
        case .llama3:
            // transformers `_compute_llama3_parameters`: keep high frequencies, divide low ones by
            // `factor`, and blend smoothly in between.
            let lowWavelength = Float(rope.originalMaxPositions) / rope.lowFrequencyFactor
            let highWavelength = Float(rope.originalMaxPositions) / rope.highFrequencyFactor
            inverse = inverse.map { frequency in
                let wavelength = 2 * Float.pi / frequency
                if wavelength > lowWavelength { return frequency / rope.factor }
                if wavelength < highWavelength { return frequency }
                let smooth = (Float(rope.originalMaxPositions) / wavelength - rope.lowFrequencyFactor)
                    / (rope.highFrequencyFactor - rope.lowFrequencyFactor)
                return (1 - smooth) * frequency / rope.factor + smooth * frequency
            }
        }
        return inverse
    }
}
