import CHSS
import HSSBase

/// SHA-256 through OpenSSL, with the algorithm fetched once per process.
package enum Digest {
    package static func sha256Hex(_ bytes: UnsafeBufferPointer<UInt8>) -> String {
        var digest = [UInt8](repeating: 0, count: 32)
        let ok = digest.withUnsafeMutableBufferPointer { chss_sha256(bytes.baseAddress, bytes.count, $0.baseAddress) }
        return ok == 1 ? hex(digest) : ""
    }

    package static func hex<C: Collection>(_ bytes: C) -> String where C.Element == UInt8 {
        let digits: [UInt8] = Array("0123456789abcdef".utf8)
        var chars: [UInt8] = []
        chars.reserveCapacity(bytes.count * 2)
        for b in bytes {
            chars.append(digits[Int(b >> 4)])
            chars.append(digits[Int(b & 0x0F)])
        }
        return String(decoding: chars, as: UTF8.self)
    }
}

/// An HMAC-SHA256 keyed once (the SK's key schedule is done at client
/// creation); each message works on a copy of the keyed state, so one key
/// may serve many threads. OpenSSL wipes the key material when freed.
package final class HMACKey {
    private let keyed: OpaquePointer

    package init?(_ key: SecureBuffer) {
        guard let keyed = chss_hmac_sha256_new(key.bytes.baseAddress, key.count) else { return nil }
        self.keyed = keyed
    }

    deinit { chss_hmac_sha256_free(keyed) }

    package func hex(_ message: String) -> String {
        var message = message
        var digest = [UInt8](repeating: 0, count: 32)
        let ok = message.withUTF8 { text in
            digest.withUnsafeMutableBufferPointer {
                chss_hmac_sha256(keyed, text.baseAddress, text.count, $0.baseAddress)
            }
        }
        return ok == 1 ? Digest.hex(digest) : ""
    }
}
