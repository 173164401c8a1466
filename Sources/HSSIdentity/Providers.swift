import CHSS
import HSSBase
import HSSSigning
import HSSTransport

/// One source of credentials in the default chain (credentials.md §2).
/// `fetch` is called under the client's refresh lock, never concurrently,
/// the first time and again whenever temporary credentials run low.
package protocol CredentialProvider: AnyObject {
    var source: CredentialSource { get }
    /// Credentials from this source now, or an HSSError saying why not.
    func fetch(_ http: IdentityHTTP) throws -> Credentials
}

/// A provider that does not apply (its variables are not set, its file
/// does not exist): the chain moves on.
func notApplicable(_ reason: String) -> HSSError { HSSError(HSS_E_CREDENTIALS, reason) }

/// Token files and profiles are small; anything larger is a mistake.
let maxTokenFileBytes = 64 * 1024

/// Reads a token file (an OIDC id token, a pod identity token) into wiped
/// memory, trimmed; re-read on every refresh, since the platform rotates it.
func readTokenFile(_ path: String, what: String) throws -> SecureBuffer {
    let token: SecureBuffer
    do {
        token = try SecureFile.read(path, maxBytes: maxTokenFileBytes).contents.trimmed()
    } catch {
        throw HSSError(HSS_E_CREDENTIALS, error.describe("\(what) '\(path)'"))
    }
    guard !token.isEmpty else { throw HSSError(HSS_E_CREDENTIALS, "\(what) '\(path)' is empty") }
    return token
}

/// An answer that is not 2xx, as one line naming the service; the body is
/// read like any service error (redacted).
func refused(_ response: HTTPResponse, by service: String, redactor: Redactor) -> HSSError {
    var error = ServiceErrorBody.describe(
        status: response.status, body: response.body, requestID: response.requestID, redactor: redactor,
        service: service)
    error.status = HSS_E_CREDENTIALS
    return error
}

// MARK: - Environment

/// HUAWEICLOUD_SDK_AK/SK (+ SECURITY_TOKEN, PROJECT_ID), or federation
/// through IAM with HUAWEICLOUD_SDK_IDP_ID + HUAWEICLOUD_SDK_ID_TOKEN_FILE.
package final class EnvironmentProvider: CredentialProvider {
    package let source = CredentialSource.environment
    private var federated: FederatedProvider?

    package init() {}

    package func fetch(_ http: IdentityHTTP) throws -> Credentials {
        if let federated { return try federated.fetch(http) }
        let projectID = Environment.text("HUAWEICLOUD_SDK_PROJECT_ID")
        if let idp = Environment.text("HUAWEICLOUD_SDK_IDP_ID"),
            let tokenFile = Environment.text("HUAWEICLOUD_SDK_ID_TOKEN_FILE")
        {
            let provider = FederatedProvider(
                idpID: idp, tokenFile: tokenFile, iamEndpoint: nil, projectID: projectID, source: source)
            federated = provider
            return try provider.fetch(http)
        }
        guard let ak = Environment.secret("HUAWEICLOUD_SDK_AK"), let sk = Environment.secret("HUAWEICLOUD_SDK_SK")
        else {
            throw notApplicable(
                "HUAWEICLOUD_SDK_AK and HUAWEICLOUD_SDK_SK (or HUAWEICLOUD_SDK_IDP_ID and "
                    + "HUAWEICLOUD_SDK_ID_TOKEN_FILE) are not set")
        }
        var credentials = try Credentials.signed(
            accessKey: ak, secretKey: sk, securityToken: Environment.secret("HUAWEICLOUD_SDK_SECURITY_TOKEN"),
            source: source)
        credentials.projectID = projectID
        return credentials
    }
}

// MARK: - Profile file

/// ~/.huaweicloud/credentials (or HUAWEICLOUD_SDK_CREDENTIALS_FILE), an INI
/// file read straight into wiped memory. Section [basic] (documented) or
/// [basiccredentials] (what the official builder reads); no `%`
/// interpolation.
package final class ProfileProvider: CredentialProvider {
    package let source = CredentialSource.profile
    private var federated: FederatedProvider?
    /// Set when the file is readable by group or others (as ssh warns).
    package private(set) var warning: String?

    package init() {}

    package static func path() -> String? {
        if let explicit = Environment.text("HUAWEICLOUD_SDK_CREDENTIALS_FILE") { return explicit }
        return Environment.text("HOME").map { $0 + "/.huaweicloud/credentials" }
    }

    package func fetch(_ http: IdentityHTTP) throws -> Credentials {
        if let federated { return try federated.fetch(http) }
        guard let path = ProfileProvider.path() else {
            throw notApplicable("HOME and HUAWEICLOUD_SDK_CREDENTIALS_FILE are not set")
        }
        let file: (contents: SecureBuffer, mode: mode_t)
        do {
            file = try SecureFile.read(path, maxBytes: maxTokenFileBytes)
        } catch {
            throw notApplicable(error.describe("credentials file '\(path)'"))
        }
        if file.mode & 0o077 != 0 {
            warning =
                "credentials file '\(path)' is readable by others (mode \(String(file.mode & 0o777, radix: 8))): "
                + "chmod 600 it"
        }
        let document: INIDocument
        do {
            document = try INIDocument(file.contents.bytes)
        } catch {
            throw HSSError(HSS_E_CREDENTIALS, "credentials file '\(path)' line \(error.line): \(error.reason)")
        }
        guard let section = ["basic", "basiccredentials"].first(where: document.hasSection) else {
            throw HSSError(
                HSS_E_CREDENTIALS, "credentials file '\(path)' has no [basic] (or [basiccredentials]) section")
        }
        func text(_ key: String) -> String? {
            document.value(section: section, key: key).flatMap { $0.isEmpty ? nil : $0.string() }
        }
        let projectID = text("project_id")
        let iamEndpoint = text("iam_endpoint")
        if let idp = text("idp_id"), let tokenFile = text("id_token_file") {
            let provider = FederatedProvider(
                idpID: idp, tokenFile: tokenFile, iamEndpoint: iamEndpoint, projectID: projectID, source: source)
            federated = provider
            return try provider.fetch(http)
        }
        func secret(_ key: String) -> SecureBuffer? {
            document.value(section: section, key: key).flatMap { $0.isEmpty ? nil : $0 }
        }
        guard let ak = secret("ak"), let sk = secret("sk") else {
            throw HSSError(
                HSS_E_CREDENTIALS,
                "credentials file '\(path)' [\(section)] has neither ak and sk nor idp_id and id_token_file")
        }
        var credentials: Credentials
        do {
            credentials = try Credentials.signed(
                accessKey: ak, secretKey: sk, securityToken: secret("security_token"), source: source)
        } catch let error as HSSError {
            throw HSSError(HSS_E_CREDENTIALS, "credentials file '\(path)' [\(section)]: \(error.message)")
        }
        credentials.projectID = projectID
        credentials.iamEndpoint = iamEndpoint
        return credentials
    }
}

// MARK: - IAM federation (idp_id + id_token_file)

/// An OIDC id token exchanged at IAM for an unscoped token, then for
/// temporary AK/SK (credentials.md §3.3). Both calls are unsigned.
final class FederatedProvider: CredentialProvider {
    let source: CredentialSource
    private let idpID: String
    private let tokenFile: String
    private let iamEndpoint: String?
    private let projectID: String?

    init(idpID: String, tokenFile: String, iamEndpoint: String?, projectID: String?, source: CredentialSource) {
        self.idpID = idpID
        self.tokenFile = tokenFile
        self.iamEndpoint = iamEndpoint
        self.projectID = projectID
        self.source = source
    }

    func fetch(_ http: IdentityHTTP) throws -> Credentials {
        let iam = try EndpointURL(
            iamEndpoint ?? Environment.text("HUAWEICLOUD_SDK_IAM_ENDPOINT") ?? "https://iam.myhuaweicloud.com",
            field: "IAM endpoint", addScheme: true)
        try http.checkCleartext(iam, role: "IAM endpoint")
        let idToken = try readTokenFile(tokenFile, what: "id token file")
        var redactor = Redactor()
        redactor.add(idToken)

        let body = SecureBuffer(capacity: idToken.count + 40)
        body.append("{\"auth\":{\"id_token\":{\"id\":")
        JSONWriter.appendString(idToken.bytes, to: body)
        body.append("}}}")
        let unscoped = try http.send(
            .post, iam.base + "/v3.0/OS-AUTH/id-token/tokens", headers: [Header("X-Idp-Id", idpID)], body: body,
            wantedHeaders: ["X-Subject-Token"], redactor: redactor)
        guard (200..<300).contains(unscoped.status) else {
            throw refused(unscoped, by: "IAM (id token)", redactor: redactor)
        }
        guard let token = unscoped.headers.first ?? nil, !token.isEmpty, !unscoped.body.isEmpty else {
            throw HSSError(HSS_E_CREDENTIALS, "IAM gave no token for the id token (no X-Subject-Token)")
        }
        redactor.add(token)

        let exchange = SecureBuffer(capacity: token.count + 96)
        exchange.append("{\"auth\":{\"identity\":{\"methods\":[\"token\"],\"token\":{\"id\":")
        JSONWriter.appendString(token.bytes, to: exchange)
        exchange.append(",\"duration_seconds\":21600}}}}")
        let answer = try http.send(
            .post, iam.base + "/v3.0/OS-CREDENTIAL/securitytokens", body: exchange, redactor: redactor)
        guard (200..<300).contains(answer.status) else {
            throw refused(answer, by: "IAM (security token)", redactor: redactor)
        }
        var credentials = try TemporaryCredentials.parse(answer.body, source: source)
        credentials.projectID = projectID
        credentials.iamEndpoint = iamEndpoint
        return credentials
    }
}

// MARK: - OIDC through STS

/// HUAWEICLOUD_OIDC_*: an id token exchanged at STS (assume-with-oidc) for
/// an agency's temporary credentials (credentials.md §2.1). Unsigned.
package final class OIDCProvider: CredentialProvider {
    package let source = CredentialSource.oidc

    package init() {}

    package func fetch(_ http: IdentityHTTP) throws -> Credentials {
        let names = [
            "HUAWEICLOUD_OIDC_PROVIDER_URN", "HUAWEICLOUD_OIDC_AGENCY_URN", "HUAWEICLOUD_OIDC_ID_TOKEN",
            "HUAWEICLOUD_OIDC_TOKEN_FILE",
        ]
        guard names.contains(where: { Environment.text($0) != nil }) else {
            throw notApplicable("HUAWEICLOUD_OIDC_PROVIDER_URN is not set")
        }
        guard let providerURN = Environment.text("HUAWEICLOUD_OIDC_PROVIDER_URN") else {
            throw HSSError(HSS_E_CREDENTIALS, "HUAWEICLOUD_OIDC_PROVIDER_URN is not set")
        }
        guard let agencyURN = Environment.text("HUAWEICLOUD_OIDC_AGENCY_URN") else {
            throw HSSError(HSS_E_CREDENTIALS, "HUAWEICLOUD_OIDC_AGENCY_URN is not set")
        }
        let idToken: SecureBuffer
        if let inline = Environment.secret("HUAWEICLOUD_OIDC_ID_TOKEN") {
            idToken = inline.trimmed()
        } else if let file = Environment.text("HUAWEICLOUD_OIDC_TOKEN_FILE") {
            idToken = try readTokenFile(file, what: "HUAWEICLOUD_OIDC_TOKEN_FILE")
        } else {
            throw HSSError(HSS_E_CREDENTIALS, "HUAWEICLOUD_OIDC_ID_TOKEN or HUAWEICLOUD_OIDC_TOKEN_FILE is required")
        }
        var duration = 3600
        if let text = Environment.text("HUAWEICLOUD_OIDC_DURATION_SECONDS") {
            guard let value = Int(text), value > 0 else {
                throw HSSError(HSS_E_CREDENTIALS, "HUAWEICLOUD_OIDC_DURATION_SECONDS must be a positive integer")
            }
            duration = value
        }
        let sts = try EndpointURL(
            Environment.text("HUAWEICLOUD_SDK_STS_ENDPOINT") ?? "https://sts.cn-north-4.myhuaweicloud.com",
            field: "HUAWEICLOUD_SDK_STS_ENDPOINT", addScheme: true)
        try http.checkCleartext(sts, role: "STS endpoint")
        var redactor = Redactor()
        redactor.add(idToken)

        let body = SecureBuffer(capacity: idToken.count + 256)
        body.append("{\"provider_urn\":")
        JSONWriter.appendString(providerURN, to: body)
        body.append(",\"agency_urn\":")
        JSONWriter.appendString(agencyURN, to: body)
        body.append(",\"agency_session_name\":")
        JSONWriter.appendString(Environment.text("HUAWEICLOUD_OIDC_SESSION_NAME") ?? "oidc-sts-session", to: body)
        body.append(",\"id_token\":")
        JSONWriter.appendString(idToken.bytes, to: body)
        body.append(",\"duration_seconds\":\(duration)")
        if let policy = Environment.text("HUAWEICLOUD_OIDC_POLICY") {
            body.append(",\"policy\":")
            JSONWriter.appendString(policy, to: body)
        }
        if let ids = Environment.text("HUAWEICLOUD_OIDC_POLICY_IDS") {
            let list = ids.split(separator: ",").map { $0.trimmingSpaces() }.filter { !$0.isEmpty }
            body.append(",\"policy_ids\":[")
            for (index, id) in list.enumerated() {
                if index > 0 { body.append(",") }
                JSONWriter.appendString(id, to: body)
            }
            body.append("]")
        }
        body.append("}")
        let answer = try http.send(
            .post, sts.base + "/v5/agencies/assume-with-oidc", body: body, redactor: redactor)
        guard (200..<300).contains(answer.status) else { throw refused(answer, by: "STS", redactor: redactor) }
        var credentials = try TemporaryCredentials.parse(answer.body, source: source)
        credentials.projectID = Environment.text("HUAWEICLOUD_SDK_PROJECT_ID")
        return credentials
    }
}

// MARK: - ECS/BMS metadata

/// The instance's agency credentials from the metadata service
/// (credentials.md §2.4): an IMDSv2-style session token, then
/// /openstack/latest/securitykey. 3 s timeouts, never through a proxy.
package final class MetadataProvider: CredentialProvider {
    package let source = CredentialSource.metadata
    /// The session token and when it was fetched; nil with IMDSv1.
    private var session: (token: SecureBuffer, fetchedAt: Int)?
    private var tokenRefusedAt: Int?
    /// Whether the service ever answered. Until it has, a failure to connect
    /// is not retried: off the cloud there is no metadata service, and the
    /// chain should move on at once.
    private var reached = false
    private static let tokenTTL = 21_600
    private static let timeouts = Timeouts(connectMs: 3000, totalMs: 6000)

    package init() {}

    package static var baseURL: String {
        Environment.text("HUAWEICLOUD_SDK_METADATA_ENDPOINT") ?? "http://169.254.169.254"
    }

    package func fetch(_ http: IdentityHTTP) throws -> Credentials {
        let base = try EndpointURL(
            MetadataProvider.baseURL, field: "HUAWEICLOUD_SDK_METADATA_ENDPOINT", addScheme: false)
        do {
            return try fetch(http, base: base)
        } catch var error as HSSError {
            error.message = "\(base.base): \(error.message)"
            error.status = HSS_E_CREDENTIALS
            throw error
        }
    }

    private func fetch(_ http: IdentityHTTP, base: EndpointURL) throws -> Credentials {
        let now = Int(time(nil))
        if let session, now - session.fetchedAt > MetadataProvider.tokenTTL - 300 { self.session = nil }
        // Without a token, ask for one (again a day after the service said it has none).
        if session == nil, tokenRefusedAt.map({ now - $0 > 86_400 }) ?? true {
            try fetchToken(http, base: base, now: now, mustWork: false)
        }
        var answer = try securityKey(http, base: base)
        if answer.status == 401,
            !occurs("Please configure Cloud Service Agency first", in: answer.body.bytes)
        {
            try fetchToken(http, base: base, now: now, mustWork: true)
            answer = try securityKey(http, base: base)
        }
        guard (200..<300).contains(answer.status) else {
            throw refused(answer, by: "the metadata service", redactor: redactor)
        }
        return try TemporaryCredentials.parse(answer.body, source: source)
    }

    private var redactor: Redactor {
        var redactor = Redactor()
        redactor.add(session?.token)
        return redactor
    }

    private func securityKey(_ http: IdentityHTTP, base: EndpointURL) throws -> HTTPResponse {
        let headers = session.map { [Header(name: "X-Metadata-Token", value: $0.token)] } ?? []
        let answer = try http.send(
            .get, base.base + "/openstack/latest/securitykey", headers: headers, direct: true,
            timeouts: MetadataProvider.timeouts, redactor: redactor, retryConnectFailures: reached)
        reached = true
        return answer
    }

    private func fetchToken(_ http: IdentityHTTP, base: EndpointURL, now: Int, mustWork: Bool) throws {
        let answer = try http.send(
            .put, base.base + "/meta-data/latest/api/token",
            headers: [Header("X-Metadata-Token-Ttl-Seconds", String(MetadataProvider.tokenTTL))], direct: true,
            timeouts: MetadataProvider.timeouts, redactor: redactor, retryConnectFailures: reached)
        reached = true
        switch answer.status {
        case 200..<300:
            let token = answer.body.trimmed()
            try Validation.checkHeaderValue(token, field: "the metadata session token", maxBytes: 4096)
            session = (token, now)
        case 404 where !mustWork, 405 where !mustWork, 503 where !mustWork:
            session = nil  // no session tokens here: IMDSv1
            tokenRefusedAt = now
        default:
            throw refused(answer, by: "the metadata service (session token)", redactor: redactor)
        }
    }
}

// MARK: - CCE pod identity

/// HC_CONTAINER_CREDENTIALS_FULL_URI + HC_CONTAINER_AUTHORIZATION_TOKEN_FILE
/// (credentials.md §2.5): POST {} with the token file's content as
/// Authorization, 5 s timeouts, never through a proxy.
package final class PodIdentityProvider: CredentialProvider {
    package let source = CredentialSource.podIdentity

    package init() {}

    package func fetch(_ http: IdentityHTTP) throws -> Credentials {
        guard let uri = Environment.text("HC_CONTAINER_CREDENTIALS_FULL_URI"),
            let tokenFile = Environment.text("HC_CONTAINER_AUTHORIZATION_TOKEN_FILE")
        else {
            throw notApplicable(
                "HC_CONTAINER_CREDENTIALS_FULL_URI and HC_CONTAINER_AUTHORIZATION_TOKEN_FILE are not both set")
        }
        let url = try EndpointURL(uri, field: "HC_CONTAINER_CREDENTIALS_FULL_URI", allowPath: true)
        let token = try readTokenFile(tokenFile, what: "HC_CONTAINER_AUTHORIZATION_TOKEN_FILE")
        try Validation.checkHeaderValue(token, field: "the pod identity token", maxBytes: maxTokenFileBytes)
        var redactor = Redactor()
        redactor.add(token)
        let answer = try http.send(
            .post, url.text, headers: [Header(name: "Authorization", value: token)], body: SecureBuffer("{}"),
            direct: true, timeouts: Timeouts(connectMs: 5000, totalMs: 10_000), redactor: redactor)
        guard (200..<300).contains(answer.status) else {
            throw refused(answer, by: "pod identity", redactor: redactor)
        }
        return try TemporaryCredentials.parse(answer.body, source: source)
    }
}

// MARK: - The chain

/// The official order: OIDC, environment, profile, metadata, pod identity.
/// The first provider that gives credentials is kept for every refresh;
/// until one does, each failure is recorded and the next one is tried
/// (the official SDK stops at an unexpected error; this stops only at a
/// request refused because a proxy would read it in clear: a setting to fix).
package final class CredentialChain {
    private let providers: [CredentialProvider]
    package private(set) var chosen: CredentialProvider?

    package init(
        providers: [CredentialProvider] = [
            OIDCProvider(), EnvironmentProvider(), ProfileProvider(), MetadataProvider(), PodIdentityProvider(),
        ]
    ) {
        self.providers = providers
    }

    package func fetch(_ http: IdentityHTTP) throws -> Credentials {
        if let chosen {
            do {
                return try chosen.fetch(http)
            } catch var error as HSSError {
                error.message = "renewing credentials from \(chosen.source.rawValue): \(error.message)"
                if !error.isCleartextRefusal { error.status = HSS_E_CREDENTIALS }
                throw error
            }
        }
        var reasons: [String] = []
        for provider in providers {
            do {
                let credentials = try provider.fetch(http)
                chosen = provider
                return credentials
            } catch var error as HSSError {
                // A source that is set up but refused for safety is a setting to fix, not a source to skip.
                guard !error.isCleartextRefusal else {
                    error.message = "\(provider.source.rawValue) credentials: \(error.message)"
                    throw error
                }
                reasons.append("\(provider.source.rawValue): \(error.message)")
            }
        }
        throw HSSError(
            HSS_E_CREDENTIALS,
            "no credentials were given and none were found; " + reasons.joined(separator: "; "))
    }

    /// A warning the chosen provider has for the user (a profile file
    /// others can read), if any.
    package var warning: String? { (chosen as? ProfileProvider)?.warning }
}

extension Substring {
    func trimmingSpaces() -> String {
        var s = self
        while s.first == " " || s.first == "\t" { s.removeFirst() }
        while s.last == " " || s.last == "\t" { s.removeLast() }
        return String(s)
    }
}
