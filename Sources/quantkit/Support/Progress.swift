import Foundation

/// Progress lines on stderr ("layer 3/30, 4.1 s elapsed, ETA 37 s"), so stdout stays clean for
/// results and `--json`. Lines are rewritten in place on a terminal and printed one per step
/// otherwise (logs, CI).
struct Progress {
    let label: String
    let total: Int
    let start = Date()
    private let interactive = isatty(STDERR_FILENO) != 0

    init(_ label: String, total: Int) {
        self.label = label
        self.total = total
    }

    func update(_ done: Int, detail: String = "") {
        let elapsed = Date().timeIntervalSince(start)
        let remaining = done > 0 ? elapsed / Double(done) * Double(total - done) : 0
        var line = "\(label) \(done)/\(total), \(Self.format(elapsed)) elapsed"
        if done < total { line += ", ETA \(Self.format(remaining))" }
        if !detail.isEmpty { line += ", \(detail)" }
        if interactive {
            FileHandle.standardError.write(Data(("\r\u{1B}[K" + line + (done == total ? "\n" : "")).utf8))
        } else {
            FileHandle.standardError.write(Data((line + "\n").utf8))
        }
    }

    static func format(_ seconds: Double) -> String {
        seconds < 60 ? String(format: "%.1f s", seconds) : String(format: "%dm%02ds", Int(seconds) / 60, Int(seconds) % 60)
    }
}

/// Writes a diagnostic line to stderr.
func note(_ message: String) {
    FileHandle.standardError.write(Data((message + "\n").utf8))
}
