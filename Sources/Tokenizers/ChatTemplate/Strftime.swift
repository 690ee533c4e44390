import Foundation

/// Python's `datetime.now().strftime(format)` in the C locale, for `strftime_now`.
/// Python's `now()` is naive local time, so the current time zone is used and `%Z`/`%z` are empty.
enum Strftime {
    static let supportedDirectives = "aAbBcdDeHIjmMpSyYFTx%"
    private static let weekdays = ["Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"]
    private static let months = [
        "January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
        "November", "December",
    ]

    /// Formats `date`; returns nil and the offending directive if one is not supported.
    static func format(_ format: String, date: Date, timeZone: TimeZone = .current) -> (String?, Character?) {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = timeZone
        let parts = calendar.dateComponents([.year, .month, .day, .hour, .minute, .second, .weekday], from: date)
        let year = parts.year ?? 1970, month = parts.month ?? 1, day = parts.day ?? 1
        let hour = parts.hour ?? 0, minute = parts.minute ?? 0, second = parts.second ?? 0
        let weekday = (parts.weekday ?? 1) - 1
        let dayOfYear = calendar.ordinality(of: .day, in: .year, for: date) ?? 1
        func pad(_ value: Int, _ width: Int = 2, _ filler: Character = "0") -> String {
            let text = String(value)
            return String(repeating: filler, count: max(0, width - text.count)) + text
        }
        var output = ""
        var iterator = format.makeIterator()
        while let character = iterator.next() {
            guard character == "%" else { output.append(character); continue }
            guard let directive = iterator.next() else { output.append("%"); break }
            let hour12 = hour % 12 == 0 ? 12 : hour % 12
            switch directive {
            case "a": output += String(weekdays[weekday].prefix(3))
            case "A": output += weekdays[weekday]
            case "b": output += String(months[month - 1].prefix(3))
            case "B": output += months[month - 1]
            case "d": output += pad(day)
            case "e": output += pad(day, 2, " ")
            case "m": output += pad(month)
            case "y": output += pad(year % 100)
            case "Y": output += String(year)
            case "H": output += pad(hour)
            case "I": output += pad(hour12)
            case "M": output += pad(minute)
            case "S": output += pad(second)
            case "p": output += hour < 12 ? "AM" : "PM"
            case "j": output += pad(dayOfYear, 3)
            case "F": output += "\(year)-\(pad(month))-\(pad(day))"
            case "D", "x": output += "\(pad(month))/\(pad(day))/\(pad(year % 100))"
            case "T": output += "\(pad(hour)):\(pad(minute)):\(pad(second))"
            case "c":
                output += "\(weekdays[weekday].prefix(3)) \(months[month - 1].prefix(3)) \(pad(day, 2, " ")) "
                    + "\(pad(hour)):\(pad(minute)):\(pad(second)) \(year)"
            case "%": output += "%"
            default: return (nil, directive)
            }
        }
        return (output, nil)
    }
}
