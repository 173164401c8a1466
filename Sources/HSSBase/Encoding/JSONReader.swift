import CHSSAPI

// A strict RFC 8259 JSON reader for the service's answers, without Foundation.
//
// Why our own: string values hold secrets (a password, a temporary SK), and
// every general-purpose decoder leaves unwiped copies of them in memory it
// allocates. This one validates the text in place in one pass and decodes a
// string value only when asked, straight into a SecureBuffer. Keys are not
// secret. Lookups are by key path; everything else is validated and skipped.

/// Why a text was refused. Never quotes the input: it may hold secrets.
package enum JSONError: Error, Equatable {
    /// Not strict JSON at this byte offset.
    case syntax(offset: Int)
    /// Arrays and objects nested deeper than the reader allows.
    case tooDeep
    /// An object names a member twice (compared after unescaping); the
    /// offset is the opening quote of the later name.
    case duplicateKey(offset: Int)
}

package struct JSONDocument {
    package enum Kind { case object, array, string, number, bool, null }

    private let text: UnsafePointer<UInt8>
    private let count: Int
    /// Offset of the root value.
    private let root: Int
    /// The root object's members (none when the root is not an object), so
    /// that top-level lookups do not scan the text again.
    private let members: [Member]
    package let rootKind: Kind

    /// Validates the whole text strictly (RFC 8259: no BOM, no trailing commas, no comments, no leading
    /// zeros, no NaN/Infinity, only the standard escapes, control characters < 0x20 refused inside strings,
    /// strings must be valid UTF-8, \u escapes must form valid UTF-16 (lone surrogates refused), one value
    /// with only whitespace around it), nesting at most `maxDepth` deep, and by default refuses an object
    /// with two equal keys (compared after unescaping). The bytes are borrowed: the document must not
    /// outlive them.
    package init(_ bytes: UnsafeBufferPointer<UInt8>, maxDepth: Int = 64, allowDuplicateKeys: Bool = false)
        throws(JSONError)
    {
        guard let base = bytes.baseAddress, bytes.count > 0 else { throw .syntax(offset: 0) }
        var validator = Validator(p: base, n: bytes.count)
        defer { validator.release() }
        root = try validator.run(maxDepth: maxDepth, allowDuplicateKeys: allowDuplicateKeys)
        text = base
        count = bytes.count
        rootKind = kindOf(base[root])
        members = rootKind == .object ? Array(validator.keys.elements) : []
    }

    /// The kind of the value at `path` (object member names; e.g. ["error", "code"]), nil if absent.
    package func kind(at path: [String]) -> Kind? {
        value(at: path).map { kindOf(text[$0]) }
    }

    /// The string at `path`, unescaped into a new SecureBuffer; nil if absent or not a string.
    /// (A buffer whose allocation failed comes back with `isValid` false.)
    package func string(at path: [String]) -> SecureBuffer? {
        guard let at = value(at: path), text[at] == quote else { return nil }
        return decodeString(at: at)
    }

    /// For an array at `arrayPath` whose elements are objects: the string member `key` of each element
    /// that has one as a string (e.g. projects[*].id). nil if arrayPath is not an array.
    package func strings(inEachOf arrayPath: [String], key: String) -> [SecureBuffer]? {
        guard let array = value(at: arrayPath), text[array] == openBracket else { return nil }
        var result: [SecureBuffer] = []
        var i = skipWhitespace(text, count, array + 1)
        guard text[i] != closeBracket else { return result }
        while true {
            if text[i] == openBrace, let at = member(key, inObjectAt: i), text[at] == quote {
                result.append(decodeString(at: at))
            }
            i = skipWhitespace(text, count, skipValue(text, count, i))
            guard text[i] == comma else { return result }
            i = skipWhitespace(text, count, i + 1)
        }
    }

    // MARK: - Lookup in the validated text

    /// Offset of the value at `path`, nil if absent.
    private func value(at path: [String]) -> Int? {
        guard var first = path.first else { return root }
        var at = first.withUTF8 { name in members.first { keyEquals(text, $0, name) }?.value }
        for name in path.dropFirst() {
            guard let object = at, text[object] == openBrace else { return nil }
            at = member(name, inObjectAt: object)
        }
        return at
    }

    /// Offset of the value of member `name` of the object at `object`, nil if absent.
    private func member(_ name: String, inObjectAt object: Int) -> Int? {
        var name = name
        return name.withUTF8 { name in
            var i = skipWhitespace(text, count, object + 1)
            while text[i] == quote {
                let (end, escaped) = skipString(text, count, i + 1)
                let key = Member(start: i + 1, end: end, escaped: escaped, value: 0)
                i = skipWhitespace(text, count, end + 1)  // at ':'
                i = skipWhitespace(text, count, i + 1)  // at the value
                if keyEquals(text, key, name) { return i }
                i = skipWhitespace(text, count, skipValue(text, count, i))
                guard text[i] == comma else { return nil }
                i = skipWhitespace(text, count, i + 1)
            }
            return nil
        }
    }

    /// Unescapes the string whose opening quote is at `at`, without any
    /// intermediate copy: unescaped text is never longer than its source.
    private func decodeString(at: Int) -> SecureBuffer {
        let (end, escaped) = skipString(text, count, at + 1)
        let length = end - at - 1
        let buffer = SecureBuffer(capacity: length)
        if !escaped {
            buffer.append(UnsafeBufferPointer(start: text + at + 1, count: length))
        } else {
            buffer.append(maxCount: length) { out in unescape(text, from: at + 1, to: end, into: out) }
        }
        return buffer
    }
}

// MARK: - Validation

/// A member name's raw bytes (between the quotes) and where its value starts.
private struct Member {
    var start: Int
    var end: Int
    var escaped: Bool
    var value: Int
}

private let quote = UInt8(ascii: "\"")
private let backslash = UInt8(ascii: "\\")
private let openBrace = UInt8(ascii: "{")
private let closeBrace = UInt8(ascii: "}")
private let openBracket = UInt8(ascii: "[")
private let closeBracket = UInt8(ascii: "]")
private let comma = UInt8(ascii: ",")
private let colon = UInt8(ascii: ":")

/// A growable stack of plain values in memory of its own: no reference
/// counting or uniqueness checks on the hot path. `release()` frees it.
private struct Stack<Element> {
    private(set) var base: UnsafeMutablePointer<Element>
    private(set) var count = 0
    private var capacity: Int

    init(capacity: Int) {
        base = .allocate(capacity: capacity)
        self.capacity = capacity
    }

    func release() { base.deallocate() }

    var elements: UnsafeMutableBufferPointer<Element> { UnsafeMutableBufferPointer(start: base, count: count) }

    var last: Element? { count > 0 ? base[count - 1] : nil }

    @inline(__always)
    mutating func push(_ element: Element) {
        if count == capacity { grow() }
        (base + count).initialize(to: element)
        count += 1
    }

    @inline(never)
    private mutating func grow() {
        let bigger = UnsafeMutablePointer<Element>.allocate(capacity: capacity * 2)
        bigger.moveInitialize(from: base, count: count)
        base.deallocate()
        base = bigger
        capacity *= 2
    }

    /// Drops the elements from index `newCount` on (plain values: nothing to deinitialize).
    mutating func truncate(to newCount: Int) { count = newCount }
}

/// One pass over the text with an explicit stack, so that depth costs heap
/// (bounded by maxDepth), never machine stack. The helpers take and return
/// the offset, which then stays in a register.
private struct Validator {
    let p: UnsafePointer<UInt8>
    let n: Int
    /// Names of the members of the open objects, innermost last; when done,
    /// the root object's members.
    var keys = Stack<Member>(capacity: 32)
    /// Per open container: -1 for an array, else the index in `keys` of the
    /// object's first member.
    var open = Stack<Int>(capacity: 16)

    init(p: UnsafePointer<UInt8>, n: Int) {
        self.p = p
        self.n = n
    }

    func release() {
        keys.release()
        open.release()
    }

    /// Returns the offset of the root value.
    mutating func run(maxDepth: Int, allowDuplicateKeys: Bool) throws(JSONError) -> Int {
        let p = p
        let n = n
        let unique = !allowDuplicateKeys
        var i = skipWhitespace(p, n, 0)
        let root = i
        while true {
            // A value starts at i.
            guard i < n else { throw .syntax(offset: i) }
            let c = p[i]
            if c == quote {
                i = try validateString(p, n, i + 1).end + 1
            } else if c == openBrace || c == openBracket {
                guard open.count < maxDepth else { throw .tooDeep }
                i = skipWhitespace(p, n, i + 1)
                if i < n && p[i] == c + 2 {  // '}' is '{' + 2, ']' is '[' + 2
                    i += 1  // empty: a complete value
                } else if c == openBrace {
                    open.push(keys.count)
                    i = try member(at: i, of: keys.count, unique: unique)
                    continue
                } else {
                    open.push(-1)
                    continue
                }
            } else {
                i = try validateScalar(p, n, i)
            }
            // A value ended: close containers until one expects another value.
            while true {
                i = skipWhitespace(p, n, i)
                guard let top = open.last else {
                    guard i == n else { throw .syntax(offset: i) }
                    return root
                }
                guard i < n else { throw .syntax(offset: i) }
                let b = p[i]
                if b == comma {
                    i = skipWhitespace(p, n, i + 1)
                    if top >= 0 { i = try member(at: i, of: top, unique: unique) }
                    break
                } else if top >= 0 && b == closeBrace {
                    if unique && keys.count - top > smallObject { try checkLargeObject(from: top) }
                    if open.count > 1 { keys.truncate(to: top) }  // keep only the root's
                } else if !(top < 0 && b == closeBracket) {
                    throw .syntax(offset: i)
                }
                i += 1
                open.truncate(to: open.count - 1)
            }
        }
    }

    /// A member name at `start` and its colon; records the name and returns
    /// the offset of the value. With `unique`, refuses a name equal to an
    /// earlier one of its object (whose members start at keys[base]) while the
    /// object is small; checkLargeObject does the rest.
    @inline(__always)
    private mutating func member(at start: Int, of base: Int, unique: Bool) throws(JSONError) -> Int {
        guard start < n, p[start] == quote else { throw .syntax(offset: start) }
        let (end, escaped) = try validateString(p, n, start + 1)
        var i = skipWhitespace(p, n, end + 1)
        guard i < n, p[i] == colon else { throw .syntax(offset: i) }
        i = skipWhitespace(p, n, i + 1)
        let key = Member(start: start + 1, end: end, escaped: escaped, value: i)
        if unique && keys.count - base < smallObject {
            for earlier in base..<keys.count where keysEqual(p, keys.base[earlier], key) {
                throw .duplicateKey(offset: start)
            }
        }
        keys.push(key)
        return i
    }

    /// Refuses two equal names among keys[base...], the members of an
    /// object just closed that has more than `smallObject`: after sorting,
    /// so that a big object cannot cost quadratic time. (Sorting reorders the
    /// root's members; lookups do not depend on their order.)
    @inline(never)
    private mutating func checkLargeObject(from base: Int) throws(JSONError) {
        let p = p
        var keys = UnsafeMutableBufferPointer(rebasing: self.keys.elements[base...])
        keys.sort { keyOrder(p, $0, $1) < 0 }
        for a in 1..<keys.count where keyOrder(p, keys[a - 1], keys[a]) == 0 {
            throw .duplicateKey(offset: max(keys[a - 1].start, keys[a].start) - 1)
        }
    }
}

/// Objects up to this many members have their names compared pairwise, as
/// they are read; larger ones are sorted when they close.
private let smallObject = 16

/// A string from after its opening quote: the offset of its closing quote,
/// and whether it holds any escape.
@inline(__always)
private func validateString(_ p: UnsafePointer<UInt8>, _ n: Int, _ from: Int) throws(JSONError) -> (
    end: Int, escaped: Bool
) {
    var i = from
    var escaped = false
    while true {
        i = plainRun(p, n, i)
        guard i < n else { throw .syntax(offset: n) }
        switch p[i] {
        case quote: return (i, escaped)
        case backslash:
            escaped = true
            i = try validateEscape(p, n, i)
        case 0..<0x20: throw .syntax(offset: i)
        default: i = try validateUTF8(p, n, i)
        }
    }
}

/// The escape at i (a backslash); \u escapes must form valid UTF-16.
/// Returns the offset after it.
private func validateEscape(_ p: UnsafePointer<UInt8>, _ n: Int, _ i: Int) throws(JSONError) -> Int {
    guard i + 1 < n else { throw .syntax(offset: n) }
    switch p[i + 1] {
    case quote, backslash, UInt8(ascii: "/"), UInt8(ascii: "b"), UInt8(ascii: "f"),
        UInt8(ascii: "n"), UInt8(ascii: "r"), UInt8(ascii: "t"):
        return i + 2
    case UInt8(ascii: "u"):
        let unit = try validateHex4(p, n, i + 2)
        if unit & 0xFC00 == 0xDC00 { throw .syntax(offset: i) }  // low surrogate first
        guard unit & 0xFC00 == 0xD800 else { return i + 6 }
        // A high surrogate: a low one must follow.
        guard n - i >= 8, p[i + 6] == backslash, p[i + 7] == UInt8(ascii: "u") else { throw .syntax(offset: i + 6) }
        guard try validateHex4(p, n, i + 8) & 0xFC00 == 0xDC00 else { throw .syntax(offset: i + 6) }
        return i + 12
    default:
        throw .syntax(offset: i)
    }
}

private func validateHex4(_ p: UnsafePointer<UInt8>, _ n: Int, _ from: Int) throws(JSONError) -> UInt32 {
    guard n - from >= 4 else { throw .syntax(offset: n) }
    var unit: UInt32 = 0
    for k in from..<from + 4 {
        let digit = hexValue(p[k])
        guard digit < 16 else { throw .syntax(offset: k) }
        unit = unit << 4 | digit
    }
    return unit
}

/// The UTF-8 sequence led by p[i] >= 0x80 (Unicode table 3-7: no overlong
/// forms, no surrogates, nothing above U+10FFFF). Returns the offset after it.
private func validateUTF8(_ p: UnsafePointer<UInt8>, _ n: Int, _ i: Int) throws(JSONError) -> Int {
    var low: UInt8 = 0x80
    var high: UInt8 = 0xBF
    let continuations: Int
    switch p[i] {
    case 0xC2...0xDF: continuations = 1
    case 0xE0:
        continuations = 2
        low = 0xA0
    case 0xED:
        continuations = 2
        high = 0x9F
    case 0xE1...0xEF: continuations = 2
    case 0xF0:
        continuations = 3
        low = 0x90
    case 0xF4:
        continuations = 3
        high = 0x8F
    case 0xF1...0xF3: continuations = 3
    default: throw .syntax(offset: i)
    }
    guard n - i > continuations else { throw .syntax(offset: n) }
    guard p[i + 1] >= low && p[i + 1] <= high else { throw .syntax(offset: i + 1) }
    for k in stride(from: i + 2, through: i + continuations, by: 1) where p[k] & 0xC0 != 0x80 {
        throw .syntax(offset: k)
    }
    return i + continuations + 1
}

/// A number or a literal at i; returns the offset after it (what follows is
/// checked by the caller).
private func validateScalar(_ p: UnsafePointer<UInt8>, _ n: Int, _ from: Int) throws(JSONError) -> Int {
    /// The literal whose first byte matched: its last four bytes must spell `tail`.
    func literal(_ tail: StaticString, length: Int) throws(JSONError) -> Int {
        let at = from + length - 4
        guard n - at >= 4,
            UnsafeRawPointer(p + at).loadUnaligned(as: UInt32.self)
                == UnsafeRawPointer(tail.utf8Start).loadUnaligned(as: UInt32.self)
        else { throw .syntax(offset: from) }
        return from + length
    }
    switch p[from] {
    case UInt8(ascii: "t"): return try literal("true", length: 4)
    case UInt8(ascii: "f"): return try literal("alse", length: 5)
    case UInt8(ascii: "n"): return try literal("null", length: 4)
    case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): break
    default: throw .syntax(offset: from)
    }
    // -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?
    func digits(_ from: Int) throws(JSONError) -> Int {
        guard from < n, isDigit(p[from]) else { throw .syntax(offset: from) }
        var i = from + 1
        while i < n && isDigit(p[i]) { i += 1 }
        return i
    }
    var i = from
    if p[i] == UInt8(ascii: "-") { i += 1 }
    if i < n && p[i] == UInt8(ascii: "0") { i += 1 } else { i = try digits(i) }
    if i < n && p[i] == UInt8(ascii: ".") { i = try digits(i + 1) }
    if i < n && p[i] | 0x20 == UInt8(ascii: "e") {
        i += 1
        if i < n && (p[i] == UInt8(ascii: "+") || p[i] == UInt8(ascii: "-")) { i += 1 }
        i = try digits(i)
    }
    return i
}

// MARK: - Helpers

@inline(__always)
private func isDigit(_ b: UInt8) -> Bool { b &- UInt8(ascii: "0") < 10 }

/// 0...15, or 0xFF for a byte that is not a hex digit.
@inline(__always)
private func hexValue(_ b: UInt8) -> UInt32 {
    switch b {
    case UInt8(ascii: "0")...UInt8(ascii: "9"): return UInt32(b - UInt8(ascii: "0"))
    case UInt8(ascii: "a")...UInt8(ascii: "f"): return UInt32(b - UInt8(ascii: "a") + 10)
    case UInt8(ascii: "A")...UInt8(ascii: "F"): return UInt32(b - UInt8(ascii: "A") + 10)
    default: return 0xFF
    }
}

private func kindOf(_ first: UInt8) -> JSONDocument.Kind {
    switch first {
    case openBrace: return .object
    case openBracket: return .array
    case quote: return .string
    case UInt8(ascii: "t"), UInt8(ascii: "f"): return .bool
    case UInt8(ascii: "n"): return .null
    default: return .number
    }
}

/// The first offset from `from` that holds a quote, a backslash, a control
/// character or a non-ASCII byte: the bytes of a string that need no check.
@inline(__always)
private func plainRun(_ p: UnsafePointer<UInt8>, _ n: Int, _ from: Int) -> Int {
    var i = from
    // Eight bytes at a time (SWAR): (x - 0x0101..) & ~x & 0x8080.. marks the
    // zero bytes of x, (x - 0x2020..) & ~x & 0x8080.. those below 0x20. A
    // borrow can mark bytes after a true mark, never before, so the lowest
    // mark (the first byte in memory: little-endian load) is exact.
    let ones: UInt64 = 0x0101_0101_0101_0101
    while n - i >= 8 {
        let x = UInt64(littleEndian: UnsafeRawPointer(p + i).loadUnaligned(as: UInt64.self))
        let quotes = x ^ (ones &* 0x22)
        let backslashes = x ^ (ones &* 0x5C)
        let marks =
            ((quotes &- ones) & ~quotes | (backslashes &- ones) & ~backslashes | (x &- ones &* 0x20) & ~x | x)
            & (ones &* 0x80)
        if marks != 0 { return i + marks.trailingZeroBitCount / 8 }
        i += 8
    }
    while i < n {
        let b = p[i]
        if b == quote || b == backslash || b < 0x20 || b >= 0x80 { return i }
        i += 1
    }
    return i
}

@inline(__always)
private func skipWhitespace(_ p: UnsafePointer<UInt8>, _ n: Int, _ from: Int) -> Int {
    var i = from
    while i < n {
        switch p[i] {
        case 0x20, 0x0A, 0x0D, 0x09: i += 1
        default: return i
        }
    }
    return i
}

/// From after a validated string's opening quote: its closing quote and
/// whether it holds an escape.
private func skipString(_ p: UnsafePointer<UInt8>, _ n: Int, _ from: Int) -> (end: Int, escaped: Bool) {
    var i = from
    var escaped = false
    while true {
        i = plainRun(p, n, i)
        if p[i] == quote { return (i, escaped) }
        if p[i] == backslash {
            escaped = true
            i += 2
        } else {
            i += 1
        }
    }
}

/// The offset just after the validated value at `from`.
private func skipValue(_ p: UnsafePointer<UInt8>, _ n: Int, _ from: Int) -> Int {
    var i = from
    switch p[i] {
    case quote:
        return skipString(p, n, i + 1).end + 1
    case openBrace, openBracket:
        var depth = 0
        while true {
            switch p[i] {
            case quote: i = skipString(p, n, i + 1).end
            case openBrace, openBracket: depth += 1
            case closeBrace, closeBracket:
                depth -= 1
                if depth == 0 { return i + 1 }
            default: break
            }
            i += 1
        }
    default:  // number or literal
        while i < n {
            switch p[i] {
            case comma, closeBrace, closeBracket, 0x20, 0x0A, 0x0D, 0x09: return i
            default: i += 1
            }
        }
        return i
    }
}

/// The code point of the validated escape at p[i] (a backslash), and how
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
    hexValue(p[0]) << 12 | hexValue(p[1]) << 8 | hexValue(p[2]) << 4 | hexValue(p[3])
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

/// Unescapes the validated string body p[start..<end] into `out` (room for
/// end - start bytes); returns the length written.
private func unescape(_ p: UnsafePointer<UInt8>, from start: Int, to end: Int, into out: UnsafeMutablePointer<UInt8>)
    -> Int
{
    var i = start
    var o = 0
    while i < end {
        if p[i] != backslash {
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

/// The unescaped bytes of a validated member name, one at a time, so that
/// names compare without being copied anywhere.
private struct UnescapedBytes {
    let p: UnsafePointer<UInt8>
    var i: Int
    let end: Int
    /// Bytes of an escaped character still to yield (lowest first), and how many.
    var pending: UInt32 = 0
    var pendingCount = 0

    init(_ p: UnsafePointer<UInt8>, _ key: Member) {
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
        guard p[i] == backslash else {
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

/// Whether two member names are equal after unescaping.
@inline(__always)
private func keysEqual(_ p: UnsafePointer<UInt8>, _ a: Member, _ b: Member) -> Bool {
    if !a.escaped && !b.escaped {
        let length = a.end - a.start
        return b.end - b.start == length && memcmp(p + a.start, p + b.start, length) == 0
    }
    return keyOrder(p, a, b) == 0
}

/// Orders two member names by their unescaped bytes: < 0, 0 or > 0.
private func keyOrder(_ p: UnsafePointer<UInt8>, _ a: Member, _ b: Member) -> Int {
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
private func keyEquals(_ p: UnsafePointer<UInt8>, _ key: Member, _ name: UnsafeBufferPointer<UInt8>) -> Bool {
    if !key.escaped {
        return key.end - key.start == name.count
            && (name.isEmpty || memcmp(p + key.start, name.baseAddress!, name.count) == 0)
    }
    var x = UnescapedBytes(p, key)
    for byte in name {
        guard x.next() == byte else { return false }
    }
    return x.next() == nil
}
