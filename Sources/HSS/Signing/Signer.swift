import CHSS

/// Huawei Cloud's SDK-HMAC-SHA256 request signing (shared/docs/api.md),
/// byte-compatible with the official signers. Every stage is exposed so
/// the known-answer tests can compare each one.
enum Signer {
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

    /// The canonical URI: decode the path, encode each segment, and end it
    /// with "/" (the request line itself keeps no trailing slash).
    static func canonicalURI(path: String) -> String {
        let decoded = PercentEncoding.decode(Array(path.utf8))
        let out = SecureBuffer(capacity: decoded.count * 3 + 1)
        var segment: [UInt8] = []
        for byte in decoded {
            if byte == UInt8(ascii: "/") {
                PercentEncoding.append(segment[...], to: out)
                out.append(UInt8(ascii: "/"))
                segment.removeAll(keepingCapacity: true)
            } else {
                segment.append(byte)
            }
        }
        PercentEncoding.append(segment[...], to: out)
        if out.bytes.last != UInt8(ascii: "/") { out.append(UInt8(ascii: "/")) }
        return out.string()
    }

    /// `name=value` pairs, encoded, sorted by name then value (raw bytes,
    /// i.e. code point order), joined by "&". This exact string is also the
    /// query that is sent.
    static func canonicalQuery(_ parameters: [(name: SecureBuffer, value: SecureBuffer)]) -> SecureBuffer {
        let sorted = parameters.sorted { lhs, rhs in
            let byName = compareBytes(lhs.name, rhs.name)
            return byName != 0 ? byName < 0 : compareBytes(lhs.value, rhs.value) < 0
        }
        let out = SecureBuffer(capacity: 256)
        for (index, parameter) in sorted.enumerated() {
            if index > 0 { out.append(UInt8(ascii: "&")) }
            PercentEncoding.append(parameter.name.bytes[...], to: out)
            out.append(UInt8(ascii: "="))
            PercentEncoding.append(parameter.value.bytes[...], to: out)
        }
        return out
    }

    static func canonicalRequest(method: String, path: String, query: SecureBuffer,
                                        headers: [Header], bodyHash: String = emptyBodyHash)
        -> (request: SecureBuffer, signedHeaders: String)
    {
        // Every header is signed except those whose name contains "_";
        // names lower-cased and sorted, values trimmed.
        let signed = headers.compactMap { header -> (name: String, value: SecureBuffer)? in
            let name = header.name.lowercased()
            return name.contains("_") ? nil : (name, header.value)
        }.sorted { $0.name < $1.name }
        let out = SecureBuffer(capacity: 512 + query.count)
        out.append(method.uppercased())
        out.append(UInt8(ascii: "\n"))
        out.append(canonicalURI(path: path))
        out.append(UInt8(ascii: "\n"))
        out.append(query)
        out.append(UInt8(ascii: "\n"))
        for header in signed {
            out.append(header.name)
            out.append(UInt8(ascii: ":"))
            out.append(trimmed(header.value.bytes))
            out.append(UInt8(ascii: "\n"))
        }
        out.append(UInt8(ascii: "\n"))
        let signedHeaders = signed.map(\.name).joined(separator: ";")
        out.append(signedHeaders)
        out.append(UInt8(ascii: "\n"))
        out.append(bodyHash)
        return (out, signedHeaders)
    }

    static func stringToSign(date: String, canonicalRequest: SecureBuffer) -> String {
        "\(algorithm)\n\(date)\n\(Digest.sha256Hex(canonicalRequest.bytes))"
    }

    static func signature(secretKey: SecureBuffer, stringToSign: String) -> String {
        Digest.hmacSHA256Hex(key: secretKey.bytes, message: stringToSign)
    }

    static func authorization(accessKey: String, signedHeaders: String, signature: String) -> String {
        "\(algorithm) Access=\(accessKey), SignedHeaders=\(signedHeaders), Signature=\(signature)"
    }

    /// All stages at once, for a request whose headers already include Host
    /// and X-Sdk-Date.
    static func sign(method: String, path: String, query: SecureBuffer, headers: [Header],
                            date: String, accessKey: String, secretKey: SecureBuffer) -> String
    {
        let canonical = canonicalRequest(method: method, path: path, query: query, headers: headers)
        let toSign = stringToSign(date: date, canonicalRequest: canonical.request)
        return authorization(accessKey: accessKey, signedHeaders: canonical.signedHeaders,
                             signature: signature(secretKey: secretKey, stringToSign: toSign))
    }

    /// `YYYYMMDDTHHMMSSZ` in UTC.
    static func sdkDate(_ time: time_t) -> String {
        var t = time
        var parts = tm()
        gmtime_r(&t, &parts)
        func two(_ value: Int32) -> String { value < 10 ? "0\(value)" : "\(value)" }
        return "\(parts.tm_year + 1900)\(two(parts.tm_mon + 1))\(two(parts.tm_mday))T"
            + "\(two(parts.tm_hour))\(two(parts.tm_min))\(two(parts.tm_sec))Z"
    }

    private static func trimmed(_ bytes: UnsafeBufferPointer<UInt8>) -> UnsafeBufferPointer<UInt8> {
        // Python's str.strip(): ASCII whitespace at both ends.
        func isSpace(_ b: UInt8) -> Bool { b == 0x20 || (0x09...0x0D).contains(b) }
        var start = 0, end = bytes.count
        while start < end, isSpace(bytes[start]) { start += 1 }
        while end > start, isSpace(bytes[end - 1]) { end -= 1 }
        return UnsafeBufferPointer(rebasing: bytes[start..<end])
    }

    private static func compareBytes(_ a: SecureBuffer, _ b: SecureBuffer) -> Int32 {
        let common = min(a.count, b.count)
        if common > 0, let pa = a.bytes.baseAddress, let pb = b.bytes.baseAddress {
            let order = memcmp(pa, pb, common)
            if order != 0 { return order }
        }
        return a.count == b.count ? 0 : (a.count < b.count ? -1 : 1)
    }
}

/// RFC 3986 percent-encoding as the signer needs it: keep A-Z a-z 0-9 - _ . ~,
/// everything else %XY (upper-case hex) over the UTF-8 bytes.
enum PercentEncoding {
    private static let hex: [UInt8] = Array("0123456789ABCDEF".utf8)

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
        for b in bytes {
            if isUnreserved(b) {
                out.append(b)
            } else {
                out.append(UInt8(ascii: "%"))
                out.append(hex[Int(b >> 4)])
                out.append(hex[Int(b & 0x0F)])
            }
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

/// SHA-256 and HMAC-SHA256 through OpenSSL's one-shot functions.
enum Digest {
    static func sha256Hex(_ bytes: UnsafeBufferPointer<UInt8>) -> String {
        var digest = [UInt8](repeating: 0, count: Int(SHA256_DIGEST_LENGTH))
        _ = digest.withUnsafeMutableBufferPointer { out in
            SHA256(bytes.baseAddress ?? emptyInput, bytes.count, out.baseAddress)
        }
        return hexString(digest)
    }

    static func hmacSHA256Hex(key: UnsafeBufferPointer<UInt8>, message: String) -> String {
        var digest = [UInt8](repeating: 0, count: Int(EVP_MAX_MD_SIZE))
        var length: UInt32 = 0
        var message = message
        message.withUTF8 { text in
            digest.withUnsafeMutableBufferPointer { out in
                _ = HMAC(EVP_sha256(), key.baseAddress ?? emptyInput, Int32(key.count),
                         text.baseAddress ?? emptyInput, text.count, out.baseAddress, &length)
            }
        }
        return hexString(digest.prefix(Int(length)))
    }

    private static var emptyInput: UnsafePointer<UInt8> {
        UnsafePointer(StaticString("").utf8Start)
    }

    private static func hexString<C: Collection>(_ bytes: C) -> String where C.Element == UInt8 {
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
