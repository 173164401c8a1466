import CHSSAPI
import HSSBase

/// Where a client's credentials (or another setting) came from; the text is
/// what hss_client_setting_source returns.
package enum CredentialSource: String {
    case options
    case environment
    case profile
    case metadata
    case podIdentity = "pod-identity"
    case oidc
}

/// One set of keys, and how long they hold.
package struct Credentials {
    package enum Keys {
        /// Signed with SDK-HMAC-SHA256; a security token with temporary keys.
        case signed(accessKey: String, secretKey: SecureBuffer, securityToken: SecureBuffer?)
        /// An IAM token, sent as X-Auth-Token.
        case token(SecureBuffer)
    }

    package var keys: Keys
    package var source: CredentialSource
    /// When temporary keys stop working (seconds since the epoch); nil: never.
    package var expiresAt: Int?
    /// What the source says of the project and of IAM, if anything.
    package var projectID: String?
    package var iamEndpoint: String?

    package init(keys: Keys, source: CredentialSource, expiresAt: Int? = nil) {
        self.keys = keys
        self.source = source
        self.expiresAt = expiresAt
    }

    /// AK/SK (+ token), checked as header material: they travel in headers.
    package static func signed(
        accessKey: SecureBuffer, secretKey: SecureBuffer, securityToken: SecureBuffer?,
        source: CredentialSource, expiresAt: Int? = nil
    ) throws -> Credentials {
        try Validation.checkHeaderValue(accessKey, field: "ak", maxBytes: 256)
        if accessKey.bytes.contains(UInt8(ascii: ",")) { throw HSSError.invalid("ak must not contain ','") }
        guard !secretKey.isEmpty else { throw HSSError.invalid("sk must not be empty") }
        guard secretKey.count <= 1024 else { throw HSSError.invalid("sk is longer than 1024 bytes") }
        if let securityToken {
            try Validation.checkHeaderValue(securityToken, field: "security_token", maxBytes: 32_768)
        }
        return Credentials(
            keys: .signed(accessKey: accessKey.string(), secretKey: secretKey, securityToken: securityToken),
            source: source, expiresAt: expiresAt)
    }

    package var accessKey: String? {
        if case .signed(let accessKey, _, _) = keys { return accessKey }
        return nil
    }

    /// The AK as --show-config prints it: its first and last 4 characters.
    package var maskedAccessKey: String {
        guard let accessKey else { return "" }
        guard accessKey.count > 8 else { return String(repeating: "*", count: accessKey.count) }
        return "\(accessKey.prefix(4))...\(accessKey.suffix(4))"
    }

    /// Every secret of these keys, for redaction.
    package var secrets: [SecureBuffer] {
        switch keys {
        case .signed(_, let secretKey, let token): return [secretKey] + (token.map { [$0] } ?? [])
        case .token(let token): return [token]
        }
    }
}
