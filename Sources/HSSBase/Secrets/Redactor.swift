import CHSSAPI

/// Removes secrets from every text that comes from the wire (the service's
/// error code, message and raw body, request ids, libcurl's error buffer)
/// before it reaches the caller.
///
/// The rule: every secret, in any of the encodings a server, gateway or
/// proxy may have applied, is replaced by "***". A secret matches as raw
/// bytes in any mix with, per byte, percent-encoding (either hex case, so
/// RFC 3986, WHATWG, Java and Python quote() output alike), "+" for a
/// space, and JSON string escapes (`\/`, `\"`, `\\`, the control escapes,
/// `\uXXXX` in either case, surrogate pairs for characters beyond the BMP).
/// Matches of different secrets that overlap (one secret containing
/// another) are merged into one "***", so no fragment survives.
package struct Redactor {
    /// Secrets this short would match ordinary text; a text holding one
    /// is withheld whole instead of having letters starred out.
    package static let shortest = 4
    package static let withheld =
        "(withheld: it may hold a secret shorter than 4 bytes, which cannot be starred out safely; "
        + "use longer secrets while diagnosing: hss(3), REDACTION)"
    /// References only: nothing is worked out until a text needs redacting,
    /// which keeps successful calls cheap.
    private var secrets: [SecureBuffer] = []

    package init() {}

    package mutating func add(_ secret: SecureBuffer?) {
        guard let secret, !secret.isEmpty else { return }
        secrets.append(secret)
    }

    package func redact(_ text: String) -> String {
        var text = text
        return text.withUTF8 { redact($0) }
    }

    /// The text with every secret starred. `bytes` may be a secret-holding
    /// buffer: only the redacted result is ever copied into a String.
    package func redact(_ bytes: UnsafeBufferPointer<UInt8>) -> String {
        guard !bytes.isEmpty else { return "" }
        var spans: [Range<Int>] = []
        // Every encoding of a secret is at least as long as the secret itself.
        for secret in secrets where secret.count <= bytes.count {
            var start = 0
            while start < bytes.count {
                guard let end = Redactor.matchEnd(of: secret.bytes, in: bytes, at: start) else {
                    start += 1
                    continue
                }
                if secret.count < Redactor.shortest { return Redactor.withheld }
                spans.append(start..<end)
                start = end
            }
        }
        if spans.isEmpty, Redactor.indexOf(Redactor.passwordKey, in: bytes) == nil {
            return String(decoding: bytes, as: UTF8.self)  // the common case: nothing to star
        }
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count)
        var next = 0
        for span in spans.sorted(by: { $0.lowerBound < $1.lowerBound }) {
            if span.lowerBound >= next {
                out.append(contentsOf: bytes[next..<span.lowerBound])
                out.append(contentsOf: "***".utf8)
            }
            next = max(next, span.upperBound)  // overlapping spans merge into the "***" already written
        }
        out.append(contentsOf: bytes[next...])
        return String(decoding: Redactor.starQueryValue(named: "password", in: out), as: UTF8.self)
    }

    // MARK: - Matching one secret in any encoding

    /// Where the longest encoding of `secret` that starts at `start` ends,
    /// or nil. The secret is walked one UTF-8 character at a time; a set of
    /// candidate end positions follows the alternatives (a "%" may be the
    /// byte itself or start "%25"), so no backtracking is needed.
    private static func matchEnd(
        of secret: UnsafeBufferPointer<UInt8>, in text: UnsafeBufferPointer<UInt8>,
        at start: Int
    ) -> Int? {
        guard let first = secret.first, canStart(first, in: text, at: start) else { return nil }
        var positions = [start]
        var s = 0
        while s < secret.count {
            var length = utf8Length(secret[s], available: secret.count - s)
            // A lead byte not followed by a valid sequence is a character of its own (found by
            // fuzzing: otherwise the next real character's \u escape no longer lines up).
            if length > 1, scalarValue(UnsafeBufferPointer(rebasing: secret[s..<s + length])) == nil { length = 1 }
            let character = UnsafeBufferPointer(rebasing: secret[s..<s + length])
            var reached: [Int] = []
            for position in positions {
                for end in matchCharacter(character, in: text, at: position) where !reached.contains(end) {
                    reached.append(end)
                }
            }
            guard !reached.isEmpty else { return nil }
            positions = reached
            s += length
        }
        return positions.max()
    }

    /// A first test that allocates nothing: can the secret's first byte (or,
    /// for a non-ASCII first character, its `\u` escape) start here?
    private static func canStart(_ first: UInt8, in text: UnsafeBufferPointer<UInt8>, at p: Int) -> Bool {
        if first >= 0x80, text[p] == UInt8(ascii: "\\") { return true }
        var found = false
        forEachEnd(of: first, in: text, at: p) { _ in found = true }
        return found
    }

    /// End positions of the encodings of one character starting at `position`:
    /// each of its bytes on its own (raw, %XY, "+", a JSON escape), or, for a
    /// character beyond ASCII, one JSON `\u` escape (or surrogate pair) of it.
    private static func matchCharacter(
        _ character: UnsafeBufferPointer<UInt8>,
        in text: UnsafeBufferPointer<UInt8>, at position: Int
    ) -> [Int] {
        var ends = [position]
        for byte in character where !ends.isEmpty {
            var next: [Int] = []
            for p in ends {
                forEachEnd(of: byte, in: text, at: p) { end in if !next.contains(end) { next.append(end) } }
            }
            ends = next
        }
        if character.count > 1, let scalar = scalarValue(character),
            let end = matchUnicodeEscape(scalar, in: text, at: position), !ends.contains(end)
        {
            ends.append(end)
        }
        return ends
    }

    /// Calls `add` with the end of each encoding of `byte` found at `p`.
    private static func forEachEnd(
        of byte: UInt8, in text: UnsafeBufferPointer<UInt8>, at p: Int,
        _ add: (Int) -> Void
    ) {
        guard p < text.count else { return }
        let t = text[p]
        if t == byte { add(p + 1) }
        if t == UInt8(ascii: "+"), byte == UInt8(ascii: " ") { add(p + 1) }
        if t == UInt8(ascii: "%"), p + 2 < text.count, let value = hexValue(text[p + 1...p + 2]),
            value == UInt32(byte)
        {
            add(p + 3)
        }
        if t == UInt8(ascii: "\\"), byte < 0x80, p + 1 < text.count {
            if let escaped = jsonEscape(text[p + 1]), escaped == byte { add(p + 2) }
            if text[p + 1] == UInt8(ascii: "u"), let value = unicodeEscape(in: text, at: p), value == UInt32(byte) {
                add(p + 6)
            }
        }
    }

    /// `\uXXXX` for a BMP character, `\uD8xx\uDCxx` beyond it.
    private static func matchUnicodeEscape(
        _ scalar: UInt32, in text: UnsafeBufferPointer<UInt8>,
        at p: Int
    ) -> Int? {
        guard let first = unicodeEscape(in: text, at: p) else { return nil }
        if scalar < 0x10000 { return first == scalar ? p + 6 : nil }
        let v = scalar - 0x10000
        guard first == 0xD800 + (v >> 10), let second = unicodeEscape(in: text, at: p + 6),
            second == 0xDC00 + (v & 0x3FF)
        else { return nil }
        return p + 12
    }

    /// The value of a `\uXXXX` escape at `p`, if there is one.
    private static func unicodeEscape(in text: UnsafeBufferPointer<UInt8>, at p: Int) -> UInt32? {
        guard p + 5 < text.count, text[p] == UInt8(ascii: "\\"), text[p + 1] == UInt8(ascii: "u") else { return nil }
        return hexValue(text[p + 2...p + 5])
    }

    /// The byte a JSON two-character escape (after its backslash) stands for.
    private static func jsonEscape(_ b: UInt8) -> UInt8? {
        switch b {
        case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): return b
        case UInt8(ascii: "b"): return 0x08
        case UInt8(ascii: "f"): return 0x0C
        case UInt8(ascii: "n"): return 0x0A
        case UInt8(ascii: "r"): return 0x0D
        case UInt8(ascii: "t"): return 0x09
        default: return nil
        }
    }

    private static func hexValue(_ digits: Slice<UnsafeBufferPointer<UInt8>>) -> UInt32? {
        var value: UInt32 = 0
        for d in digits {
            switch d {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): value = value << 4 | UInt32(d - UInt8(ascii: "0"))
            case UInt8(ascii: "a")...UInt8(ascii: "f"): value = value << 4 | UInt32(d - UInt8(ascii: "a") + 10)
            case UInt8(ascii: "A")...UInt8(ascii: "F"): value = value << 4 | UInt32(d - UInt8(ascii: "A") + 10)
            default: return nil
            }
        }
        return value
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

    // MARK: - Echoed queries

    /// The gateway's APIGW.0301 message echoes the canonical request, so
    /// whatever follows "password=" up to the next separator is starred
    /// even when it was re-encoded in a way we cannot predict.
    private static let passwordKey = Array("password=".utf8)

    private static func indexOf(_ key: [UInt8], in bytes: UnsafeBufferPointer<UInt8>) -> Int? {
        guard bytes.count >= key.count else { return nil }
        return (0...(bytes.count - key.count)).first { i in
            bytes[i] == key[0] && bytes[i..<(i + key.count)].elementsEqual(key)
        }
    }

    private static func starQueryValue(named name: String, in bytes: [UInt8]) -> [UInt8] {
        let key = Array((name + "=").utf8)
        let separators: Set<UInt8> = [
            UInt8(ascii: "&"), UInt8(ascii: "\n"), UInt8(ascii: "\r"),
            UInt8(ascii: " "), UInt8(ascii: "\""), UInt8(ascii: "'"),
            UInt8(ascii: "\\"), UInt8(ascii: ","),
        ]
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count)
        var i = 0
        while i < bytes.count {
            if bytes[i...].starts(with: key) {
                out.append(contentsOf: key)
                i += key.count
                var end = i
                while end < bytes.count, !separators.contains(bytes[end]) { end += 1 }
                if end > i { out.append(contentsOf: "***".utf8) }
                i = end
            } else {
                out.append(bytes[i])
                i += 1
            }
        }
        return out
    }
}
