import Glibc
import HSSPipeline
import XCTest

/// regions.yaml through libyaml: the official format and behaviour, and a clear error (never a crash) for
/// everything else.
final class RegionsFileTests: XCTestCase {
    private var folder = ""

    override func setUpWithError() throws {
        var template = Array("/tmp/hss-regions-XXXXXX".utf8CString)
        folder = try XCTUnwrap(mkdtemp(&template).map { String(cString: $0) })
    }

    override func tearDown() {
        for name in ["regions.yaml", "fifo", "dir"] {
            unlink(folder + "/" + name)
            rmdir(folder + "/" + name)
        }
        rmdir(folder)
    }

    /// Writes the regions file and returns its path.
    private func file(_ bytes: [UInt8]) -> String {
        let path = folder + "/regions.yaml"
        let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        XCTAssertEqual(bytes.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }, bytes.count)
        close(fd)
        return path
    }

    private func file(_ text: String) -> String { file(Array(text.utf8)) }

    private func endpoints(_ text: String, service: String = "HSS", region: String) throws -> [String]? {
        try RegionsFile.endpoints(service: service, region: region, path: file(text))
    }

    /// The message reading `path` fails with, nil when it reads.
    private func failure(_ path: String, region: String = "cn-north-4") -> String? {
        do throws(RegionsFile.Failure) {
            _ = try RegionsFile.endpoints(service: "HSS", region: region, path: path)
            return nil
        } catch {
            return error.message
        }
    }

    private func failure(text: String) -> String? { failure(file(text)) }

    /// endpoints.md §1.2, verbatim.
    private let official = """
        HSS:                       # service name; matched case-insensitively (key is upper-cased)
          - id: cn-north-4         # entries without id are skipped
            endpoint: https://hss-file.example.com
          - id: xx-custom-1
            endpoints:             # list; 'endpoint' (if present) is APPENDED after it
              - https://e1.example.com
              - https://e2.example.com
            endpoint: https://e3.example.com
        """

    // MARK: Found and not found

    func testOfficialExample() throws {
        XCTAssertEqual(
            try endpoints(official, region: "xx-custom-1"),
            ["https://e1.example.com", "https://e2.example.com", "https://e3.example.com"])
        XCTAssertEqual(try endpoints(official, region: "cn-north-4"), ["https://hss-file.example.com"])
        XCTAssertEqual(try endpoints(official, service: "hss", region: "cn-north-4"), ["https://hss-file.example.com"])
    }

    func testServiceKeyIsCaseInsensitive() throws {
        let text = "hss:\n  - id: r1\n    endpoints: [a.example.com]\nHss_other: x\n"
        XCTAssertEqual(try endpoints(text, region: "r1"), ["a.example.com"])
    }

    func testMissingFileIsNil() throws {
        XCTAssertNil(try RegionsFile.endpoints(service: "HSS", region: "r1", path: folder + "/absent.yaml"))
        XCTAssertNil(try RegionsFile.endpoints(service: "HSS", region: "r1", path: folder + "/absent/regions.yaml"))
    }

    func testAbsentRegionOrServiceIsNil() throws {
        XCTAssertNil(try endpoints(official, region: "cn-north-9"))
        XCTAssertNil(try endpoints(official, service: "IAM", region: "cn-north-4"))
        XCTAssertNil(try endpoints("HSS: []\n", region: "cn-north-4"))
        XCTAssertNil(try endpoints("OTHER: 1\n", region: "cn-north-4"))
    }

    func testEntriesWithoutIdOrEndpointAreSkipped() throws {
        let text = """
            HSS:
              - endpoint: https://no-id.example.com
              - id:
                endpoint: https://null-id.example.com
              - id: ""
                endpoint: https://empty-id.example.com
              - id: r1
                endpoints: []
                endpoint: ""
              - id: r1
                endpoints:
                endpoint: https://later.example.com
            """
        XCTAssertEqual(try endpoints(text, region: "r1"), ["https://later.example.com"])
        XCTAssertNil(try endpoints(text, region: ""))
    }

    func testOtherKeysAndServicesAreIgnored() throws {
        let text = """
            IAM: [1, {a: [b, c]}, null]
            HSS:
              - id: r1
                name: "Region One"
                extra: {nested: [1, 2, {x: y}]}
                endpoint: https://r1.example.com
            ECS: just a string
            """
        XCTAssertEqual(try endpoints(text, region: "r1"), ["https://r1.example.com"])
    }

    func testEndpointsAreTrimmedAndQuotedFormsWork() throws {
        let text = """
            HSS: [{id: "r1", endpoints: ["  a.example.com  ", 'b.example.com'], endpoint: "\\tc.example.com\\n"}]
            """
        XCTAssertEqual(try endpoints(text, region: "r1"), ["a.example.com", "b.example.com", "c.example.com"])
    }

    // MARK: Refused, naming the file and the line

    func testEmptyFile() {
        let path = file("")
        XCTAssertEqual(failure(path), "regions file '\(path)' is empty")
        XCTAssertEqual(failure(text: "# only comments\n\n"), "regions file '\(path)' is empty")
        XCTAssertEqual(failure(text: "---\n"), "regions file '\(path)' is empty")
        XCTAssertEqual(failure(text: "~\n"), "regions file '\(path)' is empty")
    }

    func testNotYAML() throws {
        let message = try XCTUnwrap(failure(text: "HSS:\n  - id: r1\n    endpoints: [a, b\n"))
        XCTAssertTrue(message.hasPrefix("regions file '\(folder)/regions.yaml' is not valid YAML (line "), message)
        XCTAssertTrue(message.hasSuffix("(while parsing a flow sequence from line 3)"), message)
        let tab = try XCTUnwrap(failure(text: "HSS:\n\t- id: r1\n"))
        XCTAssertTrue(tab.contains("is not valid YAML (line 2)"), tab)
        let encoding = try XCTUnwrap(failure(file(Array("HSS: [".utf8) + [0xFF, 0xFE] + Array("]".utf8))))
        XCTAssertTrue(encoding.contains("is not valid YAML (at byte "), encoding)
    }

    func testStructureErrors() {
        let path = folder + "/regions.yaml"
        let cases: [(String, String)] = [
            ("- HSS\n", "line 1: must be a mapping of service names"),
            ("just text\n", "line 1: must be a mapping of service names"),
            ("? [a]\n: b\n", "line 1: has a top-level key that is not a service name"),
            ("HSS: cn-north-4\n", "line 1: must give HSS a list of region entries"),
            ("HSS:\n", "line 1: must give HSS a list of region entries"),
            ("HSS:\n  id: r1\n", "line 2: must give HSS a list of region entries"),
            ("HSS:\n  - r1\n", "line 2: has an entry of HSS that is not a mapping"),
            ("HSS:\n  - [r1]\n", "line 2: has an entry of HSS that is not a mapping"),
            ("HSS:\n  - id: [r1]\n", "line 2: must give 'id' a string"),
            ("HSS:\n  - id: r1\n    endpoint: {a: b}\n", "line 3: must give 'endpoint' a string"),
            ("HSS:\n  - id: r1\n    endpoint: [a]\n", "line 3: must give 'endpoint' a string"),
            ("HSS:\n  - id: r1\n    endpoints: a.example.com\n", "line 3: must give 'endpoints' a list"),
            ("HSS:\n  - id: r1\n    endpoints: [a, [b]]\n", "line 3: has an endpoint that is not a string"),
            ("HSS:\n  - id: r1\n    endpoints: [a, null]\n", "line 3: has an endpoint that is not a string"),
            ("HSS:\n  - {id: r1, [k]: v}\n", "line 2: has a region entry whose key is not a string"),
            ("HSS:\n  - id: r1\n    id: r2\n", "line 3: repeats 'id' in a region entry"),
            ("HSS: []\nhss: []\n", "line 2: names service HSS a second time"),
            (
                "HSS:\n  - {id: cn-north-4, endpoint: a}\n  - {id: cn-north-4, endpoint: b}\n",
                "line 3: lists region cn-north-4 a second time"
            ),
            ("HSS: []\n---\nHSS: []\n", "line 2: holds more than one YAML document"),
        ]
        for (text, problem) in cases {
            let message = failure(text: text) ?? "accepted"
            XCTAssertTrue(
                message.hasPrefix("regions file '\(path)', \(problem)"), "\(text.debugDescription): \(message)")
        }
    }

    /// No alias expansion bombs: anchors and aliases are refused wherever they are.
    func testAnchorsAndAliasesAreRefused() {
        let path = folder + "/regions.yaml"
        let problem = "uses an anchor (&) or alias (*): they are not supported"
        let cases: [(String, Int)] = [
            ("HSS:\n  - id: r1\n    endpoint: &e a.example.com\n", 3),
            ("OTHER: &list [a]\nHSS: *list\n", 1),
            ("HSS:\n  - &entry {id: r1, endpoint: a}\n", 2),
            ("a: &a [x, x]\nb: &b [*a, *a]\nc: [*b, *b]\n", 1),
        ]
        for (text, line) in cases {
            XCTAssertEqual(failure(text: text), "regions file '\(path)', line \(line): \(problem)", text)
        }
    }

    func testDeepNestingIsRefusedNotRecursed() {
        let deep = "OTHER: " + String(repeating: "[", count: 100_000) + String(repeating: "]", count: 100_000)
        XCTAssertEqual(
            failure(text: deep), "regions file '\(folder)/regions.yaml', line 1: nests deeper than 64 levels")
    }

    func testTooLargeAndNotRegularFiles() {
        let big = "# " + String(repeating: "x", count: RegionsFile.maxBytes) + "\n"
        let path = file(big)
        XCTAssertEqual(failure(path), "regions file '\(path)' is larger than 1048576 bytes")
        XCTAssertEqual(failure(folder), "regions file '\(folder)' is not a regular file")
        let fifo = folder + "/fifo"
        XCTAssertEqual(mkfifo(fifo, 0o600), 0)
        XCTAssertEqual(failure(fifo), "regions file '\(fifo)' is not a regular file")
    }
}
