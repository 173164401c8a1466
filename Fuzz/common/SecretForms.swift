/// The redaction rule (include/hss.h, Tests/secret_forms.py), written again
/// here without looking at how the Redactor matches, to check it: a form of a
/// secret is its characters in order, each one written
///   - as its bytes, each raw, as %XY (either hex case), as "+" for a space,
///     or, for an ASCII byte, as a JSON escape (\" \\ \/ \b \f \n \r \t or
///     \u00XX in either case);
///   - or, for a character beyond ASCII, as one JSON \uXXXX escape (a
///     surrogate pair beyond the BMP).
struct SecretForms {
    /// One character of a secret: a valid multi-byte UTF-8 sequence, or one byte.
    private struct Unit {
        var bytes: ArraySlice<UInt8>
        var scalar: UInt32?
    }

    private let units: [Unit]
    /// What a form can start with: the first byte, "%", "\\" or (for a space) "+".
    private let starts: [UInt8]

    init(_ secret: [UInt8]) {
        var units: [Unit] = []
        var i = 0
        while i < secret.count {
            var iterator = secret[i...].makeIterator()
            var decoder = UTF8()
            if case .scalarValue(let scalar) = decoder.decode(&iterator), scalar.value >= 0x80 {
                let width = UTF8.width(scalar)
                units.append(Unit(bytes: secret[i..<(i + width)], scalar: scalar.value))
                i += width
            } else {
                units.append(Unit(bytes: secret[i...i], scalar: nil))
                i += 1
            }
        }
        self.units = units
        let first = secret.first ?? 0
        starts = [first, UInt8(ascii: "%"), UInt8(ascii: "\\"), first == 0x20 ? UInt8(ascii: "+") : first]
    }

    /// Where the first form of `secret` in `text` starts, or nil.
    static func find(_ secret: [UInt8], in text: [UInt8]) -> Int? { SecretForms(secret).find(in: text) }

    /// Where the first form of the secret in `text` starts, or nil.
    func find(in text: [UInt8]) -> Int? {
        guard !units.isEmpty else { return nil }
        for start in text.indices where starts.contains(text[start]) {
            var failed = Set<Int>()  // unit * (text.count + 1) + position known not to lead to a match
            if SecretForms.matches(units, 0, text, start, &failed) { return start }
        }
        return nil
    }

    private static func matches(_ units: [Unit], _ u: Int, _ text: [UInt8], _ p: Int, _ failed: inout Set<Int>) -> Bool
    {
        if u == units.count { return true }
        let key = u * (text.count + 1) + p
        if failed.contains(key) { return false }
        for end in ends(of: units[u], in: text, at: p) where matches(units, u + 1, text, end, &failed) {
            return true
        }
        failed.insert(key)
        return false
    }

    private static func ends(of unit: Unit, in text: [UInt8], at p: Int) -> [Int] {
        var positions = [p]
        for byte in unit.bytes {
            positions = positions.flatMap { byteEnds(byte, text, $0) }
        }
        if let scalar = unit.scalar {
            if scalar < 0x10000 {
                if escapeValue(text, p) == scalar { positions.append(p + 6) }
            } else {
                let v = scalar - 0x10000
                if escapeValue(text, p) == 0xD800 + (v >> 10), escapeValue(text, p + 6) == 0xDC00 + (v & 0x3FF) {
                    positions.append(p + 12)
                }
            }
        }
        return positions
    }

    private static func byteEnds(_ b: UInt8, _ t: [UInt8], _ p: Int) -> [Int] {
        guard p < t.count else { return [] }
        var out: [Int] = []
        if t[p] == b || (b == 0x20 && t[p] == UInt8(ascii: "+")) { out.append(p + 1) }
        if t[p] == UInt8(ascii: "%"), p + 2 < t.count, let hi = hex(t[p + 1]), let lo = hex(t[p + 2]), hi << 4 | lo == b
        {
            out.append(p + 3)
        }
        if b < 0x80, t[p] == UInt8(ascii: "\\"), p + 1 < t.count {
            if unescaped[t[p + 1]] == b { out.append(p + 2) }
            if escapeValue(t, p) == UInt32(b) { out.append(p + 6) }
        }
        return out
    }

    /// JSON's two-character escapes: the letter after the backslash -> the byte, and back.
    private static let unescaped: [UInt8: UInt8] = [
        0x22: 0x22, 0x5C: 0x5C, 0x2F: 0x2F, 0x62: 8, 0x66: 0x0C, 0x6E: 0x0A, 0x72: 0x0D, 0x74: 9,
    ]
    private static let escaped = Dictionary(uniqueKeysWithValues: unescaped.map { ($1, $0) })

    /// The value of a \uXXXX escape at p.
    private static func escapeValue(_ t: [UInt8], _ p: Int) -> UInt32? {
        guard p + 5 < t.count, t[p] == UInt8(ascii: "\\"), t[p + 1] == UInt8(ascii: "u") else { return nil }
        var value: UInt32 = 0
        for k in p + 2...p + 5 {
            guard let digit = hex(t[k]) else { return nil }
            value = value << 4 | UInt32(digit)
        }
        return value
    }

    private static func hex(_ b: UInt8) -> UInt8? {
        switch b {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): return b - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): return b - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): return b - UInt8(ascii: "A") + 10
        default: return nil
        }
    }

    // MARK: - Writing forms

    /// A form of `secret`, each character encoded in a way `choose` picks
    /// (called once per character, any value); `keep` characters at most (to
    /// make near misses).
    static func encode(_ secret: [UInt8], keep: Int = .max, choose: () -> UInt8) -> [UInt8] {
        var out: [UInt8] = []
        for unit in SecretForms(secret).units.prefix(keep) {
            let choice = choose()
            let upper = choice & 0x80 != 0
            if let scalar = unit.scalar, choice % 8 == 7 {
                if scalar < 0x10000 {
                    out += escape(scalar, upper)
                } else {
                    let v = scalar - 0x10000
                    out += escape(0xD800 + (v >> 10), upper) + escape(0xDC00 + (v & 0x3FF), upper)
                }
                continue
            }
            for b in unit.bytes { out += encodeByte(b, choice % 8, upper) }
        }
        return out
    }

    private static func encodeByte(_ b: UInt8, _ style: UInt8, _ upper: Bool) -> [UInt8] {
        let digits = Array((upper ? "0123456789ABCDEF" : "0123456789abcdef").utf8)
        switch style {
        case 1, 2: return [UInt8(ascii: "%"), digits[Int(b >> 4)], digits[Int(b & 15)]]
        case 3 where b == 0x20: return [UInt8(ascii: "+")]
        case 4 where b < 0x80: return escaped[b].map { [UInt8(ascii: "\\"), $0] } ?? escape(UInt32(b), upper)
        case 5 where b < 0x80: return escape(UInt32(b), upper)
        default: return [b]
        }
    }

    private static func escape(_ unit: UInt32, _ upper: Bool) -> [UInt8] {
        let digits = Array((upper ? "0123456789ABCDEF" : "0123456789abcdef").utf8)
        return [UInt8(ascii: "\\"), UInt8(ascii: "u")] + [12, 8, 4, 0].map { digits[Int(unit >> $0 & 15)] }
    }
}
