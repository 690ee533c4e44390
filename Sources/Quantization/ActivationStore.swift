import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Tensors

/// The calibration windows' hidden states at one layer boundary: what decoder layer `boundary`
/// receives. Quantizing streams one layer at a time, so only one boundary is read and the next one
/// written.
///
/// In memory, the states are plain tensors replaced in place. In files, boundary k lives in
/// `layer-k.f32` under `directory` (the windows' float32 rows one after another) and is mapped back
/// read-only: the states may then exceed RAM (the kernel pages them), and a killed run resumes from
/// the last boundary whose file was completed. The two newest files are kept, so the boundary a
/// checkpoint names still exists while the next one is being written.
public final class ActivationStore {
    /// Where the states live.
    public enum Backing: Sendable, Equatable {
        case memory
        case files(URL)
    }

    public let backing: Backing
    /// The boundary `inputs` belong to (the decoder layer that reads them); -1 before the first.
    public private(set) var boundary: Int
    /// [rows, width] per window.
    public private(set) var inputs: [Tensor] = []
    private var pending: [Tensor] = []
    private var writer: FileHandle?
    private var writtenRows: [Int] = []
    private let width: Int

    /// An empty store; fill boundary 0 with `append` and `finishBoundary`.
    public init(backing: Backing, width: Int) throws(QuantizationError) {
        self.backing = backing
        self.width = width
        boundary = -1
        if case let .files(directory) = backing {
            do {
                try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            } catch {
                throw .checkpoint(path: directory.path, reason: "cannot create the activation directory: \(error.localizedDescription)")
            }
        }
    }

    /// Reopens boundary `boundary` that an earlier run completed in `directory`.
    /// - Parameter rows: each window's token count, as that run stored them.
    public init(resuming directory: URL, boundary: Int, rows: [Int], width: Int) throws(QuantizationError) {
        backing = .files(directory)
        self.width = width
        self.boundary = boundary
        inputs = try Self.map(Self.file(directory, boundary), rows: rows, width: width)
        writtenRows = rows
    }

    /// Window `index`'s states, for a pass that replaces them with the next boundary's. In memory the
    /// store lets go of its reference, so the layer can update the tensor in place.
    public func takeInput(_ index: Int) -> Tensor {
        let window = inputs[index]
        if backing == .memory { inputs[index] = Tensor(zeros: [0, width]) }
        return window
    }

    /// Each window's token count at the current boundary.
    public var rows: [Int] { inputs.map { $0.shape[0] } }

    /// The bytes all windows take at one boundary.
    public static func byteCount(rows: [Int], width: Int) -> Int { rows.reduce(0, +) * width * MemoryLayout<Float>.size }

    /// Adds the next window's states [rows, width] to the boundary being built.
    public func append(_ window: Tensor) throws(QuantizationError) {
        precondition(window.rank == 2 && window.shape[1] == width, "activation windows are [rows, \(width)]")
        switch backing {
        case .memory:
            pending.append(window.toFloat32())
        case let .files(directory):
            let url = Self.file(directory, boundary + 1)
            do {
                if writer == nil {
                    try? FileManager.default.removeItem(at: url)
                    FileManager.default.createFile(atPath: url.path, contents: nil)
                    writer = try FileHandle(forWritingTo: url)
                    writtenRows = []
                }
                try window.toFloat32().withUnsafeBytes { try writer!.write(contentsOf: Data($0)) }
            } catch {
                throw .checkpoint(path: url.path, reason: "cannot write activations: \(error.localizedDescription)")
            }
            writtenRows.append(window.shape[0])
        }
    }

    /// Makes the appended windows the current boundary. Files are flushed to disk first, so a
    /// checkpoint written afterwards never names a boundary that a crash could have truncated.
    public func finishBoundary() throws(QuantizationError) {
        switch backing {
        case .memory:
            inputs = pending
            pending = []
        case let .files(directory):
            let url = Self.file(directory, boundary + 1)
            do {
                if let writer {
                    try writer.synchronize()
                    try writer.close()
                } else {
                    FileManager.default.createFile(atPath: url.path, contents: nil)
                    writtenRows = []
                }
            } catch {
                throw .checkpoint(path: url.path, reason: "cannot flush activations: \(error.localizedDescription)")
            }
            writer = nil
            inputs = try Self.map(url, rows: writtenRows, width: width)
            // The previous boundary stays until the next one is complete (see the type's comment).
            try? FileManager.default.removeItem(at: Self.file(directory, boundary - 1))
        }
        boundary += 1
    }

    /// Removes the files (after the run has finished).
    public func discard() {
        inputs = []
        if case let .files(directory) = backing { try? FileManager.default.removeItem(at: directory) }
    }

    static func file(_ directory: URL, _ boundary: Int) -> URL {
        directory.appendingPathComponent(String(format: "layer-%05d.f32", boundary))
    }

    private static func map(_ url: URL, rows: [Int], width: Int) throws(QuantizationError) -> [Tensor] {
        let expected = byteCount(rows: rows, width: width)
        let mapped: MappedFile
        do {
            mapped = try MappedFile(url: url)
        } catch {
            throw .checkpoint(path: url.path, reason: "cannot map activations: \(error)")
        }
        guard mapped.bytes.count == expected else {
            throw .checkpoint(path: url.path, reason: "holds \(mapped.bytes.count) bytes, expected \(expected) (\(rows.count) windows of width \(width))")
        }
        guard expected > 0 else { return rows.map { Tensor(zeros: [$0, width]) } }
        let storage = TensorStorage(borrowing: mapped.bytes, owner: mapped)
        var offset = 0
        return rows.map { count in
            defer { offset += count * width * MemoryLayout<Float>.size }
            return Tensor(shape: [count, width], dtype: .float32, storage: storage, byteOffset: offset)
        }
    }
}
