import CHSSAPI
import HSSBase

/// Huawei Cloud's request signing, byte-compatible with the official
/// signers (Tests/vectors: every stage is compared): SDK-HMAC-SHA256 (the
/// default) and the other algorithms of SigningAlgorithm (Algorithms.swift).
///
/// A Signer is made once per client and holds only the access key and the
/// prepared key (the SK's HMAC key schedule, V11's derived key, or the EC
/// key pair derived from the SK). Everything else of a request comes from a
/// SigningTemplate (prepared once per endpoint and API path) and the call's
/// query and date, written into the call's buffer: a signature allocates
/// nothing. The String-returning functions below are conveniences over the
/// same code, for tests and rare requests.
package final class Signer {
    package static let algorithm: StaticString = "SDK-HMAC-SHA256"
    /// Hex SHA-256 of an empty body (GET).
    package static let emptyBodyHash = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

    package let accessKey: String
    package let algorithm: SigningAlgorithm
    private let key: SigningKey
    /// "<algorithm> Access=<AK>": how every Authorization but V11's begins, written once.
    private let accessHead: SecureBuffer

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
        accessHead = SecureBuffer(capacity: 32 + accessKey.utf8.count)
        accessHead.append(algorithm.name)
        accessHead.append(" Access=" as StaticString)
        accessHead.append(accessKey)
    }

    /// A template for this signer's algorithm (its empty-body hash unless
    /// `bodyHash` is given).
    package func template(
        method: String, canonicalURI: String, headers: CanonicalHeaders, bodyHash: String? = nil
    ) -> SigningTemplate {
        SigningTemplate(
            method: method, canonicalURI: canonicalURI, headers: headers,
            bodyHash: bodyHash ?? algorithm.emptyBodyHash)
    }

    /// Appends the Authorization value for the request `template` describes
    /// with `query` and `date` (X-Sdk-Date's 16 bytes) to `out`. The
    /// canonical request and the string to sign are written to `out` first
    /// and removed again (wiped): `out` is the call's buffer, so nothing is
    /// allocated.
    package func appendAuthorization(
        to out: SecureBuffer, template: SigningTemplate, query: UnsafeBufferPointer<UInt8>,
        date: UnsafeBufferPointer<UInt8>
    ) {
        appendAuthorization(to: out, template: template, query: query, canonicalDate: date, date: date)
    }

    /// The same, with the canonical request's X-Sdk-Date given apart (the
    /// conveniences below take them from two places, as the vectors do).
    private func appendAuthorization(
        to out: SecureBuffer, template: SigningTemplate, query: UnsafeBufferPointer<UInt8>,
        canonicalDate: UnsafeBufferPointer<UInt8>, date: UnsafeBufferPointer<UInt8>
    ) {
        let start = out.count
        let head = algorithm.usesSM3 ? nil : template.headHash
        template.appendCanonicalRequest(to: out, query: query, date: canonicalDate, withHead: head == nil)
        let canonicalEnd = out.count
        appendStringToSign(to: out, date: date, canonicalRequest: start..<canonicalEnd, after: head)
        let toSign = canonicalEnd..<out.count
        // The signature, computed from the scratch, then written where the scratch began.
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 160) { signature in
            let signatureLength = appendSignatureHex(of: out.bytes, range: toSign, to: signature)
            out.truncate(to: start)  // wipes the canonical request and the string to sign
            let signature = UnsafeBufferPointer(rebasing: signature[..<signatureLength])
            guard case .v11(let v11) = key else {
                Signer.append(accessHead.bytes, template.signedHeadersField.bytes, signature, to: out)
                return
            }
            out.append(algorithm.name)
            out.append(" Credential=" as StaticString)
            out.append(accessKey)
            out.append(UInt8(ascii: "/"))
            v11.appendInfo(day: UnsafeBufferPointer(rebasing: date.prefix(8)), to: out)
            out.append(template.signedHeadersField)
            out.append(signature)
        }
    }

    /// Appends `a`, `b` and `c` to `out` in one append (one capacity check, one NUL).
    private static func append(
        _ a: UnsafeBufferPointer<UInt8>, _ b: UnsafeBufferPointer<UInt8>, _ c: UnsafeBufferPointer<UInt8>,
        to out: SecureBuffer
    ) {
        out.append(maxCount: a.count + b.count + c.count) { to in
            var at = to
            put(a, at: &at)
            put(b, at: &at)
            put(c, at: &at)
            return at - to
        }
    }

    @inline(__always)
    private static func put(_ part: UnsafeBufferPointer<UInt8>, at: inout UnsafeMutablePointer<UInt8>) {
        if let base = part.baseAddress { at.update(from: base, count: part.count) }
        at += part.count
    }

    /// The string to sign: the algorithm, the date, (V11 only) its
    /// "YYYYMMDD/region/service", and the hex hash of the canonical request
    /// (`head` then out[canonicalRequest], or out[canonicalRequest] alone),
    /// one per line, appended to `out`.
    private func appendStringToSign(
        to out: SecureBuffer, date: UnsafeBufferPointer<UInt8>, canonicalRequest: Range<Int>, after head: SHA256Prefix?
    ) {
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 64) { hex in
            let rest = UnsafeBufferPointer(rebasing: out.bytes[canonicalRequest])
            let length =
                head.map { $0.writeHex(continuingWith: rest, to: hex.baseAddress!) }
                ?? algorithm.writeHashHex(of: rest, to: hex)
            let hash = UnsafeBufferPointer(rebasing: hex[..<length])
            let name = algorithm.name
            guard case .v11(let v11) = key else {
                // "<name>\n<date>\n<hash>" in one append.
                out.append(maxCount: name.utf8CodeUnitCount + date.count + hash.count + 2) { to in
                    var at = to
                    Signer.put(UnsafeBufferPointer(start: name.utf8Start, count: name.utf8CodeUnitCount), at: &at)
                    at.pointee = UInt8(ascii: "\n")
                    at += 1
                    Signer.put(date, at: &at)
                    at.pointee = UInt8(ascii: "\n")
                    at += 1
                    Signer.put(hash, at: &at)
                    return at - to
                }
                return
            }
            out.append(name)
            out.append(UInt8(ascii: "\n"))
            out.append(date)
            out.append(UInt8(ascii: "\n"))
            v11.appendInfo(day: UnsafeBufferPointer(rebasing: date.prefix(8)), to: out)
            out.append(UInt8(ascii: "\n"))
            out.append(hash)
        }
    }

    /// Writes the hex signature of bytes[range] to `out` (room for 144);
    /// returns its length (0 on failure).
    private func appendSignatureHex(
        of bytes: UnsafeBufferPointer<UInt8>, range: Range<Int>, to out: UnsafeMutableBufferPointer<UInt8>
    ) -> Int {
        let toSign = UnsafeBufferPointer(rebasing: bytes[range])
        switch key {
        case .hmac(let key): return key.writeHex(of: toSign, to: out)
        case .v11(let v11): return v11.key(forStringToSign: toSign)?.writeHex(of: toSign, to: out) ?? 0
        case .ec(let key): return key.writeSignatureHex(of: toSign, to: out)
        }
    }

    // MARK: Conveniences (tests, vectors, rare requests)

    /// The Authorization header value for one request; `headers` include
    /// X-Sdk-Date when it is signed.
    package func authorization(
        method: String, canonicalURI: String, query: SecureBuffer,
        headers: CanonicalHeaders, date: String, bodyHash: String? = nil
    ) -> String {
        let out = SecureBuffer(capacity: 512)
        let (template, dateBytes) = Signer.split(
            method: method, canonicalURI: canonicalURI, headers: headers, bodyHash: bodyHash ?? algorithm.emptyBodyHash)
        var date = date
        date.withUTF8 { given in
            withExtendedLifetime(headers) {
                appendAuthorization(
                    to: out, template: template, query: query.bytes, canonicalDate: dateBytes ?? given, date: given)
            }
        }
        return out.string()
    }

    package func signature(stringToSign: SecureBuffer) -> String {
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 160) { signature in
            let length = appendSignatureHex(of: stringToSign.bytes, range: 0..<stringToSign.count, to: signature)
            return String(decoding: UnsafeBufferPointer(rebasing: signature[..<length]), as: UTF8.self)
        }
    }

    /// This signer's canonical request: the algorithm's empty-body hash
    /// when `bodyHash` is nil.
    package func canonicalRequest(
        method: String, canonicalURI: String, query: SecureBuffer, headers: CanonicalHeaders,
        bodyHash: String? = nil
    ) -> (request: SecureBuffer, signedHeaders: String) {
        Signer.canonicalRequest(
            method: method, canonicalURI: canonicalURI, query: query, headers: headers,
            bodyHash: bodyHash ?? algorithm.emptyBodyHash)
    }

    /// This signer's string to sign for a canonical request.
    package func stringToSign(date: String, canonicalRequest: SecureBuffer) -> SecureBuffer {
        let out = SecureBuffer(capacity: canonicalRequest.count + 160)
        out.append(canonicalRequest)
        var date = date
        date.withUTF8 {
            appendStringToSign(to: out, date: $0, canonicalRequest: 0..<canonicalRequest.count, after: nil)
        }
        let result = SecureBuffer(capacity: out.count - canonicalRequest.count)
        result.append(UnsafeBufferPointer(rebasing: out.bytes[canonicalRequest.count...]))
        return result
    }

    /// METHOD, URI, query, one `name:value` line per signed header in name
    /// order, a blank line, the signed header names, the body hash.
    package static func canonicalRequest(
        method: String, canonicalURI: String, query: SecureBuffer,
        headers: CanonicalHeaders, bodyHash: String = emptyBodyHash
    ) -> (request: SecureBuffer, signedHeaders: String) {
        let out = SecureBuffer(capacity: 512 + query.count)
        let (template, date) = split(method: method, canonicalURI: canonicalURI, headers: headers, bodyHash: bodyHash)
        withExtendedLifetime(headers) {
            template.appendCanonicalRequest(
                to: out, query: query.bytes, date: date ?? UnsafeBufferPointer(start: nil, count: 0))
        }
        return (out, template.signedHeaders)
    }

    /// SDK-HMAC-SHA256's string to sign.
    package static func stringToSign(date: String, canonicalRequest: SecureBuffer) -> SecureBuffer {
        let out = SecureBuffer(capacity: 96)
        out.append(algorithm)
        out.append(UInt8(ascii: "\n"))
        out.append(date)
        out.append(UInt8(ascii: "\n"))
        Digest.appendSHA256Hex(of: canonicalRequest.bytes, to: out)
        return out
    }

    /// A template for `headers` without their x-sdk-date line, and that
    /// line's value (borrowed from `headers`) if they have one.
    private static func split(
        method: String, canonicalURI: String, headers: CanonicalHeaders, bodyHash: String
    ) -> (SigningTemplate, UnsafeBufferPointer<UInt8>?) {
        var others = headers
        let date = others.removeDate()
        return (
            SigningTemplate(
                method: method, canonicalURI: canonicalURI, headers: others, signsDate: date != nil, bodyHash: bodyHash),
            date?.bytes
        )
    }
}
