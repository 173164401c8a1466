import HSSBase
import HSSSigning
import XCTest

/// The prepared HMAC-SHA256 (inner and outer states hashed once per key)
/// against RFC 4231's vectors and keys around the 64-byte block size, where
/// a key is used as is, padded, or hashed first.
final class DigestTests: XCTestCase {
    private func hmacHex(_ key: [UInt8], _ message: String) -> String {
        let buffer = SecureBuffer(capacity: key.count)
        key.withUnsafeBufferPointer { buffer.append($0) }
        guard let prepared = HMACKey(buffer) else { return "" }
        let out = SecureBuffer(capacity: 64)
        var message = message
        message.withUTF8 { prepared.appendHex(of: $0, to: out) }
        return out.string()
    }

    func testRFC4231AndBlockSizeKeys() {
        XCTAssertEqual(
            hmacHex([UInt8](repeating: 0x0b, count: 20), "Hi There"),
            "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7")
        XCTAssertEqual(
            hmacHex(Array("Jefe".utf8), "what do ya want for nothing?"),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843")
        XCTAssertEqual(
            hmacHex(
                [UInt8](repeating: 0xaa, count: 131),
                "Test Using Larger Than Block-Size Key - Hash Key First"),
            "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54")
        XCTAssertEqual(
            hmacHex([UInt8](repeating: 0xaa, count: 64), "exactly one block of key"),
            "6b86dff4b91fe689c94291f9648c1f7cea871c24c0aaee8b7b0f295528e85fe3")
        XCTAssertEqual(hmacHex([], ""), "b613679a0814d9ec772f95d778c35fc5ff1697c493715653c6c712144292c5ad")
    }

    func testSHA256Hex() {
        let out = SecureBuffer(capacity: 64)
        Digest.appendSHA256Hex(of: UnsafeBufferPointer(start: nil, count: 0), to: out)
        XCTAssertEqual(out.string(), Signer.emptyBodyHash)
    }
}
