/// Finds the forms of one secret in a text: the secret under up to two nested
/// layers of encoding, as Redactor's rule states them.
///
/// A form is matched one character of the secret at a time. A character's
/// forms at one position are found by trying, for each of its bytes, the byte
/// itself and the escapes one layer writes for it (%XY, "+", a JSON escape),
/// each character of an escape being matched the same way one layer down; no
/// list of forms is ever built, and nothing is allocated until a form may
/// start.
enum FormMatcher {
    /// How many nested layers of encoding a form of a secret may have.
    static let layers = 2

    /// A form being followed: it started at `start` and has matched the
    /// secret's bytes before `offset`.
    private struct Partial {
        var offset: Int
        var start: Int
    }

    /// Longer than the longest form of one character (72 bytes: a surrogate
    /// pair's 12 characters, each as a 6-byte `\u00XX`), a power of two.
    private static let window = 128

    /// Appends the span of every form of `secret` in `text` to `spans`
    /// (spans may repeat and overlap). Every start is followed at once: the
    /// forms under way wait at the position they have reached (in a ring of
    /// `window` lists), and at each position one with a given offset goes on
    /// (the one that started first), so a text position is worked on once per
    /// character of the secret however many forms pass through it. (A form
    /// under way from each start would cost the square of the secret's length
    /// per start in a run of backslashes, each one a backslash or half of one.)
    static func appendSpans(
        of secret: UnsafeBufferPointer<UInt8>, in text: UnsafeBufferPointer<UInt8>,
        to spans: inout [Range<Int>]
    ) {
        guard let first = secret.first else { return }
        var waiting: [[Partial]] = []  // by position % window; made when a form first may start
        var count = 0  // how many wait
        var here: [Partial] = []
        // The ends of the characters tried at the current position, each character's together:
        // forms under way often share their next character (a run of backslashes).
        var ends: [Int] = []
        var known: [(character: UInt64, ends: Range<Int>)] = []
        for p in 0..<text.count {
            // The common case, in one test: a form starts with the first byte, "%", "\\" or "+".
            let t = text[p]
            let starts =
                (t == first || t == UInt8(ascii: "%") || t == UInt8(ascii: "\\") || t == UInt8(ascii: "+"))
                && canStart(first, in: text, at: p)
            guard starts || count > 0 else { continue }
            if waiting.isEmpty { waiting = Array(repeating: [], count: window) }
            swap(&here, &waiting[p & (window - 1)])
            count -= here.count
            if starts { here.append(Partial(offset: 0, start: p)) }
            if here.isEmpty { continue }
            if here.count > 1 { here.sort { ($0.offset, $0.start) < ($1.offset, $1.start) } }
            ends.removeAll(keepingCapacity: true)
            known.removeAll(keepingCapacity: true)
            var offset = -1
            for partial in here where partial.offset != offset {  // the first of an offset started first
                offset = partial.offset
                let length = characterLength(secret, at: offset)
                var character = UInt64(length)
                for byte in secret[offset..<offset + length] { character = character << 8 | UInt64(byte) }
                var found = known.first { $0.character == character }?.ends
                if found == nil {
                    let from = ends.count
                    let bytes = UnsafeBufferPointer(rebasing: secret[offset..<offset + length])
                    forEachEnd(ofCharacter: bytes, depth: layers, in: text, at: p) { end in
                        if !ends[from...].contains(end) { ends.append(end) }
                    }
                    found = from..<ends.count
                    if known.count < 8 { known.append((character, from..<ends.count)) }
                }
                for end in ends[found!] {
                    if offset + length == secret.count {
                        spans.append(partial.start..<end)
                    } else {
                        waiting[end & (window - 1)].append(Partial(offset: offset + length, start: partial.start))
                        count += 1
                    }
                }
            }
            here.removeAll(keepingCapacity: true)
        }
    }

    /// The length of the secret's character at `offset`: a valid UTF-8
    /// sequence, or one byte. A lead byte not followed by a valid sequence is
    /// a character of its own (found by fuzzing: otherwise the next real
    /// character's \u escape no longer lines up).
    private static func characterLength(_ secret: UnsafeBufferPointer<UInt8>, at offset: Int) -> Int {
        let length = utf8Length(secret[offset], available: secret.count - offset)
        guard length > 1 else { return 1 }
        return scalarValue(UnsafeBufferPointer(rebasing: secret[offset..<offset + length])) == nil ? 1 : length
    }

    /// A first test that allocates nothing: can the secret's first byte (or,
    /// for a non-ASCII first character, its `\u` escape) start here?
    private static func canStart(_ first: UInt8, in text: UnsafeBufferPointer<UInt8>, at p: Int) -> Bool {
        if first >= 0x80, text[p] == UInt8(ascii: "\\") || text[p] == UInt8(ascii: "%") { return true }
        var found = false
        forEachEnd(of: .byte(first), depth: layers, in: text, at: p) { _ in found = true }
        return found
    }

    // MARK: - The forms of one character

    /// Calls `add` with the end of each form of one character at `p`, under up
    /// to `depth` layers: its bytes one by one, or, for a character beyond
    /// ASCII, one `\u` escape (or surrogate pair) of it, itself under up to
    /// `depth - 1` layers. An end may come more than once.
    private static func forEachEnd(
        ofCharacter character: UnsafeBufferPointer<UInt8>, depth: Int,
        in text: UnsafeBufferPointer<UInt8>, at p: Int, _ add: (Int) -> Void
    ) {
        forEachEnd(ofBytes: character, from: 0, depth: depth, in: text, at: p, add)
        if character.count > 1, depth > 0, let scalar = scalarValue(character) {
            let escape: Escape = scalar < 0x10000 ? .unicode(scalar) : .surrogatePair(scalar)
            forEachEnd(of: escape, from: 0, depth: depth - 1, in: text, at: p, add)
        }
    }

    private static func forEachEnd(
        ofBytes bytes: UnsafeBufferPointer<UInt8>, from i: Int, depth: Int,
        in text: UnsafeBufferPointer<UInt8>, at p: Int, _ add: (Int) -> Void
    ) {
        guard i < bytes.count else { return add(p) }
        forEachEnd(of: .byte(bytes[i]), depth: depth, in: text, at: p) { end in
            forEachEnd(ofBytes: bytes, from: i + 1, depth: depth, in: text, at: end, add)
        }
    }

    /// What an escape is written with, one character at a time.
    private enum Token {
        case byte(UInt8)
        /// A hex digit of this value, in either case.
        case hex(UInt8)
    }

    /// The escapes of one layer.
    private enum Escape {
        case percent(UInt8)  // %XY
        case json(UInt8)  // a backslash and this letter
        case unicode(UInt32)  // \uXXXX
        case surrogatePair(UInt32)  // \uD8xx\uDCxx for this scalar beyond the BMP

        var count: Int {
            switch self {
            case .percent: return 3
            case .json: return 2
            case .unicode: return 6
            case .surrogatePair: return 12
            }
        }

        func token(_ i: Int) -> Token {
            switch self {
            case .percent(let byte): return i == 0 ? .byte(UInt8(ascii: "%")) : .hex(byte >> (i == 1 ? 4 : 0) & 0xF)
            case .json(let letter): return .byte(i == 0 ? UInt8(ascii: "\\") : letter)
            case .unicode(let unit): return Escape.unicodeToken(UInt16(unit), i)
            case .surrogatePair(let scalar):
                let v = scalar - 0x10000
                return i < 6
                    ? Escape.unicodeToken(UInt16(0xD800 + (v >> 10)), i)
                    : Escape.unicodeToken(UInt16(0xDC00 + (v & 0x3FF)), i - 6)
            }
        }

        private static func unicodeToken(_ unit: UInt16, _ i: Int) -> Token {
            switch i {
            case 0: return .byte(UInt8(ascii: "\\"))
            case 1: return .byte(UInt8(ascii: "u"))
            default: return .hex(UInt8(truncatingIfNeeded: unit >> (4 * (5 - i))) & 0xF)
            }
        }
    }

    /// Calls `add` with the end of each form of `token` at `p` under up to
    /// `depth` layers: as itself, or written by one layer (an escape, or "+"
    /// for a space) whose characters are each under up to `depth - 1` layers.
    private static func forEachEnd(
        of token: Token, depth: Int, in text: UnsafeBufferPointer<UInt8>, at p: Int,
        _ add: (Int) -> Void
    ) {
        guard p < text.count else { return }
        let byte: UInt8
        switch token {
        case .byte(let b): byte = b
        case .hex(let value):
            let lower = hexDigits[Int(value)]
            forEachEnd(of: .byte(lower), depth: depth, in: text, at: p, add)
            if value < 10 { return }
            byte = lower - UInt8(ascii: "a") + UInt8(ascii: "A")
        }
        let t = text[p]
        // Every layer's escapes start with "%" or "\\" (under any layer): elsewhere only
        // the byte itself, or "+" for a space, can match.
        guard depth > 0, t == UInt8(ascii: "%") || t == UInt8(ascii: "\\"), escapeMayStart(in: text, at: p) else {
            if t == byte || (depth > 0 && t == UInt8(ascii: "+") && byte == UInt8(ascii: " ")) { add(p + 1) }
            return
        }
        forEachEnd(of: .byte(byte), depth: depth - 1, in: text, at: p, add)
        if byte == UInt8(ascii: " ") {
            forEachEnd(of: .byte(UInt8(ascii: "+")), depth: depth - 1, in: text, at: p, add)
        }
        forEachEnd(of: .percent(byte), from: 0, depth: depth - 1, in: text, at: p, add)
        if byte < 0x80 {
            if let letter = jsonLetter(byte) {
                forEachEnd(of: .json(letter), from: 0, depth: depth - 1, in: text, at: p, add)
            }
            forEachEnd(of: .unicode(UInt32(byte)), from: 0, depth: depth - 1, in: text, at: p, add)
        }
    }

    private static func forEachEnd(
        of escape: Escape, from i: Int, depth: Int, in text: UnsafeBufferPointer<UInt8>,
        at p: Int, _ add: (Int) -> Void
    ) {
        guard i < escape.count else { return add(p) }
        guard depth > 0 else {  // the common case, without a closure per character
            guard p + escape.count - i <= text.count else { return }
            for k in i..<escape.count {
                switch escape.token(k) {
                case .byte(let b): guard text[p + k - i] == b else { return }
                case .hex(let value):
                    let t = text[p + k - i]
                    let digit = hexDigits[Int(value)]
                    guard t == digit || (value >= 10 && t == digit - 0x20) else { return }
                }
            }
            return add(p + escape.count - i)
        }
        forEachEnd(of: escape.token(i), depth: depth, in: text, at: p) { end in
            forEachEnd(of: escape, from: i + 1, depth: depth, in: text, at: end, add)
        }
    }

    private static let hexDigits: [UInt8] = Array("0123456789abcdef".utf8)

    /// Whether the "%" or "\\" at `p` may start an escape of some layer: it is
    /// followed by a hex digit or, for "\\", a JSON escape's letter or "u", or
    /// by the "%" or "\\" that starts that character's escape in the next layer.
    private static func escapeMayStart(in text: UnsafeBufferPointer<UInt8>, at p: Int) -> Bool {
        guard p + 1 < text.count else { return false }
        switch text[p + 1] {
        case UInt8(ascii: "%"), UInt8(ascii: "\\"): return true
        case UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "a")...UInt8(ascii: "f"),
            UInt8(ascii: "A")...UInt8(ascii: "F"):
            return text[p] == UInt8(ascii: "%") || text[p + 1] == UInt8(ascii: "b") || text[p + 1] == UInt8(ascii: "f")
        case UInt8(ascii: "\""), UInt8(ascii: "/"), UInt8(ascii: "n"), UInt8(ascii: "r"), UInt8(ascii: "t"),
            UInt8(ascii: "u"):
            return text[p] == UInt8(ascii: "\\")
        default: return false
        }
    }

    /// The letter of the JSON two-character escape of `byte`, if it has one.
    private static func jsonLetter(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): return byte
        case 0x08: return UInt8(ascii: "b")
        case 0x0C: return UInt8(ascii: "f")
        case 0x0A: return UInt8(ascii: "n")
        case 0x0D: return UInt8(ascii: "r")
        case 0x09: return UInt8(ascii: "t")
        default: return nil
        }
    }

    /// The length of the UTF-8 sequence a lead byte announces (1 for a byte
    /// that cannot lead one, so invalid input is matched byte by byte).
    private static func utf8Length(_ lead: UInt8, available: Int) -> Int {
        let length: Int
        switch lead {
        case 0xC2...0xDF: length = 2
        case 0xE0...0xEF: length = 3
        case 0xF0...0xF4: length = 4
        default: length = 1
        }
        return length <= available ? length : 1
    }

    private static func scalarValue(_ character: UnsafeBufferPointer<UInt8>) -> UInt32? {
        var iterator = character.makeIterator()
        var decoder = UTF8()
        if case .scalarValue(let scalar) = decoder.decode(&iterator) { return scalar.value }
        return nil
    }
}
