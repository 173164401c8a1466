import HSSBase
import XCTest

/// SecureBuffer.wipe: what hss_image_upload_command_free does on the
/// caller's thread before the memory itself goes to the engine thread to be
/// freed (Engine.release): the bytes are zero at once, the memory stays the
/// buffer's.
final class SecureBufferTests: XCTestCase {
    func testWipeZeroesTheBytesAndKeepsTheMemory() {
        let secret = Array("-p Harbor12345! registry".utf8)
        let buffer = SecureBuffer(capacity: secret.count)
        secret.withUnsafeBufferPointer { buffer.append($0) }
        let storage = buffer.bytes.baseAddress!
        XCTAssertEqual(Array(UnsafeBufferPointer(start: storage, count: secret.count)), secret)

        buffer.wipe()

        XCTAssertEqual(buffer.count, 0)
        XCTAssertEqual(buffer.bytes.baseAddress, storage, "the memory is still the buffer's")
        XCTAssertEqual(
            Array(UnsafeBufferPointer(start: storage, count: secret.count + 1)),
            [UInt8](repeating: 0, count: secret.count + 1))
        buffer.append(UInt8(ascii: "x"))
        XCTAssertEqual(Array(buffer.bytes), [UInt8(ascii: "x")])
    }
}
