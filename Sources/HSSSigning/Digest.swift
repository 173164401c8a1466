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
    /// Two digits per table read: every signature writes 64 of them.
    @discardableResult
    package static func writeHex(_ bytes: UnsafeBufferPointer<UInt8>, to out: UnsafeMutablePointer<UInt8>) -> Int {
        let pairs = UnsafeRawPointer(hexPairs.utf8Start)
        var at = UnsafeMutableRawPointer(out)
        for b in bytes {
            at.storeBytes(of: pairs.loadUnaligned(fromByteOffset: Int(b) &* 2, as: UInt16.self), as: UInt16.self)
            at += 2
        }
        return bytes.count * 2
    }

    /// "00" to "ff", in order: byte b's two digits are at 2 * b.
    private static let hexPairs: StaticString = """
        000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f\
        202122232425262728292a2b2c2d2e2f303132333435363738393a3b3c3d3e3f\
        404142434445464748494a4b4c4d4e4f505152535455565758595a5b5c5d5e5f\
        606162636465666768696a6b6c6d6e6f707172737475767778797a7b7c7d7e7f\
        808182838485868788898a8b8c8d8e8f909192939495969798999a9b9c9d9e9f\
        a0a1a2a3a4a5a6a7a8a9aaabacadaeafb0b1b2b3b4b5b6b7b8b9babbbcbdbebf\
        c0c1c2c3c4c5c6c7c8c9cacbcccdcecfd0d1d2d3d4d5d6d7d8d9dadbdcdddedf\
        e0e1e2e3e4e5e6e7e8e9eaebecedeeeff0f1f2f3f4f5f6f7f8f9fafbfcfdfeff
        """

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
