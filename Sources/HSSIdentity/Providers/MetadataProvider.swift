import CHSSAPI
import HSSBase
import HSSSigning
import HSSTransport

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

    package func fetch(_ http: IdentityHTTP, _ context: CallContext) throws -> Credentials {
        let base = try EndpointURL(
            MetadataProvider.baseURL, field: "HUAWEICLOUD_SDK_METADATA_ENDPOINT", addScheme: false)
        do {
            return try fetch(http, base: base, context)
        } catch var error as HSSError {
            error.message = "\(base.base): \(error.message)"
            error.status = HSS_E_CREDENTIALS
            throw error
        }
    }

    private func fetch(_ http: IdentityHTTP, base: EndpointURL, _ context: CallContext) throws -> Credentials {
        let now = Int(time(nil))
        if let session, now - session.fetchedAt > MetadataProvider.tokenTTL - 300 { self.session = nil }
        // Without a token, ask for one (again a day after the service said it has none).
        if session == nil, tokenRefusedAt.map({ now - $0 > 86_400 }) ?? true {
            try fetchToken(http, base: base, now: now, mustWork: false, context)
        }
        var answer = try securityKey(http, base: base, context)
        if answer.status == 401,
            !occurs("Please configure Cloud Service Agency first", in: answer.body.bytes)
        {
            try fetchToken(http, base: base, now: now, mustWork: true, context)
            answer = try securityKey(http, base: base, context)
        }
        guard (200..<300).contains(answer.status) else {
            throw refused(answer, by: "the metadata service", redactor: knowing(context).redactor)
        }
        return try TemporaryCredentials.parse(answer.body, source: source)
    }

    /// The call's context, whose redactor also knows the session token.
    private func knowing(_ context: CallContext) -> CallContext { context.knowing(session?.token) }

    private func securityKey(_ http: IdentityHTTP, base: EndpointURL, _ context: CallContext) throws -> HTTPResponse {
        let headers = session.map { [Header(name: "X-Metadata-Token", value: $0.token)] } ?? []
        let answer = try http.send(
            .get, base.base + "/openstack/latest/securitykey", to: "the metadata service", headers: headers,
            direct: true,
            limit: MetadataProvider.timeouts, context: knowing(context), retryConnectFailures: reached)
        reached = true
        return answer
    }

    private func fetchToken(
        _ http: IdentityHTTP, base: EndpointURL, now: Int, mustWork: Bool, _ context: CallContext
    ) throws {
        let answer = try http.send(
            .put, base.base + "/meta-data/latest/api/token", to: "the metadata service (session token)",
            headers: [Header("X-Metadata-Token-Ttl-Seconds", String(MetadataProvider.tokenTTL))], direct: true,
            limit: MetadataProvider.timeouts, context: knowing(context), retryConnectFailures: reached)
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
            throw refused(answer, by: "the metadata service (session token)", redactor: knowing(context).redactor)
        }
    }
}
