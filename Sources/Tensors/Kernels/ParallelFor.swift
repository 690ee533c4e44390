import Dispatch
import Foundation
import Synchronization

/// How many threads `parallelFor` splits work across. Defaults to the active processor count, or to
/// the environment variable `QUANTKIT_THREADS` when it holds a positive integer.
///
/// One setting decides who gets the cores: BLAS calls (`matmul`, `linear`) use their own threads
/// (`setBLASThreads(_:)`), so never call BLAS from inside a `parallelFor` body.
public enum ComputeThreads {
    private static let storage = Atomic<Int>(defaultCount)

    /// The current thread count (always ≥ 1).
    public static var count: Int {
        get { storage.load(ordering: .relaxed) }
        set { storage.store(max(1, newValue), ordering: .relaxed) }
    }

    /// `QUANTKIT_THREADS` if set to a positive integer, else the active processor count.
    public static var defaultCount: Int {
        if let text = ProcessInfo.processInfo.environment["QUANTKIT_THREADS"], let value = Int(text), value > 0 {
            return value
        }
        return max(1, ProcessInfo.processInfo.activeProcessorCount)
    }
}

/// Runs `body` over contiguous chunks that together cover `0..<count` exactly once, on up to
/// `ComputeThreads.count` threads: the caller and the `WorkerTeam`'s polling workers (or
/// `DispatchQueue.concurrentPerform` when the team is busy with another caller's loop). Chunks hold
/// at least `minimumChunk` indices (except when `count` is smaller), so tiny loops run inline on the
/// caller. The body must not call BLAS or `parallelFor` itself.
public func parallelFor(count: Int, minimumChunk: Int = 1, body: @Sendable (Range<Int>) -> Void) {
    precondition(count >= 0 && minimumChunk >= 1, "parallelFor(count: \(count), minimumChunk: \(minimumChunk))")
    guard count > 0 else { return }
    let chunks = min(ComputeThreads.count, (count + minimumChunk - 1) / minimumChunk)
    if chunks <= 1 {
        body(0..<count)
        return
    }
    // Balanced split: the first `count % chunks` chunks get one extra index.
    let base = count / chunks, extra = count % chunks
    let chunkBody: @Sendable (Int) -> Void = { chunk in
        let start = chunk * base + min(chunk, extra)
        body(start..<(start + base + (chunk < extra ? 1 : 0)))
    }
    if !WorkerTeam.shared.run(chunks: chunks, chunkBody) {
        DispatchQueue.concurrentPerform(iterations: chunks, execute: chunkBody)
    }
}

/// A read-only pointer that may cross into `parallelFor` bodies.
///
/// Swift 6 refuses to capture raw pointers in `@Sendable` closures. This wrapper is `@unchecked
/// Sendable` on the contract that the caller keeps the memory alive and unchanged for the duration of
/// the `parallelFor` call; it is the one accepted exception (see DESIGN.md, Concurrency).
public struct SendablePointer<Element>: @unchecked Sendable {
    public let base: UnsafePointer<Element>
    public init(_ base: UnsafePointer<Element>) { self.base = base }
    /// Wraps a buffer's base address; traps on an empty buffer without storage.
    public init(_ buffer: UnsafeBufferPointer<Element>) { self.base = buffer.baseAddress! }
    public subscript(index: Int) -> Element { base[index] }
}

/// A mutable pointer that may cross into `parallelFor` bodies.
///
/// `@unchecked Sendable` on the contract that the caller keeps the memory alive for the duration of the
/// `parallelFor` call and that different chunks write disjoint elements.
public struct SendableMutablePointer<Element>: @unchecked Sendable {
    public let base: UnsafeMutablePointer<Element>
    public init(_ base: UnsafeMutablePointer<Element>) { self.base = base }
    /// Wraps a buffer's base address; traps on an empty buffer without storage.
    public init(_ buffer: UnsafeMutableBufferPointer<Element>) { self.base = buffer.baseAddress! }
    public subscript(index: Int) -> Element {
        get { base[index] }
        nonmutating set { base[index] = newValue }
    }
}
