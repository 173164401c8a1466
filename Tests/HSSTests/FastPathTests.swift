import HSSBase
import XCTest

/// The per-call checks accept the common case in one quick pass
/// (RegistryAddress.isPlainHostAndPort, Validation.isPrintableASCII) and
/// leave everything else to the rules, which alone word the messages. The
/// quick pass must never change an outcome: over every string of one to
/// three pieces of the interesting bytes, and many longer ones, the checks
/// and the rules alone give the same verdict and the same message.
final class FastPathTests: XCTestCase {
    private static let pieces: [[UInt8]] =
        ["a", "Z", "0", "9", ".", ":", "-", "_", "/", "?", "#", "@", "[", "]", " ", "\t"].map { Array($0.utf8) }
        + [[0x7F], [0x1F], [0xC3, 0xA9], [0xE3, 0x80, 0x80], [0xFF]]

    /// The verdict of `body`: nil when it accepts, else the message.
    private func verdict(_ body: () throws -> Void) -> String? {
        do {
            try body()
            return nil
        } catch let error as HSSError {
            return error.message
        } catch {
            return "unexpected \(error)"
        }
    }

    private func compare(_ bytes: [UInt8], counts: inout (plain: Int, printable: Int)) {
        let value = SecureBuffer(capacity: bytes.count)
        bytes.withUnsafeBufferPointer { value.append($0) }
        let buffer = value.bytes
        let address = verdict { try RegistryAddress.check(buffer) }
        XCTAssertEqual(address, verdict { try RegistryAddress.checkEachRule(buffer) }, "\(bytes)")
        if RegistryAddress.isPlainHostAndPort(buffer) { counts.plain += 1 }
        if Validation.isPrintableASCII(buffer) { counts.printable += 1 }
        // A limit below, at and above the length: the length rule is the fast path's too.
        for limit in [bytes.count - 1, bytes.count, 128] {
            XCTAssertEqual(
                verdict { try Validation.checkText(Bytes(value), field: "namespace", maxCharacters: limit) },
                verdict { try Validation.checkEachRule(Bytes(value), field: "namespace", maxCharacters: limit) },
                "\(bytes) within \(limit)")
        }
    }

    func testTheQuickPassesChangeNoOutcome() {
        var counts = (plain: 0, printable: 0)
        let pieces = Self.pieces
        for a in pieces {
            compare(a, counts: &counts)
            for b in pieces {
                compare(a + b, counts: &counts)
                for c in pieces { compare(a + b + c, counts: &counts) }
            }
        }
        // Longer ones, mostly of a host's bytes so that many are accepted
        // (a fixed seed: the same strings on every run).
        var state: UInt64 = 0x9E37_79B9_7F4A_7C15
        func next(_ bound: Int) -> Int {
            state ^= state << 13
            state ^= state >> 7
            state ^= state << 17
            return Int(state % UInt64(bound))
        }
        let host = Array("abcxyzABCXYZ0123456789-_".utf8)
        for _ in 0..<20_000 {
            var bytes: [UInt8] = []
            for _ in 0..<(1 + next(40)) {
                switch next(10) {
                case 0..<6: bytes.append(host[next(host.count)])
                case 6: bytes.append(UInt8(ascii: "."))
                case 7: bytes += Array(":\(next(70_000))".utf8)
                default: bytes += pieces[next(pieces.count)]
                }
            }
            compare(bytes, counts: &counts)
        }
        // Both quick passes accepted a fair share, so both were exercised.
        XCTAssertGreaterThan(counts.plain, 1_000)
        XCTAssertGreaterThan(counts.printable, 5_000)
    }
}
