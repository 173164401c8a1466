import CHSS

/// Removes secrets from text that came from elsewhere (the service's error
/// messages, libcurl's error buffer) before it reaches the caller.
struct Redactor {
    /// Secrets this short would match ordinary text; a message holding one
    /// is withheld whole instead of having letters starred out.
    static let shortest = 4
    static let withheld = "(withheld: it may contain a secret)"
    /// References only: the encoded forms are worked out when a message
    /// actually needs redacting, which keeps successful calls cheap.
    private var secrets: [SecureBuffer] = []

    init() {}

    mutating func add(_ secret: SecureBuffer?) {
        guard let secret, !secret.isEmpty else { return }
        secrets.append(secret)
    }

    func redact(_ text: String) -> String {
        guard !text.isEmpty else { return text }
        var bytes = Array(text.utf8)
        for secret in secrets {
            for form in Redactor.forms(of: secret) where bytes.firstRange(of: form.bytes) != nil {
                if form.count < Redactor.shortest { return Redactor.withheld }
                bytes.replace(form.bytes, with: "***".utf8)
            }
        }
        bytes = Redactor.starQueryValue(named: "password", in: bytes)
        return String(decoding: bytes, as: UTF8.self)
    }

    /// The secret as is, percent-encoded as we send it, and as other
    /// encoders would write it: "+" for a space, lower-case hex.
    static func forms(of secret: SecureBuffer) -> [SecureBuffer] {
        let encoded = PercentEncoding.encode(secret)
        let plus = SecureBuffer(capacity: encoded.count)
        let lowerHex = SecureBuffer(capacity: encoded.count)
        let e = encoded.bytes
        var i = 0
        while i < e.count {
            if e[i] == UInt8(ascii: "%"), i + 2 < e.count {
                let isSpace = e[i + 1] == UInt8(ascii: "2") && e[i + 2] == UInt8(ascii: "0")
                if isSpace { plus.append(UInt8(ascii: "+")) } else { plus.append(UnsafeBufferPointer(rebasing: e[i..<i + 3])) }
                lowerHex.append(e[i])
                for digit in e[i + 1...i + 2] {
                    lowerHex.append(digit >= UInt8(ascii: "A") && digit <= UInt8(ascii: "F") ? digit + 32 : digit)
                }
                i += 3
            } else {
                plus.append(e[i])
                lowerHex.append(e[i])
                i += 1
            }
        }
        return [secret, encoded, plus, lowerHex]
    }

    /// The gateway's APIGW.0301 message echoes the canonical request, so
    /// whatever follows "password=" up to the next separator is starred
    /// even when it was re-encoded in a way we cannot predict.
    static func starQueryValue(named name: String, in bytes: [UInt8]) -> [UInt8] {
        let key = Array((name + "=").utf8)
        let separators: Set<UInt8> = [UInt8(ascii: "&"), UInt8(ascii: "\n"), UInt8(ascii: "\r"),
                                      UInt8(ascii: " "), UInt8(ascii: "\""), UInt8(ascii: "'"),
                                      UInt8(ascii: "\\"), UInt8(ascii: ",")]
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
