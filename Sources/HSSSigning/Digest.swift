import CCryptoShims
import CHSSAPI
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

/// An HMAC keyed once, with SHA-256 or SM3: the SK's inner and outer states
/// are prepared at client creation and each message starts from a copy of
/// them, so one key may serve many threads. The key state is wiped when freed.
package final class HMACKey {
    package enum Hash { case sha256, sm3 }

    private let keyed: OpaquePointer
    private let hash: Hash

    package init?(_ key: SecureBuffer, hash: Hash = .sha256) {
        let keyed =
            hash == .sha256
            ? chss_hmac_sha256_new(key.bytes.baseAddress, key.count)
            : chss_hmac_sm3_new(key.bytes.baseAddress, key.count)
        guard let keyed else { return nil }
        self.keyed = keyed
        self.hash = hash
    }

    deinit {
        switch hash {
        case .sha256: chss_hmac_sha256_free(keyed)
        case .sm3: chss_hmac_sm3_free(keyed)
        }
    }

    package func appendHex(of message: UnsafeBufferPointer<UInt8>, to out: SecureBuffer) {
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 32) { mac in
            let ok =
                hash == .sha256
                ? chss_hmac_sha256(keyed, message.baseAddress, message.count, mac.baseAddress)
                : chss_hmac_sm3(keyed, message.baseAddress, message.count, mac.baseAddress)
            if ok == 1 { Digest.appendHex(UnsafeBufferPointer(mac), to: out) }
            OPENSSL_cleanse(mac.baseAddress, 32)
        }
    }
}
