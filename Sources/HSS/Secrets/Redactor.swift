import CHSS

/// Removes secrets from text that came from elsewhere (the service's error
/// messages, libcurl's error buffer) before it reaches the caller.
struct Redactor {
    /// Secrets this short would match ordinary text; a message holding one
    /// is withheld whole instead of having letters starred out.
    static let shortest = 4
    private var secrets: [[UInt8]] = []

    init() {}

    mutating func add(_ secret: SecureBuffer?) {
        guard let secret, !secret.isEmpty else { return }
        secrets.append(Array(secret.bytes))
        let encoded = PercentEncoding.encode(secret)
        if !encoded.equals(secret) { secrets.append(Array(encoded.bytes)) }
        // The same bytes as a form would encode them (space as "+") and
        // with lower-case hex, as other servers re-encode.
        let form = Array(encoded.bytes).replacing(Array("%20".utf8), with: Array("+".utf8))
        if form != Array(encoded.bytes) { secrets.append(form) }
        let lower = Array(encoded.string().lowercased().utf8)
        if lower != Array(encoded.bytes) { secrets.append(lower) }
    }

    func redact(_ text: String) -> String {
        var bytes = Array(text.utf8)
        for secret in secrets where bytes.firstRange(of: secret) != nil {
            if secret.count < Redactor.shortest { return "(withheld: it may contain a secret)" }
            bytes.replace(secret, with: Array("***".utf8))
        }
        bytes = Redactor.starQueryValue(named: "password", in: bytes)
        return String(decoding: bytes, as: UTF8.self)
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
