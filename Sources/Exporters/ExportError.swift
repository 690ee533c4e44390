import Foundation

/// Why an export could not be written; each case names the path, tensor or option at fault.
public enum ExportError: Error, Equatable, CustomStringConvertible {
    case outputExists(path: String)
    case cannotCreate(path: String, reason: String)
    case unsupportedDType(String, supported: [String])
    case missingTensor(name: String, source: String)
    case write(path: String, reason: String)
    case interruptedRunExists(path: String, output: String)

    public var description: String {
        switch self {
        case let .outputExists(path): "\(path): already exists; choose a new --output (exports never overwrite)"
        case let .cannotCreate(path, reason): "\(path): cannot create the output: \(reason)"
        case let .unsupportedDType(name, supported): "--dtype '\(name)' is not supported; supported: \(supported.joined(separator: ", "))"
        case let .missingTensor(name, source): "\(source): tensor \(name) is missing"
        case let .write(path, reason): "\(path): \(reason)"
        case let .interruptedRunExists(path, output):
            "\(path): an interrupted run toward \(output) left its finished layers here; add --resume to continue it, or delete the directory to start over"
        }
    }
}
