import CHSSAPI
import HSSBase
import HSSTransport
import XCTest

/// The redaction rule of include/hss.h: every secret, in each encoding a
/// server, gateway or proxy may produce, anywhere in a text from the wire.
final class RedactorTests: XCTestCase {
    private func redactor(_ secrets: String...) -> Redactor {
        var r = Redactor()
        for s in secrets { r.add(SecureBuffer(s)) }
        return r
    }

    func testEveryPercentEncodingVariant() {
        let r = redactor("a~b/c d+é")
        for form in [
            "a~b/c d+é",  // raw
            "a~b%2Fc%20d%2B%C3%A9",  // RFC 3986, upper-case hex
            "a~b%2fc%20d%2b%c3%a9",  // lower-case hex
            "a%7Eb%2Fc+d%2B%C3%A9",  // WHATWG / Java URLEncoder: ~ escaped, + for space
            "a~b/c%20d%2B%C3%A9",  // Python quote(): / kept
            "a~b%2Fc+d%2B%C3%A9",  // quote_plus
            "a%7eb/c+d%2b%c3%A9",  // any mix
        ] {
            XCTAssertEqual(r.redact("x=" + form + "&y"), "x=***&y", form)
        }
    }

    func testJSONEscapes() {
        let r = redactor("p/\"w\\ä😀")
        for form in [
            #"p\/\"w\\ä😀"#,  // the JSON escapes a writer must use, \/ too
            #"p/\"w\\\u00e4\ud83d\ude00"#,  // \u for non-ASCII, lower-case hex, surrogate pair
            #"\u0070\u002F\u0022w\u005c\u00E4\uD83D\uDE00"#,  // everything escaped, upper-case hex
        ] {
            XCTAssertEqual(r.redact("[\"" + form + "\"]"), "[\"***\"]", form)
        }
    }

    /// Found by the redactor fuzz target: a secret (an SK is not checked for
    /// UTF-8) with a lead byte not followed by a valid sequence, then a
    /// character that the text escapes as \u.
    func testInvalidUTF8ThenAnEscapedCharacter() {
        let secret = SecureBuffer()
        for byte: UInt8 in [0x61, 0xF0, 0x62, 0xC3, 0xA4] { secret.append(byte) }  // "a", F0, "b", "ä"
        var r = Redactor()
        r.add(secret)
        XCTAssertEqual(r.redact(#"x a%F0b\u00e4 y"#), "x *** y")
    }

    func testInTruncatedAndRawBodies() {
        let r = redactor("s3cr/et")
        XCTAssertEqual(r.redact(#"{"error_msg":"bad s3cr\/et"#), #"{"error_msg":"bad ***"#)
        XCTAssertEqual(r.redact("plain s3cr%2Fet text"), "plain *** text")
    }

    func testOverlappingSecretsLeaveNoFragment() {
        let r = redactor("TOKEN123", "xTOKEN123y")
        XCTAssertEqual(r.redact("a xTOKEN123y b TOKEN123 c"), "a *** b *** c")
        let nested = redactor("abcd", "zzabcdzz")
        XCTAssertEqual(nested.redact("zzabcdzz"), "***")
        let overlapping = redactor("abcdef", "defghi")
        XCTAssertEqual(overlapping.redact("-abcdefghi-"), "-***-")
    }

    func testNothingElseChanges() {
        let r = redactor("secret-value")
        let text = "no secret here: %41 \\u0041 + \\/ ~"
        XCTAssertEqual(r.redact(text), text)
        XCTAssertEqual(r.redact(""), "")
    }

    func testRequestIDsAreRedactedThenKeptOnlyAsTokens() {
        let r = redactor("Sec-Tok-123")
        XCTAssertEqual(RequestID.sanitize("req-Sec-Tok-123-id", redactor: r), "req-***-id")
        XCTAssertEqual(RequestID.sanitize("req-Sec%2DTok-123", redactor: r), "req-***")
        XCTAssertEqual(RequestID.sanitize("0123abcd", redactor: r), "0123abcd")
        XCTAssertEqual(RequestID.sanitize("has space", redactor: r), "")
        XCTAssertEqual(RequestID.sanitize(String(repeating: "a", count: 129), redactor: r), "")
        // A short secret withholds the text, which then is no token.
        XCTAssertEqual(RequestID.sanitize("xyz", redactor: redactor("y")), "")
    }

    func testLargeBodyStaysCheap() {
        // 256 KiB of "%" and "\" (the bytes that start an encoded form) next to the secrets.
        let r = redactor("password-1", "sk-abcdef", "token-xyz")
        let body = String(repeating: "%\\+", count: 87_000) + "sk-abcdef"
        XCTAssertTrue(r.redact(body).hasSuffix("***"))
    }
}
