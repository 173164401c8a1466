import CCryptoShims
import CCryptoTestShims
import CHSSAPI
import HSSBase
import HSSSigning

// Request signing with each algorithm (SDK-HMAC-SHA256, SDK-HMAC-SM3,
// SDK-ECDSA-P256-SHA256, SDK-SM2-SM3, V11-HMAC-SHA256) and keys the checks of
// hss_client_new let through: the key preparation (EC keys derived from AK and
// SK, V11's daily HKDF key) and the Authorization value. Properties: a signer
// is made for every valid AK/SK; the Authorization value is
// "<algorithm> Access=<ak>" (V11: "Credential=<ak>/<day>/<region>/<service>"),
// the signed headers and a lower-case hex signature; HMAC signatures are the
// same every time, EC ones verify with the key pair derived from AK and SK.
//
// Input: a byte (the algorithm), 4 bytes (the signing time), then NUL-ended
// fields: AK, SK, region, service, path, a query value, a security token.

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzSigning(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    var input = FuzzInput(data, size)
    let algorithm = SigningAlgorithm.allCases[Int(input.byte()) % SigningAlgorithm.allCases.count]
    let date = Signer.sdkDate(time_t(UInt32(truncatingIfNeeded: input.int32())))
    let ak = input.field()
    let sk = input.field().secure
    let region = String(decoding: input.field(), as: UTF8.self)
    let service = String(decoding: input.field(), as: UTF8.self)
    let path = String(decoding: input.field(), as: UTF8.self)
    let value = input.field().secure
    let token = input.field().secure
    // What hss_client_new accepts (Credentials.signed, ClientConfiguration).
    guard (try? Validation.checkHeaderValue(ak.secure, field: "ak", maxBytes: 256)) != nil,
        !ak.contains(UInt8(ascii: ",")), !sk.isEmpty, sk.count <= 1024,
        region.utf8.count <= 64,
        region.utf8.allSatisfy({ PercentEncoding.isUnreserved($0) && $0 != 0x2E && $0 != 0x7E }),
        service.utf8.count <= 64, service.utf8.allSatisfy({ PercentEncoding.isUnreserved($0) && $0 != 0x7E })
    else { return 0 }
    let accessKey = String(decoding: ak, as: UTF8.self)
    let derivation = algorithm == .v11HMACSHA256 ? KeyDerivation(region: region, service: service) : nil
    let signer = try? Signer(accessKey: accessKey, secretKey: sk, algorithm: algorithm, derivation: derivation)
    if algorithm == .v11HMACSHA256 && (region.isEmpty || service.isEmpty) { return 0 }
    guard let signer else {
        require(false, "no \(algorithm.rawValue) signer for AK \(accessKey) and SK \(show(sk.array))")
        return 0
    }

    var headers = [Header("Host", "hss.example.com"), Header("X-Sdk-Date", date)]
    if !token.isEmpty { headers.append(Header(name: "X-Security-Token", value: token)) }
    let canonical = CanonicalHeaders(headers)
    let query = Signer.canonicalQuery([("name", value)])
    let uri = Signer.canonicalURI(path: path)
    let authorization = signer.authorization(
        method: "GET", canonicalURI: uri, query: query, headers: canonical, date: date)
    var prefix = algorithm.rawValue + " Access=" + accessKey
    if algorithm == .v11HMACSHA256 {
        prefix = "V11-HMAC-SHA256 Credential=\(accessKey)/\(date.prefix(8))/\(region)/\(service)"
    }
    let signedHeaders = canonical.sorted.map(\.name).joined(separator: ";")
    prefix += ", SignedHeaders=" + signedHeaders + ", Signature="
    require(authorization.hasPrefix(prefix), "Authorization \(authorization) does not start with \(prefix)")
    let signature = Array(authorization.utf8.dropFirst(prefix.utf8.count))
    require(signature.allSatisfy { (0x30...0x39).contains($0) || (0x61...0x66).contains($0) }, "a signature not in hex")

    switch algorithm {
    case .ecdsaP256SHA256, .sm2SM3:
        require(
            (16...144).contains(signature.count) && signature.count % 2 == 0, "an EC signature of \(signature.count)")
        let der = stride(from: 0, to: signature.count, by: 2).map {
            UInt8(hex(signature[$0]) << 4 | hex(signature[$0 + 1]))
        }
        let toSign = signer.stringToSign(
            date: date,
            canonicalRequest: signer.canonicalRequest(
                method: "GET", canonicalURI: uri, query: query, headers: canonical
            ).request)
        let key = withExtendedLifetime(sk) {
            ak.withUnsafeBufferPointer {
                chss_ec_key_derive(
                    algorithm == .sm2SM3 ? 1 : 0, $0.baseAddress, $0.count, sk.bytes.baseAddress, sk.count)
            }
        }
        defer { chss_ec_key_free(key) }
        var publicKey = [UInt8](repeating: 0, count: 65)
        chss_ec_public_key(key, &publicKey)
        let verified = withExtendedLifetime(toSign) {
            chss_test_ec_verify(
                algorithm == .sm2SM3 ? 1 : 0, publicKey, toSign.bytes.baseAddress, toSign.count, der, der.count)
        }
        require(verified == 1, "an \(algorithm.rawValue) signature does not verify")
    default:
        require(signature.count == 64, "an HMAC signature of \(signature.count) hex digits")
        let again = try? Signer(accessKey: accessKey, secretKey: sk, algorithm: algorithm, derivation: derivation)
        let second = again?.authorization(
            method: "GET", canonicalURI: uri, query: query, headers: canonical, date: date)
        require(second == authorization, "\(algorithm.rawValue) signs the same request differently")
    }
    return 0
}

private func hex(_ digit: UInt8) -> UInt8 { digit <= 0x39 ? digit - 0x30 : digit - 0x61 + 10 }
