import CHSSAPI
import HSSBase
import HSSIdentity
import HSSSigning
import HSSTransport
import Synchronization

/// A configured client, and the one path every call takes: validate →
/// session (credentials, project id: Sessions) → resolve the path →
/// canonical query → sign → transport (with endpoint failover), in the one
/// retry loop → classify the status → decode the answer or describe the
/// error. Safe to share between threads: what changes (renewed
/// credentials, the endpoint in use) is swapped atomically.
package final class HSSClient {
    package let configuration: ClientConfiguration
    private let transport: HTTPTransport
    let http: IdentityHTTP
    let sessions: Sessions
    /// The endpoint that answered last (failover is sticky).
    let activeEndpoint = Atomic<Int>(0)
    var activeEndpointIndex: Int { activeEndpoint.load(ordering: .relaxed) }
    /// Whether a call's secret too short to redact was reported (once per client).
    private let warnedShortSecret = Atomic<Bool>(false)

    #if HSS_TESTING
        /// Replaces libcurl for the HSS requests of clients made afterwards:
        /// compiled only into the fuzz targets' build of the sources
        /// (Fuzz/build.sh defines HSS_TESTING), never into libhss.so.1.
        package nonisolated(unsafe) static var transportForTesting: (() -> HTTPTransport)?
    #endif

    package init(_ options: ClientOptions) throws {
        configuration = try ClientConfiguration(options)
        let curl = try CurlTransport(
            .init(
                connectTimeoutMs: configuration.connectTimeoutMs,
                timeoutMs: configuration.timeoutMs,
                caBundle: configuration.caBundle, caFile: configuration.systemCAFile, caPath: configuration.caPath,
                proxy: configuration.proxy))
        #if HSS_TESTING
            transport = HSSClient.transportForTesting?() ?? curl
        #else
            transport = curl
        #endif
        // One budget and one clock for every request of the client, identity calls included.
        let loop = RequestLoop(
            policy: configuration.retry, budget: RetryBudget(), clock: SigningClock(), trace: configuration.trace)
        http = try IdentityHTTP(transport: curl, userAgent: configuration.userAgent, loop: loop)
        sessions = Sessions(configuration: configuration, http: http)
        for (name, secret) in configuration.namedSecrets where secret.count < Redactor.shortest {
            warnShortSecret(name)
        }
    }

    /// A new call's context: the whole-call deadline, and a redactor that
    /// knows every secret the client holds now plus the call's own.
    func context(knowing secrets: [SecureBuffer] = []) -> CallContext {
        var redactor = sessions.now?.redactor ?? configuration.secrets
        for secret in secrets { redactor.add(secret) }
        return CallContext(
            timeoutMs: configuration.timeoutMs, connectTimeoutMs: configuration.connectTimeoutMs, redactor: redactor)
    }

    /// Resolves credentials and project id now (hss_client_resolve), within
    /// timeout_ms.
    package func resolve() throws { _ = try sessions.session(context()) }

    /// Says once per client that a secret is too short to be starred out
    /// (hss.h, Redaction): messages that hold it will be withheld whole.
    func warnShortSecret(_ what: String) {
        guard !warnedShortSecret.exchange(true, ordering: .relaxed) else { return }
        configuration.trace.emit(
            HSS_TRACE_WARNING,
            "\(what) is shorter than \(Redactor.shortest) bytes: any message that holds it will be withheld "
                + "whole instead of starred (use longer secrets while diagnosing)")
    }

    /// hss_client_set_trace_level.
    package func setTraceLevel(_ level: Int32) throws {
        guard (0...3).contains(level) else { throw HSSError.invalid("level must be 0 to 3 (hss_trace_level)") }
        configuration.trace.setLevel(level)
    }

    // MARK: Calls

    /// The time to sign with: the local clock, corrected by what the
    /// gateway's clock said (clock skew).
    package func signingTime() -> time_t { http.clock.now() }

    /// Sends a request and hands its 2xx answer's body to `decode` while the
    /// connection still holds it (so a success copies nothing but what
    /// `decode` keeps); any other answer is thrown as the HSSError that
    /// describes it. The whole call, session included, runs within
    /// timeout_ms; the retry loop (RequestLoop) tries failed attempts again.
    /// `now` fixes the signing time (tests, benchmarks) and turns the
    /// clock-skew correction off.
    package func send(_ request: Request, now: time_t? = nil, decode: (SecureBuffer) throws -> Void) throws {
        let known = sessions.now
        let initial = callContext(for: request, session: known)
        let session: Session
        let context: CallContext  // a constant from here on (the closures below read it without copying it)
        if let known, !known.needsRenewal(at: Int(time(nil))) {
            // The current session, used as read (as AsyncCall does): not handed through Sessions.session and
            // back (a retain, a release, a call).
            session = known
            context = consume initial
        } else {
            session = try sessions.session(initial, known: known)
            // A session made or renewed for this call brings its secrets too.
            context = session === known ? consume initial : initial.holding(session.redactor)
        }
        let (prepared, extraLines) = endpoints(for: request, session: session)
        if configuration.dryRun {
            throw dryRun(
                request, prepared: prepared[activeEndpoint.load(ordering: .relaxed)], session: session,
                now: now ?? signingTime(), extraLines: extraLines, context: context)
        }
        var decoded = false
        let response = try http.loop.run(
            "\(request.method.rawValue) \(request.pathTemplate)", of: "HSS", context, signsWithClock: now == nil
        ) { timeouts, signingTime in
            try sendToAnEndpoint(
                request, prepared: prepared, session: session, now: now ?? signingTime, timeouts: timeouts,
                extraLines: extraLines, context: context
            ) { connection, response in
                guard (200..<300).contains(response.status) else { return }
                do {
                    try decode(response.body)
                    decoded = true
                } catch var error as HSSError {
                    error.httpStatus = response.status
                    error.requestID = connection.requestID(redactor: context.redactor)
                    throw error
                }
            }
        }
        if decoded { return }
        throw failure(of: response, context)
    }

    /// One attempt: the endpoint in use, then (when it cannot be reached:
    /// name, connection, TLS) the next ones; the one that answers is kept.
    private func sendToAnEndpoint(
        _ request: Request, prepared: [PreparedEndpoint], session: Session, now: time_t, timeouts: Timeouts?,
        extraLines: [SecureBuffer], context: CallContext,
        consume: (HTTPConnection, HTTPResponse) throws -> Void
    ) throws -> HTTPResponse {
        let count = configuration.endpoints.count
        let first = activeEndpoint.load(ordering: .relaxed)
        var failures: [String] = []
        let debug = configuration.trace.wants(HSS_TRACE_DEBUG)  // read once per attempt
        for step in 0..<count {
            let index = (first + step) % count
            do {
                let response = try transport.withConnection { connection in
                    let written = prepared[index].write(
                        request, session: session, now: now, extraLines: extraLines, into: connection)
                    if debug {
                        traceRequest(
                            request, written: written, connection: connection, prepared: prepared[index],
                            session: session, extraLines: extraLines, redactor: context.redactor)
                    }
                    let response = try connection.perform(
                        request.method, url: written.urlText!, body: nil,
                        timeouts: timeouts, forceDirect: prepared[index].forceDirect, wantedHeaders: [],
                        wantsRequestID: debug, keepBody: false,
                        redactor: { context.redactor })
                    try consume(connection, response)
                    return response
                }
                if index != first { activeEndpoint.store(index, ordering: .relaxed) }
                return response
            } catch var error as HSSError where error.connectFailed && count > 1 {
                endpointUnreachable(&error, index: index, isLast: step == count - 1, failures: &failures)
                if step == count - 1 { throw error }
            }
        }
        throw HSSError(HSS_E_INTERNAL, "no endpoint to send to")
    }

    /// A dry run's end (hss.h, dry_run): the request for the endpoint in
    /// use, built and signed as it would be sent, described and not sent.
    func dryRun(
        _ request: Request, prepared: PreparedEndpoint, session: Session, now: time_t, extraLines: [SecureBuffer],
        context: CallContext
    ) -> HSSError {
        var error = HSSError(HSS_E_DRY_RUN, "dry run: the request was built and signed, and not sent")
        error.serviceMessage =
            (try? transport.withConnection { connection in
                let written = prepared.write(
                    request, session: session, now: now, extraLines: extraLines, into: connection)
                return describeRequest(
                    request, written: written, connection: connection, session: session, redactor: context.redactor)
            }) ?? ""
        return error
    }

    /// The path template with "{project_id}" and the request's own
    /// parameters filled in, each encoded as one path segment.
    func resolvedPath(_ request: Request, projectID: String) -> String {
        resolvedPath(request.pathTemplate, request.pathParameters, projectID: projectID)
    }

    func resolvedPath(_ template: StaticString, _ parameters: [String: String], projectID: String) -> String {
        return template.withUTF8Buffer { bytes in
            let out = SecureBuffer(capacity: bytes.count + 64)
            var start = 0
            while let open = bytes[start...].firstIndex(of: UInt8(ascii: "{")),
                let close = bytes[open...].firstIndex(of: UInt8(ascii: "}"))
            {
                out.append(UnsafeBufferPointer(rebasing: bytes[start..<open]))
                let name = String(decoding: bytes[(open + 1)..<close], as: UTF8.self)
                PercentEncoding.append(
                    parameters[name] ?? (name == "project_id" ? projectID : ""), to: out)
                start = close + 1
            }
            out.append(UnsafeBufferPointer(rebasing: bytes[start...]))
            return out.string()
        }
    }

    // MARK: Settings (hss_client_setting)

    package enum Setting: Int {
        case region = 0
        case endpoint, projectID, iamEndpoint, credentials
    }

    /// A setting's value and where it came from; "" when not known yet. Before the first
    /// session, what making it found before it failed (the credentials, the IAM endpoint).
    package func setting(_ setting: Setting) -> (value: String, source: String) {
        let session = sessions.now
        let found = session == nil ? sessions.found : nil
        switch setting {
        case .region:
            return (configuration.region ?? "", configuration.regionSource)
        case .endpoint:
            let index = activeEndpoint.load(ordering: .relaxed)
            return (configuration.endpoints[index].base, configuration.endpointSource)
        case .projectID:
            if let session { return (session.projectID, session.projectSource) }
            return (configuration.projectID ?? "", configuration.projectID == nil ? "" : configuration.projectSource)
        case .iamEndpoint:
            if let iam = session?.iamEndpoint { return (iam.url.base, iam.source) }
            if let given = configuration.iamEndpoint { return (given.base, Source.options) }
            if let iam = found?.iamEndpoint { return (iam.url.base, iam.source) }
            return ("", "")
        case .credentials:
            if let credentials = session?.credentials ?? configuration.credentials {
                return (credentials.maskedAccessKey, credentials.source.rawValue)
            }
            if let found { return (found.maskedAccessKey, found.credentialSource) }
            return ("", "")
        }
    }

    /// A warning for the user about the configuration (a credentials file
    /// that others can read), if any.
    package var warning: String? { sessions.warning }
}
