import FoundationEssentials
import HSSBase
import HSSSigning
import XCTest

/// Known-answer vectors produced by the official Python signer
/// (Tests/vectors/generate.py): every stage must match byte for byte.
final class SignerVectorTests: XCTestCase {
    struct Vector: Decodable {
        struct Expected: Decodable {
            let canonical_uri: String
            let canonical_query: String
            let signed_headers: String
            let canonical_request: String
            let string_to_sign: String
            let signature: String
            let authorization: String
        }

        let name: String
        let method: String
        let host: String
        let path: String
        let query: [[String]]
        let headers: [[String]]
        let ak: String
        let sk: String
        let sdk_date: String
        let expected: Expected
    }

    static func loadVectors() throws -> [Vector] {
        // Tests/HSSTests/<this file> -> Tests/vectors/signing.json
        let file = #filePath.split(separator: "/").dropLast(2).joined(separator: "/")
        let data = try Data(contentsOf: URL(filePath: "/" + file + "/vectors/signing.json"))
        return try JSONDecoder().decode([Vector].self, from: data)
    }

    func testThereAreEnoughVectors() throws {
        XCTAssertGreaterThanOrEqual(try Self.loadVectors().count, 24)
    }

    func testEveryStageMatchesTheOfficialSigner() throws {
        for v in try Self.loadVectors() {
            let query = Signer.canonicalQuery(v.query.map { ($0[0], SecureBuffer($0[1])) })
            let headers = CanonicalHeaders(v.headers.map { Header($0[0], $0[1]) } + [Header("Host", v.host)])
            let signer = try Signer(accessKey: v.ak, secretKey: SecureBuffer(v.sk))
            let uri = Signer.canonicalURI(path: v.path)

            XCTAssertEqual(uri, v.expected.canonical_uri, v.name)
            XCTAssertEqual(query.string(), v.expected.canonical_query, v.name)

            let canonical = Signer.canonicalRequest(method: v.method, canonicalURI: uri, query: query, headers: headers)
            XCTAssertEqual(canonical.signedHeaders, v.expected.signed_headers, v.name)
            XCTAssertEqual(canonical.request.string(), v.expected.canonical_request, v.name)

            let toSign = Signer.stringToSign(date: v.sdk_date, canonicalRequest: canonical.request)
            XCTAssertEqual(toSign.string(), v.expected.string_to_sign, v.name)
            XCTAssertEqual(signer.signature(stringToSign: toSign), v.expected.signature, v.name)
            XCTAssertEqual(
                signer.authorization(
                    method: v.method, canonicalURI: uri, query: query, headers: headers,
                    date: v.sdk_date),
                v.expected.authorization, v.name)
        }
    }

    /// The client canonicalises its fixed headers once and merges each
    /// request's own (X-Sdk-Date) in name order: the result must be the same.
    func testPerRequestHeadersMergeInOrder() throws {
        for v in try Self.loadVectors() {
            let query = Signer.canonicalQuery(v.query.map { ($0[0], SecureBuffer($0[1])) })
            let isDate = { (h: [String]) in h[0].lowercased() == "x-sdk-date" }
            let fixed = CanonicalHeaders(
                v.headers.filter { !isDate($0) }.map { Header($0[0], $0[1]) }
                    + [Header("Host", v.host)])
            let extra = v.headers.filter(isDate).map { Header($0[0], $0[1]) }
            let signer = try Signer(accessKey: v.ak, secretKey: SecureBuffer(v.sk))
            XCTAssertEqual(
                signer.authorization(
                    method: v.method, canonicalURI: Signer.canonicalURI(path: v.path),
                    query: query, headers: fixed.merging(extra), date: v.sdk_date),
                v.expected.authorization, v.name)
        }
    }

    /// The Go SDK's own test vector (api.md): it signs only X-Sdk-Date and
    /// skips a header whose name has "_".
    func testGoSDKVector() throws {
        let query = Signer.canonicalQuery([("limit", SecureBuffer("1"))])
        let headers = CanonicalHeaders([Header("X-Sdk-Date", "20060102T150405Z"), Header("Unsigned_Header", "x")])
        let signer = try Signer(accessKey: "AccessKey", secretKey: SecureBuffer("SecretKey"))
        let canonical = Signer.canonicalRequest(
            method: "GET", canonicalURI: Signer.canonicalURI(path: "/path"),
            query: query, headers: headers)
        let toSign = Signer.stringToSign(date: "20060102T150405Z", canonicalRequest: canonical.request)
        XCTAssertEqual(canonical.signedHeaders, "x-sdk-date")
        XCTAssertEqual(
            signer.signature(stringToSign: toSign),
            "5a2ce64c865e0e6046321c6f3d5a77ba8413eeaf355c3166c03d58d02ac79624")
    }

    func testSdkDateFormat() {
        XCTAssertEqual(Signer.sdkDate(0), "19700101T000000Z")
        XCTAssertEqual(Signer.sdkDate(1_136_214_245), "20060102T150405Z")
        XCTAssertEqual(Signer.sdkDate(1_709_210_096), "20240229T123456Z")
    }

    /// X-Sdk-Date's arithmetic calendar against libc's gmtime_r and
    /// strftime: the last second of every 13th day of years 1970 to 9999
    /// (13 is prime to 7, 30, 31, 365 and 1461: every month, day, weekday and
    /// leap position comes round), and the next one.
    func testSdkDateIsGmtime() {
        var text = [CChar](repeating: 0, count: 32)
        for day in stride(from: 0, through: 2_932_896, by: 13) {
            for var time in [day * 86_400 + 86_399, day * 86_400 + 86_400] where time <= 253_402_300_799 {
                var parts = tm()
                gmtime_r(&time, &parts)
                strftime(&text, text.count, "%Y%m%dT%H%M%SZ", &parts)
                let wanted = String(cString: text)
                let date = Signer.sdkDate(time)
                if date != wanted { return XCTFail("\(time): \(date), not \(wanted)") }
            }
        }
    }
}
