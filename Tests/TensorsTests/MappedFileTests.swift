import Foundation
import Testing
@testable import Tensors

struct MappedFileTests {
    /// Releasing a mapped tensor's pages drops them from this process only: reading it again gives
    /// the file's values (MADV_DONTNEED on a private read-only map), and heap tensors are untouched.
    @Test func releasedPagesReadBackFromTheFile() throws {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("quantkit-mapped-\(getpid()).f32")
        defer { try? FileManager.default.removeItem(at: url) }
        // Five pages of floats, so the released view covers whole pages and leaves partial ones.
        let values = (0..<(5 * 4096 / 4)).map { Float($0) * 0.5 - 7 }
        try values.withUnsafeBytes { try Data($0).write(to: url) }
        let mapped = try MappedFile(url: url)
        let whole = Tensor(shape: [values.count], dtype: .float32, storage: TensorStorage(borrowing: mapped.bytes, owner: mapped))
        #expect(whole.floats() == values)
        let view = whole.reshaped([values.count / 8, 8]).rows(100..<600)
        view.releaseMappedPages()
        whole.releaseMappedPages()
        #expect(whole.floats() == values)
        #expect(view.floats() == Array(values[800..<4800]))
        var heap = Tensor(shape: [4], floats: [1, 2, 3, 4])
        heap.releaseMappedPages()
        heap.withUnsafeMutableBufferPointer(as: Float.self) { $0[0] = 9 }
        #expect(heap.floats() == [9, 2, 3, 4])
    }
}
