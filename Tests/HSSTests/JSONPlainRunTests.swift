import CHSSAPI
import XCTest

/// chss_json.h's scans of string bytes, the scanner's fast path (each way
/// this machine can run: SSE2 vectors, then the text's last vector again,
/// shifted; words of eight bytes), against the rule they stand
/// for, one byte at a time: the first offset from `from` that holds a quote,
/// a backslash, a byte below 0x20 or one from 0x80.
final class JSONPlainRunTests: XCTestCase {
    /// The rule, written out here on its own.
    private static func expected(_ bytes: [UInt8], from: Int) -> Int {
        var i = from
        while i < bytes.count {
            let b = bytes[i]
            if b == 0x22 || b == 0x5C || b < 0x20 || b >= 0x80 { break }
            i += 1
        }
        return i
    }

    /// Each way this machine runs, the shortest text it takes, and the way the scanner picks.
    private static let ways: [(String, Int, (UnsafePointer<UInt8>, Int, Int) -> Int)] = {
        var ways: [(String, Int, (UnsafePointer<UInt8>, Int, Int) -> Int)] = [
            ("chosen", 0, { chss_json_plain_run($0, $1, $2) }), ("word", 0, { chss_json_plain_run_word($0, $1, $2) }),
        ]
        #if arch(x86_64)
            ways.append(("sse2", 0, { chss_json_plain_run_sse2($0, $1, $2) }))
        #endif
        return ways
    }()

    /// Every length up to 80 (each step size and the tail, at every
    /// alignment), from every start, one telling byte at every position (from
    /// the starts around it and each vector's edge), a second
    /// one after it (the first must win), and every byte value at every
    /// position of a text of 72 bytes, from a few starts.
    func testFastScanAgreesWithTheByteRule() {
        // Each side of each boundary the rule draws, and plain bytes.
        let telling: [UInt8] = [0x00, 0x1F, 0x20, 0x21, 0x22, 0x23, 0x5B, 0x5C, 0x5D, 0x7E, 0x7F, 0x80, 0xC2, 0xFF]
        var checked = 0
        func check(_ bytes: [UInt8], from starts: [Int]? = nil, file: StaticString = #filePath, line: UInt = #line) {
            bytes.withUnsafeBufferPointer { text in
                // A pointer that stays valid for the empty text too.
                let base = text.baseAddress ?? UnsafePointer(bitPattern: 16)!
                for from in starts ?? Array(0...bytes.count) where from <= bytes.count {
                    let want = Self.expected(bytes, from: from)
                    for (way, shortest, scan) in Self.ways where bytes.count >= shortest {
                        let got = scan(base, from, bytes.count)
                        if got != want {
                            XCTFail("\(way): \(bytes) from \(from): \(got), not \(want)", file: file, line: line)
                            return
                        }
                    }
                    checked += 1
                }
            }
        }
        for length in 0...80 {
            let plain = [UInt8](repeating: UInt8(ascii: "a"), count: length)
            check(plain)
            for position in 0..<length {
                // Each side of the byte, and of each vector's edge.
                let starts = [0, 1, 15, 16, 17, 31, 32, 33, max(position - 1, 0), position, position + 1]
                for byte in telling {
                    var bytes = plain
                    bytes[position] = byte
                    check(bytes, from: starts)
                    if position + 3 < length {
                        bytes[position + 3] = 0x22
                        check(bytes, from: starts)
                    }
                }
            }
        }
        for position in 0..<72 {
            for byte in 0...255 {
                var bytes = [UInt8](repeating: UInt8(ascii: "a"), count: 72)
                bytes[position] = UInt8(byte)
                // From the start, from each side of the byte, and from the last vector's.
                check(bytes, from: [0, 1, max(position - 1, 0), position, position + 1, 40, 41, 72])
            }
        }
        XCTAssertGreaterThan(checked, 200_000)
    }
}
