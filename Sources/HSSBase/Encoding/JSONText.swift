import CHSSAPI

// Reading a JSON text the scanner (JSONScanner.swift) accepted: stepping
// over strings and values, comparing member names after unescaping, and
// unescaping string values into wiped memory. Past skipWhitespace and
// plainRun, nothing here checks the grammar again: it runs only on accepted
// text.

/// The bytes JSON's grammar gives a meaning to.
extension UInt8 {
    static var quote: UInt8 { 0x22 }
    static var backslash: UInt8 { 0x5C }
    static var openBrace: UInt8 { 0x7B }
    static var closeBrace: UInt8 { 0x7D }
    static var openBracket: UInt8 { 0x5B }
    static var closeBracket: UInt8 { 0x5D }
    static var comma: UInt8 { 0x2C }
    static var colon: UInt8 { 0x3A }
}

/// The borrowed bytes of a JSON text; offsets into it are Ints.
struct JSONText {
    let p: UnsafePointer<UInt8>
    let n: Int

    /// A member name's raw bytes p[start..<end] (between its quotes), whether
    /// they hold an escape, and the offset of the member's value.
    struct Member {
        var start: Int
        var end: Int
        var escaped: Bool
        var value: Int
    }

    subscript(_ i: Int) -> UInt8 {
        @inline(__always) get { p[i] }
    }

    // MARK: Any text

    @inline(__always)
    func skipWhitespace(_ from: Int) -> Int {
        var i = from
        while i < n {
            switch p[i] {
            case 0x20, 0x0A, 0x0D, 0x09: i += 1
            default: return i
            }
        }
        return i
    }

    /// The first offset from `from` that holds a quote, a backslash, a control
    /// character or a non-ASCII byte: the bytes of a string that need no check
    /// (sixteen at a time on x86-64, chss_json.h).
    @inline(__always)
    func plainRun(_ from: Int) -> Int { chss_json_plain_run(p, from, n) }

    /// 0...15, or 0xFF for a byte that is not a hex digit.
    @inline(__always)
    static func hexValue(_ b: UInt8) -> UInt32 {
        switch b {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): return UInt32(b - UInt8(ascii: "0"))
        case UInt8(ascii: "a")...UInt8(ascii: "f"): return UInt32(b - UInt8(ascii: "a") + 10)
        case UInt8(ascii: "A")...UInt8(ascii: "F"): return UInt32(b - UInt8(ascii: "A") + 10)
        default: return 0xFF
        }
    }

    // MARK: Accepted text

    /// From after a string's opening quote: its closing quote and whether it
    /// holds an escape.
    func skipString(_ from: Int) -> (end: Int, escaped: Bool) {
        var i = from
        var escaped = false
        while true {
            i = plainRun(i)
            if p[i] == .quote { return (i, escaped) }
            if p[i] == .backslash {
                escaped = true
                i += 2
            } else {
                i += 1
            }
        }
    }

    /// The offset just after the value at `from`.
    func skipValue(_ from: Int) -> Int {
        var i = from
        switch p[i] {
        case .quote:
            return skipString(i + 1).end + 1
        case .openBrace, .openBracket:
            var depth = 0
            while true {
                switch p[i] {
                case .quote: i = skipString(i + 1).end
                case .openBrace, .openBracket: depth += 1
                case .closeBrace, .closeBracket:
                    depth -= 1
                    if depth == 0 { return i + 1 }
                default: break
                }
                i += 1
            }
        default:  // number or literal
            while i < n {
                switch p[i] {
                case .comma, .closeBrace, .closeBracket, 0x20, 0x0A, 0x0D, 0x09: return i
                default: i += 1
                }
            }
            return i
        }
    }

    /// Appends the string body p[start..<end] to `out`, unescaped: without any
    /// intermediate copy, since unescaped text is never longer than its source.
    @inline(__always)
    func appendString(from start: Int, to end: Int, escaped: Bool, to out: SecureBuffer) {
        if !escaped {
            out.append(UnsafeBufferPointer(start: p + start, count: end - start))
        } else {
            out.append(maxCount: end - start) { unescape(from: start, to: end, into: $0) }
        }
    }

    /// Unescapes the string body p[start..<end] into `out` (room for end -
    /// start bytes); returns the length written.
    func unescape(from start: Int, to end: Int, into out: UnsafeMutablePointer<UInt8>) -> Int {
        var i = start
        var o = 0
        while i < end {
            if p[i] != .backslash {
                out[o] = p[i]
                o += 1
                i += 1
            } else {
                let (scalar, length) = escapedScalar(p, i)
                o += encodeUTF8(scalar, out + o)
                i += length
            }
        }
        return o
    }

    /// Whether two member names are equal after unescaping.
    @inline(__always)
    func keysEqual(_ a: Member, _ b: Member) -> Bool {
        if !a.escaped && !b.escaped {
            let length = a.end &- a.start  // offsets into the text: no overflow
            return b.end &- b.start == length && memcmp(p + a.start, p + b.start, length) == 0
        }
        return keyOrder(a, b) == 0
    }

    /// Orders two member names by their unescaped bytes: < 0, 0 or > 0.
    func keyOrder(_ a: Member, _ b: Member) -> Int {
        let lengthA = a.end - a.start
        let lengthB = b.end - b.start
        if !a.escaped && !b.escaped {
            let order = memcmp(p + a.start, p + b.start, min(lengthA, lengthB))
            return order != 0 ? Int(order) : lengthA - lengthB
        }
        var x = UnescapedBytes(p, a)
        var y = UnescapedBytes(p, b)
        while true {
            switch (x.next(), y.next()) {
            case (nil, nil): return 0
            case (nil, _): return -1
            case (_, nil): return 1
            case (let u?, let v?) where u != v: return Int(u) - Int(v)
            default: continue
            }
        }
    }

    /// Whether a member name equals `name` (UTF-8) after unescaping.
    @inline(__always)
    func keyEquals(_ key: Member, _ name: UnsafeBufferPointer<UInt8>) -> Bool {
        if !key.escaped {
            return key.end &- key.start == name.count
                && (name.isEmpty || memcmp(p + key.start, name.baseAddress!, name.count) == 0)
        }
        var x = UnescapedBytes(p, key)
        for byte in name {
            guard x.next() == byte else { return false }
        }
        return x.next() == nil
    }
}

// MARK: - Escapes

/// The code point of the accepted escape at p[i] (a backslash), and how
/// many bytes of text it takes.
@inline(__always)
private func escapedScalar(_ p: UnsafePointer<UInt8>, _ i: Int) -> (scalar: UInt32, length: Int) {
    switch p[i + 1] {
    case UInt8(ascii: "b"): return (0x08, 2)
    case UInt8(ascii: "f"): return (0x0C, 2)
    case UInt8(ascii: "n"): return (0x0A, 2)
    case UInt8(ascii: "r"): return (0x0D, 2)
    case UInt8(ascii: "t"): return (0x09, 2)
    case UInt8(ascii: "u"):
        let unit = hex4(p + i + 2)
        guard unit & 0xFC00 == 0xD800 else { return (unit, 6) }
        return (0x10000 + (unit - 0xD800) << 10 + (hex4(p + i + 8) - 0xDC00), 12)
    case let other: return (UInt32(other), 2)  // " \ /
    }
}

@inline(__always)
private func hex4(_ p: UnsafePointer<UInt8>) -> UInt32 {
    JSONText.hexValue(p[0]) << 12 | JSONText.hexValue(p[1]) << 8 | JSONText.hexValue(p[2]) << 4
        | JSONText.hexValue(p[3])
}

/// Writes the UTF-8 form of `scalar` (a valid code point) and returns its length.
@inline(__always)
private func encodeUTF8(_ scalar: UInt32, _ out: UnsafeMutablePointer<UInt8>) -> Int {
    switch scalar {
    case 0..<0x80:
        out[0] = UInt8(scalar)
        return 1
    case 0x80..<0x800:
        out[0] = UInt8(0xC0 | scalar >> 6)
        out[1] = UInt8(0x80 | scalar & 0x3F)
        return 2
    case 0x800..<0x10000:
        out[0] = UInt8(0xE0 | scalar >> 12)
        out[1] = UInt8(0x80 | scalar >> 6 & 0x3F)
        out[2] = UInt8(0x80 | scalar & 0x3F)
        return 3
    default:
        out[0] = UInt8(0xF0 | scalar >> 18)
        out[1] = UInt8(0x80 | scalar >> 12 & 0x3F)
        out[2] = UInt8(0x80 | scalar >> 6 & 0x3F)
        out[3] = UInt8(0x80 | scalar & 0x3F)
        return 4
    }
}

/// The unescaped bytes of an accepted member name, one at a time, so that
/// names compare without being copied anywhere.
private struct UnescapedBytes {
    let p: UnsafePointer<UInt8>
    var i: Int
    let end: Int
    /// Bytes of an escaped character still to yield (lowest first), and how many.
    var pending: UInt32 = 0
    var pendingCount = 0

    init(_ p: UnsafePointer<UInt8>, _ key: JSONText.Member) {
        self.p = p
        i = key.start
        end = key.end
    }

    mutating func next() -> UInt8? {
        if pendingCount > 0 {
            defer {
                pending >>= 8
                pendingCount -= 1
            }
            return UInt8(truncatingIfNeeded: pending)
        }
        guard i < end else { return nil }
        guard p[i] == .backslash else {
            i += 1
            return p[i - 1]
        }
        let (scalar, length) = escapedScalar(p, i)
        i += length
        var bytes: UInt32 = 0
        let count = withUnsafeMutableBytes(of: &bytes) {
            encodeUTF8(scalar, $0.baseAddress!.assumingMemoryBound(to: UInt8.self))
        }
        bytes = UInt32(littleEndian: bytes)  // first byte lowest
        pending = bytes >> 8
        pendingCount = count - 1
        return UInt8(truncatingIfNeeded: bytes)
    }
}
