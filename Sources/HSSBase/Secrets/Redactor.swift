import CHSSAPI

/// Removes secrets from every text that comes from the wire (the service's
/// error code, message and raw body, request ids, libcurl's error buffer)
/// before it reaches the caller.
///
/// The rule: every secret, under up to two nested layers of the encodings a
/// server, gateway or proxy may apply, is replaced by "***". One layer writes
/// each character as itself or, per byte, as %XY (either hex case, so RFC
/// 3986, WHATWG, Java and Python quote() output alike), "+" for a space, or a
/// JSON string escape (`\/`, `\"`, `\\`, the control escapes, `\u00XX`); a
/// character beyond ASCII also as one `\uXXXX` in either case (a surrogate
/// pair beyond the BMP). A second layer does the same to each character the
/// first wrote: `%252F`, `\u0025\u0032\u0046`, `\\u00e9`, `%5Cu00e9`, each
/// character choosing freely. Matches of different secrets that overlap (one
/// secret containing another) are merged into one "***", so no fragment
/// survives.
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
            let found = spans.count
            FormMatcher.appendSpans(of: secret.bytes, in: bytes, to: &spans)
            if spans.count > found, secret.count < Redactor.shortest { return Redactor.withheld }
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
