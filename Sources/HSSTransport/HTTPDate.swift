import CHSSAPI

/// HTTP dates (RFC 9110 IMF-fixdate, "Sun, 06 Nov 1994 08:49:37 GMT") and
/// Retry-After's delay-seconds. Strict: every number is ASCII digits of the
/// grammar's width, so no sign or space slips into the arithmetic.
package enum HTTPDate {
    private static let months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]

    /// Seconds since the epoch, or nil if `text` is not an IMF-fixdate.
    package static func parse(_ text: String) -> Int? {
        let parts = text.split(separator: " ", omittingEmptySubsequences: false)
        guard parts.count == 6, parts[0].count == 4, parts[0].hasSuffix(","), parts[5] == "GMT",
            let day = digits(parts[1], width: 2), let monthIndex = months.firstIndex(of: String(parts[2])),
            let year = digits(parts[3], width: 4)
        else { return nil }
        let clock = parts[4].split(separator: ":", omittingEmptySubsequences: false)
        guard clock.count == 3, let hour = digits(clock[0], width: 2), let minute = digits(clock[1], width: 2),
            let second = digits(clock[2], width: 2),
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
        if let seconds = digits(Substring(text), width: nil), text.utf8.count <= 9 { return seconds * 1000 }
        return parse(text).map { max($0 - now, 0) * 1000 }
    }

    /// The value of `text` if it is ASCII digits only (exactly `width` of
    /// them when given).
    private static func digits(_ text: Substring, width: Int?) -> Int? {
        guard !text.isEmpty, width.map({ text.utf8.count == $0 }) ?? (text.utf8.count <= 18) else { return nil }
        var value = 0
        for byte in text.utf8 {
            guard (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) else { return nil }
            value = value * 10 + Int(byte - UInt8(ascii: "0"))
        }
        return value
    }
}
