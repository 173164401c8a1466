import CHSS
import HSSBase
import HSSIdentity
import HSSSigning
import HSSTransport
import Synchronization

/// A configured client, and the one path every call takes:
/// validate → identity (credentials, project id) → resolve the path →
/// canonical query → sign → transport (with endpoint failover) → classify
/// the status → decode the answer or describe the error.
/// Safe to share between threads: what changes (credentials that are
/// renewed, a discovered project id, the endpoint in use) lives in an
/// immutable Session swapped under a lock.
package final class HSSClient {
    package let configuration: ClientConfiguration
    private let transport: HTTPTransport
    private let identityHTTP: IdentityHTTP
    /// The default chain, when the caller gave no credentials.
    private let chain: CredentialChain?

    /// What calls use now; nil until the first call (or resolve()).
    private let current = Mutex<Session?>(nil)
    /// Held while credentials are fetched, so that one thread renews them
    /// while the others wait for the result.
    private let renewal = Mutex<Void>(())
    /// The endpoint that answered last (failover is sticky).
    private let activeEndpoint = Atomic<Int>(0)
    /// Shared by every call of the client, identity calls included.
    private let budget = RetryBudget()
    /// Texts handed to C by setting(_:), kept until the client goes.
    private let published = Mutex<[String: UnsafeMutablePointer<CChar>]>([:])

    /// Renew temporary credentials when less than this is left (the
    /// official SDKs' 40 minutes); never use them past their expiry.
    package static let renewalMargin = 40 * 60

    /// Replaces libcurl for the HSS requests of clients made afterwards: set
    /// only by the fuzz target of the C entry point (Fuzz/), which compiles
    /// the library's sources; never by the library itself.
    package nonisolated(unsafe) static var transportForTesting: (() -> HTTPTransport)?

    package init(_ options: ClientOptions) throws {
        configuration = try ClientConfiguration(options)
        let curl = try CurlTransport(
            .init(
                connectTimeoutMs: configuration.connectTimeoutMs,
                timeoutMs: configuration.timeoutMs,
                caBundle: configuration.caBundle, caFile: configuration.systemCAFile, caPath: configuration.caPath,
                proxy: configuration.proxy))
        transport = HSSClient.transportForTesting?() ?? curl
        identityHTTP = try IdentityHTTP(
            transport: curl, userAgent: configuration.userAgent, retry: configuration.retry, budget: budget,
            trace: configuration.trace)
        chain = configuration.credentials == nil ? CredentialChain() : nil
    }

    deinit {
        published.withLock { texts in
            for pointer in texts.values { free(pointer) }
        }
    }

    // MARK: Identity

    /// Keys, project id and the headers every call sends with them.
    final class Session {
        let credentials: Credentials
        let projectID: String
        let projectSource: String
        let iamEndpoint: (url: EndpointURL, source: String)?
        let signer: Signer?
        /// Per endpoint: the fixed headers, signed and as lines.
        let fixedHeaders: [CanonicalHeaders]
        let fixedHeaderLines: [[SecureBuffer]]
        let redactor: Redactor

        init(
            credentials: Credentials, projectID: String, projectSource: String,
            iamEndpoint: (url: EndpointURL, source: String)?, configuration: ClientConfiguration
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
            var redactor = Redactor()
            for secret in credentials.secrets { redactor.add(secret) }
            redactor.add(configuration.proxy.password)
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

        func isUsable(at now: Int) -> Bool { credentials.expiresAt.map { now < $0 } ?? true }
        func needsRenewal(at now: Int) -> Bool {
            credentials.expiresAt.map { now >= $0 - HSSClient.renewalMargin } ?? false
        }
    }

    /// The session for a call at `now`: the current one while it has more
    /// than the renewal margin left; otherwise one thread renews it while
    /// the others wait. A failed renewal falls back on keys that are still
    /// valid; expired keys are never used.
    func session(now: Int = Int(time(nil))) throws -> Session {
        if let session = current.withLock({ $0 }), !session.needsRenewal(at: now) { return session }
        return try renewal.withLock { _ in
            let previous = current.withLock { $0 }
            if let previous, !previous.needsRenewal(at: now) { return previous }  // another thread renewed it
            do {
                let fresh = try makeSession(previous: previous)
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

    /// Resolves credentials and project id now (hss_client_resolve).
    package func resolve() throws { _ = try session() }

    private func makeSession(previous: Session?) throws -> Session {
        let credentials: Credentials
        if let chain {
            credentials = try chain.fetch(identityHTTP)
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
                iamEndpoint: previous.iamEndpoint, configuration: configuration)
        }
        // IAM is needed only to look the project up; otherwise it is shown if it can be named.
        let knownProject = configuration.projectID != nil || credentials.projectID != nil
        let iam = knownProject ? try? iamEndpoint(credentials) : try iamEndpoint(credentials)
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
            project = (
                try ProjectDiscovery.projectID(
                    region: region, iam: iam.url, credentials: credentials, http: identityHTTP,
                    algorithm: configuration.signing == .v11HMACSHA256 ? .hmacSHA256 : configuration.signing),
                Source.iam
            )
        }
        return try Session(
            credentials: credentials, projectID: project.id, projectSource: project.source, iamEndpoint: iam,
            configuration: configuration)
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

    // MARK: Calls

    /// Runs one operation: its inputs are checked before anything is sent,
    /// and its answer must be a strict JSON object.
    package func perform<O: Operation>(_ operation: O, now: time_t? = nil) throws -> O.Output {
        try operation.validate()
        let response = try send(operation.request(), now: now)
        do {
            let answer: JSONDocument
            do {
                answer = try JSONDocument(response.body.bytes)
            } catch .duplicateKey {
                throw HSSError(HSS_E_BAD_RESPONSE, "the service's answer names a field twice")
            } catch {
                throw HSSError(HSS_E_BAD_RESPONSE, "the service's answer is not a JSON object")
            }
            guard answer.rootKind == .object else {
                throw HSSError(HSS_E_BAD_RESPONSE, "the service's answer is not a JSON object")
            }
            return try operation.decode(answer)
        } catch var error as HSSError {
            error.httpStatus = response.status
            error.requestID = response.requestID
            throw error
        }
    }

    /// The time to sign with: the local clock, corrected by what the
    /// gateway's clock said (clock skew).
    package func signingTime() -> time_t { identityHTTP.clock.now() }

    /// Sends a request and returns its 2xx answer; any other answer is
    /// thrown as the HSSError that describes it. Failed attempts are tried
    /// again within the retry policy, the budget and the deadline
    /// (timeout_ms for the whole call); an expired signature (APIGW.0303)
    /// is signed again at once with the gateway's time. `now` fixes the
    /// signing time (tests, benchmarks).
    package func send(_ request: Request, now: time_t? = nil) throws -> HTTPResponse {
        let deadline = monotonicMs() + configuration.timeoutMs
        let session = try self.session(now: Int(time(nil)))
        let policy = configuration.retry
        var sent = 0  // requests made, the clock-skew retry included
        var counted = 0  // attempts counted against max_attempts
        var skewCorrected = false
        while true {
            sent += 1
            counted += 1
            let left = deadline - monotonicMs()
            // The first attempt normally has the whole timeout, which the handles already use.
            let timeouts =
                left < configuration.timeoutMs - 10
                ? Timeouts(connectMs: min(configuration.connectTimeoutMs, max(left, 1)), totalMs: max(left, 1)) : nil
            do {
                let response = try sendToAnEndpoint(
                    request, session: session, now: now ?? signingTime(), timeouts: timeouts)
                budget.refund()
                return response
            } catch var error as HSSError {
                error.attempts = sent
                if !skewCorrected, now == nil, SigningClock.isSkew(error), let serverDate = error.serverDate {
                    let offset = identityHTTP.clock.correct(serverDate: serverDate)
                    skewCorrected = true
                    counted -= 1
                    configuration.trace.emit(
                        HSS_TRACE_INFO,
                        "the gateway refused the signature as expired (APIGW.0303): its clock is \(offset) s "
                            + "from ours; signing again with its time")
                    continue
                }
                guard RetryPolicy.isRetryable(error), counted < policy.maxAttempts else {
                    if sent > 1 { error.message += " (after \(sent) attempts)" }
                    throw error
                }
                let delay = policy.delayMs(afterFailure: counted, retryAfterMs: error.retryAfterMs)
                guard monotonicMs() + delay < deadline else {
                    configuration.trace.emit(
                        HSS_TRACE_INFO,
                        "attempt \(counted) failed (\(error.message)); no time left within the call's timeout")
                    error.message +=
                        " (no time left within the call's timeout to retry\(sent > 1 ? "; \(sent) attempts" : ""))"
                    throw error
                }
                guard budget.withdraw(after: error) else {
                    configuration.trace.emit(
                        HSS_TRACE_INFO, "attempt \(counted) failed (\(error.message)); the retry budget is spent")
                    error.message += " (the client's retry budget is spent\(sent > 1 ? "; \(sent) attempts" : ""))"
                    throw error
                }
                configuration.trace.emit(
                    HSS_TRACE_INFO,
                    "attempt \(counted) of \(policy.maxAttempts) failed (\(error.message)); retrying in \(delay) ms")
                sleepMs(delay)
            }
        }
    }

    /// One attempt: the endpoint in use, then (when it cannot be reached:
    /// name, connection, TLS) the next ones; the one that answers is kept.
    private func sendToAnEndpoint(
        _ request: Request, session: Session, now: time_t, timeouts: Timeouts?
    ) throws -> HTTPResponse {
        let count = configuration.endpoints.count
        let first = activeEndpoint.load(ordering: .relaxed)
        var failures: [String] = []
        for step in 0..<count {
            let index = (first + step) % count
            do {
                let response = try send(request, session: session, endpoint: index, now: now, timeouts: timeouts)
                if index != first { activeEndpoint.store(index, ordering: .relaxed) }
                return response
            } catch var error as HSSError where error.connectFailed && count > 1 {
                failures.append("\(configuration.endpoints[index].base): \(error.message)")
                configuration.trace.emit(
                    HSS_TRACE_INFO,
                    "endpoint \(configuration.endpoints[index].base) unreachable (\(error.message))"
                        + (step == count - 1 ? "" : ", trying the next one"))
                if step == count - 1 {
                    error.message = "no endpoint could be reached: " + failures.joined(separator: "; ")
                    throw error
                }
            }
        }
        throw HSSError(HSS_E_INTERNAL, "no endpoint to send to")
    }

    private func send(
        _ request: Request, session: Session, endpoint index: Int, now: time_t, timeouts: Timeouts?
    ) throws -> HTTPResponse {
        let endpoint = configuration.endpoints[index]
        var redactor = session.redactor
        for parameter in request.query where parameter.isSecret { redactor.add(parameter.value) }

        let path = resolvedPath(request, projectID: session.projectID)
        let query = Signer.canonicalQuery(request.query.map { ($0.name, $0.value) })
        var lines = session.fixedHeaderLines[index] + request.headers.map(IdentityHTTP.line)
        if let signer = session.signer {
            let date = Signer.sdkDate(now)
            let dateHeader = Header("X-Sdk-Date", date)
            let authorization = SecureBuffer(capacity: 192)
            authorization.append("Authorization: ")
            signer.appendAuthorization(
                to: authorization, method: request.method.rawValue, canonicalURI: Signer.canonicalURI(path: path),
                query: query, headers: session.fixedHeaders[index].merging(request.headers + [dateHeader]),
                date: date)
            lines.append(IdentityHTTP.line(dateHeader))
            lines.append(authorization)
        }

        let url = SecureBuffer(capacity: endpoint.base.utf8.count + path.utf8.count + query.count + 2)
        url.append(endpoint.base)
        url.append(path)
        if !query.isEmpty {
            url.append(UInt8(ascii: "?"))
            url.append(query)
        }
        guard url.isValid, query.isValid else { throw HSSError(HSS_E_OUT_OF_MEMORY, "could not build the request") }

        let trace = configuration.trace
        let started = trace.wants(HSS_TRACE_DEBUG) ? monotonicMs() : 0
        if started != 0 {
            traceRequest(
                request, path: path, query: query, lines: lines, session: session, index: index, now: now,
                url: url, redactor: redactor)
        }
        let response: HTTPResponse
        do {
            response = try transport.send(
                request.method, url: url, headerLines: lines, body: nil, timeouts: timeouts, wantedHeaders: [],
                errorHeaders: IdentityHTTP.errorHeaders, redactor: redactor)
        } catch let error as HSSError {
            if started != 0 { trace.emit(HSS_TRACE_DEBUG, "< \(error.message) after \(monotonicMs() - started) ms") }
            throw error
        }
        if started != 0 {
            trace.emit(
                HSS_TRACE_DEBUG,
                "< HTTP \(response.status) in \(monotonicMs() - started) ms"
                    + (response.requestID.isEmpty ? "" : " (request id \(response.requestID))"))
        }
        switch response.status {
        case 200..<300:
            return response
        case 400..<600:
            var error = ServiceErrorBody.describe(
                status: response.status, body: response.body,
                requestID: response.requestID, redactor: redactor)
            if response.headers.count == 2 {
                let local = Int(time(nil))
                error.retryAfterMs = response.headers[0].flatMap { HTTPDate.retryAfterMs($0.string(), now: local) }
                error.serverDate = response.headers[1].flatMap { HTTPDate.parse($0.string()) }
            }
            if started != 0, !error.serviceMessage.isEmpty {
                for line in error.serviceMessage.split(separator: "\n", omittingEmptySubsequences: false) {
                    trace.emit(HSS_TRACE_DEBUG, "< \(line)")
                }
            }
            throw error
        default:
            var error = HSSError(HSS_E_BAD_RESPONSE, "unexpected HTTP status \(response.status) from the service")
            error.httpStatus = response.status
            error.requestID = response.requestID
            throw error
        }
    }

    /// Debug lines for one request: what was signed and what is sent, every
    /// secret starred (hss.h, hss_trace_fn).
    private func traceRequest(
        _ request: Request, path: String, query: SecureBuffer, lines: [SecureBuffer], session: Session, index: Int,
        now: time_t, url: SecureBuffer, redactor: Redactor
    ) {
        let trace = configuration.trace
        trace.emit(HSS_TRACE_DEBUG, "> \(request.method.rawValue) \(redactor.redact(url.bytes))")
        if let signer = session.signer {
            let date = Signer.sdkDate(now)
            let canonical = signer.canonicalRequest(
                method: request.method.rawValue, canonicalURI: Signer.canonicalURI(path: path), query: query,
                headers: session.fixedHeaders[index].merging(request.headers + [Header("X-Sdk-Date", date)]))
            for line in redactor.redact(canonical.request.bytes).split(
                separator: "\n", omittingEmptySubsequences: false)
            {
                trace.emit(HSS_TRACE_DEBUG, "canonical request: \(line)")
            }
            let toSign = signer.stringToSign(date: date, canonicalRequest: canonical.request)
            for line in toSign.string().split(separator: "\n") {
                trace.emit(HSS_TRACE_DEBUG, "string to sign: \(line)")
            }
        }
        let accessKey = session.credentials.accessKey
        for line in lines {
            var text = redactor.redact(line.bytes)
            if let accessKey, text.hasPrefix("Authorization: ") {
                let masked = session.credentials.maskedAccessKey
                text = text.replacingFirst("Access=\(accessKey),", with: "Access=\(masked),")
                    .replacingFirst("Credential=\(accessKey)/", with: "Credential=\(masked)/")
            }
            trace.emit(HSS_TRACE_DEBUG, "> \(text)")
        }
    }

    /// The path template with "{project_id}" and the request's own
    /// parameters filled in, each encoded as one path segment.
    private func resolvedPath(_ request: Request, projectID: String) -> String {
        var template = request.pathTemplate
        return template.withUTF8 { bytes in
            let out = SecureBuffer(capacity: bytes.count + 64)
            var start = 0
            while let open = bytes[start...].firstIndex(of: UInt8(ascii: "{")),
                let close = bytes[open...].firstIndex(of: UInt8(ascii: "}"))
            {
                out.append(UnsafeBufferPointer(rebasing: bytes[start..<open]))
                let name = String(decoding: bytes[(open + 1)..<close], as: UTF8.self)
                PercentEncoding.append(
                    request.pathParameters[name] ?? (name == "project_id" ? projectID : ""), to: out)
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

    /// A setting's value and where it came from; "" when not known yet.
    package func setting(_ setting: Setting) -> (value: String, source: String) {
        let session = current.withLock { $0 }
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
            return ("", "")
        case .credentials:
            if let credentials = session?.credentials ?? configuration.credentials {
                return (credentials.maskedAccessKey, credentials.source.rawValue)
            }
            return ("", "")
        }
    }

    /// `text` as a C string that lives as long as the client (one copy per
    /// distinct text, so repeated calls do not grow memory).
    package func publish(_ text: String) -> UnsafePointer<CChar>? {
        published.withLock { texts in
            if let known = texts[text] { return UnsafePointer(known) }
            guard let copy = strdup(text) else { return nil }
            texts[text] = copy
            return UnsafePointer(copy)
        }
    }

    /// A warning for the user about the configuration (a credentials file
    /// that others can read), if any.
    package var warning: String? { chain?.warning }
}

extension String {
    /// The text with the first `target` replaced (without the regex module).
    fileprivate func replacingFirst(_ target: String, with replacement: String) -> String {
        let text = Array(utf8)
        let needle = Array(target.utf8)
        guard !needle.isEmpty, needle.count <= text.count else { return self }
        for start in 0...(text.count - needle.count) where Array(text[start..<(start + needle.count)]) == needle {
            return String(decoding: text[..<start], as: UTF8.self) + replacement
                + String(decoding: text[(start + needle.count)...], as: UTF8.self)
        }
        return self
    }
}

extension JSONDocument {
    /// A top-level string field an answer must have, in wiped memory;
    /// refused when absent, not a string, or holding a NUL (C strings would
    /// end there).
    package func requiredText(_ name: String) throws -> SecureBuffer {
        guard let value = string(at: [name]) else {
            throw HSSError(HSS_E_BAD_RESPONSE, "the service's answer lacks \(name)")
        }
        guard value.isValid else { throw HSSError(HSS_E_OUT_OF_MEMORY, "could not store \(name)") }
        guard !value.bytes.contains(0) else {
            throw HSSError(HSS_E_BAD_RESPONSE, "the service's answer has a NUL character in \(name)")
        }
        return value
    }
}
