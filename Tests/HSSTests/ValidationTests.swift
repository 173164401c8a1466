import CHSSAPI
import HSSBase
import HSSPipeline
import HSSTransport
import XCTest

/// Input rules and secret redaction, below the C boundary.
final class ValidationTests: XCTestCase {
    private func message(_ body: () throws -> Void) -> String? {
        do {
            try body()
            return nil
        } catch let error as HSSError {
            XCTAssertEqual(error.status, HSS_E_INVALID_ARGUMENT)
            return error.message
        } catch {
            return "unexpected \(error)"
        }
    }

    func testTextLimitsCountCharactersNotBytes() {
        let maxLength = String(repeating: "é", count: 128)  // 256 bytes, 128 characters
        XCTAssertNil(
            message { try Validation.checkText(SecureBuffer(maxLength), field: "namespace", maxCharacters: 128) })
        XCTAssertEqual(
            message { try Validation.checkText(SecureBuffer(maxLength + "x"), field: "namespace", maxCharacters: 128) },
            "namespace is longer than 128 characters")
    }

    func testTextRejectsControlsInvalidUTF8AndEmpty() {
        for bad in ["a\rb", "a\nb", "tab\there", "del\u{7F}"] {
            let text = message { try Validation.checkText(SecureBuffer(bad), field: "password", maxCharacters: 128) }
            XCTAssertEqual(text, "password must not contain control characters (such as CR, LF or TAB)")
        }
        let invalid = SecureBuffer()
        invalid.append(UnsafeBufferPointer(start: [0xC3, 0x28] as [UInt8], count: 2))
        XCTAssertEqual(
            message { try Validation.checkText(invalid, field: "username", maxCharacters: 128) },
            "username is not valid UTF-8")
        XCTAssertEqual(
            message { try Validation.checkText(SecureBuffer(""), field: "username", maxCharacters: 128) },
            "username must not be empty")
        XCTAssertEqual(
            message { try Validation.checkText(nil as Bytes?, field: "username", maxCharacters: 128) },
            "username is required")
    }

    func testEndpointParsing() throws {
        func parse(_ text: String) throws -> EndpointURL { try EndpointURL(text, field: "endpoint") }
        XCTAssertEqual(try parse("https://hss.example.com/").base, "https://hss.example.com")
        XCTAssertEqual(try parse("http://127.0.0.1:8080").host, "127.0.0.1:8080")
        XCTAssertEqual(try parse("https://[::1]:8443").host, "[::1]:8443")
        XCTAssertEqual(try parse("https://[::1]:8443").hostName, "::1")
        XCTAssertEqual(try parse("https://HSS.Example.com:8443").hostName, "hss.example.com")
        // Only where allowed: a path (pod identity's URI), a missing scheme (env and files).
        XCTAssertEqual(try EndpointURL("http://127.0.0.1:9/v1/cred", field: "u", allowPath: true).path, "/v1/cred")
        XCTAssertEqual(try EndpointURL("hss.example.com", field: "u", addScheme: true).base, "https://hss.example.com")
        XCTAssertEqual(
            message { _ = try EndpointURL("ftp://p:1", field: "proxy", schemes: ["http", "https", "socks5"]) },
            "proxy must start with http://, https:// or socks5://")
        XCTAssertEqual(try EndpointURL("socks5h://127.0.0.1:1080", field: "p", schemes: ["socks5h"]).scheme, "socks5h")
        let bad = [
            "ftp://x", "x.com", "https://", "https://a/b", "https://u@h", "https://h?q", "https://h\r\nX: y",
            "http://127.0.0.1:99999", "http://h:abc", "http://a:b:c", "http://:80", "http://[::1", "http://[zz]:80",
            "http://..:80", "http://-a:80", "http://h:", "http://[::1]x",
        ]
        for bad in bad {
            XCTAssertNotNil(message { _ = try parse(bad) }, bad)
        }
    }

    func testRegions() {
        XCTAssertEqual(Regions.endpoint(for: "cn-north-4"), "https://hss.cn-north-4.myhuaweicloud.com")
        XCTAssertEqual(Regions.endpoint(for: "eu-west-101"), "https://hss.eu-west-101.myhuaweicloud.eu")
        XCTAssertNil(Regions.endpoint(for: "moon-1"))
        XCTAssertEqual(Regions.all.count, 32)
    }

    func testRedactorRemovesEveryFormOfASecret() {
        var redactor = Redactor()
        redactor.add(SecureBuffer("p@ss w/rd"))
        let raw = "got p@ss w/rd, encoded p%40ss%20w%2Frd, form p%40ss+w%2Frd, lower p%40ss%20w%2frd"
        let out = redactor.redact(raw)
        XCTAssertFalse(out.contains("p@ss"))
        XCTAssertFalse(out.contains("p%40ss"))
        XCTAssertEqual(out, "got ***, encoded ***, form ***, lower ***")
    }

    func testRedactorStarsThePasswordQueryValueWhateverItsEncoding() {
        let out = Redactor().redact("canonicalRequest: GET\n/x/\nnamespace=a&password=P%c3%a9&registry_addr=r\n")
        XCTAssertEqual(out, "canonicalRequest: GET\n/x/\nnamespace=a&password=***&registry_addr=r\n")
    }

    func testShortSecretsWithholdTheMessage() {
        var redactor = Redactor()
        redactor.add(SecureBuffer("ab"))
        XCTAssertEqual(redactor.redact("cabin"), Redactor.withheld)
        XCTAssertTrue(Redactor.withheld.contains("shorter than 4 bytes"))
        XCTAssertEqual(redactor.redact("nothing here"), "nothing here")
    }
}
