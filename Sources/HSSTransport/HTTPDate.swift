import CHSSAPI

/// HTTP dates (RFC 9110 IMF-fixdate, "Sun, 06 Nov 1994 08:49:37 GMT") and
/// Retry-After's delay-seconds. Strict: the date is read as the grammar's 29
/// bytes (names of days and months as written there, case-sensitive), every
/// number ASCII digits of its width, so no sign or space slips into the
/// arithmetic and no Unicode rule (a combining mark joining a name) into
/// the comparison.
package enum HTTPDate {
    private static let months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
    private static let days = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"]

    /// Seconds since the epoch, or nil if `text` is not an IMF-fixdate.
    package static func parse(_ text: String) -> Int? {
        let b = Array(text.utf8)
        guard b.count == 29 else { return nil }
        func name(_ at: Int, in names: [String]) -> Int? {
            names.firstIndex { $0.utf8.elementsEqual(b[at..<(at + 3)]) }
        }
        func number(_ at: Int, width: Int) -> Int? { digits(b[at..<(at + width)]) }
        func byte(_ at: Int, _ ascii: Unicode.Scalar) -> Bool { b[at] == UInt8(ascii: ascii) }
        guard name(0, in: days) != nil, byte(3, ","), byte(4, " "), let day = number(5, width: 2), byte(7, " "),
            let monthIndex = name(8, in: months), byte(11, " "), let year = number(12, width: 4), byte(16, " "),
            let hour = number(17, width: 2), byte(19, ":"), let minute = number(20, width: 2), byte(22, ":"),
            let second = number(23, width: 2), b[25...].elementsEqual(" GMT".utf8),
            (1...31).contains(day), hour < 24, minute < 60, second < 61
        else { return nil }
        var fields = tm()
        fields.tm_year = Int32(year - 1900)
        fields.tm_mon = Int32(monthIndex)
        fields.tm_mday = Int32(day)
        fields.tm_hour = Int32(hour)
        fields.tm_min = Int32(minute)
        fields.tm_sec = Int32(second)
        return Int(timegm(&fields))
    }

    /// Retry-After as milliseconds from `now`: delay-seconds or an HTTP date.
    package static func retryAfterMs(_ text: String, now: Int) -> Int? {
        if text.utf8.count <= 9, let seconds = digits(text.utf8) { return seconds * 1000 }
        return parse(text).map { max($0 - now, 0) * 1000 }
    }

    /// The value of `text` if it is 1-18 ASCII digits only.
    private static func digits<Bytes: Collection<UInt8>>(_ text: Bytes) -> Int? {
        guard !text.isEmpty, text.count <= 18 else { return nil }
        var value = 0
        for byte in text {
            guard (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) else { return nil }
            value = value * 10 + Int(byte - UInt8(ascii: "0"))
        }
        return value
    }
}
