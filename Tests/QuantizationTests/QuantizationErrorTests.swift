import Testing
@testable import Quantization

/// The group-size error always names sizes that would fit, or says none does.
struct GroupSizeAdviceTests {
    @Test func adviceNamesFittingSizesOrPerChannel() {
        let usual = QuantizationError.groupSizeDoesNotDivide(inFeatures: 576, groupSize: 128, layer: "q_proj").description
        #expect(usual.hasSuffix("choose a divisor (e.g. 16, 32, 64)"))
        let odd = QuantizationError.groupSizeDoesNotDivide(inFeatures: 100, groupSize: 64, layer: "q_proj").description
        #expect(odd.hasSuffix("choose a divisor (e.g. 20, 25, 50)"))
        let prime = QuantizationError.groupSizeDoesNotDivide(inFeatures: 97, groupSize: 32, layer: "q_proj").description
        #expect(prime.hasSuffix("no group size divides it; quantize it per channel or exclude it"))
    }
}
