import Glibc
import HSSBase
import XCTest

/// JSONFields, the one-pass reader of an object's top-level strings: the
/// same verdict as JSONDocument on every text (JSONTestSuite, generated
/// answers, random mutations), the same bytes for every field, and where
/// they land in the one output buffer.
final class JSONFieldsTests: XCTestCase {
    static let names: [StaticString] = ["image_command", "images_download_url", "swr_image_pull_command", "a", ""]

    /// What one read gave: the verdict, whether the root is an object, and
    /// each wanted value's bytes with whether it holds a NUL (nil: not found).
    struct Read: Equatable {
        var error: JSONError?
        var isObject = false
        var values: [[UInt8]?] = []
        var nuls: [Bool] = []
    }

    /// Reads `bytes` for `names` into a buffer that already holds `prefix`,
    /// and checks what surrounds the values there: the prefix untouched, a NUL
    /// after each value, nothing else written, no growth when `roomy`.
    private func read(
        _ bytes: [UInt8], names: [StaticString] = names, prefix: [UInt8] = [], roomy: Bool = true,
        file: StaticString = #filePath, line: UInt = #line
    ) -> Read {
        let out = SecureBuffer(capacity: roomy ? prefix.count + bytes.count : 0)
        prefix.withUnsafeBufferPointer { out.append($0) }
        let storage = out.bytes.baseAddress
        var result = Read()
        let fields: JSONFields
        do throws(JSONError) {
            fields = try bytes.withUnsafeBufferPointer { text throws(JSONError) in
                try JSONFields.read(text, names: names, into: out)
            }
        } catch {
            // A refused text leaves nothing of itself in out: no value is copied before the verdict.
            XCTAssertEqual(Array(out.bytes), prefix, "a refused text wrote into out", file: file, line: line)
            result.error = error
            return result
        }
        XCTAssertTrue(out.isValid, file: file, line: line)
        XCTAssertEqual(Array(out.bytes.prefix(prefix.count)), prefix, file: file, line: line)
        if roomy { XCTAssertEqual(out.bytes.baseAddress, storage, "out grew", file: file, line: line) }
        result.isObject = fields.isObject
        var written = prefix.count
        for k in names.indices {
            guard let range = fields[k] else {
                result.values.append(nil)
                result.nuls.append(false)
                continue
            }
            XCTAssertEqual(out.bytes[range.upperBound], 0, "no NUL after value \(k)", file: file, line: line)
            written += range.count + 1
            result.values.append(Array(out.bytes[range]))
            result.nuls.append(fields.holdsNUL(k))
        }
        XCTAssertEqual(out.count, written, "out holds more than the values", file: file, line: line)
        return result
    }

    /// What JSONDocument says of the same text, in the same shape.
    private func document(_ bytes: [UInt8], names: [StaticString] = names) -> Read {
        bytes.withUnsafeBufferPointer { text in
            var result = Read()
            do throws(JSONError) {
                let document = try JSONDocument(text)
                result.isObject = document.rootKind == .object
                for name in names {
                    let value = document.string(at: [name.description]).map { Array($0.bytes) }
                    result.values.append(result.isObject ? value : nil)
                    result.nuls.append(value?.contains(0) ?? false)
                }
            } catch {
                result.error = error
            }
            return result
        }
    }

    private func assertSameAsDocument(_ bytes: [UInt8], file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual(read(bytes, file: file, line: line), document(bytes), show(bytes), file: file, line: line)
    }

    private func show(_ bytes: [UInt8]) -> String { String(decoding: bytes, as: UTF8.self) }

    private func values(_ text: String, names: [StaticString] = names) -> [String?] {
        read(Array(text.utf8), names: names).values.map { $0.map { String(decoding: $0, as: UTF8.self) } }
    }

    // MARK: The rule: JSONDocument's verdict

    func testJSONTestSuiteGetsTheDocumentsVerdict() {
        let suite = JSONReaderTests.suite
        XCTAssertEqual(suite.count, 318, "Tests/data/JSONTestSuite is incomplete")
        for (name, bytes) in suite {
            let verdict = read(bytes)
            switch name.prefix(2) {
            case "y_" where name.hasPrefix("y_object_duplicated_key"):
                guard case .duplicateKey = verdict.error else { return XCTFail(name) }
            case "y_": XCTAssertNil(verdict.error, name)
            case "n_": XCTAssertNotNil(verdict.error, name)
            default: XCTAssertEqual(verdict.error == nil, name.hasPrefix("i_number_"), name)
            }
            XCTAssertEqual(verdict, document(bytes), name)
        }
    }

    func testDuplicateKeysAreRefusedAtEveryLevelAfterUnescaping() {
        for duplicated in [
            #"{"a":"1","a":"2"}"#, #"{"a":"1","\u0061":"2"}"#, #"{"a":1,"a":"2"}"#, #"{"x":1,"x":2,"a":"v"}"#,
            #"{"a":"v","x":{"k":1,"k":2}}"#, #"{"a":"v","x":[{"b":1,"b":1}]}"#, #"{"":"1","":"2"}"#,
        ] {
            XCTAssertEqual(read(Array(duplicated.utf8)).error, document(Array(duplicated.utf8)).error, duplicated)
            guard case .duplicateKey = read(Array(duplicated.utf8)).error else { return XCTFail(duplicated) }
        }
        // A large object (the sorting path), the wanted name twice.
        let members = (0..<40).map { #""key\#($0)":"\#($0)""# }.joined(separator: ",")
        let text = Array(("{" + members + #","a":"1","\u0061":"2"}"#).utf8)
        guard case .duplicateKey = read(text).error else { return XCTFail("large object") }
        assertSameAsDocument(text)
    }

    // MARK: Reading

    func testReadsTheAnswersFieldsIntoOneBuffer() {
        let answer = #"""
            {"image_command":"docker login -u admin -p s3cret r.example.com:443",
             "images_download_url":"https://example.com/x.zip","swr_image_pull_command":"docker pull x"}
            """#
        XCTAssertEqual(
            values(answer),
            [
                "docker login -u admin -p s3cret r.example.com:443", "https://example.com/x.zip", "docker pull x", nil,
                nil,
            ])
        // The values follow each other in the buffer, in the text's order, after what it held.
        let bytes = Array(answer.utf8)
        let result = read(bytes, prefix: Array("held".utf8))
        XCTAssertNil(result.error)
        XCTAssertEqual(result.values.compactMap { $0 }.count, 3)
        // Too small a buffer grows, and the values are the same.
        XCTAssertEqual(read(bytes, roomy: false), read(bytes))
    }

    func testARefusedAnswerLeavesNoValueBehind() {
        // The password-bearing value comes first and is complete; the text breaks after it.
        for tail in [",}", "", ",\"image_command\":\"again\"}", "} x"] {
            let text = Array(("{\"image_command\":\"docker login -p Harbor12345\"" + tail).utf8)
            XCTAssertNotNil(read(text, prefix: Array("kept".utf8)).error, tail)
        }
    }

    func testAbsentWrongKindsNestedAndNonObjects() {
        let text = #"""
            {"a": 1, "image_command": null, "x": {"images_download_url": "nested"}, "l": ["a", "b"],
             "swr_image_pull_command": {"a": "deep"}, "": "empty name"}
            """#
        XCTAssertEqual(values(text), [nil, nil, nil, nil, "empty name"])
        for root in [#"["a"]"#, #""a""#, "1", "null", #"[{"a":"x"}]"#] {
            let result = read(Array(root.utf8))
            XCTAssertNil(result.error, root)
            XCTAssertFalse(result.isObject, root)
            XCTAssertEqual(result.values, [nil, nil, nil, nil, nil], root)
        }
        XCTAssertTrue(read(Array("{}".utf8)).isObject)
        XCTAssertEqual(values(#"{"a":"x"}"#, names: []), [])
    }

    func testNamesMatchAfterUnescapingAndValuesAreUnescaped() {
        let text = #"""
            {"image\u005fcommand": "p\u0061ss \"q\" \\ \/ \n\t é\u00e9 \ud83d\ude00", "\u0061": "",
             "images_download_url": "a\u0000b", "swr_image_pull_command": "plain"}
            """#
        let result = read(Array(text.utf8))
        XCTAssertEqual(result.values[0], Array("pass \"q\" \\ / \n\t éé 😀".utf8))
        XCTAssertEqual(result.values[3], [])
        XCTAssertEqual(result.values[1], [0x61, 0, 0x62])
        XCTAssertEqual(result.nuls, [false, true, false, false, false])
        XCTAssertEqual(result, document(Array(text.utf8)))
    }

    // MARK: Equivalence with JSONDocument

    /// Generated answers (members named like the wanted ones, sometimes
    /// twice, sometimes escaped; values of every kind) and random mutations
    /// of them and of the suite: the same verdict, the same bytes.
    func testSameVerdictAndBytesAsJSONDocument() {
        var random = SplitMix64(seed: 0x4853_5300_2400)
        let seeds = JSONReaderTests.suite.map(\.bytes)
        var accepted = 0
        var found = 0
        var duplicated = 0
        for round in 0..<6_000 {
            let bytes: [UInt8]
            switch round % 3 {
            case 0: bytes = Array(Self.answer(&random).utf8)
            case 1: bytes = JSONReaderTests.mutated(Array(Self.answer(&random).utf8), &random)
            default: bytes = JSONReaderTests.mutated(seeds[random.below(seeds.count)], &random)
            }
            let result = read(bytes)
            XCTAssertEqual(result, document(bytes), show(bytes))
            accepted += result.error == nil ? 1 : 0
            found += result.values.compactMap { $0 }.count
            if case .duplicateKey = result.error { duplicated += 1 }
        }
        // The generator must reach every verdict and find values, or it proves little.
        XCTAssertGreaterThan(accepted, 1_000)
        XCTAssertLessThan(accepted, 5_000)
        XCTAssertGreaterThan(duplicated, 100)
        XCTAssertGreaterThan(found, 800)
        print(
            "JSONFields against JSONDocument: \(accepted) of 6000 accepted, \(duplicated) refused for a duplicate key, "
                + "\(found) values found")
    }

    /// A random JSON text, usually an object whose members are named like the wanted fields.
    static func answer(_ random: inout SplitMix64) -> String {
        let names = [
            "image_command", "image\\u005fcommand", "images_download_url", "swr_image_pull_command", "a", "\\u0061",
            "", "b", "error", "image_comman",
        ]
        func string() -> String {
            let pieces = [
                "docker", " ", "\\\"", "\\\\", "\\/", "\\n", "\\u00e9", "é", "😀", "\\ud83d\\ude00", "\\u0000", "-p",
                "x",
            ]
            return "\"" + (0..<random.below(6)).map { _ in pieces[random.below(pieces.count)] }.joined() + "\""
        }
        func value(_ depth: Int) -> String {
            switch random.below(depth > 2 ? 4 : 7) {
            case 0, 1: return string()
            case 2: return ["1", "-0.5e3", "true", "false", "null"][random.below(5)]
            case 3: return "\"\""
            case 4, 5: return object(depth + 1)
            default: return "[" + (0..<random.below(3)).map { _ in value(depth + 1) }.joined(separator: ",") + "]"
            }
        }
        func object(_ depth: Int) -> String {
            // Distinct spellings, so that only escapes (and a few repeats) make duplicates.
            var pool = names
            var members: [String] = []
            for _ in 0..<random.below(depth == 0 ? 7 : 3) {
                let name =
                    random.below(20) == 0 ? names[random.below(names.count)] : pool.remove(at: random.below(pool.count))
                members.append("\"" + name + "\": " + value(depth))
            }
            return "{" + members.joined(separator: random.below(2) == 0 ? "," : " ,\n ") + "}"
        }
        return random.below(10) == 0 ? value(1) : object(0)
    }
}
