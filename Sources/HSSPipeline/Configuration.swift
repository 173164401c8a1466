import CHSSAPI
import HSSBase
import HSSIdentity
import HSSSigning
import HSSTransport

/// A validated, immutable client configuration. Nothing here touches the
/// network: credentials from the chain and a discovered project id come
/// later (HSSClient).
package final class ClientConfiguration {
    package static let defaultConnectTimeoutMs = 10_000
    package static let defaultTimeoutMs = 30_000
    /// An upper bound that keeps a typo (seconds given as ms * 1000) sane.
    package static let maxTimeoutMs = 3_600_000

    package let region: String?
    package let regionSource: String
    /// Tried in order when one cannot be reached (at least one).
    package let endpoints: [EndpointURL]
    package let endpointSource: String
    /// Given by the caller (or the environment); nil: the credential
    /// source's, else IAM's.
    package let projectID: String?
    package let projectSource: String
    package let iamEndpoint: EndpointURL?
    /// Given by the caller; nil: the default chain.
    package let credentials: Credentials?
    package let connectTimeoutMs: Int
    package let timeoutMs: Int
    /// The PEM text of ca_file, read once at creation.
    package let caBundle: [UInt8]?
    /// SSL_CERT_FILE, checked at creation and read by libcurl.
    package let systemCAFile: String?
    package let caPath: String?
    package let proxy: ProxySettings
    /// Per endpoint: an http:// one that no proxy may see, sent with no
    /// proxy at all (CURLOPT_PROXY "").
    package let sendsDirect: [Bool]
    package let userAgent: String
    package let trace: Trace
    package let dryRun: Bool
    package let retry: RetryPolicy
    package let signing: SigningAlgorithm
    /// V11-HMAC-SHA256's scope; nil for the other algorithms.
    package let derivation: KeyDerivation?

    /// The secrets of the options, named for messages: the given
    /// credentials' and the proxy password.
    package var namedSecrets: [(name: String, secret: SecureBuffer)] {
        var named: [(String, SecureBuffer)] = []
        switch credentials?.keys {
        case .signed(_, let sk, let token):
            named.append(("the SK", sk))
            if let token { named.append(("the security token", token)) }
        case .token(let token): named.append(("the auth token", token))
        case nil: break
        }
        if let password = proxy.password { named.append(("the proxy password", password)) }
        return named
    }

    /// A redactor that knows the secrets of the options.
    package var secrets: Redactor {
        var redactor = Redactor()
        for (_, secret) in namedSecrets { redactor.add(secret) }
        return redactor
    }

    package init(_ options: ClientOptions) throws {
        // Where to connect.
        var region = options.region
        var regionSource = options.locationSource
        if let region { try ClientConfiguration.checkRegion(region) }
        if let endpoint = options.endpoint {
            endpoints = try endpoint.split(separator: ",", omittingEmptySubsequences: false).map {
                try EndpointURL(trimmed($0), field: "endpoint")
            }
            endpointSource = options.locationSource
        } else if let region {
            (endpoints, endpointSource) = try ClientConfiguration.endpoints(region: region)
        } else {
            throw HSSError.invalid("region or endpoint is required")
        }
        if region == nil, let inferred = endpoints.first.flatMap(ClientConfiguration.region(ofEndpoint:)) {
            region = inferred
            regionSource = Source.endpoint
        }
        self.region = region
        self.regionSource = region == nil ? "" : regionSource

        if let projectID = options.projectID { try Validation.checkProjectID(projectID) }
        projectID = options.projectID
        projectSource = options.projectSource
        iamEndpoint = try options.iamEndpoint.map { try EndpointURL($0, field: "iam_endpoint") }

        switch (options.accessKey, options.secretKey, options.authToken) {
        case (nil, nil, nil):
            guard options.securityToken == nil else {
                throw HSSError.invalid("security_token goes with ak and sk")
            }
            credentials = nil
        case (nil, nil, let token?):
            guard options.securityToken == nil else {
                throw HSSError.invalid("security_token goes with ak/sk, not with auth_token")
            }
            try Validation.checkHeaderValue(token, field: "auth_token", maxBytes: 32_768)
            credentials = Credentials(keys: .token(token), source: options.credentialSource)
        case (let ak?, let sk?, nil):
            credentials = try Credentials.signed(
                accessKey: ak, secretKey: sk, securityToken: options.securityToken, source: options.credentialSource)
        case (_, _, _?):
            throw HSSError.invalid("set either ak/sk or auth_token, not both")
        case (nil, _, nil), (_, nil, nil):
            throw HSSError.invalid(options.accessKey == nil ? "ak is required with sk" : "sk is required with ak")
        }

        connectTimeoutMs = try ClientConfiguration.timeout(
            options.connectTimeoutMs, field: "connect_timeout_ms",
            default: ClientConfiguration.defaultConnectTimeoutMs)
        timeoutMs = try ClientConfiguration.timeout(
            options.timeoutMs, field: "timeout_ms",
            default: ClientConfiguration.defaultTimeoutMs)

        (caBundle, systemCAFile, caPath) = try ClientConfiguration.trust(caFile: options.caFile)
        proxy = try ClientConfiguration.proxy(options)
        for endpoint in endpoints { try proxy.checkCleartext(endpoint, role: "HSS endpoint") }
        // Decided now and held (hss.h, Clear text): the environment may change later.
        let settings = proxy
        sendsDirect = endpoints.map { !$0.isHTTPS && !settings.routesThroughProxy($0) }

        trace = options.trace
        dryRun = options.dryRun
        retry = try ClientConfiguration.retryPolicy(options)
        (signing, derivation) = try ClientConfiguration.signing(options, region: region)
        var agent = "libhss/\(HSS_VERSION_STRING)"
        if let suffix = options.userAgentSuffix {
            try Validation.checkHeaderValue(
                SecureBuffer(suffix), field: "user_agent_suffix", maxBytes: 256,
                allowSpace: true)
            agent += " " + suffix
        }
        userAgent = agent
    }

    /// A region id: it becomes part of a variable name and an IAM query.
    private static func checkRegion(_ region: String) throws {
        guard !region.isEmpty, region.utf8.count <= 64,
            region.utf8.allSatisfy({
                PercentEncoding.isUnreserved($0) && $0 != UInt8(ascii: ".") && $0 != UInt8(ascii: "~")
            })
        else { throw HSSError.invalid("region must be 1-64 letters, digits, '-' or '_'") }
    }

    /// HUAWEICLOUD_SDK_REGION_HSS_<REGION>, the regions file, the built-in
    /// table (endpoints.md §1.2).
    private static func endpoints(region: String) throws -> ([EndpointURL], String) {
        let variable =
            "HUAWEICLOUD_SDK_REGION_HSS_" + String(region.uppercased().map { $0 == "-" ? "_" : $0 })
        if let list = Environment.text(variable) {
            let items = list.split(separator: ",").map(trimmed).filter { !$0.isEmpty }
            guard !items.isEmpty else { throw HSSError.invalid("\(variable) names no endpoint") }
            return (try items.map { try EndpointURL($0, field: variable, addScheme: true) }, Source.environment)
        }
        if let path = Environment.text("HUAWEICLOUD_SDK_REGIONS_FILE")
            ?? Environment.text("HOME").map({ $0 + "/.huaweicloud/regions.yaml" })
        {
            let listed: [String]?
            do {
                listed = try RegionsFile.endpoints(service: "HSS", region: region, path: path)
            } catch {
                throw HSSError.invalid(error.message)
            }
            if let listed, !listed.isEmpty {
                let field = "regions file '\(path)' endpoint of \(region)"
                return (try listed.map { try EndpointURL($0, field: field, addScheme: true) }, Source.regionsFile)
            }
        }
        guard let known = Regions.endpoint(for: region) else {
            throw HSSError.invalid(
                "region is not a known HSS region: set endpoint, HUAWEICLOUD_SDK_REGION_HSS_<REGION> or a regions file entry"
            )
        }
        return ([try EndpointURL(known, field: "endpoint")], Source.builtIn)
    }

    /// "hss.<region>.myhuaweicloud.com" (or .eu) names its region.
    private static func region(ofEndpoint endpoint: EndpointURL) -> String? {
        let labels = endpoint.hostName.split(separator: ".")
        guard labels.count == 4, labels[0] == "hss", labels[2] == "myhuaweicloud",
            labels[3] == "com" || labels[3] == "eu"
        else { return nil }
        return String(labels[1])
    }

    /// ca_file (read once: only its CAs), else SSL_CERT_FILE and SSL_CERT_DIR
    /// as OpenSSL's tools read them (each replaces only its own default;
    /// checked now, read by libcurl), else libcurl's defaults.
    private static func trust(caFile: String?) throws -> (bundle: [UInt8]?, file: String?, directory: String?) {
        if let caFile {
            let contents = try readCABundle(caFile, field: "ca_file", whole: true)
            return (withExtendedLifetime(contents) { Array(contents.bytes) }, nil, nil)
        }
        let file = Environment.text("SSL_CERT_FILE")
        if let file { _ = try readCABundle(file, field: "SSL_CERT_FILE", whole: false) }
        let directory = Environment.text("SSL_CERT_DIR")
        if let directory {
            var info = stat()
            guard stat(directory, &info) == 0, info.st_mode & UInt32(S_IFMT) == UInt32(S_IFDIR) else {
                throw HSSError.invalid("SSL_CERT_DIR is not a directory")
            }
        }
        return (nil, file, directory)
    }

    /// A CA bundle may be at most this large (Debian's whole store is ~200 KiB).
    package static let maxCABundleBytes = 4 * 1024 * 1024

    /// A CA bundle, refused now (before any traffic, naming `field`) unless
    /// it is a regular file of at most 4 MiB with a certificate's BEGIN line.
    /// Opened non-blocking so that a FIFO or device named by mistake is
    /// refused at once instead of blocking. `whole`: all of it (ca_file, read
    /// once); else only as far as that line, at the top of a system bundle
    /// (SSL_CERT_FILE, which libcurl reads itself). Nothing is decoded here:
    /// one certificate cost ~7 M instructions at every start. OpenSSL decodes
    /// the bundle at the connection, and one that does not decode fails the
    /// call as HSS_E_TLS.
    private static func readCABundle(_ path: String, field: String, whole: Bool) throws -> SecureBuffer {
        guard !path.isEmpty else { throw HSSError.invalid("\(field) must not be empty") }
        let contents: SecureBuffer
        do {
            contents = try SecureFile.read(path, maxBytes: maxCABundleBytes, until: whole ? nil : beginsCertificate)
                .contents
        } catch .tooLarge {
            throw HSSError.invalid("\(field) is larger than \(maxCABundleBytes) bytes")
        } catch .notRegular {
            throw HSSError.invalid("\(field) must be a regular file")
        } catch {
            throw HSSError.invalid("\(field) cannot be opened")
        }
        guard withExtendedLifetime(contents, { beginsCertificate(contents.bytes) }) else {
            throw HSSError.invalid("\(field) holds no PEM certificate")
        }
        return contents
    }

    /// The BEGIN lines that OpenSSL's PEM reader takes for a certificate
    /// ("X509 CERTIFICATE" is the older name).
    private static let certificateBeginLines = [
        Array("-----BEGIN CERTIFICATE-----".utf8), Array("-----BEGIN X509 CERTIFICATE-----".utf8),
    ]

    /// Whether a line of `text` starts with a certificate's BEGIN line.
    package static func beginsCertificate(_ text: UnsafeBufferPointer<UInt8>) -> Bool {
        var line = text[...]
        while !line.isEmpty {
            if certificateBeginLines.contains(where: { line.starts(with: $0) }) { return true }
            guard let newline = line.firstIndex(of: UInt8(ascii: "\n")) else { return false }
            line = line[(newline + 1)...]
        }
        return false
    }

    private static func proxy(_ options: ClientOptions) throws -> ProxySettings {
        var settings = ProxySettings(allowCleartext: options.allowCleartextProxy)
        if let url = options.proxy, !url.isEmpty {
            let parsed = try EndpointURL(url, field: "proxy", schemes: ["http", "https", "socks5", "socks5h"])
            settings.url = parsed.base
        } else {
            settings.url = options.proxy  // "" (no proxy at all) or nil (the environment's)
        }
        if let username = options.proxyUsername {
            try Validation.checkHeaderValue(SecureBuffer(username), field: "proxy_username", maxBytes: 256)
            settings.username = username
        }
        if let password = options.proxyPassword {
            guard password.count <= 1024 else { throw HSSError.invalid("proxy_password is longer than 1024 bytes") }
            settings.password = password
        }
        if let noProxy = options.noProxy {
            try Validation.checkHeaderValue(SecureBuffer(noProxy), field: "no_proxy", maxBytes: 4096, allowSpace: true)
            settings.noProxy = noProxy
        }
        return settings
    }

    /// The C enum's order (hss.h), 1-based; 0 is the default.
    private static let signingAlgorithms: [SigningAlgorithm] = [
        .hmacSHA256, .hmacSM3, .ecdsaP256SHA256, .sm2SM3, .v11HMACSHA256,
    ]

    private static func signing(_ options: ClientOptions, region: String?) throws -> (
        SigningAlgorithm, KeyDerivation?
    ) {
        let algorithm: SigningAlgorithm
        if let name = options.signingAlgorithmName {
            guard let named = SigningAlgorithm(rawValue: name) else {
                throw HSSError.invalid(
                    "HUAWEICLOUD_SDK_SIGNING_ALGORITHM must be one of "
                        + signingAlgorithms.map(\.rawValue).joined(separator: ", "))
            }
            algorithm = named
        } else {
            guard (0...signingAlgorithms.count).contains(options.signingAlgorithm) else {
                throw HSSError.invalid("signing_algorithm must be an hss_signing_algorithm (0 to 5)")
            }
            algorithm = options.signingAlgorithm == 0 ? .hmacSHA256 : signingAlgorithms[options.signingAlgorithm - 1]
        }
        guard algorithm == .v11HMACSHA256 else {
            if options.derivedKeyService != nil {
                throw HSSError.invalid("derived_key_service goes with V11-HMAC-SHA256 only")
            }
            return (algorithm, nil)
        }
        guard let region else { throw HSSError.invalid("V11-HMAC-SHA256 needs the region (its key is derived for it)") }
        let service = options.derivedKeyService ?? "hss"
        guard !service.isEmpty, service.utf8.count <= 64,
            service.utf8.allSatisfy({ PercentEncoding.isUnreserved($0) && $0 != UInt8(ascii: "~") })
        else { throw HSSError.invalid("derived_key_service must be 1-64 letters, digits, '-', '_' or '.'") }
        return (algorithm, KeyDerivation(region: region, service: service))
    }

    private static func retryPolicy(_ options: ClientOptions) throws -> RetryPolicy {
        guard (0...10).contains(options.maxAttempts) else {
            throw HSSError.invalid("max_attempts must be 0 (the default, 3) to 10")
        }
        guard (0...60_000).contains(options.retryBaseMs) else {
            throw HSSError.invalid("retry_base_ms must be 0 (the default, 200) to 60000")
        }
        guard (0...600_000).contains(options.retryCapMs) else {
            throw HSSError.invalid("retry_cap_ms must be 0 (the default, 20000) to 600000")
        }
        let policy = RetryPolicy(
            maxAttempts: options.maxAttempts == 0 ? RetryPolicy.defaultAttempts : options.maxAttempts,
            baseMs: options.retryBaseMs == 0 ? RetryPolicy.defaultBaseMs : options.retryBaseMs,
            capMs: options.retryCapMs == 0 ? RetryPolicy.defaultCapMs : options.retryCapMs)
        guard policy.capMs >= policy.baseMs else {
            throw HSSError.invalid("retry_cap_ms must be at least retry_base_ms")
        }
        return policy
    }

    private static func timeout(_ value: Int, field: String, default fallback: Int) throws -> Int {
        guard value >= 0 else { throw HSSError.invalid("\(field) must not be negative") }
        guard value <= maxTimeoutMs else { throw HSSError.invalid("\(field) must be at most \(maxTimeoutMs)") }
        return value == 0 ? fallback : value
    }
}

private func trimmed(_ text: Substring) -> String {
    var text = text
    while text.first == " " || text.first == "\t" { text.removeFirst() }
    while text.last == " " || text.last == "\t" { text.removeLast() }
    return String(text)
}
