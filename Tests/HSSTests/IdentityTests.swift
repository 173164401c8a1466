import CHSSAPI
import HSSBase
import HSSIdentity
import XCTest

/// The pieces of the credential chain that need no server: the common
/// credential parser, its time format, the JSON bodies it sends.
final class IdentityTests: XCTestCase {
    private func time(_ text: String) -> Int? {
        var text = text
        return text.withUTF8 { TemporaryCredentials.parseTime($0) }
    }

    func testTimes() {
        // 2024-06-07T08:09:10Z, the metadata service's example (credentials.md §2.4).
        let base = 1_717_747_750
        XCTAssertEqual(time("2024-06-07T08:09:10.000000Z"), base)
        // Forms the official SDK refuses (no fraction, 9 digits, an offset): read as UTC.
        XCTAssertEqual(time("2024-06-07T08:09:10Z"), base)
        XCTAssertEqual(time("2024-06-07T08:09:10.1Z"), base)
        XCTAssertEqual(time("2024-06-07T08:09:10.123456789Z"), base)
        XCTAssertEqual(time("2024-06-07T16:09:10+08:00"), base)
        XCTAssertEqual(time("2024-06-07T03:09:10.5-05:00"), base)
        for bad in [
            "", "2024-06-07", "2024-06-07T08:09:10", "2024-06-07T08:09:10.Z", "2024-06-07T08:09:10.1234567890Z",
            "2024-13-07T08:09:10Z", "2024-06-07T24:09:10Z", "2024-06-07T08:09:10Zx", "2024-06-07T08:09:10+0800",
            "x024-06-07T08:09:10Z",
        ] {
            XCTAssertNil(time(bad), bad)
        }
    }

    private func parse(_ json: String) throws -> Credentials {
        try TemporaryCredentials.parse(SecureBuffer(json), source: .metadata)
    }

    private func message(_ json: String) -> String? {
        do {
            _ = try parse(json)
            return nil
        } catch let error as HSSError {
            XCTAssertEqual(error.status, HSS_E_CREDENTIALS)
            return error.message
        } catch {
            return "\(error)"
        }
    }

    func testCredentialShapes() throws {
        // The metadata service's shape.
        let metadata = try parse(
            #"{"credential":{"access":"AKTMP1","secret":"SKTMP1","securitytoken":"TOK1","#
                + #""expires_at":"2024-06-07T08:09:10.000000Z"}}"#)
        XCTAssertEqual(metadata.accessKey, "AKTMP1")
        XCTAssertEqual(metadata.expiresAt, 1_717_747_750)
        XCTAssertEqual(metadata.source, .metadata)
        guard case .signed(_, let sk, let token) = metadata.keys else { return XCTFail("not AK/SK") }
        XCTAssertEqual(sk.string(), "SKTMP1")
        XCTAssertEqual(token?.string(), "TOK1")
        // "credentials", camelCase; the top level, snake_case; "expiration".
        XCTAssertEqual(
            try parse(
                #"{"credentials":{"accessKeyId":"AK2","secretAccessKey":"SK2","securityToken":"T2","#
                    + #""expiration":"2024-06-07T08:09:10Z"}}"#
            ).accessKey, "AK2")
        XCTAssertEqual(
            try parse(
                #"{"access_key_id":"AK3","secret_access_key":"SK3","security_token":"T3","#
                    + #""expiration":"2024-06-07T08:09:10Z"}"#
            ).accessKey, "AK3")
        // The first non-empty spelling wins.
        XCTAssertEqual(
            try parse(
                #"{"access":"","accessKeyId":"AK4","secret":"S","expires_at":"2024-06-07T08:09:10Z"}"#
            ).accessKey, "AK4")
    }

    func testCredentialErrorsNameTheFieldNotTheValue() {
        XCTAssertEqual(message("[]"), "the answer is not a JSON object")
        XCTAssertEqual(message("{"), "the answer is not a JSON object")
        XCTAssertEqual(message(#"{"secret":"S","expires_at":"2024-06-07T08:09:10Z"}"#), "the answer has no access key")
        XCTAssertEqual(message(#"{"access":"A","expires_at":"2024-06-07T08:09:10Z"}"#), "the answer has no secret key")
        XCTAssertEqual(
            message(#"{"access":"A","secret":"S"}"#), "the answer has no expiry (expires_at or expiration)")
        let badTime = message(#"{"access":"A","secret":"S","expires_at":"SECRETISH"}"#) ?? ""
        XCTAssertTrue(badTime.contains("not a UTC time"), badTime)
        XCTAssertFalse(badTime.contains("SECRETISH"))
        let badKey = message(#"{"access":"A\r\nX: y","secret":"S-VALUE","expires_at":"2024-06-07T08:09:10Z"}"#) ?? ""
        XCTAssertTrue(badKey.contains("unusable"), badKey)
        XCTAssertFalse(badKey.contains("S-VALUE"))
        XCTAssertEqual(
            message(#"{"access":"A","access":"B","secret":"S","expires_at":"2024-06-07T08:09:10Z"}"#),
            "the answer is not a JSON object")
    }

    func testJSONWriterEscapes() throws {
        let out = SecureBuffer()
        JSONWriter.appendString("a\"b\\c\u{1}\n/é", to: out)
        XCTAssertEqual(out.string(), #""a\"b\\c\u0001\u000a/é""#)
        // What we write, our strict reader reads back byte for byte.
        let text = SecureBuffer("{\"k\":\(out.string())}")
        try withExtendedLifetime(text) {  // the document reads the text in place
            let document = try JSONDocument(text.bytes)
            XCTAssertEqual(document.string(at: ["k"])?.string(), "a\"b\\c\u{1}\n/é")
        }
    }

    func testMaskedAccessKey() throws {
        func masked(_ ak: String) throws -> String {
            try Credentials.signed(
                accessKey: SecureBuffer(ak), secretKey: SecureBuffer("sk"), securityToken: nil, source: .options
            ).maskedAccessKey
        }
        XCTAssertEqual(try masked("ABCDEFGHIJKLMNOP"), "ABCD...MNOP")
        XCTAssertEqual(try masked("SHORTAK"), "*******")
        XCTAssertEqual(try masked("ABCDEFGHI"), "ABCD...FGHI")
    }
}
