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
        out.append(maxCount: bytes.count * 2) { writeHex(bytes, to: $0) }
    }

    /// Writes the lower-case hex of `bytes` (twice as many bytes); returns its length.
    @discardableResult
    package static func writeHex(_ bytes: UnsafeBufferPointer<UInt8>, to out: UnsafeMutablePointer<UInt8>) -> Int {
        let digits: StaticString = "0123456789abcdef"
        let hex = digits.utf8Start
        for (i, b) in bytes.enumerated() {
            out[2 * i] = hex[Int(b >> 4)]
            out[2 * i + 1] = hex[Int(b & 0x0F)]
        }
        return bytes.count * 2
    }

    /// Writes the hex SHA-256 of `bytes` (64 bytes); returns 64, or 0 on failure.
    package static func writeSHA256Hex(of bytes: UnsafeBufferPointer<UInt8>, to out: UnsafeMutablePointer<UInt8>) -> Int
    {
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 32) { digest in
            chss_sha256(bytes.baseAddress, bytes.count, digest.baseAddress) == 1
                ? writeHex(UnsafeBufferPointer(digest), to: out) : 0
        }
    }
}

/// SHA-256 after a prefix hashed once (a canonical request's method and
/// URI line, the same on every call of a SigningTemplate): a call hashes only
/// the rest. The prefix is not secret.
package final class SHA256Prefix {
    private let state: OpaquePointer

    package init?(_ prefix: UnsafeBufferPointer<UInt8>) {
        guard let state = chss_sha256_prefix_new(prefix.baseAddress, prefix.count) else { return nil }
        self.state = state
    }

    deinit { chss_sha256_prefix_free(state) }

    /// Writes the hex SHA-256 of the prefix then `rest` (64 bytes); returns 64, or 0 on failure.
    package func writeHex(continuingWith rest: UnsafeBufferPointer<UInt8>, to out: UnsafeMutablePointer<UInt8>) -> Int {
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 32) { digest in
            chss_sha256_from(state, rest.baseAddress, rest.count, digest.baseAddress) == 1
                ? Digest.writeHex(UnsafeBufferPointer(digest), to: out) : 0
        }
    }
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
        out.append(maxCount: 64) { writeHex(of: message, to: UnsafeMutableBufferPointer(start: $0, count: 64)) }
    }

    /// Writes the hex MAC of `message` (64 bytes) to `out`; returns 64, or 0 on failure.
    package func writeHex(of message: UnsafeBufferPointer<UInt8>, to out: UnsafeMutableBufferPointer<UInt8>) -> Int {
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 32) { mac in
            let ok =
                hash == .sha256
                ? chss_hmac_sha256(keyed, message.baseAddress, message.count, mac.baseAddress)
                : chss_hmac_sm3(keyed, message.baseAddress, message.count, mac.baseAddress)
            defer { mac.baseAddress.map { explicit_bzero($0, 32) } }
            guard ok == 1, out.count >= 64, let base = out.baseAddress else { return 0 }
            return Digest.writeHex(UnsafeBufferPointer(mac), to: base)
        }
    }
}
