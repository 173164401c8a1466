import HSSBase
import XCTest

/// The profile file reader: configparser's rules for what a credentials file holds, strictly, and values only
/// ever in SecureBuffers.
final class INIReaderTests: XCTestCase {
    // MARK: Helpers

    private func parse(_ bytes: [UInt8]) throws(INIError) -> INIDocument {
        let buffer = SecureBuffer(capacity: bytes.count)
        bytes.withUnsafeBufferPointer { buffer.append($0) }
        return try withExtendedLifetime(buffer) { () throws(INIError) in try INIDocument(buffer.bytes) }
    }

    private func parse(_ text: String) throws(INIError) -> INIDocument {
        try parse(Array(text.utf8))
    }

    /// The error `text` gives, nil when it parses.
    private func error(_ text: String) -> INIError? {
        do throws(INIError) {
            _ = try parse(text)
            return nil
        } catch {
            return error
        }
    }

    private func value(_ text: String, _ section: String = "basic", key: String) throws -> String? {
        try parse(text).value(section: section, key: key)?.string()
    }

    // MARK: Accepted

    func testSectionsAndValues() throws {
        let doc = try parse("[basic]\nak = AK1\nsk = SK1\nproject_id = p1\n")
        XCTAssertEqual(doc.value(section: "basic", key: "ak")?.string(), "AK1")
        XCTAssertEqual(doc.value(section: "basic", key: "sk")?.string(), "SK1")
        XCTAssertEqual(doc.value(section: "basic", key: "project_id")?.string(), "p1")
        XCTAssertNil(doc.value(section: "basic", key: "security_token"))
        XCTAssertTrue(doc.hasSection("basic"))
        XCTAssertNil(doc.value(section: "global", key: "ak"))
    }

    func testSectionNamesAreCaseSensitiveAndExact() throws {
        let doc = try parse("[basic]\nak = 1\n[basiccredentials]\nak = 2\n[ global ]\nak = 3\n[Basic]\nak = 4\n")
        XCTAssertEqual(doc.value(section: "basic", key: "ak")?.string(), "1")
        XCTAssertEqual(doc.value(section: "basiccredentials", key: "ak")?.string(), "2")
        XCTAssertEqual(doc.value(section: "Basic", key: "ak")?.string(), "4")
        // configparser keeps the spaces inside the brackets.
        XCTAssertFalse(doc.hasSection("global"))
        XCTAssertEqual(doc.value(section: " global ", key: "ak")?.string(), "3")
        XCTAssertFalse(doc.hasSection("BASIC"))
        XCTAssertFalse(try parse("[basiccredentials]\nak = 2\n").hasSection("basic"))
    }

    func testKeysAreCaseInsensitive() throws {
        let doc = try parse("[basic]\nAK = upper\nSk = mixed\n")
        XCTAssertEqual(doc.value(section: "basic", key: "ak")?.string(), "upper")
        XCTAssertEqual(doc.value(section: "basic", key: "Ak")?.string(), "upper")
        XCTAssertEqual(doc.value(section: "basic", key: "SK")?.string(), "mixed")
    }

    func testSeparatorIsTheFirstEqualsOrColon() throws {
        let text = "[basic]\nak=plain\nsk: colon\na:b=c\nd=e:f\ng \t=\t h  \n"
        XCTAssertEqual(try value(text, key: "ak"), "plain")
        XCTAssertEqual(try value(text, key: "sk"), "colon")
        XCTAssertEqual(try value(text, key: "a"), "b=c")
        XCTAssertEqual(try value(text, key: "d"), "e:f")
        XCTAssertEqual(try value(text, key: "g"), "h")
    }

    func testValuesKeepEverythingButOuterSpaces() throws {
        let text = """
            [basic]
            percent = PS%K%(name)s%%
            semicolon = a ;not a comment
            hash = b #not a comment
            equals = x=y==
            colon = http://host:80
            unicode = пароль 密码 🔑
            spaces =  a b \t c\t
            empty =
            """
        XCTAssertEqual(try value(text, key: "percent"), "PS%K%(name)s%%")
        XCTAssertEqual(try value(text, key: "semicolon"), "a ;not a comment")
        XCTAssertEqual(try value(text, key: "hash"), "b #not a comment")
        XCTAssertEqual(try value(text, key: "equals"), "x=y==")
        XCTAssertEqual(try value(text, key: "colon"), "http://host:80")
        XCTAssertEqual(try value(text, key: "unicode"), "пароль 密码 🔑")
        XCTAssertEqual(try value(text, key: "spaces"), "a b \t c")
        XCTAssertEqual(try value(text, key: "empty"), "")
    }

    func testCommentsAndBlankLinesAreSkipped() throws {
        let text = "# top\n; top\n\n[basic]\n  # indented\n\t; tabbed\n\nak = 1\n   \n# after\nsk = 2\n"
        XCTAssertEqual(try value(text, key: "ak"), "1")
        XCTAssertEqual(try value(text, key: "sk"), "2")
        XCTAssertNil(try value(text, key: "# after"))
    }

    func testLineEndsAndByteOrderMark() throws {
        for text in ["[basic]\r\nak = 1\r\nsk = 2\r\n", "[basic]\rak = 1\rsk = 2", "\u{FEFF}[basic]\nak = 1\nsk = 2"] {
            XCTAssertEqual(try value(text, key: "ak"), "1", text.debugDescription)
            XCTAssertEqual(try value(text, key: "sk"), "2", text.debugDescription)
        }
    }

    func testDefaultIsInheritedAndOverridden() throws {
        let doc = try parse("[DEFAULT]\nak = shared\niam_endpoint = iam\n[basic]\nak = own\n[global]\n")
        XCTAssertEqual(doc.value(section: "basic", key: "ak")?.string(), "own")
        XCTAssertEqual(doc.value(section: "basic", key: "iam_endpoint")?.string(), "iam")
        XCTAssertEqual(doc.value(section: "global", key: "ak")?.string(), "shared")
        XCTAssertEqual(doc.value(section: "DEFAULT", key: "ak")?.string(), "shared")
        // DEFAULT is not a section, and gives nothing to a section that does not exist.
        XCTAssertFalse(doc.hasSection("DEFAULT"))
        XCTAssertNil(doc.value(section: "absent", key: "ak"))
        // Only the upper-case name is special.
        XCTAssertNil(try parse("[default]\nak = 1\n[basic]\n").value(section: "basic", key: "ak"))
    }

    func testIndentedLinesThatAreNotContinuations() throws {
        // configparser takes an indented line as a continuation only after a less indented key line.
        let text = "[basic]\n    ak = 1\n    sk = 2\n  [global]\n  ak = 3\n"
        XCTAssertEqual(try value(text, key: "ak"), "1")
        XCTAssertEqual(try value(text, key: "sk"), "2")
        XCTAssertEqual(try value(text, "global", key: "ak"), "3")
    }

    func testEmptyFileHasNoSections() throws {
        XCTAssertFalse(try parse("").hasSection("basic"))
        XCTAssertFalse(try parse("\n# only a comment\n").hasSection("basic"))
    }

    func testValueIsACopy() throws {
        let doc = try parse("[basic]\nak = 1\n")
        doc.value(section: "basic", key: "ak")?.append("changed")
        XCTAssertEqual(doc.value(section: "basic", key: "ak")?.string(), "1")
    }

    // MARK: Refused, with the line and never the value

    func testErrorsReportTheLine() {
        let cases: [(String, INIError.Reason, Int)] = [
            ("ak = S3CR3T\n[basic]\n", .missingSectionHeader, 1),
            ("# c\n\n  S3CR3T\n[basic]\n", .missingSectionHeader, 3),
            ("[basic]\nak = 1\n[global]\n[basic]\n", .duplicateSection, 4),
            ("[DEFAULT]\n[basic]\n[DEFAULT]\n", .duplicateSection, 3),
            ("[basic]\nak = 1\nsk = S3CR3T\nAK = S3CR3T\n", .duplicateKey, 4),
            ("[DEFAULT]\nak = 1\nak = S3CR3T\n", .duplicateKey, 3),
            ("[basic]\nak = 1\nS3CR3T\n", .missingSeparator, 3),
            ("[basic]\n= S3CR3T\n", .emptyKey, 2),
            ("[basic]\n  : S3CR3T\n", .emptyKey, 2),
            ("[basic\nak = 1\n", .malformedSectionHeader, 1),
            ("[basic]\n[]\n", .malformedSectionHeader, 2),
            ("[basic] S3CR3T\n", .malformedSectionHeader, 1),
            ("[basic]\nsk = S3CR3T\n  S3CR3T\n", .continuationLine, 3),
            ("[basic]\nsk = S3CR3T\n\tsk2 = S3CR3T\n", .continuationLine, 3),
            // Comments and blank lines do not end a value in configparser either.
            ("[basic]\nsk = 1\n# c\n\n   more = S3CR3T\n", .continuationLine, 5),
            ("[basic]\r\nak = 1\r\n\r\nS3CR3T\r\n", .missingSeparator, 4),
            ("[basic]\rak = 1\r\rS3CR3T\r", .missingSeparator, 4),
        ]
        for (text, reason, line) in cases {
            let found = error(text)
            XCTAssertEqual(found, INIError(line: line, reason: reason), text.debugDescription)
            XCTAssertFalse(found?.description.contains("S3CR3T") ?? true)
            XCTAssertEqual(found?.description, "line \(line): \(reason)")
        }
    }

    func testMessages() {
        XCTAssertEqual(
            INIError(line: 3, reason: .continuationLine).description,
            "line 3: an indented line after a value (multi-line values are not supported)")
        XCTAssertEqual("\(INIError(line: 2, reason: .duplicateKey).reason)", "a repeated key in its section")
    }

    func testInvalidUTF8IsRefusedWithItsLine() throws {
        let bytes = Array("[basic]\nak = 1\nsk = ".utf8) + [0xC3, 0x28] + Array("\n".utf8)
        XCTAssertThrowsError(try parse(bytes)) { error in
            XCTAssertEqual(error as? INIError, INIError(line: 3, reason: .invalidUTF8))
        }
        // A lone surrogate encoded in UTF-8 is not UTF-8 either.
        XCTAssertThrowsError(try parse(Array("[basic]\nsk = ".utf8) + [0xED, 0xA0, 0x80]))
    }
}
