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
        guard let value else { throw HSSError.invalid("\(field) is required") }
        guard !value.isEmpty else { throw HSSError.invalid("\(field) must not be empty") }
        let bytes = value.buffer
        var characters = 0
        var i = 0
        while i < bytes.count {
            let lead = bytes[i]
            if lead < 0x80 {  // ASCII, the common case
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
