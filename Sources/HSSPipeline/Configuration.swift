import CHSS
import HSSBase

/// What a caller may set on a client, before validation. Secrets are
/// SecureBuffers from the start.
package struct ClientOptions {
    package var region: String?
    package var endpoint: String?
    package var projectID: String?
    package var accessKey: SecureBuffer?
    package var secretKey: SecureBuffer?
    package var securityToken: SecureBuffer?
    package var authToken: SecureBuffer?
    package var connectTimeoutMs: Int = 0
    package var timeoutMs: Int = 0
    package var caFile: String?
    package var userAgentSuffix: String?

    package init() {}

    /// The official SDKs' variables, then the HSS samples' CLOUD_SDK_AK/SK,
    /// then libhss's own HUAWEICLOUD_SDK_REGION/ENDPOINT/AUTH_TOKEN. An
    /// empty variable counts as unset.
    package static func fromEnvironment() -> ClientOptions {
        var options = ClientOptions()
        options.accessKey = secretEnv("HUAWEICLOUD_SDK_AK") ?? secretEnv("CLOUD_SDK_AK")
        options.secretKey = secretEnv("HUAWEICLOUD_SDK_SK") ?? secretEnv("CLOUD_SDK_SK")
        options.securityToken = secretEnv("HUAWEICLOUD_SDK_SECURITY_TOKEN")
        options.projectID = env("HUAWEICLOUD_SDK_PROJECT_ID")
        options.region = env("HUAWEICLOUD_SDK_REGION")
        options.endpoint = env("HUAWEICLOUD_SDK_ENDPOINT")
        if options.accessKey == nil, options.secretKey == nil {
            options.authToken = secretEnv("HUAWEICLOUD_SDK_AUTH_TOKEN")
        }
        return options
    }

    /// Every field set in `overrides` wins.
    package mutating func apply(_ overrides: ClientOptions) {
        if overrides.region != nil || overrides.endpoint != nil {
            // Where to connect is one choice: a region given in code beats
            // an endpoint from the environment.
            region = overrides.region
            endpoint = overrides.endpoint
        }
        projectID = overrides.projectID ?? projectID
        if overrides.accessKey != nil || overrides.secretKey != nil || overrides.authToken != nil {
            // A caller who passes credentials means those, not a mix with the environment's.
            accessKey = overrides.accessKey
            secretKey = overrides.secretKey
            securityToken = overrides.securityToken
            authToken = overrides.authToken
        } else {
            securityToken = overrides.securityToken ?? securityToken
        }
        if overrides.connectTimeoutMs != 0 { connectTimeoutMs = overrides.connectTimeoutMs }
        if overrides.timeoutMs != 0 { timeoutMs = overrides.timeoutMs }
        caFile = overrides.caFile ?? caFile
        userAgentSuffix = overrides.userAgentSuffix ?? userAgentSuffix
    }

    private static func env(_ name: String) -> String? {
        guard let raw = getenv(name), raw.pointee != 0 else { return nil }
        return String(cString: raw)
    }

    private static func secretEnv(_ name: String) -> SecureBuffer? {
        guard let raw = getenv(name), raw.pointee != 0 else { return nil }
        return SecureBuffer(cString: raw)
    }
}

/// A validated, immutable client configuration.
package final class ClientConfiguration {
    package enum Credentials {
        case signed(accessKey: String, secretKey: SecureBuffer, securityToken: SecureBuffer?)
        case token(SecureBuffer)
    }

    package static let defaultConnectTimeoutMs = 10_000
    package static let defaultTimeoutMs = 30_000
    /// An upper bound that keeps a typo (seconds given as ms * 1000) sane.
    package static let maxTimeoutMs = 3_600_000

    /// "scheme://authority", without a trailing slash.
    package let baseURL: String
    /// The authority, sent and signed as Host.
    package let host: String
    package let projectID: String
    package let credentials: Credentials
    package let connectTimeoutMs: Int
    package let timeoutMs: Int
    /// The PEM text of ca_file, read once at creation; nil: the system store.
    package let caBundle: [UInt8]?
    package let userAgent: String

    package init(_ options: ClientOptions) throws {
        let endpoint: String
        if let explicit = options.endpoint {
            endpoint = explicit
        } else if let region = options.region {
            guard let known = Regions.endpoint(for: region) else {
                throw HSSError.invalid("region is not a known HSS region; pass endpoint instead")
            }
            endpoint = known
        } else {
            throw HSSError.invalid("region or endpoint is required")
        }
        (baseURL, host) = try ClientConfiguration.parseEndpoint(endpoint)

        try Validation.checkProjectID(options.projectID)
        projectID = options.projectID ?? ""

        switch (options.accessKey, options.secretKey, options.authToken) {
        case (nil, nil, let token?):
            guard options.securityToken == nil else {
                throw HSSError.invalid("security_token goes with ak/sk, not with auth_token")
            }
            try Validation.checkHeaderValue(token, field: "auth_token", maxBytes: 32_768)
            credentials = .token(token)
        case (let ak?, let sk?, nil):
            try Validation.checkHeaderValue(ak, field: "ak", maxBytes: 256)
            if ak.bytes.contains(UInt8(ascii: ",")) { throw HSSError.invalid("ak must not contain ','") }
            guard !sk.isEmpty else { throw HSSError.invalid("sk must not be empty") }
            guard sk.count <= 1024 else { throw HSSError.invalid("sk is longer than 1024 bytes") }
            if let token = options.securityToken {
                try Validation.checkHeaderValue(token, field: "security_token", maxBytes: 32_768)
            }
            credentials = .signed(accessKey: ak.string(), secretKey: sk, securityToken: options.securityToken)
        case (_, _, _?):
            throw HSSError.invalid("set either ak/sk or auth_token, not both")
        case (nil, _, nil), (_, nil, nil):
            throw HSSError.invalid(
                options.accessKey == nil && options.secretKey == nil
                    ? "credentials are required: ak and sk, or auth_token"
                    : (options.accessKey == nil ? "ak is required with sk" : "sk is required with ak"))
        }

        connectTimeoutMs = try ClientConfiguration.timeout(
            options.connectTimeoutMs, field: "connect_timeout_ms",
            default: ClientConfiguration.defaultConnectTimeoutMs)
        timeoutMs = try ClientConfiguration.timeout(
            options.timeoutMs, field: "timeout_ms",
            default: ClientConfiguration.defaultTimeoutMs)

        caBundle = try options.caFile.map(ClientConfiguration.readCABundle)

        var agent = "libhss/\(HSS_VERSION_STRING)"
        if let suffix = options.userAgentSuffix {
            try Validation.checkHeaderValue(
                SecureBuffer(suffix), field: "user_agent_suffix", maxBytes: 256,
                allowSpace: true)
            agent += " " + suffix
        }
        userAgent = agent
    }

    /// A CA bundle may be at most this large (Debian's whole store is ~200 KiB).
    package static let maxCABundleBytes = 4 * 1024 * 1024

    /// Reads ca_file once: a regular file of at most 4 MiB holding at least
    /// one PEM certificate. Opened non-blocking so that a FIFO or device
    /// named by mistake is refused at once instead of blocking the caller.
    package static func readCABundle(_ path: String) throws -> [UInt8] {
        guard !path.isEmpty else { throw HSSError.invalid("ca_file must not be empty") }
        let fd = chss_open_nonblocking(path)
        guard fd >= 0 else { throw HSSError.invalid("ca_file cannot be opened") }
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0, info.st_mode & UInt32(S_IFMT) == UInt32(S_IFREG) else {
            throw HSSError.invalid("ca_file must be a regular file")
        }
        guard info.st_size <= maxCABundleBytes else {
            throw HSSError.invalid("ca_file is larger than \(maxCABundleBytes) bytes")
        }
        var bundle = [UInt8](repeating: 0, count: Int(info.st_size))
        var filled = 0
        while filled < bundle.count {
            let n = bundle.withUnsafeMutableBytes { read(fd, $0.baseAddress.map { $0 + filled }, $0.count - filled) }
            guard n > 0 else { break }  // a regular file's read is not interrupted by signals
            filled += n
        }
        guard filled == bundle.count else { throw HSSError.invalid("ca_file cannot be read") }
        guard bundle.withUnsafeBytes({ chss_pem_certificate_count($0.baseAddress, $0.count) }) > 0 else {
            throw HSSError.invalid("ca_file holds no PEM certificate")
        }
        return bundle
    }

    private static func timeout(_ value: Int, field: String, default fallback: Int) throws -> Int {
        guard value >= 0 else { throw HSSError.invalid("\(field) must not be negative") }
        guard value <= maxTimeoutMs else { throw HSSError.invalid("\(field) must be at most \(maxTimeoutMs)") }
        return value == 0 ? fallback : value
    }

    /// Accepts "http(s)://authority" with an optional trailing "/"; refuses
    /// paths, queries, fragments, credentials and anything that could split
    /// a header.
    package static func parseEndpoint(_ endpoint: String) throws -> (baseURL: String, host: String) {
        let lower = endpoint.lowercased()
        let scheme: String
        if lower.hasPrefix("https://") {
            scheme = "https"
        } else if lower.hasPrefix("http://") {
            scheme = "http"
        } else {
            throw HSSError.invalid("endpoint must start with https:// or http://")
        }
        var authority = String(endpoint.dropFirst(scheme.count + 3))
        if authority.hasSuffix("/") { authority.removeLast() }
        guard !authority.isEmpty, authority.utf8.count <= 255 else {
            throw HSSError.invalid("endpoint must name a host (at most 255 characters)")
        }
        guard validAuthority(authority) else {
            throw HSSError.invalid(
                "endpoint must be scheme://host[:port] (port 1-65535) with no path, query or credentials")
        }
        return ("\(scheme)://\(authority)", authority)
    }
}

/// host[:port], where host is a DNS name or IPv4 address (dot-separated
/// labels of letters, digits and '-') or a bracketed IPv6 address. Checked
/// here so that a bad endpoint fails at client creation, not at each call.
private func validAuthority(_ authority: String) -> Bool {
    func isASCII(_ b: UInt8, _ test: (Character) -> Bool) -> Bool { b < 0x80 && test(Character(Unicode.Scalar(b))) }
    let bytes = Array(authority.utf8)
    let hostEnd: Int
    if bytes.first == UInt8(ascii: "[") {
        guard let close = bytes.firstIndex(of: UInt8(ascii: "]")) else { return false }
        let inside = bytes[1..<close]
        guard inside.contains(UInt8(ascii: ":")),
            inside.allSatisfy({ $0 == UInt8(ascii: ":") || $0 == UInt8(ascii: ".") || isASCII($0, \.isHexDigit) })
        else { return false }
        hostEnd = close + 1
    } else {
        hostEnd = bytes.firstIndex(of: UInt8(ascii: ":")) ?? bytes.count
        let labels = bytes[0..<hostEnd].split(separator: UInt8(ascii: "."), omittingEmptySubsequences: false)
        let validLabels = labels.allSatisfy { label in
            !label.isEmpty && label.first != UInt8(ascii: "-")
                && label.allSatisfy { $0 == UInt8(ascii: "-") || isASCII($0, { $0.isLetter || $0.isNumber }) }
        }
        guard validLabels else { return false }
    }
    if hostEnd == bytes.count { return true }
    guard bytes[hostEnd] == UInt8(ascii: ":") else { return false }
    let port = bytes[(hostEnd + 1)...]
    guard (1...5).contains(port.count), port.allSatisfy({ isASCII($0, \.isNumber) }),
        let number = Int(String(decoding: port, as: UTF8.self))
    else { return false }
    return (1...65535).contains(number)
}

/// Regions where HSS is served, as listed by the official Python SDK 3.1.219.
package enum Regions {
    package static let all: [String] = [
        "cn-north-1", "cn-north-2", "cn-north-4", "cn-north-9", "cn-north-11", "cn-north-12",
        "cn-east-2", "cn-east-3", "cn-east-4", "cn-east-5", "cn-south-1", "cn-south-2", "cn-south-4",
        "cn-southwest-2", "cn-southwest-3", "ap-southeast-1", "ap-southeast-2", "ap-southeast-3",
        "ap-southeast-4", "ap-southeast-5", "na-mexico-1", "af-south-1", "af-north-1", "sa-brazil-1",
        "la-south-2", "la-north-2", "tr-west-1", "ae-ad-1", "me-east-1", "my-kualalumpur-1",
        "eu-west-101", "ru-moscow-1",
    ]

    package static func endpoint(for region: String) -> String? {
        guard all.contains(region) else { return nil }
        return region == "eu-west-101"
            ? "https://hss.eu-west-101.myhuaweicloud.eu"
            : "https://hss.\(region).myhuaweicloud.com"
    }
}
