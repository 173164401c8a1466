import CHSSAPI
import FoundationEssentials
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

    /// Two nested layers, each character on its own: a form of the secret, then
    /// any of its characters encoded again.
    func testTwoLayers() {
        let r = redactor("a/\"\\ é")
        for form in [
            "a%252F%2522%255C%2B%25C3%25A9",  // percent over percent, "+" over percent
            #"a\u0025\u0032\u0046\u0025\u0032\u0032%5C\u002b\u0025c3\u0025a9"#,  // JSON over percent
            #"a\u00252F%22%5c+%C3\u0025A9"#,  // JSON over percent, per character
            #"a\\/\\\"\\\\ \\u00e9"#,  // JSON over JSON: \\/ \\\" \\\\ \\u00e9
            #"a\u005c/\u005c\u0022\u005c\u005c\u0020\u005cu00e9"#,  // \u over JSON
            #"a%5C%2F%5C%22%5C%5C+%5Cu00e9"#,  // percent over JSON
            #"a%5c/\"%5C\%20\u00e9"#,  // one layer here, two there
            #"a/"\\ \u0025C3%A9"#,  // \u over one byte's %XY, the next byte as %XY
        ] {
            XCTAssertEqual(r.redact("x " + form + " y"), "x *** y", form)
        }
    }

    /// The shared table of forms (Tests/secret_forms.py writes it to
    /// Tests/vectors/secret_forms.json): every canary secret in each single
    /// layer, each ordered pair of layers and forms mixed per character, in a
    /// body that is not JSON, inside a JSON string of a body that is not an
    /// object (both redacted as raw text), and in a JSON object's message.
    func testEveryFormOfTheSharedTable() throws {
        let forms = try Self.sharedForms()
        XCTAssertGreaterThan(forms.count, 700)
        var r = Redactor()
        for secret in Set(forms.map(\.secret)) { r.add(SecureBuffer(secret)) }
        var failed: [String] = []
        for form in forms {
            // In an object, the message gets one more layer, which the JSON reader removes.
            let message = SecureBuffer()
            JSONWriter.appendString("denied: " + form.form + ".", to: message)
            let object = #"{"error_code":"E","error_msg":"# + String(decoding: message.bytes, as: UTF8.self) + "}"
            for (place, body, expected) in [
                ("text", "Bad gateway: upstream said " + form.form + "\n", "Bad gateway: upstream said ***\n"),
                ("array", #"[{"error_msg":"denied: "# + form.form + #"."}]"#, #"[{"error_msg":"denied: ***."}]"#),
                ("object", object, "denied: ***."),
            ] {
                let error = ServiceErrorBody.describe(
                    HTTPResponse(status: 502, body: SecureBuffer(body), requestID: ""), redactor: r)
                if error.serviceMessage != expected { failed.append("\(form.encoding) in \(place)") }
            }
        }
        let counts = ["text", "array", "object"].map { place in
            "\(failed.filter { $0.hasSuffix(" in " + place) }.count) in \(place)"
        }
        XCTAssertEqual(
            failed.count, 0,
            "of \(forms.count) forms, not starred: \(counts.joined(separator: ", ")): "
                + failed.prefix(30).joined(separator: ", "))
    }

    struct SharedForm: Decodable {
        let secret: String
        let encoding: String
        let form: String
    }

    static func sharedForms() throws -> [SharedForm] {
        struct File: Decodable { let forms: [SharedForm] }
        // Tests/HSSTests/<this file> -> Tests/vectors/secret_forms.json
        let tests = #filePath.split(separator: "/").dropLast(2).joined(separator: "/")
        let data = try Data(contentsOf: URL(filePath: "/" + tests + "/vectors/secret_forms.json"))
        return try JSONDecoder().decode(File.self, from: data).forms
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
        // Two-layer forms one character short, or with one wrong.
        let nearMisses = #"%2573ecret-valu \\u0073ecret-valuX \u0025\u0037\u0033ecret-vaIue"#
        XCTAssertEqual(r.redact(nearMisses), nearMisses)
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

    /// A run of backslashes is, everywhere, the start of a form of a secret of
    /// backslashes (each one a backslash, or part of an escaped one, under either
    /// layer). Followed from each start, forms would cost the square of the
    /// secret's length per start; all starts at once, the secret's length.
    func testRunOfBackslashes() {
        let r = redactor(String(repeating: "\\", count: 30) + "x")
        let run = String(repeating: "\\", count: 1024)
        XCTAssertEqual(r.redact(run), run)
        // The secret's forms end at the "x" and start up to 4 * 30 bytes before it.
        XCTAssertEqual(r.redact(run + "x"), String(repeating: "\\", count: 1024 - 120) + "***")
    }

    func testLargeBodyStaysCheap() {
        // 256 KiB of "%" and "\" (the bytes that start an encoded form) next to the secrets.
        let r = redactor("password-1", "sk-abcdef", "token-xyz")
        let body = String(repeating: "%\\+", count: 87_000) + "sk-abcdef"
        XCTAssertTrue(r.redact(body).hasSuffix("***"))
    }
}
