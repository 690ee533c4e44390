import Foundation

/// An output directory that appears all at once: files go into a hidden sibling
/// (`.NAME.partial-PID`), which is renamed to NAME by `commit()`. If the export fails, the partial
/// directory is removed, so a reader never sees half an export and an existing path is never touched.
///
/// A resumable directory stages in `.NAME.partial` instead and keeps it when the run fails or is
/// killed, so a later run can pick up what it holds (`quantize --resume`).
public final class AtomicDirectory {
    public let destination: URL
    /// Where to write the files until `commit()`.
    public let staging: URL
    /// Whether `staging` held an earlier run's files when this one opened it.
    public let reopened: Bool
    private let keepsStagingOnFailure: Bool
    private var committed = false

    public init(_ destination: URL) throws(ExportError) {
        self.destination = destination.standardizedFileURL
        staging = Self.stagingURL(for: self.destination, suffix: "-\(getpid())")
        keepsStagingOnFailure = false
        reopened = false
        try Self.prepare(self.destination, staging: staging, reuse: false)
    }

    /// A resumable directory. With `resume`, an existing `.NAME.partial` is reopened (and created if
    /// there is none); without, one left by an earlier run is an error that says to resume or delete it.
    public init(resumable destination: URL, resume: Bool) throws(ExportError) {
        self.destination = destination.standardizedFileURL
        staging = Self.stagingURL(for: self.destination, suffix: "")
        keepsStagingOnFailure = true
        let exists = FileManager.default.fileExists(atPath: staging.path)
        if exists && !resume { throw .interruptedRunExists(path: staging.path, output: self.destination.path) }
        reopened = exists
        try Self.prepare(self.destination, staging: staging, reuse: true)
    }

    private static func stagingURL(for destination: URL, suffix: String) -> URL {
        destination.deletingLastPathComponent().appendingPathComponent(".\(destination.lastPathComponent).partial\(suffix)")
    }

    private static func prepare(_ destination: URL, staging: URL, reuse: Bool) throws(ExportError) {
        if FileManager.default.fileExists(atPath: destination.path) { throw .outputExists(path: destination.path) }
        do {
            try FileManager.default.createDirectory(at: destination.deletingLastPathComponent(), withIntermediateDirectories: true)
            if !reuse { try? FileManager.default.removeItem(at: staging) }
            try FileManager.default.createDirectory(at: staging, withIntermediateDirectories: reuse)
        } catch {
            throw .cannotCreate(path: destination.path, reason: error.localizedDescription)
        }
    }

    /// `name` inside the staging directory.
    public func file(_ name: String) -> URL { staging.appendingPathComponent(name) }

    /// Writes `object` as pretty, key-sorted JSON (as transformers writes its config files).
    public func writeJSON(_ object: Any, to name: String) throws(ExportError) {
        do {
            var data = try JSONSerialization.data(withJSONObject: object, options: [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes])
            data.append(0x0A)
            try data.write(to: file(name))
        } catch {
            throw .write(path: destination.appendingPathComponent(name).path, reason: error.localizedDescription)
        }
    }

    /// Moves the finished directory into place.
    public func commit() throws(ExportError) {
        do {
            try FileManager.default.moveItem(at: staging, to: destination)
            committed = true
        } catch {
            throw .write(path: destination.path, reason: "could not move the finished export into place: \(error.localizedDescription)")
        }
    }

    deinit {
        if !committed && !keepsStagingOnFailure { try? FileManager.default.removeItem(at: staging) }
    }
}
