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

/// The worker team serves one loop at a time; loops started from several threads at once, or from
/// inside a loop's body, fall back to concurrentPerform and must still cover every index once.
@Suite struct WorkerTeamTests {
    @Test func concurrentCallersEachCoverTheirIndices() async {
        let original = ComputeThreads.count
        ComputeThreads.count = 2
        defer { ComputeThreads.count = original }
        let results = await withTaskGroup(of: Bool.self) { group in
            for caller in 0..<4 {
                group.addTask {
                    let count = 1000 + caller
                    var counters = [Int](repeating: 0, count: count)
                    for _ in 0..<200 {
                        counters.withUnsafeMutableBufferPointer { buffer in
                            let pointer = SendableMutablePointer(buffer)
                            parallelFor(count: count) { range in for index in range { pointer[index] += 1 } }
                        }
                    }
                    return counters.allSatisfy { $0 == 200 }
                }
            }
            return await group.reduce(into: [Bool]()) { $0.append($1) }
        }
        #expect(results.allSatisfy { $0 })
    }

    @Test func nestedLoopsCoverEveryIndex() {
        let original = ComputeThreads.count
        ComputeThreads.count = 2
        defer { ComputeThreads.count = original }
        var counters = [Int](repeating: 0, count: 64 * 64)
        counters.withUnsafeMutableBufferPointer { buffer in
            let pointer = SendableMutablePointer(buffer)
            parallelFor(count: 64) { outer in
                for row in outer {
                    parallelFor(count: 64) { inner in for column in inner { pointer[row * 64 + column] += 1 } }
                }
            }
        }
        #expect(counters.allSatisfy { $0 == 1 })
    }
}
