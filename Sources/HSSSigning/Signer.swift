import CHSSAPI
import HSSBase

/// Huawei Cloud's request signing, byte-compatible with the official
/// signers (Tests/vectors: every stage is compared): SDK-HMAC-SHA256 (the
/// default) and the other algorithms of SigningAlgorithm (Algorithms.swift).
///
/// A Signer is made once per client and holds only the access key and the
/// prepared key (the SK's HMAC key schedule, V11's derived key, or the EC
/// key pair derived from the SK). Method, path, query and headers are per
/// request, so one signer serves every call of a client. The static
/// canonicalRequest and stringToSign are SDK-HMAC-SHA256's; a signer's own
/// are those of its algorithm.
package struct Signer {
    package static let algorithm: StaticString = "SDK-HMAC-SHA256"
    /// Hex SHA-256 of an empty body (GET).
    package static let emptyBodyHash = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

    package let accessKey: String
    package let algorithm: SigningAlgorithm
    private let key: SigningKey

    /// `derivation` is V11-HMAC-SHA256's region and service (required for it,
    /// ignored otherwise).
    package init(
        accessKey: String, secretKey: SecureBuffer, algorithm: SigningAlgorithm = .hmacSHA256,
        derivation: KeyDerivation? = nil
    ) throws {
        self.key = try SigningKey(
            algorithm: algorithm, accessKey: accessKey, secretKey: secretKey, derivation: derivation)
        self.accessKey = accessKey
        self.algorithm = algorithm
    }

    /// The Authorization header value for one request.
    package func authorization(
        method: String, canonicalURI: String, query: SecureBuffer,
        headers: CanonicalHeaders, date: String, bodyHash: String? = nil
    ) -> String {
        let out = SecureBuffer(capacity: 160)
        appendAuthorization(
            to: out, method: method, canonicalURI: canonicalURI, query: query, headers: headers, date: date,
            bodyHash: bodyHash)
        return out.string()
    }

    /// Appends the Authorization value to `out` (a header line being built),
    /// without an intermediate String. `bodyHash` is the last line of the
    /// canonical request (SigningAlgorithm.payload); nil is an empty body.
    package func appendAuthorization(
        to out: SecureBuffer, method: String, canonicalURI: String, query: SecureBuffer,
        headers: CanonicalHeaders, date: String, bodyHash: String? = nil
    ) {
        let canonical = canonicalRequest(
            method: method, canonicalURI: canonicalURI, query: query, headers: headers, bodyHash: bodyHash)
        let toSign = stringToSign(date: date, canonicalRequest: canonical.request)
        out.append(algorithm.name)
        if case .v11(let v11) = key {
            out.append(" Credential=")
            out.append(accessKey)
            out.append(UInt8(ascii: "/"))
            v11.appendInfo(date: date, to: out)
        } else {
            out.append(" Access=")
            out.append(accessKey)
        }
        out.append(", SignedHeaders=")
        out.append(canonical.signedHeaders)
        out.append(", Signature=")
        appendSignature(of: toSign, to: out)
    }

    package func signature(stringToSign: SecureBuffer) -> String {
        let out = SecureBuffer(capacity: 144)
        appendSignature(of: stringToSign, to: out)
        return out.string()
    }

    private func appendSignature(of toSign: SecureBuffer, to out: SecureBuffer) {
        switch key {
        case .hmac(let key): key.appendHex(of: toSign.bytes, to: out)
        case .v11(let v11): v11.key(forStringToSign: toSign.bytes)?.appendHex(of: toSign.bytes, to: out)
        case .ec(let key): key.appendSignatureHex(of: toSign.bytes, to: out)
        }
    }

    /// This signer's canonical request: the static one, with the empty
    /// body's hash of its algorithm when `bodyHash` is nil.
    package func canonicalRequest(
        method: String, canonicalURI: String, query: SecureBuffer, headers: CanonicalHeaders,
        bodyHash: String? = nil
    ) -> (request: SecureBuffer, signedHeaders: String) {
        Signer.canonicalRequest(
            method: method, canonicalURI: canonicalURI, query: query, headers: headers,
            bodyHash: bodyHash ?? algorithm.emptyBodyHash)
    }

    /// This signer's string to sign: the algorithm, the date, (V11 only) its
    /// "YYYYMMDD/region/service", and the hex hash of the canonical request.
    package func stringToSign(date: String, canonicalRequest: SecureBuffer) -> SecureBuffer {
        let out = SecureBuffer(capacity: 160)
        out.append(algorithm.name)
        out.append(UInt8(ascii: "\n"))
        out.append(date)
        out.append(UInt8(ascii: "\n"))
        if case .v11(let v11) = key {
            v11.appendInfo(date: date, to: out)
            out.append(UInt8(ascii: "\n"))
        }
        algorithm.appendHashHex(of: canonicalRequest.bytes, to: out)
        return out
    }

    /// METHOD, URI, query, one `name:value` line per signed header in name
    /// order, a blank line, the signed header names, the body hash.
    package static func canonicalRequest(
        method: String, canonicalURI: String, query: SecureBuffer,
        headers: CanonicalHeaders, bodyHash: String = emptyBodyHash
    )
        -> (request: SecureBuffer, signedHeaders: String)
    {
        let out = SecureBuffer(capacity: 512 + query.count)
        out.append(method)
        out.append(UInt8(ascii: "\n"))
        out.append(canonicalURI)
        out.append(UInt8(ascii: "\n"))
        out.append(query)
        out.append(UInt8(ascii: "\n"))
        for header in headers.sorted {
            out.append(header.name)
            out.append(UInt8(ascii: ":"))
            out.append(header.value)
            out.append(UInt8(ascii: "\n"))
        }
        out.append(UInt8(ascii: "\n"))
        var signedHeaders = ""
        signedHeaders.reserveCapacity(headers.sorted.count * 16)
        for (index, header) in headers.sorted.enumerated() {
            if index > 0 { signedHeaders.append(";") }
            signedHeaders.append(header.name)
        }
        out.append(signedHeaders)
        out.append(UInt8(ascii: "\n"))
        out.append(bodyHash)
        return (out, signedHeaders)
    }

    /// The algorithm, the date and the hex SHA-256 of the canonical request,
    /// one per line.
    package static func stringToSign(date: String, canonicalRequest: SecureBuffer) -> SecureBuffer {
        let out = SecureBuffer(capacity: 96)
        out.append(algorithm)
        out.append(UInt8(ascii: "\n"))
        out.append(date)
        out.append(UInt8(ascii: "\n"))
        Digest.appendSHA256Hex(of: canonicalRequest.bytes, to: out)
        return out
    }

    /// The canonical URI: decode the path, encode each segment, and end it
    /// with "/" (the request line itself keeps no trailing slash).
    package static func canonicalURI(path: String) -> String {
        // A path of unreserved bytes and "/" (every path libhss builds) is
        // its own canonical form.
        var path = path
        let plain = path.withUTF8 { $0.allSatisfy { PercentEncoding.isUnreserved($0) || $0 == UInt8(ascii: "/") } }
        if plain {
            return path.utf8.last == UInt8(ascii: "/") ? path : path + "/"
        }
        let decoded = PercentEncoding.decode(Array(path.utf8))
        let out = SecureBuffer(capacity: decoded.count * 3 + 1)
        for (index, segment) in decoded.split(separator: UInt8(ascii: "/"), omittingEmptySubsequences: false)
            .enumerated()
        {
            if index > 0 { out.append(UInt8(ascii: "/")) }
            Array(segment).withUnsafeBufferPointer { PercentEncoding.append($0, to: out) }
        }
        if out.bytes.last != UInt8(ascii: "/") { out.append(UInt8(ascii: "/")) }
        return out.string()
    }

    /// `name=value` pairs, encoded, sorted by name then value (raw bytes,
    /// i.e. code point order), joined by "&". This exact string is also the
    /// query that is sent. Names are never secret; values may be.
    package static func canonicalQuery(_ parameters: [(name: String, value: SecureBuffer)]) -> SecureBuffer {
        let sorted = parameters.sorted { lhs, rhs in
            lhs.name != rhs.name
                ? lhs.name.utf8.lexicographicallyPrecedes(rhs.name.utf8)
                : lhs.value.bytes.lexicographicallyPrecedes(rhs.value.bytes)
        }
        let out = SecureBuffer(capacity: 256)
        for (index, parameter) in sorted.enumerated() {
            if index > 0 { out.append(UInt8(ascii: "&")) }
            PercentEncoding.append(parameter.name, to: out)
            out.append(UInt8(ascii: "="))
            PercentEncoding.append(parameter.value.bytes, to: out)
        }
        return out
    }

    /// The times X-Sdk-Date can show: years 1970 to 9999.
    private static let sdkDateRange = 0...253_402_300_799

    /// `YYYYMMDDTHHMMSSZ` in UTC. Total: a time outside years 1970-9999 (a
    /// hostile Date header, a corrupt clock) is clamped into them, so the
    /// fixed-width digits never see a negative or five-digit year.
    package static func sdkDate(_ time: time_t) -> String {
        var t = min(max(time, sdkDateRange.lowerBound), sdkDateRange.upperBound)
        var parts = tm()
        guard gmtime_r(&t, &parts) != nil else { return "19700101T000000Z" }
        return withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 16) { text in
            var at = 0
            func put(_ value: Int32, digits: Int) {
                var value = Int(value)
                for i in stride(from: at + digits - 1, through: at, by: -1) {
                    text[i] = UInt8(ascii: "0") + UInt8(value % 10)
                    value /= 10
                }
                at += digits
            }
            put(parts.tm_year + 1900, digits: 4)
            put(parts.tm_mon + 1, digits: 2)
            put(parts.tm_mday, digits: 2)
            text[at] = UInt8(ascii: "T")
            at += 1
            put(parts.tm_hour, digits: 2)
            put(parts.tm_min, digits: 2)
            put(parts.tm_sec, digits: 2)
            text[at] = UInt8(ascii: "Z")
            return String(decoding: UnsafeBufferPointer(text), as: UTF8.self)
        }
    }
}

/// One header to send and sign. The value is a SecureBuffer because
/// X-Security-Token and X-Auth-Token are secrets.
package struct Header {
    package let name: String
    package let value: SecureBuffer

    package init(name: String, value: SecureBuffer) {
        self.name = name
        self.value = value
    }

    package init(_ name: String, _ value: String) {
        self.init(name: name, value: SecureBuffer(value))
    }
}

/// Headers as they are signed: all but those whose name contains "_",
/// names lower-cased, values trimmed, sorted by name. A client prepares its
/// fixed headers once and each request merges in its own.
package struct CanonicalHeaders {
    package struct Line {
        package let name: String
        package let value: SecureBuffer
    }

    package private(set) var sorted: [Line]

    package init(_ headers: [Header]) {
        sorted = headers.compactMap { header -> Line? in
            let name = header.name.lowercased()
            guard !name.utf8.contains(UInt8(ascii: "_")) else { return nil }
            let value = SecureBuffer(capacity: header.value.count)
            value.append(CanonicalHeaders.trimmed(header.value.bytes))
            return Line(name: name, value: value)
        }.sorted { $0.name.utf8.lexicographicallyPrecedes($1.name.utf8) }
    }

    /// These headers with `extra` merged in, in name order.
    package func merging(_ extra: [Header]) -> CanonicalHeaders {
        var merged = self
        for line in CanonicalHeaders(extra).sorted {
            let at = merged.sorted.firstIndex { line.name.utf8.lexicographicallyPrecedes($0.name.utf8) }
            merged.sorted.insert(line, at: at ?? merged.sorted.count)
        }
        return merged
    }

    private static func trimmed(_ bytes: UnsafeBufferPointer<UInt8>) -> UnsafeBufferPointer<UInt8> {
        // Python's str.strip() on the ASCII whitespace a header value may hold.
        func isSpace(_ b: UInt8) -> Bool { b == 0x20 || (0x09...0x0D).contains(b) }
        var start = 0
        var end = bytes.count
        while start < end, isSpace(bytes[start]) { start += 1 }
        while end > start, isSpace(bytes[end - 1]) { end -= 1 }
        return UnsafeBufferPointer(rebasing: bytes[start..<end])
    }
}
