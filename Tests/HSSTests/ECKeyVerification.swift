import CCryptoTestShims
import HSSSigning

/// Verification of ECKey's signatures for the tests, with public material
/// only (CCryptoTestShims): never part of libhss.so.1.
extension ECKey {
    /// Whether `signature` (DER) verifies over `message` with this key's public key.
    func verify(_ message: [UInt8], signature: [UInt8]) -> Bool {
        chss_test_ec_verify(sm2 ? 1 : 0, publicKey, message, message.count, signature, signature.count) == 1
    }

    /// Whether `signature` verifies over a digest computed by the caller
    /// (for SM2, e = SM3(Z_A || message) with any Z_A).
    func verify(digest: [UInt8], signature: [UInt8]) -> Bool {
        digest.count == 32
            && chss_test_ec_verify_digest(sm2 ? 1 : 0, publicKey, digest, signature, signature.count) == 1
    }

    /// Whether `signature` verifies over `message` with a PEM public key.
    static func verify(sm2: Bool, publicKeyPEM: [UInt8], message: [UInt8], signature: [UInt8]) -> Bool {
        chss_test_ec_verify_pem(
            sm2 ? 1 : 0, publicKeyPEM, publicKeyPEM.count, message, message.count, signature, signature.count) == 1
    }
}
