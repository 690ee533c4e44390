import Testing
@testable import Tensors

@Suite struct ParallelForTests {
    @Test(arguments: [0, 1, 2, 3, 7, 17, 129, 1000], [1, 2, 5, 64])
    func visitsEveryIndexExactlyOnce(count: Int, minimumChunk: Int) {
        // One spare slot so the buffer is never empty (SendableMutablePointer needs a base address).
        var counters = [Int](repeating: 0, count: count + 1)
        counters.withUnsafeMutableBufferPointer { buffer in
            let pointer = SendableMutablePointer(buffer)
            parallelFor(count: count, minimumChunk: minimumChunk) { range in
                // Chunks are disjoint, so plain increments are race-free; a double visit would show as 2.
                for index in range { pointer[index] += 1 }
            }
        }
        #expect(counters.dropLast().allSatisfy { $0 == 1 } && counters.last == 0)
    }

    @Test func threadCountCanBeOverridden() {
        let original = ComputeThreads.count
        ComputeThreads.count = 0
        #expect(ComputeThreads.count == 1, "clamped to at least one thread")
        ComputeThreads.count = original
        #expect(ComputeThreads.count >= 1)
    }
}
