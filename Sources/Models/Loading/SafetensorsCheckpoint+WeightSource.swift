import Formats
import Tensors

extension SafetensorsCheckpoint: WeightSource {
    public var sourceDescription: String { directory.path }
    public func tensor(named name: String) throws -> Tensor? {
        entry(named: name) == nil ? nil : try tensor(named: name) as Tensor
    }
}
