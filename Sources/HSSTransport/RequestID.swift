import HSSBase

/// Request ids, from the X-Request-Id header or an error body's
/// request_id. People paste them into support tickets, so they get the
/// same redaction as every other text from the wire, and then are kept
/// only if they are a short printable-ASCII token (anything else is
/// dropped rather than cleaned up, so it can be quoted safely).
package enum RequestID {
    package static let maxLength = 128

    package static func sanitize(_ bytes: UnsafeBufferPointer<UInt8>, redactor: Redactor) -> String {
        guard !bytes.isEmpty else { return "" }
        let redacted = redactor.redact(bytes)
        let utf8 = redacted.utf8
        guard utf8.count <= maxLength, utf8.allSatisfy({ $0 > 0x20 && $0 < 0x7F }) else { return "" }
        return redacted
    }

    package static func sanitize(_ text: String, redactor: Redactor) -> String {
        var text = text
        return text.withUTF8 { sanitize($0, redactor: redactor) }
    }
}
