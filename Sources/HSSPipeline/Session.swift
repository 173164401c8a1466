import CHSSAPI
import HSSBase
import HSSIdentity
import HSSSigning
import HSSTransport
import Synchronization

/// Keys, project id and the headers every call sends with them: an
/// immutable value that the client's calls share, replaced (not changed)
/// when temporary credentials are renewed.
final class Session {
    let credentials: Credentials
    let projectID: String
    let projectSource: String
    let iamEndpoint: (url: EndpointURL, source: String)?
    let signer: Signer?
    /// Per endpoint: the fixed headers, signed and as lines.
    let fixedHeaders: [CanonicalHeaders]
    let fixedHeaderLines: [[SecureBuffer]]
    /// Knows every secret the client holds while this session is current:
    /// the configured ones, these credentials', and the previous session's
    /// (a service may still echo keys it issued before).
    let redactor: Redactor

    init(
        credentials: Credentials, projectID: String, projectSource: String,
        iamEndpoint: (url: EndpointURL, source: String)?, configuration: ClientConfiguration, previous: Session?
    ) throws {
        self.credentials = credentials
        self.projectID = projectID
        self.projectSource = projectSource
        self.iamEndpoint = iamEndpoint
        var common = [
            Header("Content-Type", "application/json"),
            Header("User-Agent", configuration.userAgent),
            Header("X-Project-Id", projectID),
        ]
        var redactor = configuration.secrets
        for secret in credentials.secrets { redactor.add(secret) }
        for secret in previous?.credentials.secrets ?? [] { redactor.add(secret) }
        switch credentials.keys {
        case .signed(let accessKey, let secretKey, let token):
            if let token { common.append(Header(name: "X-Security-Token", value: token)) }
            signer = try Signer(
                accessKey: accessKey, secretKey: secretKey, algorithm: configuration.signing,
                derivation: configuration.derivation)
        case .token(let token):
            common.append(Header(name: "X-Auth-Token", value: token))
            signer = nil
        }
        let perEndpoint = configuration.endpoints.map { [Header("Host", $0.host)] + common }
        fixedHeaders = perEndpoint.map(CanonicalHeaders.init)
        // "Accept:" removes libcurl's default, so only the signed headers go out.
        fixedHeaderLines = perEndpoint.map { $0.map(IdentityHTTP.line) + [SecureBuffer("Accept:")] }
        self.redactor = redactor
    }

    /// What every call to an API path sends to each endpoint, prepared on
    /// first use (PreparedEndpoint).
    /// A list, not a dictionary: a client calls a handful of paths, and a
    /// scan of pointer-sized keys costs less than hashing one.
    private let prepared = Mutex<[(key: PreparedEndpoint.Key, endpoints: [PreparedEndpoint])]>([])

    /// The prepared requests of a method and path template, one per endpoint,
    /// if they were made already.
    func prepared(_ method: HTTPMethod, pathTemplate: StaticString) -> [PreparedEndpoint]? {
        let key = PreparedEndpoint.Key(method: method, pathTemplate: UInt(bitPattern: pathTemplate.utf8Start))
        return prepared.withLock({ $0.first { $0.key == key }?.endpoints })
    }

    /// The prepared requests of a method and path template, one per endpoint.
    func prepared(
        _ method: HTTPMethod, pathTemplate: StaticString, path: () -> String, configuration: ClientConfiguration
    ) -> [PreparedEndpoint] {
        if let known = prepared(method, pathTemplate: pathTemplate) { return known }
        let key = PreparedEndpoint.Key(method: method, pathTemplate: UInt(bitPattern: pathTemplate.utf8Start))
        let made = PreparedEndpoint.make(
            method: method, path: path(), extraHeaders: [], session: self, configuration: configuration)
        prepared.withLock { list in
            if !list.contains(where: { $0.key == key }) { list.append((key, made)) }
        }
        return made
    }

    func isUsable(at now: Int) -> Bool { credentials.expiresAt.map { now < $0 } ?? true }
    func needsRenewal(at now: Int) -> Bool {
        credentials.expiresAt.map { now >= $0 - Sessions.renewalMargin } ?? false
    }
}

/// A client's sessions: the current one, and how the next one is made
/// (credentials from the options or the default chain; the project id from
/// the options, the credential source or IAM). One thread renews while the
/// others wait, each no longer than its own call's deadline.
final class Sessions {
    /// Renew temporary credentials when less than this is left (the
    /// official SDKs' 40 minutes); never use them past their expiry.
    static let renewalMargin = 40 * 60

    private let configuration: ClientConfiguration
    private let http: IdentityHTTP
    /// The default chain, when the caller gave no credentials.
    private let chain: CredentialChain?
    private let current = Mutex<Session?>(nil)
    private let renewal = TimedLock()
    /// What making the first session found before a later step failed, for hss_client_setting.
    private let partial = Mutex<Found?>(nil)

    /// The credentials (their masked AK and source, never a secret) and the IAM endpoint found
    /// before the first session failed to be made, so that a failed IAM lookup still shows them.
    struct Found {
        let maskedAccessKey: String
        let credentialSource: String
        var iamEndpoint: (url: EndpointURL, source: String)?
    }

    init(configuration: ClientConfiguration, http: IdentityHTTP) {
        self.configuration = configuration
        self.http = http
        chain = configuration.credentials == nil ? CredentialChain() : nil
    }

    /// The session in use; nil before the first call (or resolve()).
    var now: Session? { current.withLock { $0 } }

    /// What was found while no session could be made yet (see Found).
    var found: Found? { partial.withLock { $0 } }

    /// A warning about the configuration (a credentials file others can read).
    var warning: String? { chain?.warning }

    /// The session for a call at `now`: the current one while it has more
    /// than the renewal margin left; otherwise one thread renews it while
    /// the others wait. A failed renewal falls back on keys that are still
    /// valid; expired keys are never used.
    func session(_ context: CallContext, now: Int = Int(time(nil))) throws -> Session {
        try session(context, known: self.now, now: now)
    }

    /// The same, from the session the caller has just read (`self.now`).
    func session(_ context: CallContext, known: Session?, now: Int = Int(time(nil))) throws -> Session {
        if let known, !known.needsRenewal(at: now) { return known }
        let renewed = try renewal.withLock(waitingAtMost: context.remainingMs) { () throws -> Session in
            let previous = self.now
            if let previous, !previous.needsRenewal(at: now) { return previous }  // another thread renewed it
            // Keys that still work may wait: renewing them gets half of what is left of the call, so
            // that a slow credential service delays the call instead of failing it.
            let canWait = previous?.isUsable(at: now) ?? false
            do {
                let fresh = try make(previous: previous, canWait ? context.withHalfTheTimeLeft() : context)
                current.withLock { $0 = fresh }
                describe(fresh, renewed: previous != nil)
                return fresh
            } catch let error as HSSError {
                if let previous, previous.isUsable(at: now) {
                    configuration.trace.emit(
                        HSS_TRACE_WARNING, "renewing credentials failed, using the current ones: \(error.message)")
                    return previous
                }
                throw error
            }
        }
        guard let renewed else { throw context.expired(before: "another call finished renewing the credentials") }
        return renewed
    }

    /// Says where a new session's settings came from (never a secret).
    private func describe(_ session: Session, renewed: Bool) {
        let trace = configuration.trace
        guard trace.isOn else { return }
        let credentials = session.credentials
        var line = "\(renewed ? "renewed" : "using") credentials from \(credentials.source.rawValue)"
        if credentials.accessKey != nil { line += " (AK \(credentials.maskedAccessKey))" }
        if let expiresAt = credentials.expiresAt { line += ", valid for \(expiresAt - Int(time(nil))) s" }
        trace.emit(HSS_TRACE_INFO, line)
        if !renewed {
            trace.emit(HSS_TRACE_INFO, "project id \(session.projectID) from \(session.projectSource)")
        }
        if let warning = chain?.warning { trace.emit(HSS_TRACE_WARNING, warning) }
    }

    private func make(previous: Session?, _ context: CallContext) throws -> Session {
        let credentials: Credentials
        if let chain {
            credentials = try chain.fetch(http, context)
        } else if let given = configuration.credentials {
            credentials = given
        } else {
            throw HSSError(HSS_E_INTERNAL, "a client without credentials or a chain")
        }
        if let expiresAt = credentials.expiresAt, expiresAt <= Int(time(nil)) {
            throw HSSError(
                HSS_E_CREDENTIALS,
                "the \(credentials.source.rawValue) credentials have already expired (check the clock)")
        }
        if let previous {  // the project and IAM do not change with renewed keys
            return try Session(
                credentials: credentials, projectID: previous.projectID, projectSource: previous.projectSource,
                iamEndpoint: previous.iamEndpoint, configuration: configuration, previous: previous)
        }
        partial.withLock {
            $0 = Found(
                maskedAccessKey: credentials.maskedAccessKey, credentialSource: credentials.source.rawValue)
        }
        // IAM is needed only to look the project up; otherwise it is shown if it can be named.
        let knownProject = configuration.projectID != nil || credentials.projectID != nil
        let iam = knownProject ? try? iamEndpoint(credentials) : try iamEndpoint(credentials)
        partial.withLock { $0?.iamEndpoint = iam }
        let project: (id: String, source: String)
        if let given = configuration.projectID {
            project = (given, configuration.projectSource)
        } else if let fromSource = credentials.projectID {
            do {
                try Validation.checkProjectID(fromSource)
            } catch let error as HSSError {
                throw HSSError(HSS_E_CREDENTIALS, "the \(credentials.source.rawValue)'s \(error.message)")
            }
            project = (fromSource, credentials.source.rawValue)
        } else {
            guard let region = configuration.region else {
                throw HSSError(
                    HSS_E_CREDENTIALS,
                    "project_id is not set, and looking it up in IAM needs a region (set project_id or region)")
            }
            guard let iam else { throw HSSError(HSS_E_INTERNAL, "no IAM endpoint to look the project up") }
            // The new keys are secrets the client now holds: IAM's answer must not show them either.
            var lookup = context
            for secret in credentials.secrets { lookup = lookup.knowing(secret) }
            project = (
                try ProjectDiscovery.projectID(
                    region: region, iam: iam.url, credentials: credentials, http: http, context: lookup,
                    algorithm: configuration.signing == .v11HMACSHA256 ? .hmacSHA256 : configuration.signing),
                Source.iam
            )
        }
        return try Session(
            credentials: credentials, projectID: project.id, projectSource: project.source, iamEndpoint: iam,
            configuration: configuration, previous: nil)
    }

    /// iam_endpoint, the profile's, HUAWEICLOUD_SDK_IAM_ENDPOINT, the
    /// region's, the global one (credentials.md §5 step 5).
    private func iamEndpoint(_ credentials: Credentials) throws -> (url: EndpointURL, source: String) {
        if let given = configuration.iamEndpoint { return (given, Source.options) }
        if let fromProfile = credentials.iamEndpoint {
            return (try EndpointURL(fromProfile, field: "the profile's iam_endpoint", addScheme: true), Source.profile)
        }
        if let fromEnvironment = Environment.text("HUAWEICLOUD_SDK_IAM_ENDPOINT") {
            return (
                try EndpointURL(fromEnvironment, field: "HUAWEICLOUD_SDK_IAM_ENDPOINT", addScheme: true),
                Source.environment
            )
        }
        let builtIn = ProjectDiscovery.builtInIAM(region: configuration.region ?? "")
        return (
            try EndpointURL(builtIn.url, field: "IAM endpoint"), builtIn.regional ? Source.builtIn : Source.fallback
        )
    }
}
