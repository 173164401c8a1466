import Glibc
import HSSIdentity
import HSSSigning
import HSSTransport

// The time parsers and the formatting of the time requests are signed with.
// HTTP dates (Date, Retry-After: HTTPDate), Retry-After's delay (with
// RetryPolicy), the expiry of temporary credentials
// (TemporaryCredentials.parseTime), the clock-skew correction (SigningClock,
// with injected clocks) and X-Sdk-Date (Signer.sdkDate). Each is checked
// against a grammar written here and the C library's calendar (timegm,
// gmtime_r), which shares no code with libhss's own arithmetic:
//   - HTTPDate.parse accepts exactly the IMF-fixdate grammar, with the right time;
//   - an accepted expiry matches the documented grammar, with the right time;
//   - a delay is within the cap;
//   - a parsed Date, corrected into a clock whose wall time is near it (or
//     not), then now() after the clocks moved on: a correction beyond
//     SigningClock.maxCorrection is never applied, an applied one only while
//     it is fresh and the wall clock was not stepped;
//   - sdkDate of that time and of any 64-bit value never traps and is the
//     16 characters YYYYMMDDTHHMMSSZ of the time clamped to years 1970-9999.
//
// Input: a byte for the retry policy, 8 bytes (little-endian: a raw time,
// also the clocks' offsets), then the text.

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzDates(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    var input = FuzzInput(data, size)
    let choice = input.byte()
    let raw = (0..<8).reduce(0) { value, index in value | Int(input.byte()) << (8 * index) }
    let bytes = input.rest()
    let text = String(decoding: bytes, as: UTF8.self)

    let expected = imfFixdate(bytes)
    let parsed = HTTPDate.parse(text)
    require(
        parsed == expected,
        "HTTP date \(show(bytes)): \(String(describing: parsed)), not \(String(describing: expected))")
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

    checkSDKDate(raw)
    if let parsed { checkCorrection(serverDate: parsed, raw) }
    return 0
}

/// The clocks a SigningClock reads, moved by hand.
private final class Clocks {
    var wallMs = 0
    var monotonicMs = 0
}

/// A gateway's Date, corrected into a clock `raw` places near it (within a
/// few seconds of the limit either way, or anywhere within 68 years), then
/// now() after the clocks moved on by up to 17 minutes (crossing the
/// lifetime), the wall clock perhaps stepped by up to 4 s (crossing the
/// tolerance of 2 s). The time signed with is formatted.
private func checkCorrection(serverDate: Int, _ raw: Int) {
    let near = raw & 0xFFFF_FFFF
    let skew =
        raw >> 63 == 0
        ? near % (2 * SigningClock.maxCorrection + 8) - SigningClock.maxCorrection - 4
        : Int(Int32(truncatingIfNeeded: near))
    let clocks = Clocks()
    clocks.wallMs = (serverDate - skew) * 1000 + (raw >> 32 & 0x3FF) % 1000
    clocks.monotonicMs = 123_456
    let clock = SigningClock(wallMs: { clocks.wallMs }, monotonicMs: { clocks.monotonicMs })
    let wallSeconds = clocks.wallMs / 1000
    let (offset, applied) = clock.correct(serverDate: serverDate)
    require(offset == serverDate - wallSeconds, "a correction of \(offset) s for \(serverDate - wallSeconds) s")
    require(applied == (abs(offset) <= SigningClock.maxCorrection), "a correction of \(offset) s applied: \(applied)")

    let elapsed = (raw >> 42) & 0xFFFFF  // ms, up to 17 min
    let step = ((raw >> 62) & 1 == 0 ? 1 : -1) * ((raw >> 52) & 0x3FF) * 4  // ms, up to 4 s either way
    clocks.monotonicMs += elapsed
    clocks.wallMs += elapsed + step
    let fresh = elapsed <= SigningClock.lifetimeMs && abs(step) <= 2000
    let expected = clocks.wallMs / 1000 + (applied && fresh ? offset : 0)
    let signingTime = clock.now()
    require(
        signingTime == expected,
        "signing at \(signingTime), not \(expected) (offset \(offset), \(elapsed) ms later, stepped \(step) ms)")
    checkSDKDate(signingTime)
}

/// X-Sdk-Date of any time: 16 characters, the time clamped to years
/// 1970-9999, in the C library's calendar.
private func checkSDKDate(_ time: Int) {
    let date = Array(Signer.sdkDate(time).utf8)
    let clamped = min(max(time, 0), 253_402_300_799)
    let c = civil(clamped)
    let wanted = Array(
        (digits(c.year, 4) + digits(c.month, 2) + digits(c.day, 2) + "T" + digits(c.hour, 2) + digits(c.minute, 2)
            + digits(c.second, 2) + "Z").utf8)
    require(date == wanted, "X-Sdk-Date of \(time): \(show(date)), not \(show(wanted))")
}

private func digits(_ n: Int, _ width: Int) -> String {
    let text = String(n)
    return String(repeating: "0", count: max(width - text.utf8.count, 0)) + text
}

/// Seconds since 1970 of a UTC calendar time, by timegm (which counts an
/// out-of-range day or second on, so "Feb 31" is in March).
private func utcSeconds(_ year: Int, _ month: Int, _ day: Int, _ hour: Int, _ minute: Int, _ second: Int) -> Int {
    var fields = tm()
    fields.tm_year = Int32(year - 1900)
    fields.tm_mon = Int32(month - 1)
    fields.tm_mday = Int32(day)
    fields.tm_hour = Int32(hour)
    fields.tm_min = Int32(minute)
    fields.tm_sec = Int32(second)
    return Int(timegm(&fields))
}

/// The calendar fields of a time, by gmtime_r; weekday 0 is Sunday.
private func civil(_ time: Int) -> (
    year: Int, month: Int, day: Int, hour: Int, minute: Int, second: Int, weekday: Int
) {
    var seconds = time_t(time)
    var f = tm()
    _ = gmtime_r(&seconds, &f)
    return (
        Int(f.tm_year) + 1900, Int(f.tm_mon) + 1, Int(f.tm_mday), Int(f.tm_hour), Int(f.tm_min), Int(f.tm_sec),
        Int(f.tm_wday)
    )
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
    return utcSeconds(year, month + 1, day, hour, minute, second)
}

private func format(_ time: Int) -> String {
    let c = civil(time)
    return "\(weekdays[c.weekday]), \(digits(c.day, 2)) \(months[c.month - 1]) \(c.year) "
        + "\(digits(c.hour, 2)):\(digits(c.minute, 2)):\(digits(c.second, 2)) GMT"
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
    return utcSeconds(year, month, day, hour, minute, second) - offset
}
