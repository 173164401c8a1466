import HSSBase
import XCTest

/// RFC 3986 percent-encoding (PercentEncoding), the whole grid: every byte
/// value, and at every position of values of 0 to 24 bytes (the encoder
/// copies unreserved bytes eight, or four, at a time, the last word
/// overlapping the one before it).
final class PercentEncodingTests: XCTestCase {
    /// The rule as RFC 3986 section 2.3 states it.
    private func expected(_ bytes: [UInt8]) -> [UInt8] {
        let unreserved = Set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~".utf8)
        let hex = Array("0123456789ABCDEF".utf8)
        return bytes.flatMap { b in
            unreserved.contains(b) ? [b] : [UInt8(ascii: "%"), hex[Int(b >> 4)], hex[Int(b & 15)]]
        }
    }

    private func encoded(_ bytes: [UInt8]) -> [UInt8] {
        let out = SecureBuffer()
        bytes.withUnsafeBufferPointer { PercentEncoding.append($0, to: out) }
        return Array(out.bytes)
    }

    func testEveryByte() {
        XCTAssertEqual(ByteClass.tableCount, 256)
        for byte in 0...255 {
            let b = UInt8(byte)
            XCTAssertEqual(encoded([b]), expected([b]), "byte \(byte)")
            XCTAssertEqual(PercentEncoding.isUnreserved(b), expected([b]) == [b], "byte \(byte)")
        }
    }

    func testEveryPositionOfEveryLength() {
        for length in 0...24 {
            let plain = (0..<length).map { UInt8(ascii: "a") + UInt8($0 % 26) }
            XCTAssertEqual(encoded(plain), plain, "\(length)")
            for position in 0..<length {
                for b: UInt8 in [UInt8(ascii: "."), UInt8(ascii: "~"), 0x00, UInt8(ascii: "%"), 0x7F, 0x80, 0xFF] {
                    var bytes = plain
                    bytes[position] = b
                    XCTAssertEqual(encoded(bytes), expected(bytes), "\(b) at \(position) of \(length)")
                    // Two bytes to escape, the second one at each later position.
                    for second in position + 1..<max(length, position + 1) {
                        var two = bytes
                        two[second] = UInt8(ascii: " ")
                        XCTAssertEqual(
                            encoded(two), expected(two), "\(b) at \(position), ' ' at \(second) of \(length)")
                    }
                }
            }
        }
    }
}
