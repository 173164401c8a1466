// The one rule for JSON text, strict RFC 8259, without Foundation; its two
// front ends are JSONDocument (lookups by key path) and JSONFields (the root
// object's string members, read in the same pass).
//
// Why our own: string values hold secrets (a password, a temporary SK), and
// every general-purpose decoder leaves unwiped copies of them in memory it
// allocates. This one validates the text in place, in one forward pass, and
// a front end decodes a string only into a SecureBuffer. Keys are not secret.

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

/// What a front end sees of the scan as it goes.
protocol JSONScanObserver {
    /// A member of the root object whose value is a string, just checked: its
    /// body is text[key.value + 1 ..< end]. The text may still be refused later.
    mutating func rootString(_ key: JSONText.Member, end: Int, escaped: Bool, in text: JSONText)
}

/// One pass over the text with an explicit stack, so that depth costs
/// memory (bounded by maxDepth), never machine stack. The stacks start in
/// the caller's stack frame and move to the heap only for texts with many
/// open members or deep nesting.
struct JSONScanner {
    private let text: JSONText
    /// Names of the members of the open objects, innermost last; when done,
    /// the root object's members.
    private var keys: Stack<JSONText.Member>
    /// Per open container: -1 for an array, else the index in `keys` of the
    /// object's first member.
    private var open: Stack<Int>

    /// Checks the whole text (RFC 8259: no BOM, no trailing commas, no comments, no leading zeros, no
    /// NaN/Infinity, only the standard escapes, control characters < 0x20 refused inside strings, strings
    /// must be valid UTF-8, \u escapes must form valid UTF-16 (lone surrogates refused), one value with only
    /// whitespace around it), nesting at most `maxDepth` deep, and unless `allowDuplicateKeys`, refuses an
    /// object with two equal names (compared after unescaping). Then hands `done` the text, the offset of
    /// its root value and the root object's members (none when the root is not an object).
    static func scan<Observer: JSONScanObserver, Result>(
        _ bytes: UnsafeBufferPointer<UInt8>, maxDepth: Int, allowDuplicateKeys: Bool, observer: inout Observer,
        done: (JSONText, Int, UnsafeBufferPointer<JSONText.Member>) -> Result
    ) throws(JSONError) -> Result {
        guard let base = bytes.baseAddress, bytes.count > 0 else { throw .syntax(offset: 0) }
        // 1 KiB and 512 bytes: within what Swift always allocates on the stack.
        return try withUnsafeTemporaryAllocation(of: JSONText.Member.self, capacity: 32) {
            (keys) throws(JSONError) -> Result in
            try withUnsafeTemporaryAllocation(of: Int.self, capacity: 64) { (open) throws(JSONError) -> Result in
                var scanner = JSONScanner(
                    text: JSONText(p: base, n: bytes.count), keys: Stack(keys), open: Stack(open))
                defer { scanner.release() }
                let root = try scanner.run(maxDepth: maxDepth, unique: !allowDuplicateKeys, observer: &observer)
                return done(scanner.text, root, UnsafeBufferPointer(scanner.keys.elements))
            }
        }
    }

    private func release() {
        keys.release()
        open.release()
    }

    /// Returns the offset of the root value.
    private mutating func run<Observer: JSONScanObserver>(maxDepth: Int, unique: Bool, observer: inout Observer)
        throws(JSONError) -> Int
    {
        let text = text
        let n = text.n
        var i = text.skipWhitespace(0)
        let root = i
        while true {
            // A value starts at i.
            guard i < n else { throw .syntax(offset: i) }
            let c = text[i]
            if c == .quote {
                let (end, escaped) = try text.validateString(i + 1)
                if open.count == 1 && open.base[0] >= 0 {
                    observer.rootString(keys.base[keys.count - 1], end: end, escaped: escaped, in: text)
                }
                i = end + 1
            } else if c == .openBrace || c == .openBracket {
                guard open.count < maxDepth else { throw .tooDeep }
                i = text.skipWhitespace(i + 1)
                if i < n && text[i] == c + 2 {  // '}' is '{' + 2, ']' is '[' + 2
                    i += 1  // empty: a complete value
                } else if c == .openBrace {
                    open.push(keys.count)
                    i = try member(at: i, of: keys.count, unique: unique)
                    continue
                } else {
                    open.push(-1)
                    continue
                }
            } else {
                i = try text.validateScalar(i)
            }
            // A value ended: close containers until one expects another value.
            while true {
                i = text.skipWhitespace(i)
                guard let top = open.last else {
                    guard i == n else { throw .syntax(offset: i) }
                    return root
                }
                guard i < n else { throw .syntax(offset: i) }
                let b = text[i]
                if b == .comma {
                    i = text.skipWhitespace(i + 1)
                    if top >= 0 { i = try member(at: i, of: top, unique: unique) }
                    break
                } else if top >= 0 && b == .closeBrace {
                    if unique && keys.count - top > smallObject { try checkLargeObject(from: top) }
                    if open.count > 1 { keys.truncate(to: top) }  // keep only the root's
                } else if !(top < 0 && b == .closeBracket) {
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
        guard start < text.n, text[start] == .quote else { throw .syntax(offset: start) }
        let (end, escaped) = try text.validateString(start + 1)
        var i = text.skipWhitespace(end + 1)
        guard i < text.n, text[i] == .colon else { throw .syntax(offset: i) }
        i = text.skipWhitespace(i + 1)
        let key = JSONText.Member(start: start + 1, end: end, escaped: escaped, value: i)
        if unique && keys.count - base < smallObject {
            for earlier in base..<keys.count where text.keysEqual(keys.base[earlier], key) {
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
        let text = text
        var keys = UnsafeMutableBufferPointer(rebasing: self.keys.elements[base...])
        keys.sort { text.keyOrder($0, $1) < 0 }
        for a in 1..<keys.count where text.keyOrder(keys[a - 1], keys[a]) == 0 {
            throw .duplicateKey(offset: max(keys[a - 1].start, keys[a].start) - 1)
        }
    }
}

/// Objects up to this many members have their names compared pairwise, as
/// they are read; larger ones are sorted when they close.
private let smallObject = 16

/// A growable stack of plain values, in memory it is given and then, once it
/// outgrows that, in memory of its own: no reference counting or uniqueness
/// checks on the hot path. `release()` frees what it allocated.
private struct Stack<Element> {
    private(set) var base: UnsafeMutablePointer<Element>
    private(set) var count = 0
    private var capacity: Int
    /// Whether `base` was allocated here (else it is the initial memory).
    private var owned = false

    init(_ initial: UnsafeMutableBufferPointer<Element>) {
        base = initial.baseAddress!
        capacity = initial.count
    }

    func release() {
        if owned { base.deallocate() }
    }

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
        release()
        base = bigger
        capacity *= 2
        owned = true
    }

    /// Drops the elements from index `newCount` on (plain values: nothing to deinitialize).
    mutating func truncate(to newCount: Int) { count = newCount }
}

// MARK: - The grammar's pieces

extension JSONText {
    /// A string from after its opening quote: the offset of its closing quote,
    /// and whether it holds any escape.
    @inline(__always)
    fileprivate func validateString(_ from: Int) throws(JSONError) -> (end: Int, escaped: Bool) {
        var i = from
        var escaped = false
        while true {
            i = plainRun(i)
            guard i < n else { throw .syntax(offset: n) }
            switch p[i] {
            case .quote: return (i, escaped)
            case .backslash:
                escaped = true
                i = try validateEscape(i)
            case 0..<0x20: throw .syntax(offset: i)
            default: i = try validateUTF8(i)
            }
        }
    }

    /// The escape at i (a backslash); \u escapes must form valid UTF-16.
    /// Returns the offset after it.
    private func validateEscape(_ i: Int) throws(JSONError) -> Int {
        guard i + 1 < n else { throw .syntax(offset: n) }
        switch p[i + 1] {
        case .quote, .backslash, UInt8(ascii: "/"), UInt8(ascii: "b"), UInt8(ascii: "f"),
            UInt8(ascii: "n"), UInt8(ascii: "r"), UInt8(ascii: "t"):
            return i + 2
        case UInt8(ascii: "u"):
            let unit = try validateHex4(i + 2)
            if unit & 0xFC00 == 0xDC00 { throw .syntax(offset: i) }  // low surrogate first
            guard unit & 0xFC00 == 0xD800 else { return i + 6 }
            // A high surrogate: a low one must follow.
            guard n - i >= 8, p[i + 6] == .backslash, p[i + 7] == UInt8(ascii: "u") else {
                throw .syntax(offset: i + 6)
            }
            guard try validateHex4(i + 8) & 0xFC00 == 0xDC00 else { throw .syntax(offset: i + 6) }
            return i + 12
        default:
            throw .syntax(offset: i)
        }
    }

    private func validateHex4(_ from: Int) throws(JSONError) -> UInt32 {
        guard n - from >= 4 else { throw .syntax(offset: n) }
        var unit: UInt32 = 0
        for k in from..<from + 4 {
            let digit = Self.hexValue(p[k])
            guard digit < 16 else { throw .syntax(offset: k) }
            unit = unit << 4 | digit
        }
        return unit
    }

    /// The UTF-8 sequence led by p[i] >= 0x80 (Unicode table 3-7: no overlong
    /// forms, no surrogates, nothing above U+10FFFF). Returns the offset after it.
    private func validateUTF8(_ i: Int) throws(JSONError) -> Int {
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
    fileprivate func validateScalar(_ from: Int) throws(JSONError) -> Int {
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
        func isDigit(_ b: UInt8) -> Bool { b &- UInt8(ascii: "0") < 10 }
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
}
