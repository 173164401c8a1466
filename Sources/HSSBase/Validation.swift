import CHSSAPI

/// Input checks run before any traffic. Messages name the field and the
/// rule, never the value.
package enum Validation {
    /// Text that becomes part of a URL: valid UTF-8, within a length range
    /// counted in Unicode characters, and free of control characters
    /// (U+0000-U+001F, U+007F), which no legitimate value holds and which
    /// could split a header or URL.
    package static func checkText(_ value: SecureBuffer?, field: String, maxCharacters: Int) throws {
        try checkText(value.map(Bytes.init), field: field, maxCharacters: maxCharacters)
    }

    package static func checkText(_ value: Bytes?, field: String, maxCharacters: Int) throws {
        // The common case, printable ASCII within the limit, in one tight pass; anything
        // else goes through the rules (the one source of each message) from the start.
        if let value, !value.isEmpty, value.count <= maxCharacters, isPrintableASCII(value.buffer) { return }
        try checkEachRule(value, field: field, maxCharacters: maxCharacters)
    }

    /// checkText's rules in order, the first broken named: present, not
    /// empty, no control character and valid UTF-8 (the first offence),
    /// then the length in characters.
    @inline(never)
    package static func checkEachRule(_ value: Bytes?, field: String, maxCharacters: Int) throws {
        guard let value else { throw HSSError.invalid("\(field) is required") }
        guard !value.isEmpty else { throw HSSError.invalid("\(field) must not be empty") }
        let bytes = value.buffer
        var characters = 0
        var i = 0
        while i < bytes.count {
            let lead = bytes[i]
            if lead < 0x80 {
                if lead < 0x20 || lead == 0x7F {
                    throw HSSError.invalid("\(field) must not contain control characters (such as CR, LF or TAB)")
                }
                i += 1
            } else {
                var iterator = bytes[i...].makeIterator()
                var decoder = UTF8()
                guard case .scalarValue(let scalar) = decoder.decode(&iterator) else {
                    throw HSSError.invalid("\(field) is not valid UTF-8")
                }
                i += UTF8.width(scalar)
            }
            characters += 1
        }
        guard characters <= maxCharacters else {
            throw HSSError.invalid("\(field) is longer than \(maxCharacters) characters")
        }
    }

    /// True when every byte is 0x20-0x7E (one character each, none a
    /// control), read eight bytes at a time: the last word overlaps the one
    /// before it rather than leaving a tail, and 4-7 bytes are two
    /// overlapping halves.
    @inline(__always)
    package static func isPrintableASCII(_ bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        guard let base = bytes.baseAddress else { return true }
        let raw = UnsafeRawPointer(base)
        let count = bytes.count
        if count >= 8 {
            var i = 0
            while i &+ 8 < count {
                guard isPrintable(raw.loadUnaligned(fromByteOffset: i, as: UInt64.self)) else { return false }
                i &+= 8
            }
            return isPrintable(raw.loadUnaligned(fromByteOffset: count &- 8, as: UInt64.self))
        }
        if count >= 4 {
            let low = raw.loadUnaligned(as: UInt32.self)
            let high = raw.loadUnaligned(fromByteOffset: count &- 4, as: UInt32.self)
            return isPrintable(UInt64(low) | UInt64(high) << 32)
        }
        for b in bytes where b &- 0x20 > 0x5E { return false }
        return true
    }

    /// Eight bytes, each 0x20-0x7E? A byte's top bit is set in `word` from
    /// 0x80 up; in `word + 1` from 0x7F (no byte carries into the next unless
    /// one is already over 0x7F); and clear in `(word | 0x80...) - 0x20`
    /// only below 0x20 (with the top bit set first, no byte borrows).
    @inline(__always)
    private static func isPrintable(_ word: UInt64) -> Bool {
        let top: UInt64 = 0x8080_8080_8080_8080
        let outside = word | (word &+ 0x0101_0101_0101_0101) | ~((word | top) &- 0x2020_2020_2020_2020)
        return outside & top == 0
    }

    /// Values that travel as HTTP header values (AK, tokens, User-Agent):
    /// printable ASCII only.
    package static func checkHeaderValue(
        _ value: SecureBuffer?, field: String, maxBytes: Int,
        allowSpace: Bool = false
    ) throws {
        guard let value else { throw HSSError.invalid("\(field) is required") }
        guard !value.isEmpty else { throw HSSError.invalid("\(field) must not be empty") }
        guard value.count <= maxBytes else { throw HSSError.invalid("\(field) is longer than \(maxBytes) bytes") }
        for b in value.bytes where b < 0x21 || b > 0x7E {
            if b == 0x20, allowSpace { continue }
            throw HSSError.invalid("\(field) must be printable ASCII without control characters (CR, LF...)")
        }
    }

    /// project_id becomes a path segment: letters, digits, '-' and '_' only.
    package static func checkProjectID(_ value: String?) throws {
        guard let value else { throw HSSError.invalid("project_id is required") }
        guard !value.isEmpty else { throw HSSError.invalid("project_id must not be empty") }
        guard value.utf8.count <= 256 else { throw HSSError.invalid("project_id is longer than 256 characters") }
        let ok = value.utf8.allSatisfy { b in
            PercentEncoding.isUnreserved(b) && b != UInt8(ascii: ".") && b != UInt8(ascii: "~")
        }
        guard ok else { throw HSSError.invalid("project_id may contain only letters, digits, '-' and '_'") }
    }
}
