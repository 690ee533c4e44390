import Foundation

/// An integer from a `JSONSerialization` value, rejecting booleans and non-integral numbers.
/// (On Linux `1 is Bool` is true, so the check goes by the number's storage type instead.)
func jsonInteger(_ value: Any) -> Int? {
    guard let number = value as? NSNumber else { return nil }
    let type = String(cString: number.objCType)
    guard type != "c", type != "d", type != "f" else { return nil }
    return number.intValue
}

/// A boolean from a `JSONSerialization` value (`true`/`false` only, not 0 or 1).
func jsonBool(_ value: Any) -> Bool? {
    guard let number = value as? NSNumber, String(cString: number.objCType) == "c" else { return nil }
    return number.boolValue
}

/// A number from a `JSONSerialization` value, rejecting booleans.
func jsonDouble(_ value: Any) -> Double? {
    guard let number = value as? NSNumber, String(cString: number.objCType) != "c" else { return nil }
    return number.doubleValue
}
