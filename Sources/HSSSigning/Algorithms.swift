import CCryptoShims
import CHSSAPI
import HSSBase
import Synchronization

/// The official SDKs' request-signing algorithms (signers.md §1, §3). The
/// raw value is the scheme name that starts the string to sign and the
/// Authorization value.
package enum SigningAlgorithm: String, CaseIterable, Sendable {
    case hmacSHA256 = "SDK-HMAC-SHA256"
    case hmacSM3 = "SDK-HMAC-SM3"
    case ecdsaP256SHA256 = "SDK-ECDSA-P256-SHA256"
    case sm2SM3 = "SDK-SM2-SM3"
    case v11HMACSHA256 = "V11-HMAC-SHA256"

    /// The raw value, appended without making a String.
    package var name: StaticString {
        switch self {
        case .hmacSHA256: "SDK-HMAC-SHA256"
        case .hmacSM3: "SDK-HMAC-SM3"
        case .ecdsaP256SHA256: "SDK-ECDSA-P256-SHA256"
        case .sm2SM3: "SDK-SM2-SM3"
        case .v11HMACSHA256: "V11-HMAC-SHA256"
        }
    }

    /// SM3 replaces SHA-256 for the body and the canonical request.
    package var usesSM3: Bool { self == .hmacSM3 || self == .sm2SM3 }

    /// The header the signer sets to UNSIGNED-PAYLOAD for a body it does not hash.
    package var unsignedPayloadHeader: String { usesSM3 ? "X-Sdk-Content-Sm3" : "X-Sdk-Content-Sha256" }

    /// The hex hash of an empty body.
    package var emptyBodyHash: String { usesSM3 ? Signer.emptyBodySM3Hash : Signer.emptyBodyHash }

    /// The last line of the canonical request for a body, and the header the
    /// SDK adds for it (signers.md §2 steps 3 and 11): only a body without
    /// Content-Type or with a JSON or BSON one is hashed; any other
    /// Content-Type is signed as UNSIGNED-PAYLOAD, with the header set even
    /// when the body is empty.
    package func payload(body: [UInt8], contentType: String?) -> (hash: String, header: Header?) {
        var header: Header?
        if let contentType, !contentType.hasPrefix("application/json"), !contentType.hasPrefix("application/bson") {
            header = Header(unsignedPayloadHeader, "UNSIGNED-PAYLOAD")
        }
        if body.isEmpty { return (emptyBodyHash, header) }
        if header != nil { return ("UNSIGNED-PAYLOAD", header) }
        let out = SecureBuffer(capacity: 64)
        body.withUnsafeBufferPointer { appendHashHex(of: $0, to: out) }
        return (out.string(), nil)
    }

    /// Appends the lower-case hex hash H (SHA-256 or SM3) of `bytes`.
    package func appendHashHex(of bytes: UnsafeBufferPointer<UInt8>, to out: SecureBuffer) {
        out.append(maxCount: 64) { writeHashHex(of: bytes, to: UnsafeMutableBufferPointer(start: $0, count: 64)) }
    }

    /// Writes the lower-case hex hash H of `bytes` (64 bytes); returns 64, or 0 on failure.
    package func writeHashHex(of bytes: UnsafeBufferPointer<UInt8>, to out: UnsafeMutableBufferPointer<UInt8>) -> Int {
        guard out.count >= 64, let base = out.baseAddress else { return 0 }
        return usesSM3 ? Digest.writeSM3Hex(of: bytes, to: base) : Digest.writeSHA256Hex(of: bytes, to: base)
    }
}

/// What V11-HMAC-SHA256 derives its key from besides AK and SK: the region
/// id ("globe" for global services) and the service name, the official
/// client builder's derived_auth_service_name (signers.md §3.2).
package struct KeyDerivation: Sendable, Equatable {
    package let region: String
    package let service: String

    package init(region: String, service: String) {
        self.region = region
        self.service = service
    }
}

extension Signer {
    /// Hex SM3 of an empty body.
    package static let emptyBodySM3Hash = "1ab21d8355cfa17f8e61194831e81a8f22bec8c728fefb747ed035eb5082aa2b"
}

/// The key material of a Signer, prepared once when it is made.
enum SigningKey {
    case hmac(HMACKey)
    case v11(V11Key)
    case ec(ECKey)

    init(algorithm: SigningAlgorithm, accessKey: String, secretKey: SecureBuffer, derivation: KeyDerivation?) throws {
        let prepared: SigningKey?
        switch algorithm {
        case .hmacSHA256: prepared = HMACKey(secretKey, hash: .sha256).map(SigningKey.hmac)
        case .hmacSM3: prepared = HMACKey(secretKey, hash: .sm3).map(SigningKey.hmac)
        case .ecdsaP256SHA256, .sm2SM3:
            prepared = ECKey(sm2: algorithm == .sm2SM3, accessKey: accessKey, secretKey: secretKey).map(SigningKey.ec)
        case .v11HMACSHA256:
            guard let derivation, !derivation.region.isEmpty, !derivation.service.isEmpty else {
                throw HSSError(HSS_E_INVALID_ARGUMENT, "V11-HMAC-SHA256 needs a region and a service name")
            }
            prepared = V11Key(accessKey: accessKey, secretKey: secretKey, derivation: derivation).map(SigningKey.v11)
        }
        guard let prepared else { throw HSSError(HSS_E_INTERNAL, "OpenSSL could not prepare \(algorithm.rawValue)") }
        self = prepared
    }
}

extension Digest {
    /// Writes the hex SM3 of `bytes` (64 bytes); returns 64, or 0 on failure.
    package static func writeSM3Hex(of bytes: UnsafeBufferPointer<UInt8>, to out: UnsafeMutablePointer<UInt8>) -> Int {
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 32) { digest in
            chss_sm3(bytes.baseAddress, bytes.count, digest.baseAddress) == 1
                ? writeHex(UnsafeBufferPointer(digest), to: out) : 0
        }
    }
}

/// V11-HMAC-SHA256's key: OKM = HKDF-SHA256(salt AK, key SK, info
/// "YYYYMMDD/region/service", 32 bytes), and the HMAC key is the lower-case
/// hex of OKM as ASCII (signers.md §3.2). The info holds the request's day,
/// so the keyed HMAC of the last day used is kept, and derived again (once a
/// day) when a request's X-Sdk-Date has another day.
package final class V11Key {
    let derivation: KeyDerivation
    private let accessKey: String
    private let secretKey: SecureBuffer
    private let current = Mutex<(day: UInt64, key: HMACKey)?>(nil)

    init?(accessKey: String, secretKey: SecureBuffer, derivation: KeyDerivation) {
        self.accessKey = accessKey
        self.secretKey = secretKey
        self.derivation = derivation
        // Derived once now, so that a failure is reported when the signer is made.
        var today = Signer.sdkDate(time(nil))
        guard today.withUTF8({ key(forDay: UnsafeBufferPointer(rebasing: $0.prefix(8))) }) != nil else { return nil }
    }

    /// "YYYYMMDD/region/service" for a day (X-Sdk-Date's first 8 bytes).
    func appendInfo(day: UnsafeBufferPointer<UInt8>, to out: SecureBuffer) {
        out.append(day)
        out.append(UInt8(ascii: "/"))
        out.append(derivation.region)
        out.append(UInt8(ascii: "/"))
        out.append(derivation.service)
    }

    /// The keyed HMAC for a string to sign (its second line is the X-Sdk-Date).
    func key(forStringToSign toSign: UnsafeBufferPointer<UInt8>) -> HMACKey? {
        guard let newline = toSign.firstIndex(of: UInt8(ascii: "\n")), toSign.count >= newline + 9 else { return nil }
        return key(forDay: UnsafeBufferPointer(rebasing: toSign[(newline + 1)..<(newline + 9)]))
    }

    /// The keyed HMAC for a day ("YYYYMMDD").
    private func key(forDay day: UnsafeBufferPointer<UInt8>) -> HMACKey? {
        let packed = day.reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
        return current.withLock { current in
            if let current, current.day == packed { return current.key }
            let info = SecureBuffer(capacity: 64)
            appendInfo(day: day, to: info)
            let hex = SecureBuffer(capacity: 64)
            V11Key.appendDerivedKeyHex(accessKey: accessKey, secretKey: secretKey, info: info, to: hex)
            guard hex.count == 64, let key = HMACKey(hex) else { return nil }
            current = (packed, key)
            return key
        }
    }

    /// Hex of HKDF-SHA256(salt AK, key SK, info), appended to `out` (nothing on failure).
    package static func appendDerivedKeyHex(
        accessKey: String, secretKey: SecureBuffer, info: SecureBuffer, to out: SecureBuffer
    ) {
        var accessKey = accessKey
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 32) { okm in
            let ok = accessKey.withUTF8 { salt in
                chss_hkdf_sha256(
                    salt.baseAddress, salt.count, secretKey.bytes.baseAddress, secretKey.count,
                    info.bytes.baseAddress, info.count, okm.baseAddress)
            }
            if ok == 1 { Digest.appendHex(UnsafeBufferPointer(okm), to: out) }
            okm.baseAddress.map { explicit_bzero($0, 32) }
        }
    }
}

/// An ECDSA P-256 or SM2 key pair derived from AK and SK the SDK's way
/// (signers.md §3.3, §3.4; chss_ec_key_derive), held by OpenSSL with a
/// signing context prepared once. Signatures are random (not RFC 6979) DER.
/// SM2 uses GB/T 32918's Z_A (fixed 32-byte coordinates), which the official
/// Python SDK does not for a public key with a leading zero byte: see
/// chss_ec_key_derive.
package final class ECKey {
    private let key: OpaquePointer
    package let sm2: Bool

    package init?(sm2: Bool, accessKey: String, secretKey: SecureBuffer) {
        var accessKey = accessKey
        let key = accessKey.withUTF8 {
            chss_ec_key_derive(sm2 ? 1 : 0, $0.baseAddress, $0.count, secretKey.bytes.baseAddress, secretKey.count)
        }
        guard let key else { return nil }
        self.key = key
        self.sm2 = sm2
    }

    deinit { chss_ec_key_free(key) }

    /// Writes the hex DER signature of `message` (at most 144 bytes);
    /// returns its length, 0 on failure.
    package func writeSignatureHex(of message: UnsafeBufferPointer<UInt8>, to out: UnsafeMutableBufferPointer<UInt8>)
        -> Int
    {
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 72) { signature in
            var length = 0
            guard chss_ec_sign(key, message.baseAddress, message.count, signature.baseAddress, &length) == 1,
                out.count >= 2 * length, let base = out.baseAddress
            else { return 0 }
            return Digest.writeHex(UnsafeBufferPointer(rebasing: signature.prefix(length)), to: base)
        }
    }

    /// The public key, uncompressed: 04 || x || y.
    package var publicKey: [UInt8] {
        [UInt8](unsafeUninitializedCapacity: 65) { buffer, count in
            chss_ec_public_key(key, buffer.baseAddress)
            count = 65
        }
    }
}
