import HSSIdentity
import HSSTransport

// The time parsers: HTTP dates (Date, Retry-After: HTTPDate), Retry-After's
// delay (with RetryPolicy) and the expiry of temporary credentials
// (TemporaryCredentials.parseTime). Each is checked against a grammar and a
// calendar written here: what the grammar accepts is accepted with the right
// time; an accepted expiry matches the grammar; a delay is within the cap.
//
// Input: a byte for the retry policy, then the text.

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzDates(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    var input = FuzzInput(data, size)
    let choice = input.byte()
    let bytes = input.rest()
    let text = String(decoding: bytes, as: UTF8.self)

    let expected = imfFixdate(bytes)
    let parsed = HTTPDate.parse(text)
    if let expected { require(parsed == expected, "HTTP date \(text): \(String(describing: parsed)), not \(expected)") }
    if let parsed, (-30_610_224_000...253_402_300_799).contains(parsed) {  // years 1000-9999
        require(HTTPDate.parse(format(parsed)) == parsed, "HTTP date \(text) does not read back from \(format(parsed))")
    }

    let now = 1_700_000_000
    let retryAfter = HTTPDate.retryAfterMs(text, now: now)
    if let retryAfter { require(retryAfter >= 0, "Retry-After \(text) gives \(retryAfter) ms") }
    let policy = RetryPolicy(maxAttempts: 10, baseMs: 1 + Int(choice), capMs: 1 + Int(choice) * 100)
    let delay = policy.delayMs(afterFailure: 1 + Int(choice % 10), retryAfterMs: retryAfter)
    require((0...policy.capMs).contains(delay), "a delay of \(delay) ms with a cap of \(policy.capMs)")

    let expiry = bytes.withUnsafeBufferPointer { TemporaryCredentials.parseTime($0) }
    let wanted = rfc3339(bytes)
    require(expiry == wanted, "expiry \(show(bytes)): \(String(describing: expiry)), not \(String(describing: wanted))")
    return 0
}

/// Days from 1970-01-01 to a proleptic Gregorian date (H. Hinnant's days_from_civil;
/// linear in the day, so "Feb 31" counts on into March, as timegm does).
private func days(_ year: Int, _ month: Int, _ day: Int) -> Int {
    let y = month <= 2 ? year - 1 : year
    let era = (y >= 0 ? y : y - 399) / 400
    let yoe = y - era * 400
    let doy = (153 * (month + (month > 2 ? -3 : 9)) + 2) / 5 + day - 1
    return era * 146_097 + yoe * 365 + yoe / 4 - yoe / 100 + doy - 719_468
}

private func number(_ b: ArraySlice<UInt8>) -> Int? {
    guard !b.isEmpty, b.allSatisfy({ (0x30...0x39).contains($0) }) else { return nil }
    return b.reduce(0) { $0 * 10 + Int($1 - 0x30) }
}

private let months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
private let weekdays = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"]

/// RFC 9110's IMF-fixdate, "Sun, 06 Nov 1994 08:49:37 GMT", exactly (the day of
/// the week is not checked against the date); nil for anything else.
private func imfFixdate(_ b: [UInt8]) -> Int? {
    guard b.count == 29, b[3] == UInt8(ascii: ","), String(decoding: b[25...], as: UTF8.self) == " GMT",
        weekdays.contains(String(decoding: b[0..<3], as: UTF8.self)),
        let month = months.firstIndex(of: String(decoding: b[8..<11], as: UTF8.self)),
        [4, 7, 11, 16].allSatisfy({ b[$0] == 0x20 }), b[19] == UInt8(ascii: ":"), b[22] == UInt8(ascii: ":"),
        let day = number(b[5..<7]), let year = number(b[12..<16]), let hour = number(b[17..<19]),
        let minute = number(b[20..<22]), let second = number(b[23..<25]),
        (1...31).contains(day), hour < 24, minute < 60, second < 61
    else { return nil }
    return days(year, month + 1, day) * 86_400 + hour * 3600 + minute * 60 + second
}

private func format(_ time: Int) -> String {
    let day = time >= 0 ? time / 86_400 : (time - 86_399) / 86_400
    let seconds = time - day * 86_400
    // civil_from_days
    let z = day + 719_468
    let era = (z >= 0 ? z : z - 146_096) / 146_097
    let doe = z - era * 146_097
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
    let mp = (5 * doy + 2) / 153
    let d = doy - (153 * mp + 2) / 5 + 1
    let m = mp < 10 ? mp + 3 : mp - 9
    let y = yoe + era * 400 + (m <= 2 ? 1 : 0)
    func two(_ n: Int) -> String { n < 10 ? "0\(n)" : "\(n)" }
    let weekday = weekdays[((day % 7) + 11) % 7]
    return
        "\(weekday), \(two(d)) \(months[m - 1]) \(y) \(two(seconds / 3600)):\(two(seconds / 60 % 60)):\(two(seconds % 60)) GMT"
}

/// The expiry grammar parseTime documents: YYYY-MM-DD, "T" (or "t" or a space),
/// HH:MM:SS, an optional fraction of 1-9 digits, then "Z" (or "z") or +HH:MM / -HH:MM.
private func rfc3339(_ b: [UInt8]) -> Int? {
    guard b.count >= 20, let year = number(b[0..<4]), b[4] == UInt8(ascii: "-"), let month = number(b[5..<7]),
        b[7] == UInt8(ascii: "-"), let day = number(b[8..<10]), "Tt ".utf8.contains(b[10]),
        let hour = number(b[11..<13]), b[13] == UInt8(ascii: ":"), let minute = number(b[14..<16]),
        b[16] == UInt8(ascii: ":"), let second = number(b[17..<19]),
        (1...12).contains(month), (1...31).contains(day), hour < 24, minute < 60, second < 61
    else { return nil }
    var rest = b[19...]
    if rest.first == UInt8(ascii: ".") {
        let digits = rest.dropFirst().prefix { (0x30...0x39).contains($0) }
        guard (1...9).contains(digits.count) else { return nil }
        rest = rest.dropFirst(1 + digits.count)
    }
    var offset = 0
    if rest.count == 1, "Zz".utf8.contains(rest.first!) {
        offset = 0
    } else if rest.count == 6, let sign = rest.first, sign == UInt8(ascii: "+") || sign == UInt8(ascii: "-"),
        let hh = number(rest.dropFirst().prefix(2)), rest[rest.startIndex + 3] == UInt8(ascii: ":"),
        let mm = number(rest.suffix(2)), hh < 24, mm < 60
    {
        offset = (hh * 3600 + mm * 60) * (sign == UInt8(ascii: "-") ? -1 : 1)
    } else {
        return nil
    }
    return days(year, month, day) * 86_400 + hour * 3600 + minute * 60 + second - offset
}
