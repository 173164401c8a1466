import HSSBase

/// The redaction rule (include/hss.h, Tests/secret_forms.py), written again
/// here without looking at how the Redactor matches, to check it. It decodes
/// the text instead of encoding the secret. One layer of decoding reads, at a
/// position, a byte as it is, or one of these, each of whose characters is
/// read through the layers below:
///   - %XY (either hex case): that byte;
///   - "+": a space;
///   - a JSON escape: \" \\ \/ \b \f \n \r \t, or \uXXXX (either case): a byte
///     below 0x80, else a UTF-16 unit.
/// A form of a secret is its characters in order, each read through up to two
/// layers: its bytes one by one, or, for a character beyond ASCII, its UTF-16
/// unit (or a surrogate pair's two).
struct SecretForms {
    static let layers = 2

    /// One character of a secret: a valid multi-byte UTF-8 sequence, or one byte.
    private struct Unit {
        var bytes: ArraySlice<UInt8>
        var scalar: UInt32?
    }

    /// What a read yields.
    private enum Value: Equatable {
        case byte(UInt8)
        case unit(UInt16)
    }

    private let units: [Unit]
    /// What a form can start with: the first byte, "%", "\\" or (for a space) "+".
    private let starts: [UInt8]

    init(_ secret: [UInt8]) {
        units = SecretForms.units(of: secret)
        let first = secret.first ?? 0
        starts = [first, UInt8(ascii: "%"), UInt8(ascii: "\\"), first == 0x20 ? UInt8(ascii: "+") : first]
    }

    private static func units(of secret: [UInt8]) -> [Unit] {
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
        return units
    }

    /// Where the first form of `secret` in `text` starts, or nil.
    static func find(_ secret: [UInt8], in text: [UInt8]) -> Int? { SecretForms(secret).find(in: text) }

    /// Where the first form of the secret in `text` starts, or nil.
    func find(in text: [UInt8]) -> Int? {
        guard !units.isEmpty else { return nil }
        var reader = Reader(text)
        var failed = Set<Int>()  // unit * (text.count + 1) + position known not to lead to a match
        for start in text.indices where starts.contains(text[start]) {
            if matches(0, start, &reader, &failed) { return start }
        }
        return nil
    }

    private func matches(_ u: Int, _ p: Int, _ reader: inout Reader, _ failed: inout Set<Int>) -> Bool {
        if u == units.count { return true }
        let key = u * (reader.text.count + 1) + p
        if failed.contains(key) { return false }
        for end in ends(of: units[u], at: p, &reader) where matches(u + 1, end, &reader, &failed) {
            return true
        }
        failed.insert(key)
        return false
    }

    private func ends(of unit: Unit, at p: Int, _ reader: inout Reader) -> [Int] {
        var positions = [p]
        for byte in unit.bytes {
            positions = positions.flatMap { reader.reads($0).filter { $0.value == .byte(byte) }.map(\.end) }
        }
        if let scalar = unit.scalar {
            if scalar < 0x10000 {
                positions += reader.reads(p).filter { $0.value == .unit(UInt16(scalar)) }.map(\.end)
            } else {
                let v = scalar - 0x10000
                for high in reader.reads(p) where high.value == .unit(UInt16(0xD800 + (v >> 10))) {
                    positions += reader.reads(high.end).filter { $0.value == .unit(UInt16(0xDC00 + (v & 0x3FF))) }
                        .map(\.end)
                }
            }
        }
        return positions
    }

    /// Every way to read one value at a position, through up to `layers` layers.
    private struct Reader {
        typealias Read = (value: Value, end: Int)
        let text: [UInt8]
        /// What was read already, by position * layers + depth - 1.
        private var known: [Int: [Read]] = [:]

        init(_ text: [UInt8]) { self.text = text }

        mutating func reads(_ p: Int) -> [Read] { reads(p, depth: SecretForms.layers) }

        private mutating func reads(_ p: Int, depth: Int) -> [Read] {
            guard p < text.count else { return [] }
            guard depth > 0 else { return [(.byte(text[p]), p + 1)] }
            if let found = known[p * SecretForms.layers + depth - 1] { return found }
            let below = reads(p, depth: depth - 1)
            var out = below
            for first in below {
                switch first.value {
                case .byte(UInt8(ascii: "+")): out.append((.byte(0x20), first.end))
                case .byte(UInt8(ascii: "%")):
                    for (value, end) in hex(digits: 2, at: first.end, depth: depth - 1) {
                        out.append((.byte(UInt8(value)), end))
                    }
                case .byte(UInt8(ascii: "\\")):
                    for second in reads(first.end, depth: depth - 1) {
                        guard case .byte(let letter) = second.value else { continue }
                        if let byte = SecretForms.unescaped[letter] { out.append((.byte(byte), second.end)) }
                        if letter == UInt8(ascii: "u") {
                            for (value, end) in hex(digits: 4, at: second.end, depth: depth - 1) {
                                out.append((value < 0x80 ? .byte(UInt8(value)) : .unit(UInt16(value)), end))
                            }
                        }
                    }
                default: break
                }
            }
            known[p * SecretForms.layers + depth - 1] = out
            return out
        }

        /// Every way to read `digits` hex digits (either case) from `p`.
        private mutating func hex(digits: Int, at p: Int, depth: Int) -> [(value: UInt32, end: Int)] {
            var out: [(value: UInt32, end: Int)] = [(0, p)]
            for _ in 0..<digits {
                var next: [(value: UInt32, end: Int)] = []
                for partial in out {
                    for read in reads(partial.end, depth: depth) {
                        guard case .byte(let b) = read.value, let digit = SecretForms.hex(b) else { continue }
                        next.append((partial.value << 4 | UInt32(digit), read.end))
                    }
                }
                out = next
            }
            return out
        }
    }

    /// JSON's two-character escapes: the letter after the backslash -> the byte, and back.
    private static let unescaped: [UInt8: UInt8] = [
        0x22: 0x22, 0x5C: 0x5C, 0x2F: 0x2F, 0x62: 8, 0x66: 0x0C, 0x6E: 0x0A, 0x72: 0x0D, 0x74: 9,
    ]
    private static let escaped = Dictionary(uniqueKeysWithValues: unescaped.map { ($1, $0) })

    private static func hex(_ b: UInt8) -> UInt8? {
        switch b {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): return b - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): return b - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): return b - UInt8(ascii: "A") + 10
        default: return nil
        }
    }

    // MARK: - Writing forms

    /// A form of `secret`: each character encoded in a way `choose` picks
    /// (called once per character, any value), then, if the first choice says
    /// so, each character of that encoded again; `keep` characters of the
    /// secret at most (to make near misses).
    static func encode(_ secret: [UInt8], keep: Int = .max, choose: () -> UInt8) -> [UInt8] {
        let twice = choose() & 0x40 != 0
        let once = layer(Array(units(of: secret).prefix(keep)), choose)
        return twice ? layer(units(of: once), choose) : once
    }

    private static func layer(_ units: [Unit], _ choose: () -> UInt8) -> [UInt8] {
        var out: [UInt8] = []
        for unit in units {
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

    // MARK: - The shared table

    /// Every secret and form of Tests/vectors/secret_forms.json (what
    /// Tests/secret_forms.py writes), read relative to the working directory
    /// (Fuzz/run.sh runs from the repository's root); nil if it cannot be read.
    static func sharedTable(_ path: String = "Tests/vectors/secret_forms.json") -> [(secret: [UInt8], form: [UInt8])]? {
        guard let (contents, _) = try? SecureFile.read(path, maxBytes: 4 << 20),
            let document = try? JSONDocument(contents.bytes),
            let secrets = document.strings(inEachOf: ["forms"], key: "secret"),
            let forms = document.strings(inEachOf: ["forms"], key: "form"), secrets.count == forms.count
        else { return nil }
        return zip(secrets, forms).map { ($0.array, $1.array) }
    }
}
