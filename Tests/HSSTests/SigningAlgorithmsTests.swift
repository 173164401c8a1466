import CCryptoShims
import CHSSAPI
import Dispatch
import FoundationEssentials
import HSSBase
import HSSSigning
import Synchronization
import XCTest

/// Every signing algorithm against the official SDK's recordings
/// (Tests/vectors/algorithms, from ../shared/docs/official-sdk/vectors;
/// signers.md explains them): the deterministic ones (SDK-HMAC-SHA256,
/// SDK-HMAC-SM3, V11-HMAC-SHA256) byte for byte at every stage; ECDSA-P256
/// and SM2, whose signatures are random, by verification both ways.
final class SigningAlgorithmsTests: XCTestCase {
    struct Vector: Decodable {
        struct Inputs: Decodable {
            let ak: String
            let sk: String
            let method: String
            let host: String
            let resource_path: String
            let query_params: [[QueryItem]]
            let headers_in: [String: String]
            let body_hex: String?
            let derived_auth_service_name: String?
            let region_id: String?
        }

        let id: String
        let inputs: Inputs
        let canonical_request: String
        let string_to_sign: String
        let authorization: String
        let wire_uri: String
        let headers_out: [String: String]
        let derived_key_hex: String?
    }

    /// A query name or value as given to the SDK: a string, an integer or a
    /// boolean (Python's str(), with booleans lower-cased).
    struct QueryItem: Decodable {
        let text: String

        init(from decoder: Decoder) throws {
            let value = try decoder.singleValueContainer()
            if let string = try? value.decode(String.self) {
                text = string
            } else if let int = try? value.decode(Int.self) {
                text = String(int)
            } else {
                text = try value.decode(Bool.self) ? "true" : "false"
            }
        }
    }

    struct ECCase: Decodable {
        struct Signature: Decodable { let authorization: String }
        let algorithm: String
        let ak: String
        let sk: String
        let public_key_uncompressed_hex: String
        let public_key_pem_file: String
        let signatures: [Signature]
        let string_to_sign: String
        let canonical_request: String
        let ZA_hex_as_sdk_computes: String?
        let ZA_hex_standard_fixed_32_byte_fields: String?
    }

    static let directory =
        "/" + #filePath.split(separator: "/").dropLast(2).joined(separator: "/") + "/vectors/algorithms/"

    static func load<T: Decodable>(_ type: T.Type, _ file: String) throws -> T {
        try JSONDecoder().decode(T.self, from: Data(contentsOf: URL(filePath: directory + file)))
    }

    static func vectors() throws -> [String: [Vector]] {
        struct File: Decodable { let vectors: [String: [Vector]] }
        return try load(File.self, "vectors.json").vectors
    }

    static func ecCases() throws -> [String: ECCase] { try load([String: ECCase].self, "ec_vectors.json") }

    static func bytes(hex: String) -> [UInt8] {
        let digits = Array(hex.utf8)
        return stride(from: 0, to: digits.count, by: 2).map {
            UInt8(String(decoding: digits[$0..<$0 + 2], as: UTF8.self), radix: 16)!
        }
    }

    static func hex(_ bytes: [UInt8]) -> String {
        let out = SecureBuffer(capacity: bytes.count * 2)
        bytes.withUnsafeBufferPointer { Digest.appendHex($0, to: out) }
        return out.string()
    }

    static func sm3(_ bytes: [UInt8]) -> [UInt8] {
        let out = SecureBuffer(capacity: 64)
        bytes.withUnsafeBufferPointer { SigningAlgorithm.hmacSM3.appendHashHex(of: $0, to: out) }
        return Self.bytes(hex: out.string())
    }

    /// The "Signature=" value of an Authorization, as DER bytes.
    static func signature(_ authorization: String) -> [UInt8] {
        bytes(hex: String(authorization.split(separator: "=").last!))
    }

    /// The request of a vector as libhss signs one: the query canonicalised,
    /// the headers with Host and (for a body not hashed) the payload header.
    struct Prepared {
        let query: SecureBuffer
        let uri: String
        let headers: CanonicalHeaders
        let payload: (hash: String, header: Header?)
        let date: String
    }

    static func prepare(_ i: Vector.Inputs, _ algorithm: SigningAlgorithm) -> Prepared {
        let payload = algorithm.payload(
            body: i.body_hex.map { bytes(hex: $0) } ?? [], contentType: i.headers_in["Content-Type"])
        let headers =
            i.headers_in.map { Header($0.key, $0.value) } + [Header("Host", i.host)]
            + (payload.header.map { [$0] } ?? [])
        return Prepared(
            query: Signer.canonicalQuery(i.query_params.map { ($0[0].text, SecureBuffer($0[1].text)) }),
            uri: Signer.canonicalURI(path: i.resource_path), headers: CanonicalHeaders(headers), payload: payload,
            date: i.headers_in["X-Sdk-Date"]!)
    }

    static func signer(_ i: Vector.Inputs, _ algorithm: SigningAlgorithm) throws -> Signer {
        let derivation = i.region_id.map { KeyDerivation(region: $0, service: i.derived_auth_service_name ?? "") }
        return try Signer(accessKey: i.ak, secretKey: SecureBuffer(i.sk), algorithm: algorithm, derivation: derivation)
    }

    func testThereAreAllTheVectors() throws {
        let vectors = try Self.vectors()
        XCTAssertEqual(vectors["SDK-HMAC-SHA256"]?.count, 10)
        XCTAssertEqual(vectors["SDK-HMAC-SM3"]?.count, 10)
        XCTAssertEqual(vectors["V11-HMAC-SHA256"]?.count, 12)
        XCTAssertEqual(Set(try Self.ecCases().keys), ["P256", "SM2", "SM2_leading_zero_case"])
    }

    /// Canonical request, string to sign, V11's derived key, Authorization,
    /// the URI sent and the payload header, for all 32 deterministic vectors.
    func testDeterministicVectorsMatchAtEveryStage() throws {
        var checked = 0
        for (name, vectors) in try Self.vectors() {
            let algorithm = try XCTUnwrap(SigningAlgorithm(rawValue: name))
            for v in vectors {
                let label = "\(name) \(v.id)"
                let i = v.inputs
                let signer = try Self.signer(i, algorithm)
                let r = Self.prepare(i, algorithm)
                let canonical = signer.canonicalRequest(
                    method: i.method, canonicalURI: r.uri, query: r.query, headers: r.headers, bodyHash: r.payload.hash)
                XCTAssertEqual(canonical.request.string(), v.canonical_request, label)
                let toSign = signer.stringToSign(date: r.date, canonicalRequest: canonical.request)
                XCTAssertEqual(toSign.string(), v.string_to_sign, label)
                if let derived = v.derived_key_hex {
                    let info = SecureBuffer("\(r.date.prefix(8))/\(i.region_id!)/\(i.derived_auth_service_name!)")
                    let out = SecureBuffer(capacity: 64)
                    V11Key.appendDerivedKeyHex(accessKey: i.ak, secretKey: SecureBuffer(i.sk), info: info, to: out)
                    XCTAssertEqual(out.string(), derived, label)
                }
                XCTAssertEqual(
                    signer.authorization(
                        method: i.method, canonicalURI: r.uri, query: r.query, headers: r.headers, date: r.date,
                        bodyHash: r.payload.hash),
                    v.authorization, label)
                XCTAssertEqual(
                    signer.signature(stringToSign: toSign),
                    String(v.authorization.split(separator: "=").last!), label)
                XCTAssertEqual(i.resource_path + (r.query.isEmpty ? "" : "?" + r.query.string()), v.wire_uri, label)
                let added = v.headers_out.filter { $0.key.hasPrefix("X-Sdk-Content-") }
                XCTAssertEqual(r.payload.header.map { [$0.name: $0.value.string()] } ?? [:], added, label)
                checked += 1
            }
        }
        XCTAssertEqual(checked, 32)
    }

    func testSM3AndTheEmptyBodies() {
        XCTAssertEqual(
            Self.hex(Self.sm3(Array("abc".utf8))), "66c7f0f462eeedd9d1f2d46bdc10e4e24167c4875cf2f7a2297da02b8f4ba8e0")
        XCTAssertEqual(Self.hex(Self.sm3([])), Signer.emptyBodySM3Hash)
        for algorithm in SigningAlgorithm.allCases {
            XCTAssertEqual("\(algorithm.name)", algorithm.rawValue)
            let sm3 = algorithm == .hmacSM3 || algorithm == .sm2SM3
            XCTAssertEqual(algorithm.emptyBodyHash, sm3 ? Signer.emptyBodySM3Hash : Signer.emptyBodyHash)
            XCTAssertEqual(algorithm.unsignedPayloadHeader, sm3 ? "X-Sdk-Content-Sm3" : "X-Sdk-Content-Sha256")
            // A non-JSON Content-Type gets the header even with no body (signers.md §2 step 3).
            let empty = algorithm.payload(body: [], contentType: "application/octet-stream")
            XCTAssertEqual(empty.hash, algorithm.emptyBodyHash)
            XCTAssertEqual(empty.header?.name, algorithm.unsignedPayloadHeader)
            XCTAssertNil(algorithm.payload(body: [1], contentType: "application/bson").header)
            XCTAssertNil(algorithm.payload(body: [1], contentType: nil).header)
        }
    }

    /// The default stays SDK-HMAC-SHA256, and its static stages (used by the
    /// client's trace) are the signer's own.
    func testDefaultIsHMACSHA256() throws {
        let signer = try Signer(accessKey: "AKEXAMPLE", secretKey: SecureBuffer("SKEXAMPLE"))
        XCTAssertEqual(signer.algorithm, .hmacSHA256)
        for v in try Self.vectors()["SDK-HMAC-SHA256"]! {
            let r = Self.prepare(v.inputs, .hmacSHA256)
            let canonical = Signer.canonicalRequest(
                method: v.inputs.method, canonicalURI: r.uri, query: r.query, headers: r.headers,
                bodyHash: r.payload.hash)
            XCTAssertEqual(
                Signer.stringToSign(date: r.date, canonicalRequest: canonical.request).string(), v.string_to_sign)
        }
    }

    func testV11NeedsARegionAndAService() {
        for derivation in [
            nil, KeyDerivation(region: "", service: "hss"), KeyDerivation(region: "cn-north-4", service: ""),
        ] {
            XCTAssertThrowsError(
                try Signer(
                    accessKey: "AKEXAMPLE", secretKey: SecureBuffer("SKEXAMPLE"), algorithm: .v11HMACSHA256,
                    derivation: derivation)
            ) { XCTAssertEqual(($0 as? HSSError)?.status, HSS_E_INVALID_ARGUMENT) }
        }
    }

    /// V11's key is the day's: one signer going from day to day (and back)
    /// signs as a signer made for each day does.
    func testV11KeyFollowsTheDay() throws {
        let v = try Self.vectors()["V11-HMAC-SHA256"]![0]
        let r = Self.prepare(v.inputs, .v11HMACSHA256)
        let signer = try Self.signer(v.inputs, .v11HMACSHA256)
        func sign(_ s: Signer, _ date: String) -> String {
            s.authorization(method: "GET", canonicalURI: r.uri, query: r.query, headers: r.headers, date: date)
        }
        var seen = Set<String>()
        for date in ["20240607T080910Z", "20240608T000000Z", "20240607T080910Z", "20991231T235959Z"] {
            let authorization = sign(signer, date)
            XCTAssertEqual(authorization, sign(try Self.signer(v.inputs, .v11HMACSHA256), date), date)
            XCTAssertTrue(
                authorization.contains("Credential=AKEXAMPLE/\(date.prefix(8))/cn-north-4/hss, "), authorization)
            seen.insert(authorization)
        }
        XCTAssertEqual(seen.count, 3)
        XCTAssertEqual(sign(signer, "20240607T080910Z"), v.authorization)
    }

    func testECKeysDerivedFromTheSKAreTheRecordedOnes() throws {
        for (name, c) in try Self.ecCases() {
            let key = try XCTUnwrap(
                ECKey(sm2: c.algorithm == "SDK-SM2-SM3", accessKey: c.ak, secretKey: SecureBuffer(c.sk)))
            XCTAssertEqual(Self.hex(key.publicKey), c.public_key_uncompressed_hex, name)
        }
    }

    /// The deterministic stages of the EC vectors (the request of
    /// `ascii-specials`), and the Authorization up to its random signature.
    func testECCanonicalRequestAndStringToSign() throws {
        let request = try Self.vectors()["SDK-HMAC-SHA256"]!.first { $0.id == "ascii-specials" }!
        for (name, c) in try Self.ecCases() {
            let algorithm = try XCTUnwrap(SigningAlgorithm(rawValue: c.algorithm))
            let given = request.inputs
            let inputs = Vector.Inputs(
                ak: c.ak, sk: c.sk, method: given.method, host: given.host, resource_path: given.resource_path,
                query_params: given.query_params, headers_in: given.headers_in, body_hex: nil,
                derived_auth_service_name: nil, region_id: nil)
            let signer = try Self.signer(inputs, algorithm)
            let r = Self.prepare(inputs, algorithm)
            let canonical = signer.canonicalRequest(
                method: "GET", canonicalURI: r.uri, query: r.query, headers: r.headers)
            XCTAssertEqual(canonical.request.string(), c.canonical_request, name)
            XCTAssertEqual(
                signer.stringToSign(date: r.date, canonicalRequest: canonical.request).string(), c.string_to_sign, name)
            let authorization = signer.authorization(
                method: "GET", canonicalURI: r.uri, query: r.query, headers: r.headers, date: r.date)
            let recorded = c.signatures[0].authorization
            XCTAssertEqual(
                String(authorization[..<authorization.range(of: "Signature=")!.upperBound]),
                String(recorded[..<recorded.range(of: "Signature=")!.upperBound]), name)
        }
    }

    /// Our signatures (made through the Authorization path) verify with
    /// OpenSSL against the recorded public keys and against our own; two
    /// signatures of one string differ (random k). For every key, including
    /// the one where the SDK's Z_A is not the standard's.
    func testOurSignaturesVerifyWithTheRecordedPublicKeys() throws {
        for (name, c) in try Self.ecCases() {
            let algorithm = try XCTUnwrap(SigningAlgorithm(rawValue: c.algorithm))
            let signer = try Signer(accessKey: c.ak, secretKey: SecureBuffer(c.sk), algorithm: algorithm)
            let key = try XCTUnwrap(ECKey(sm2: algorithm == .sm2SM3, accessKey: c.ak, secretKey: SecureBuffer(c.sk)))
            let pem = try Array(Data(contentsOf: URL(filePath: Self.directory + c.public_key_pem_file)))
            let toSign = SecureBuffer(c.string_to_sign)
            let message = Array(c.string_to_sign.utf8)
            let signatures = (0..<3).map { _ in Self.bytes(hex: signer.signature(stringToSign: toSign)) }
            XCTAssertEqual(Set(signatures).count, 3, name)
            for signature in signatures {
                XCTAssertTrue(
                    ECKey.verify(sm2: key.sm2, publicKeyPEM: pem, message: message, signature: signature), name)
                XCTAssertTrue(key.verify(message, signature: signature), name)
                XCTAssertFalse(key.verify(message + [0x20], signature: signature), name)
                XCTAssertFalse(
                    ECKey.verify(sm2: !key.sm2, publicKeyPEM: pem, message: message, signature: signature), name)
            }
        }
    }

    /// The official SDK's recorded signatures verify with the key pair we
    /// derive from the SK (and with OpenSSL and the recorded public key)
    /// wherever the SDK's Z_A is the standard's.
    func testOfficialSignaturesVerifyWithOurDerivedKeys() throws {
        let cases = try Self.ecCases()
        for name in ["P256", "SM2"] {
            let c = cases[name]!
            let key = try XCTUnwrap(ECKey(sm2: name == "SM2", accessKey: c.ak, secretKey: SecureBuffer(c.sk)))
            let pem = try Array(Data(contentsOf: URL(filePath: Self.directory + c.public_key_pem_file)))
            XCTAssertEqual(c.signatures.count, 3)
            for s in c.signatures {
                let signature = Self.signature(s.authorization)
                XCTAssertTrue(key.verify(Array(c.string_to_sign.utf8), signature: signature), name)
                XCTAssertTrue(
                    ECKey.verify(
                        sm2: key.sm2, publicKeyPEM: pem, message: Array(c.string_to_sign.utf8), signature: signature),
                    name)
            }
        }
    }

    /// SM2's Z_A = SM3(ENTL || ID || a || b || xG || yG || xA || yA): GB/T
    /// 32918 writes each coordinate on 32 bytes; the official Python SDK drops
    /// leading zero bytes. They agree for AK "AKEXAMPLE", and differ for
    /// "AKEXAMPLE298", whose public x starts with 0x00: there the SDK's
    /// signatures do not verify with the standard Z_A (ours, OpenSSL's), and do
    /// with the SDK's; ours verify with OpenSSL's and not with the SDK's.
    /// libhss follows the standard (signers.md §3.4; chss_ec_key_derive).
    func testSM2ZAStandardAgainstTheOfficialSDK() throws {
        let curve = Self.bytes(
            hex: "fffffffeffffffffffffffffffffffffffffffff00000000fffffffffffffffc"  // a
                + "28e9fa9e9d9f5e344d5a9e4bcf6509a7f39789f515ab8f92ddbcbd414d940e93"  // b
                + "32c4ae2c1f1981195f9904466a39c9948fe30bbff2660be1715a4589334c74c7"  // xG
                + "bc3736a2f4f6779c59bdcee36b692153d0a9877cc62a474002df32e52139f0a0")  // yG
        func za(_ publicKey: [UInt8], minimal: Bool) -> [UInt8] {
            func field(_ bytes: ArraySlice<UInt8>) -> [UInt8] { minimal ? Array(bytes.drop { $0 == 0 }) : Array(bytes) }
            return Self.sm3(
                [0x00, 0x80] + Array("1234567812345678".utf8) + curve + field(publicKey[1..<33])
                    + field(publicKey[33..<65]))
        }
        let cases = try Self.ecCases()
        for (name, agree) in [("SM2", true), ("SM2_leading_zero_case", false)] {
            let c = cases[name]!
            let key = try XCTUnwrap(ECKey(sm2: true, accessKey: c.ak, secretKey: SecureBuffer(c.sk)))
            let pem = try Array(Data(contentsOf: URL(filePath: Self.directory + c.public_key_pem_file)))
            let message = Array(c.string_to_sign.utf8)
            let standard = za(key.publicKey, minimal: false)
            let sdk = za(key.publicKey, minimal: true)
            XCTAssertEqual(Self.hex(standard), c.ZA_hex_standard_fixed_32_byte_fields, name)
            XCTAssertEqual(Self.hex(sdk), c.ZA_hex_as_sdk_computes, name)
            XCTAssertEqual(standard == sdk, agree, name)
            XCTAssertEqual(key.publicKey[1] == 0, !agree, name)
            for s in c.signatures {
                let signature = Self.signature(s.authorization)
                XCTAssertTrue(key.verify(digest: Self.sm3(sdk + message), signature: signature), name)
                XCTAssertEqual(key.verify(message, signature: signature), agree, name)
                XCTAssertEqual(
                    ECKey.verify(sm2: true, publicKeyPEM: pem, message: message, signature: signature), agree, name)
            }
            let signer = try Signer(accessKey: c.ak, secretKey: SecureBuffer(c.sk), algorithm: .sm2SM3)
            let ours = Self.bytes(hex: signer.signature(stringToSign: SecureBuffer(c.string_to_sign)))
            XCTAssertTrue(key.verify(digest: Self.sm3(standard + message), signature: ours), name)
            XCTAssertTrue(ECKey.verify(sm2: true, publicKeyPEM: pem, message: message, signature: ours), name)
            XCTAssertEqual(key.verify(digest: Self.sm3(sdk + message), signature: ours), agree, name)
        }
    }

    /// One signer of each algorithm serves several threads at once (the
    /// prepared keys and V11's day cache are shared).
    func testSignersAreSharedByThreads() throws {
        let v = try Self.vectors()["V11-HMAC-SHA256"]![1]
        let r = Self.prepare(v.inputs, .v11HMACSHA256)
        for algorithm in SigningAlgorithm.allCases {
            let signer = try Self.signer(v.inputs, algorithm)
            let key = ECKey(sm2: algorithm == .sm2SM3, accessKey: v.inputs.ak, secretKey: SecureBuffer(v.inputs.sk))
            let dates = ["20240607T080910Z", "20240608T080910Z"]
            let expected = dates.map {
                signer.authorization(method: "GET", canonicalURI: r.uri, query: r.query, headers: r.headers, date: $0)
            }
            let failures = Mutex(0)
            DispatchQueue.concurrentPerform(iterations: 8) { thread in
                for round in 0..<20 {
                    let date = dates[(thread + round) % 2]
                    let authorization = signer.authorization(
                        method: "GET", canonicalURI: r.uri, query: r.query, headers: r.headers, date: date)
                    let good: Bool
                    if algorithm == .ecdsaP256SHA256 || algorithm == .sm2SM3 {
                        let canonical = signer.canonicalRequest(
                            method: "GET", canonicalURI: r.uri, query: r.query, headers: r.headers)
                        let toSign = signer.stringToSign(date: date, canonicalRequest: canonical.request)
                        good = key!.verify(Array(toSign.bytes), signature: Self.signature(authorization))
                    } else {
                        good = authorization == expected[(thread + round) % 2]
                    }
                    if !good { failures.withLock { $0 += 1 } }
                }
            }
            XCTAssertEqual(failures.withLock { $0 }, 0, algorithm.rawValue)
        }
    }
}
