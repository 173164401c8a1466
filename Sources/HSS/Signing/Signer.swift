import CHSS

/// Huawei Cloud's SDK-HMAC-SHA256 request signing (shared/docs/api.md),
/// byte-compatible with the official signers.
///
/// A Signer is prepared once per client with what never changes (method,
/// path, the fixed headers, the keyed HMAC); each request then adds only
/// its query and X-Sdk-Date. Every stage is exposed so the known-answer
/// tests can compare each one.
struct Signer {
    static let algorithm = "SDK-HMAC-SHA256"
    /// Hex SHA-256 of an empty body: this API is a GET.
    static let emptyBodyHash = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

    /// One header to send and sign. The value is a SecureBuffer because
    /// X-Security-Token is a secret.
    struct Header {
        let name: String
        let value: SecureBuffer
        init(name: String, value: SecureBuffer) {
            self.name = name
            self.value = value
        }
        init(_ name: String, _ value: String) {
            self.init(name: name, value: SecureBuffer(value))
        }
    }

    /// A header as it is signed: lower-case name, trimmed value.
    struct CanonicalHeader {
        let name: String
        let value: SecureBuffer
    }

    let method: String
    let canonicalURI: String
    /// The fixed headers that are signed, sorted by name.
    let headers: [CanonicalHeader]
    let accessKey: String
    private let key: HMACKey

    init(method: String, path: String, headers: [Header], accessKey: String, secretKey: SecureBuffer) throws {
        guard let key = HMACKey(secretKey) else {
            throw HSSError(HSS_E_INTERNAL, "OpenSSL could not prepare HMAC-SHA256")
        }
        self.method = method.uppercased()
        self.canonicalURI = Signer.canonicalURI(path: path)
        self.headers = Signer.canonicalHeaders(headers)
        self.accessKey = accessKey
        self.key = key
    }

    /// The Authorization header value for a request with this query and
    /// the per-request headers `extra` (X-Sdk-Date, dated `date`).
    func authorization(query: SecureBuffer, date: String, extra: [Header]) -> String {
        let canonical = canonicalRequest(query: query, extra: extra)
        let toSign = Signer.stringToSign(date: date, canonicalRequest: canonical.request)
        return Signer.authorization(accessKey: accessKey, signedHeaders: canonical.signedHeaders,
                                    signature: signature(stringToSign: toSign))
    }

    /// METHOD, URI, query, one `name:value` line per signed header (the
    /// fixed ones merged with `extra` in name order), a blank line, the
    /// signed header names, the body hash.
    func canonicalRequest(query: SecureBuffer, extra: [Header] = [], bodyHash: String = emptyBodyHash)
        -> (request: SecureBuffer, signedHeaders: String)
    {
        let extras = Signer.canonicalHeaders(extra)
        let out = SecureBuffer(capacity: 512 + query.count)
        out.append(method)
        out.append(UInt8(ascii: "\n"))
        out.append(canonicalURI)
        out.append(UInt8(ascii: "\n"))
        out.append(query)
        out.append(UInt8(ascii: "\n"))
        var names: [String] = []
        names.reserveCapacity(headers.count + extras.count)
        var fixed = headers[...], added = extras[...]
        while let header = Signer.nextInOrder(&fixed, &added) {
            out.append(header.name)
            out.append(UInt8(ascii: ":"))
            out.append(header.value)
            out.append(UInt8(ascii: "\n"))
            names.append(header.name)
        }
        out.append(UInt8(ascii: "\n"))
        let signedHeaders = names.joined(separator: ";")
        out.append(signedHeaders)
        out.append(UInt8(ascii: "\n"))
        out.append(bodyHash)
        return (out, signedHeaders)
    }

    func signature(stringToSign: String) -> String {
        key.hex(stringToSign)
    }

    static func stringToSign(date: String, canonicalRequest: SecureBuffer) -> String {
        "\(algorithm)\n\(date)\n\(Digest.sha256Hex(canonicalRequest.bytes))"
    }

    static func authorization(accessKey: String, signedHeaders: String, signature: String) -> String {
        "\(algorithm) Access=\(accessKey), SignedHeaders=\(signedHeaders), Signature=\(signature)"
    }

    /// The canonical URI: decode the path, encode each segment, and end it
    /// with "/" (the request line itself keeps no trailing slash).
    static func canonicalURI(path: String) -> String {
        let decoded = PercentEncoding.decode(Array(path.utf8))
        let out = SecureBuffer(capacity: decoded.count * 3 + 1)
        for (index, segment) in decoded.split(separator: UInt8(ascii: "/"), omittingEmptySubsequences: false).enumerated() {
            if index > 0 { out.append(UInt8(ascii: "/")) }
            PercentEncoding.append(segment, to: out)
        }
        if out.bytes.last != UInt8(ascii: "/") { out.append(UInt8(ascii: "/")) }
        return out.string()
    }

    /// `name=value` pairs, encoded, sorted by name then value (raw bytes,
    /// i.e. code point order), joined by "&". This exact string is also the
    /// query that is sent. Names are never secret; values may be.
    static func canonicalQuery(_ parameters: [(name: String, value: SecureBuffer)]) -> SecureBuffer {
        let sorted = parameters.sorted { lhs, rhs in
            lhs.name != rhs.name
                ? lhs.name.utf8.lexicographicallyPrecedes(rhs.name.utf8)
                : lhs.value.bytes.lexicographicallyPrecedes(rhs.value.bytes)
        }
        let out = SecureBuffer(capacity: 256)
        for (index, parameter) in sorted.enumerated() {
            if index > 0 { out.append(UInt8(ascii: "&")) }
            PercentEncoding.append(parameter.name.utf8, to: out)
            out.append(UInt8(ascii: "="))
            PercentEncoding.append(parameter.value.bytes, to: out)
        }
        return out
    }

    /// The headers that are signed: all but those whose name contains "_",
    /// names lower-cased, values trimmed, sorted by name.
    static func canonicalHeaders(_ headers: [Header]) -> [CanonicalHeader] {
        headers.compactMap { header -> CanonicalHeader? in
            let name = header.name.lowercased()
            guard !name.contains("_") else { return nil }
            let value = SecureBuffer(capacity: header.value.count)
            value.append(trimmed(header.value.bytes))
            return CanonicalHeader(name: name, value: value)
        }.sorted { $0.name.utf8.lexicographicallyPrecedes($1.name.utf8) }
    }

    /// `YYYYMMDDTHHMMSSZ` in UTC.
    static func sdkDate(_ time: time_t) -> String {
        var t = time
        var parts = tm()
        var text = [CChar](repeating: 0, count: 20)
        guard gmtime_r(&t, &parts) != nil, strftime(&text, text.count, "%Y%m%dT%H%M%SZ", &parts) == 16 else {
            return "19700101T000000Z"
        }
        return String(cString: text)
    }

    /// Takes the smaller-named head of two sorted lists.
    private static func nextInOrder(_ a: inout ArraySlice<CanonicalHeader>,
                                    _ b: inout ArraySlice<CanonicalHeader>) -> CanonicalHeader? {
        guard let first = a.first else { return b.popFirst() }
        guard let second = b.first, second.name.utf8.lexicographicallyPrecedes(first.name.utf8) else {
            return a.popFirst()
        }
        return b.popFirst()
    }

    private static func trimmed(_ bytes: UnsafeBufferPointer<UInt8>) -> UnsafeBufferPointer<UInt8> {
        // Python's str.strip() on the ASCII whitespace a header value may hold.
        func isSpace(_ b: UInt8) -> Bool { b == 0x20 || (0x09...0x0D).contains(b) }
        var start = 0, end = bytes.count
        while start < end, isSpace(bytes[start]) { start += 1 }
        while end > start, isSpace(bytes[end - 1]) { end -= 1 }
        return UnsafeBufferPointer(rebasing: bytes[start..<end])
    }
}

/// RFC 3986 percent-encoding as the signer needs it: keep A-Z a-z 0-9 - _ . ~,
/// everything else %XY (upper-case hex) over the UTF-8 bytes.
enum PercentEncoding {
    private static let hex = Array("0123456789ABCDEF".utf8)

    static func isUnreserved(_ b: UInt8) -> Bool {
        switch b {
        case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"),
             UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "_"),
             UInt8(ascii: "."), UInt8(ascii: "~"):
            return true
        default:
            return false
        }
    }

    static func append<C: Collection>(_ bytes: C, to out: SecureBuffer) where C.Element == UInt8 {
        out.append(maxCount: bytes.count * 3) { end in
            var written = 0
            for b in bytes {
                if isUnreserved(b) {
                    end[written] = b
                    written += 1
                } else {
                    end[written] = UInt8(ascii: "%")
                    end[written + 1] = hex[Int(b >> 4)]
                    end[written + 2] = hex[Int(b & 0x0F)]
                    written += 3
                }
            }
            return written
        }
    }

    static func encode(_ bytes: SecureBuffer) -> SecureBuffer {
        let out = SecureBuffer(capacity: bytes.count * 3 + 1)
        append(bytes.bytes, to: out)
        return out
    }

    /// Decodes %XY sequences; a malformed one is kept as is (like Python's unquote).
    static func decode(_ bytes: [UInt8]) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count)
        var i = 0
        while i < bytes.count {
            if bytes[i] == UInt8(ascii: "%"), i + 2 < bytes.count,
               let hi = hexValue(bytes[i + 1]), let lo = hexValue(bytes[i + 2]) {
                out.append(hi << 4 | lo)
                i += 3
            } else {
                out.append(bytes[i])
                i += 1
            }
        }
        return out
    }

    private static func hexValue(_ b: UInt8) -> UInt8? {
        switch b {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): return b - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): return b - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): return b - UInt8(ascii: "A") + 10
        default: return nil
        }
    }
}

/// SHA-256 through OpenSSL, with the algorithm fetched once per process.
enum Digest {
    static func sha256Hex(_ bytes: UnsafeBufferPointer<UInt8>) -> String {
        var digest = [UInt8](repeating: 0, count: 32)
        let ok = digest.withUnsafeMutableBufferPointer { chss_sha256(bytes.baseAddress, bytes.count, $0.baseAddress) }
        return ok == 1 ? hex(digest) : ""
    }

    static func hex<C: Collection>(_ bytes: C) -> String where C.Element == UInt8 {
        let digits: [UInt8] = Array("0123456789abcdef".utf8)
        var chars: [UInt8] = []
        chars.reserveCapacity(bytes.count * 2)
        for b in bytes {
            chars.append(digits[Int(b >> 4)])
            chars.append(digits[Int(b & 0x0F)])
        }
        return String(decoding: chars, as: UTF8.self)
    }
}

/// An HMAC-SHA256 keyed once (the SK's key schedule is done at client
/// creation); each message works on a copy of the keyed state, so one key
/// may serve many threads. OpenSSL wipes the key material when freed.
final class HMACKey {
    private let keyed: OpaquePointer

    init?(_ key: SecureBuffer) {
        guard let keyed = chss_hmac_sha256_new(key.bytes.baseAddress, key.count) else { return nil }
        self.keyed = keyed
    }

    deinit { chss_hmac_sha256_free(keyed) }

    func hex(_ message: String) -> String {
        var message = message
        var digest = [UInt8](repeating: 0, count: 32)
        let ok = message.withUTF8 { text in
            digest.withUnsafeMutableBufferPointer { chss_hmac_sha256(keyed, text.baseAddress, text.count, $0.baseAddress) }
        }
        return ok == 1 ? Digest.hex(digest) : ""
    }
}
