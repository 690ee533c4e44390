/// The bytes behind one or more `Tensor` values: either a heap allocation this object owns, or a
/// span of a `MappedFile` it keeps alive. Tensors share storage until one of them writes
/// (copy-on-write), and views (row ranges) share it without copying.
public final class TensorStorage: @unchecked Sendable {
    // Sendable: mapped storage is read-only; heap storage is written only through `Tensor`'s
    // mutating accessors, which copy first unless the storage is uniquely referenced.
    public let base: UnsafeMutableRawPointer?
    public let byteCount: Int
    /// False for mapped files: writing to them would fault, so a write copies to the heap first.
    public let isWritable: Bool
    private let owner: AnyObject?

    /// A zero-filled heap allocation, aligned for SIMD loads.
    public init(zeroedByteCount byteCount: Int) {
        self.byteCount = byteCount
        if byteCount > 0 {
            let pointer = UnsafeMutableRawPointer.allocate(byteCount: byteCount, alignment: 64)
            pointer.initializeMemory(as: UInt8.self, repeating: 0, count: byteCount)
            base = pointer
        } else {
            base = nil
        }
        isWritable = true
        owner = nil
    }

    /// A read-only view of `bytes`, kept valid by `owner` (for example a `MappedFile`).
    public init(borrowing bytes: UnsafeRawBufferPointer, owner: AnyObject) {
        base = bytes.baseAddress.map { UnsafeMutableRawPointer(mutating: $0) }
        byteCount = bytes.count
        isWritable = false
        self.owner = owner
    }

    /// A heap copy of `bytes`.
    public convenience init(copying bytes: UnsafeRawBufferPointer) {
        self.init(zeroedByteCount: bytes.count)
        if let base, let source = bytes.baseAddress { base.copyMemory(from: source, byteCount: bytes.count) }
    }

    deinit {
        if owner == nil, let base { base.deallocate() }
    }
}
