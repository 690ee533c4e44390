import Testing
@testable import Tensors

@Test func rowViewsShareStorageAndCopyOnWrite() {
    var tensor = Tensor(shape: [3, 2], floats: [1, 2, 3, 4, 5, 6])
    let view = tensor.rows(1..<3)
    #expect(view.shape == [2, 2])
    #expect(view.floats() == [3, 4, 5, 6])
    #expect(view.storage === tensor.storage)
    tensor.withUnsafeMutableBufferPointer(as: Float.self) { $0[2] = 30 }
    #expect(view.floats() == [3, 4, 5, 6], "writing the original must not change an existing view")
    #expect(tensor.floats() == [1, 2, 30, 4, 5, 6])
}
