import CHSS
import HSSBase

/// SHA-256 through OpenSSL, written as lower-case hex.
package enum Digest {
    package static func appendSHA256Hex(of bytes: UnsafeBufferPointer<UInt8>, to out: SecureBuffer) {
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 32) { digest in
            if chss_sha256(bytes.baseAddress, bytes.count, digest.baseAddress) == 1 {
                appendHex(UnsafeBufferPointer(digest), to: out)
            }
        }
    }

    package static func appendHex(_ bytes: UnsafeBufferPointer<UInt8>, to out: SecureBuffer) {
        out.append(maxCount: bytes.count * 2) { end in
            for (i, b) in bytes.enumerated() {
                end[2 * i] = hexDigits[Int(b >> 4)]
                end[2 * i + 1] = hexDigits[Int(b & 0x0F)]
            }
            return bytes.count * 2
        }
    }

    private static let hexDigits: [UInt8] = Array("0123456789abcdef".utf8)
}

/// An HMAC-SHA256 keyed once (the SK's inner and outer states are hashed at
/// client creation); each message starts from a copy of them, so one key may
/// serve many threads. The key state is wiped when freed.
package final class HMACKey {
    private let keyed: OpaquePointer

    package init?(_ key: SecureBuffer) {
        guard let keyed = chss_hmac_sha256_new(key.bytes.baseAddress, key.count) else { return nil }
        self.keyed = keyed
    }

    deinit { chss_hmac_sha256_free(keyed) }

    package func appendHex(of message: UnsafeBufferPointer<UInt8>, to out: SecureBuffer) {
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 32) { digest in
            if chss_hmac_sha256(keyed, message.baseAddress, message.count, digest.baseAddress) == 1 {
                Digest.appendHex(UnsafeBufferPointer(digest), to: out)
            }
        }
    }
}
