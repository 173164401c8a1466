import Glibc
import HSSBase
import XCTest

/// The strict JSON reader: JSONTestSuite, unescaping into SecureBuffers,
/// key-path lookups, depth and duplicate-key limits, and random mutations.
final class JSONReaderTests: XCTestCase {
    // MARK: Helpers

    /// Parses `bytes` and hands the document to `body`; the verdict is the error, nil when accepted.
    @discardableResult
    private func parse(
        _ bytes: [UInt8], maxDepth: Int = 64, allowDuplicateKeys: Bool = false,
        _ body: (JSONDocument) -> Void = { _ in }
    ) -> JSONError? {
        bytes.withUnsafeBufferPointer { buffer in
            do throws(JSONError) {
                body(try JSONDocument(buffer, maxDepth: maxDepth, allowDuplicateKeys: allowDuplicateKeys))
                return nil
            } catch {
                return error
            }
        }
    }

    @discardableResult
    private func parse(
        _ text: String, allowDuplicateKeys: Bool = false,
        _ body: (JSONDocument) -> Void = { _ in }
    ) -> JSONError? {
        parse(Array(text.utf8), allowDuplicateKeys: allowDuplicateKeys, body)
    }

    private func bytes(_ buffer: SecureBuffer?) -> [UInt8]? {
        buffer.map { Array($0.bytes) }
    }

    /// Tests/data/JSONTestSuite/*.json as (name, contents), sorted by name.
    static let suite: [(name: String, bytes: [UInt8])] = {
        // Tests/HSSTests/<this file> -> Tests/data/JSONTestSuite
        let folder = "/" + #filePath.split(separator: "/").dropLast(2).joined(separator: "/") + "/data/JSONTestSuite/"
        guard let dir = opendir(folder) else { return [] }
        defer { closedir(dir) }
        var files: [(String, [UInt8])] = []
        while let entry = readdir(dir) {
            let name = withUnsafePointer(to: entry.pointee.d_name) {
                String(cString: UnsafeRawPointer($0).assumingMemoryBound(to: CChar.self))
            }
            guard name.hasSuffix(".json"), let file = fopen(folder + name, "rb") else { continue }
            var contents: [UInt8] = []
            var chunk = [UInt8](repeating: 0, count: 65536)
            while true {
                let got = fread(&chunk, 1, chunk.count, file)
                if got <= 0 { break }
                contents += chunk[0..<got]
            }
            fclose(file)
            files.append((name, contents))
        }
        return files.sorted { $0.0 < $1.0 }
    }()

    // MARK: JSONTestSuite

    func testJSONTestSuite() {
        let suite = Self.suite
        XCTAssertEqual(suite.count, 318, "Tests/data/JSONTestSuite is incomplete")
        var counts: [String: (accepted: Int, rejected: Int)] = [:]
        for (name, bytes) in suite {
            let prefix = String(name.prefix(2))
            let verdict = parse(bytes, allowDuplicateKeys: true)
            switch prefix {
            case "y_": XCTAssertNil(verdict, name)
            case "n_": XCTAssertNotNil(verdict, name)
            case "i_":
                // Implementation-defined; ours: big numbers are text (accepted), while lone surrogates,
                // invalid UTF-8, a BOM and 500 levels of nesting are refused. The same verdict twice.
                XCTAssertEqual(verdict == nil, name.hasPrefix("i_number_"), name)
                XCTAssertEqual(verdict, parse(bytes, allowDuplicateKeys: true), name)
            default: XCTFail("unexpected file \(name)")
            }
            counts[prefix, default: (0, 0)].accepted += verdict == nil ? 1 : 0
            counts[prefix, default: (0, 0)].rejected += verdict == nil ? 0 : 1
        }
        print(
            "JSONTestSuite: "
                + counts.keys.sorted().map { "\($0) \(counts[$0]!.accepted) accepted/\(counts[$0]!.rejected) rejected" }
                .joined(separator: ", "))
    }

    func testDuplicatedKeysOfTheSuiteAreRefusedByDefault() {
        let duplicated = Self.suite.filter { $0.name.hasPrefix("y_object_duplicated_key") }
        XCTAssertEqual(duplicated.count, 2)
        for (name, bytes) in duplicated {
            guard case .duplicateKey = parse(bytes) else { return XCTFail(name) }
        }
        // Every other y_ file has no duplicate key: accepted with the default too.
        for (name, bytes) in Self.suite where name.hasPrefix("y_") && !name.hasPrefix("y_object_duplicated_key") {
            XCTAssertNil(parse(bytes), name)
        }
    }

    // MARK: Strictness beyond the suite

    func testErrorOffsets() {
        XCTAssertEqual(parse(""), .syntax(offset: 0))
        XCTAssertEqual(parse("  "), .syntax(offset: 2))
        XCTAssertEqual(parse("[1,]"), .syntax(offset: 3))
        XCTAssertEqual(parse("{\"a\" 1}"), .syntax(offset: 5))
        XCTAssertEqual(parse("[1] x"), .syntax(offset: 4))
        XCTAssertEqual(parse("\u{FEFF}{}"), .syntax(offset: 0))
        XCTAssertEqual(parse("01"), .syntax(offset: 1))
        XCTAssertEqual(parse("\"a\tb\""), .syntax(offset: 2))
        XCTAssertEqual(parse("{\"a\":1,\"a\":2}"), .duplicateKey(offset: 7))
    }

    func testLoneSurrogatesAndBadEscapesAreRefused() {
        for bad in [
            #""\ud800""#, #""\udc00""#, #""\ud800\u0041""#, #""\ud800x""#, #""\ud800\ud800""#,
            #""\uDFFF\uD800""#, #""\u12""#, #""\u12G4""#, #""\x41""#, #""\'""#, #""\"#, #""\u"#,
        ] {
            XCTAssertNotNil(parse(bad), bad)
        }
        for bad: [UInt8] in [
            [0x22, 0xC0, 0x80, 0x22], [0x22, 0xED, 0xA0, 0x80, 0x22], [0x22, 0xF4, 0x90, 0x80, 0x80, 0x22],
            [0x22, 0xE0, 0x9F, 0xBF, 0x22], [0x22, 0xC3, 0x22], [0x22, 0xFF, 0x22], [0x22, 0xE2, 0x82],
        ] {
            XCTAssertNotNil(parse(bad), "\(bad)")
        }
        for good: [UInt8] in [
            [0x22, 0xF4, 0x8F, 0xBF, 0xBF, 0x22], [0x22, 0xEF, 0xBF, 0xBF, 0x22], [0x22, 0xED, 0x9F, 0xBF, 0x22],
        ] {
            XCTAssertNil(parse(good), "\(good)")
        }
    }

    /// Every byte value at every position of the first two sixteen-byte
    /// blocks of a string and of the bytes after them (the scan reads sixteen
    /// bytes at a time, as two words of eight, then the text's last bytes one
    /// by one).
    func testEveryByteAtEveryPositionOfAString() {
        for position in 0..<46 {
            for byte in 0...255 {
                let text =
                    [0x22] + Array(repeating: UInt8(ascii: "a"), count: position) + [UInt8(byte)]
                    + Array(repeating: UInt8(ascii: "a"), count: 45 - position) + [0x22]
                let plain = byte >= 0x20 && byte < 0x80 && byte != 0x22 && byte != 0x5C
                XCTAssertEqual(parse(text) == nil, plain, "byte \(byte) at \(position)")
            }
            // What needs a look, found exactly where it is: an escape, a UTF-8
            // sequence, and the closing quote.
            let before = String(repeating: "a", count: position)
            let after = String(repeating: "a", count: 45 - position)
            for (value, decoded) in [(#"\n"#, "\n"), ("é", "é"), ("", "")] {
                let text = #"{"k":""# + before + value + after + #"","l":""# + before + #""}"#
                let verdict = parse(text) { d in
                    XCTAssertEqual(self.bytes(d.string(at: ["k"])), Array((before + decoded + after).utf8), value)
                    XCTAssertEqual(self.bytes(d.string(at: ["l"])), Array(before.utf8), "\(position)")
                }
                XCTAssertNil(verdict, text)
            }
        }
    }

    // MARK: Unescaping

    func testEveryEscapeDecodesToUTF8() {
        let text = #"{"s":"\"\\\/\b\f\n\r\t\u00e9\u00E9\u20ac\u20AC\ud83d\ude00\uD83D\uDE00\u0000x","plain":"é€😀"}"#
        parse(text) { document in
            let expected: [UInt8] = [
                0x22, 0x5C, 0x2F, 0x08, 0x0C, 0x0A, 0x0D, 0x09, 0xC3, 0xA9, 0xC3, 0xA9,
                0xE2, 0x82, 0xAC, 0xE2, 0x82, 0xAC, 0xF0, 0x9F, 0x98, 0x80, 0xF0, 0x9F, 0x98, 0x80,
                0x00, 0x78,
            ]
            XCTAssertEqual(self.bytes(document.string(at: ["s"])), expected)
            XCTAssertEqual(self.bytes(document.string(at: ["plain"])), Array("é€😀".utf8))
        }
        parse(#"["","\u0041"]"#) { XCTAssertEqual($0.rootKind, .array) }
        parse(#"{"e":"","n":"\u0000"}"#) { document in
            XCTAssertEqual(self.bytes(document.string(at: ["e"])), [])
            XCTAssertEqual(self.bytes(document.string(at: ["n"])), [0])  // the caller refuses NULs
        }
        parse(#""\u0041b""#) { XCTAssertNil($0.string(at: ["x"])) }  // a root string has no members
        parse(#""\u0041b""#) { XCTAssertEqual(self.bytes($0.string(at: [])), Array("Ab".utf8)) }
    }

    // MARK: Lookup

    func testLookups() {
        let text = #"""
            { "image_command": "docker login -u x -p s3cr\u0065t",
              "error": {"code": "HSS.0001", "msg": {"nested": [1, {"code": 2}]}, "n": null},
              "count": -1.5e3, "ok": true, "no": false, "list": [], "obj": {},
              "pass\u0077ord": "pw", "": "empty name" }
            """#
        XCTAssertNil(
            parse(text) { d in
                XCTAssertEqual(d.rootKind, .object)
                XCTAssertEqual(self.bytes(d.string(at: ["image_command"])), Array("docker login -u x -p s3cret".utf8))
                XCTAssertEqual(self.bytes(d.string(at: ["error", "code"])), Array("HSS.0001".utf8))
                XCTAssertEqual(self.bytes(d.string(at: ["password"])), Array("pw".utf8))
                XCTAssertEqual(self.bytes(d.string(at: [""])), Array("empty name".utf8))
                XCTAssertEqual(d.kind(at: []), .object)
                XCTAssertEqual(d.kind(at: ["error"]), .object)
                XCTAssertEqual(d.kind(at: ["error", "msg", "nested"]), .array)
                XCTAssertEqual(d.kind(at: ["error", "n"]), .null)
                XCTAssertEqual(d.kind(at: ["count"]), .number)
                XCTAssertEqual(d.kind(at: ["ok"]), .bool)
                XCTAssertEqual(d.kind(at: ["no"]), .bool)
                XCTAssertEqual(d.kind(at: ["list"]), .array)
                XCTAssertEqual(d.kind(at: ["obj"]), .object)
                // Absent, wrong kinds, and paths through non-objects.
                XCTAssertNil(d.kind(at: ["absent"]))
                XCTAssertNil(d.kind(at: ["pass"]))
                XCTAssertNil(d.kind(at: ["passwordx"]))
                XCTAssertNil(d.kind(at: ["error", "absent"]))
                XCTAssertNil(d.kind(at: ["code"]))  // only nested
                XCTAssertNil(d.kind(at: ["image_command", "x"]))
                XCTAssertNil(d.kind(at: ["error", "msg", "nested", "code"]))  // arrays have no names
                XCTAssertNil(d.kind(at: ["obj", "x"]))
                XCTAssertNil(d.string(at: ["count"]))
                XCTAssertNil(d.string(at: ["error"]))
                XCTAssertNil(d.string(at: ["error", "n"]))
                XCTAssertNil(d.string(at: ["password\u{0}"]))
            })
        // Not an object at the root: no members.
        parse("[1]") { XCTAssertNil($0.kind(at: ["0"])) }
        parse(" 7 ") {
            XCTAssertEqual($0.rootKind, .number)
            XCTAssertEqual($0.kind(at: []), .number)
        }
    }

    func testStringsInEachElementOfAnArray() {
        let text = #"""
            {"projects": [{"id": "p1", "name": "x"}, {"name": "no id"}, {"id": 5}, "str", [{"id": "deep"}],
                          {"x": {"id": "nested"}, "id": "p\u0032"}, {}],
             "data": {"projects": [{"id": "d1"}]}, "empty": [], "object": {"id": "o"}}
            """#
        XCTAssertNil(
            parse(text) { d in
                XCTAssertEqual(
                    d.strings(inEachOf: ["projects"], key: "id")?.map { Array($0.bytes) },
                    [Array("p1".utf8), Array("p2".utf8)])
                XCTAssertEqual(
                    d.strings(inEachOf: ["data", "projects"], key: "id")?.map { Array($0.bytes) }, [Array("d1".utf8)])
                XCTAssertEqual(d.strings(inEachOf: ["projects"], key: "absent")?.count, 0)
                XCTAssertEqual(d.strings(inEachOf: ["empty"], key: "id")?.count, 0)
                XCTAssertNil(d.strings(inEachOf: ["object"], key: "id"))
                XCTAssertNil(d.strings(inEachOf: ["absent"], key: "id"))
                XCTAssertNil(d.strings(inEachOf: [], key: "id"))
            })
        parse(#" [ {"id":"a"} , {"id":"b"} ] "#) { d in
            XCTAssertEqual(d.strings(inEachOf: [], key: "id")?.map { Array($0.bytes) }, [[0x61], [0x62]])
        }
    }

    // MARK: Limits

    func testDepth() {
        let deep64 = Array(repeating: UInt8(ascii: "["), count: 64) + Array(repeating: UInt8(ascii: "]"), count: 64)
        let deep65 = Array(repeating: UInt8(ascii: "["), count: 65) + Array(repeating: UInt8(ascii: "]"), count: 65)
        XCTAssertNil(parse(deep64))
        XCTAssertEqual(parse(deep65), .tooDeep)
        XCTAssertEqual(parse(deep65, maxDepth: 65), nil)
        XCTAssertEqual(parse(Array(repeating: UInt8(ascii: "["), count: 100_000)), .tooDeep)
        XCTAssertEqual(parse(Array(String(repeating: "{\"a\":", count: 100_000).utf8)), .tooDeep)
        let objects = String(repeating: "{\"a\":", count: 64) + "1" + String(repeating: "}", count: 64)
        XCTAssertNil(parse(objects) { d in XCTAssertEqual(d.kind(at: Array(repeating: "a", count: 63)), .object) })
    }

    func testDuplicateKeys() {
        for duplicated in [
            #"{"a":1,"a":2}"#, #"{"a":1,"\u0061":2}"#, #"{"é":1,"\u00e9":2}"#, #"{"😀":1,"\ud83d\ude00":2}"#,
            #"{"x":{"k":1,"j":2,"k":3}}"#, #"[{"a":[]},{"b":1,"b":1}]"#, #"{"":1,"":2}"#,
        ] {
            guard case .duplicateKey = parse(duplicated) else { return XCTFail(duplicated) }
            XCTAssertNil(parse(duplicated, allowDuplicateKeys: true), duplicated)
        }
        for distinct in [
            #"{"a":1,"ab":2,"b":3,"\u0062a":4}"#, #"{"x":{"a":1,"b":{"a":2}},"a":3}"#,
            #"{"x":[{"a":1},{"a":1}]}"#, #"{"a":{"a":{"a":1}}}"#, #"{"\n":1,"n":2}"#,
        ] {
            XCTAssertNil(parse(distinct), distinct)
        }
        // Large objects take the sorting path.
        let names = (0..<200).map { "\"key\($0)\":\($0)" }
        XCTAssertNil(
            parse("{" + names.joined(separator: ",") + "}") { d in
                XCTAssertEqual(d.kind(at: ["key0"]), .number)
                XCTAssertEqual(d.kind(at: ["key199"]), .number)
                XCTAssertNil(d.kind(at: ["key200"]))
            })
        let repeated = "{" + names.joined(separator: ",") + #","k\u0065y17":0}"#
        XCTAssertEqual(parse(repeated), .duplicateKey(offset: repeated.utf8.count - 15))
        XCTAssertNil(parse(repeated, allowDuplicateKeys: true))
        XCTAssertNotNil(parse(#"{"x":{"# + names.joined(separator: ",") + #","key5":0}}"#))
    }

    // MARK: Random mutations

    func testRandomMutationsOfTheSuiteNeverCrashAndAreDeterministic() {
        let seeds = Self.suite.filter { $0.name.hasPrefix("y_") }.map(\.bytes)
        XCTAssertFalse(seeds.isEmpty)
        var random = SplitMix64(seed: 0x4853_5300_1100)
        var accepted = 0
        for _ in 0..<20_000 {
            let bytes = Self.mutated(seeds[random.below(seeds.count)], &random)
            let first = parse(bytes) { d in
                // Exercise the lookups over whatever was accepted.
                _ = d.kind(at: ["a"])
                _ = d.string(at: [""])
                _ = d.string(at: ["a", "b"])
                _ = d.strings(inEachOf: [], key: "a")
            }
            XCTAssertEqual(first, parse(bytes))
            accepted += first == nil ? 1 : 0
        }
        print("JSON random mutations: \(accepted) of 20000 accepted")
    }

    /// `bytes` after one to four random edits: a bit flipped, a byte replaced, the end cut, or a
    /// structural byte inserted.
    static func mutated(_ bytes: [UInt8], _ random: inout SplitMix64) -> [UInt8] {
        let inserts = Array(#""{}[],:\"#.utf8)
        var bytes = bytes
        for _ in 0...random.below(3) {
            switch random.below(4) {
            case 0 where !bytes.isEmpty: bytes[random.below(bytes.count)] ^= UInt8(1 << random.below(8))
            case 1 where !bytes.isEmpty: bytes[random.below(bytes.count)] = UInt8(truncatingIfNeeded: random.next())
            case 2: bytes.removeLast(random.below(bytes.count + 1))
            default: bytes.insert(inserts[random.below(inserts.count)], at: random.below(bytes.count + 1))
            }
        }
        return bytes
    }

    // MARK: Cost

    /// Prints the time per parse and lookup of a ~1 KB answer; not asserted
    /// (a debug build of the tests is far slower than the library).
    func testTimePerParseOfAOneKilobyteAnswer() {
        let projects = (0..<10).map {
            #"{"id": "0123456789abcdef0123456789ab\#($0)", "name": "project-\#($0)", "enabled": true}"#
        }
        let command = "docker login -u cn-north-4@AKEXAMPLE -p 0123456789abcdef swr.example.com"
        let text =
            #"{"error": {"code": "HSS.0000", "message": "ok, \u00e9"}, "total_num": 10, "#
            + #""image_command": "\#(command)", "#
            + #""projects": [\#(projects.joined(separator: ", "))]}"#
        let bytes = Array(text.utf8)
        XCTAssertGreaterThan(bytes.count, 900)
        let rounds = 20_000
        var start = timespec()
        var end = timespec()
        clock_gettime(CLOCK_MONOTONIC, &start)
        var found = 0
        for _ in 0..<rounds {
            parse(bytes) { d in found += d.string(at: ["image_command"])?.count ?? 0 }
        }
        clock_gettime(CLOCK_MONOTONIC, &end)
        let nanoseconds = (end.tv_sec - start.tv_sec) * 1_000_000_000 + (end.tv_nsec - start.tv_nsec)
        XCTAssertEqual(found, rounds * command.utf8.count)
        print("JSON parse + one lookup of a \(bytes.count)-byte answer: \(nanoseconds / rounds) ns")
    }
}

/// A small deterministic generator, so that a failing mutation can be replayed.
struct SplitMix64 {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
    mutating func below(_ bound: Int) -> Int { Int(next() % UInt64(max(bound, 1))) }
}
