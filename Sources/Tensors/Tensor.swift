/// An n-dimensional array: a shape, an element type, and bytes that are either owned on the heap or
/// borrowed from a memory-mapped file. Row-major; the last dimension is contiguous.
///
/// Value semantics: copies share storage until one of them writes (copy-on-write). Views made by
/// `rows(_:)` share storage too, so slicing a mapped weight never copies it.
public struct Tensor: @unchecked Sendable {
    // Sendable: `TensorStorage` is only written through the mutating accessors below, which copy
    // storage that is shared or read-only before handing out a mutable pointer.
    public private(set) var shape: [Int]
    public let dtype: DType
    public private(set) var storage: TensorStorage
    /// Where this tensor's first element sits inside `storage`.
    public private(set) var byteOffset: Int

    /// Number of elements (1 for a 0-dim scalar).
    public var count: Int { shape.reduce(1, *) }
    public var byteCount: Int { count * dtype.byteSize }
    public var rank: Int { shape.count }

    /// A tensor over existing storage. Traps if the span does not fit: callers validate untrusted
    /// input (file headers) before building tensors from it.
    public init(shape: [Int], dtype: DType, storage: TensorStorage, byteOffset: Int = 0) {
        precondition(shape.allSatisfy { $0 >= 0 }, "negative dimension in \(shape)")
        let bytes = shape.reduce(1, *) * dtype.byteSize
        precondition(byteOffset >= 0 && byteOffset + bytes <= storage.byteCount, "tensor span outside its storage")
        self.shape = shape
        self.dtype = dtype
        self.storage = storage
        self.byteOffset = byteOffset
    }

    /// A zero-filled heap tensor.
    public init(zeros shape: [Int], dtype: DType = .float32) {
        let storage = TensorStorage(zeroedByteCount: shape.reduce(1, *) * dtype.byteSize)
        self.init(shape: shape, dtype: dtype, storage: storage)
    }

    /// A heap tensor holding a copy of `values`, whose Swift type must match `dtype`'s size.
    public init<Element: BitwiseCopyable>(shape: [Int], dtype: DType, values: [Element]) {
        precondition(MemoryLayout<Element>.stride == dtype.byteSize, "\(Element.self) does not match \(dtype)")
        precondition(values.count == shape.reduce(1, *), "\(values.count) values for shape \(shape)")
        let storage = values.withUnsafeBytes { TensorStorage(copying: $0) }
        self.init(shape: shape, dtype: dtype, storage: storage)
    }

    /// A float32 heap tensor holding `values`.
    public init(shape: [Int], floats values: [Float]) {
        self.init(shape: shape, dtype: .float32, values: values)
    }

    /// Raw bytes of this tensor (not of the whole storage).
    public func withUnsafeBytes<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        try body(UnsafeRawBufferPointer(start: storage.base.map { $0 + byteOffset }, count: byteCount))
    }

    /// Elements as `Element`, whose size must match `dtype`.
    public func withUnsafeBufferPointer<Element: BitwiseCopyable, R>(
        as type: Element.Type, _ body: (UnsafeBufferPointer<Element>) throws -> R
    ) rethrows -> R {
        precondition(MemoryLayout<Element>.stride == dtype.byteSize, "\(Element.self) does not match \(dtype)")
        return try withUnsafeBytes { try body($0.assumingMemoryBound(to: Element.self)) }
    }

    /// Mutable raw bytes; copies the storage first when it is shared, mapped, or larger than this view.
    public mutating func withUnsafeMutableBytes<R>(_ body: (UnsafeMutableRawBufferPointer) throws -> R) rethrows -> R {
        if !storage.isWritable || !isKnownUniquelyReferenced(&storage) || byteOffset != 0
            || storage.byteCount != byteCount
        {
            storage = withUnsafeBytes { TensorStorage(copying: $0) }
            byteOffset = 0
        }
        return try body(UnsafeMutableRawBufferPointer(start: storage.base, count: byteCount))
    }

    /// Mutable elements as `Element`, whose size must match `dtype`.
    public mutating func withUnsafeMutableBufferPointer<Element: BitwiseCopyable, R>(
        as type: Element.Type, _ body: (UnsafeMutableBufferPointer<Element>) throws -> R
    ) rethrows -> R {
        precondition(MemoryLayout<Element>.stride == dtype.byteSize, "\(Element.self) does not match \(dtype)")
        return try withUnsafeMutableBytes { try body($0.assumingMemoryBound(to: Element.self)) }
    }

    /// Rows `range` of the first dimension, sharing storage (no copy).
    public func rows(_ range: Range<Int>) -> Tensor {
        precondition(rank >= 1 && range.lowerBound >= 0 && range.upperBound <= shape[0], "rows \(range) of \(shape)")
        let rowBytes = shape.dropFirst().reduce(1, *) * dtype.byteSize
        var view = self
        view.shape[0] = range.count
        view.byteOffset = byteOffset + range.lowerBound * rowBytes
        return view
    }

    /// The same elements under another shape with the same element count (no copy).
    public func reshaped(_ newShape: [Int]) -> Tensor {
        precondition(newShape.reduce(1, *) == count, "cannot reshape \(shape) to \(newShape)")
        var view = self
        view.shape = newShape
        return view
    }

    /// The elements as `Float`, converting from the stored type.
    public func floats() -> [Float] {
        [Float](unsafeUninitializedCapacity: count) { buffer, initialized in
            withUnsafeBytes { convertToFloat32(source: $0, dtype: dtype, destination: buffer) }
            initialized = count
        }
    }

    /// This tensor converted to float32 (a copy unless it already is float32).
    public func toFloat32() -> Tensor {
        if dtype == .float32 { return self }
        return Tensor(shape: shape, floats: floats())
    }
}
