import Foundation

/// An output directory that appears all at once: files go into a hidden sibling
/// (`.NAME.partial-PID`), which is renamed to NAME by `commit()`. If the export fails, the partial
/// directory is removed, so a reader never sees half an export and an existing path is never touched.
public final class AtomicDirectory {
    public let destination: URL
    /// Where to write the files until `commit()`.
    public let staging: URL
    private var committed = false

    public init(_ destination: URL) throws(ExportError) {
        self.destination = destination.standardizedFileURL
        if FileManager.default.fileExists(atPath: self.destination.path) { throw .outputExists(path: self.destination.path) }
        let parent = self.destination.deletingLastPathComponent()
        staging = parent.appendingPathComponent(".\(self.destination.lastPathComponent).partial-\(getpid())")
        do {
            try FileManager.default.createDirectory(at: parent, withIntermediateDirectories: true)
            try? FileManager.default.removeItem(at: staging)
            try FileManager.default.createDirectory(at: staging, withIntermediateDirectories: false)
        } catch {
            throw .cannotCreate(path: self.destination.path, reason: error.localizedDescription)
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
        if !committed { try? FileManager.default.removeItem(at: staging) }
    }
}
