import CHSSAPI
import HSSBase
import HSSSigning
import HSSTransport
import Synchronization

/// The project id of a region, looked up in IAM as the official SDKs do
/// (credentials.md §5): GET {iam}/v3/projects?name=<region>, signed with
/// host;user-agent;x-sdk-date (+ x-security-token).
package enum ProjectDiscovery {
    /// Answers found so far, for the life of the process, by AK, region and
    /// IAM endpoint (the official cache ignores the endpoint).
    private static let cache = Mutex<[String: String]>([:])
    /// Held for a whole lookup, so that clients starting together ask IAM
    /// once (lookups are rare: once per client at most); a waiter gives up
    /// at its own call's deadline.
    private static let lookups = TimedLock()

    /// IAM's own endpoint for each region it serves (auth/endpoint.py); other
    /// regions use the global one.
    package static let regionalIAM: Set<String> = [
        "cn-north-2", "cn-north-4", "cn-north-1", "cn-east-2", "cn-east-3", "cn-south-1", "cn-south-2",
        "cn-southwest-2", "ap-southeast-1", "ap-southeast-2", "ap-southeast-3", "af-south-1", "sa-brazil-1",
        "la-south-2", "na-mexico-1", "la-north-2", "cn-north-9", "eu-west-0", "my-kualalumpur-1", "ru-moscow-1",
        "me-east-1", "ap-southeast-4", "ae-ad-1", "cn-east-4", "cn-east-5", "tr-west-1", "cn-north-12",
    ]
    package static let globalIAM = "https://iam.myhuaweicloud.com"

    /// The built-in IAM endpoint of a region, and whether it is the
    /// region's own ("built-in") or the global fallback ("default").
    package static func builtInIAM(region: String) -> (url: String, regional: Bool) {
        regionalIAM.contains(region) ? ("https://iam.\(region).myhuaweicloud.com", true) : (globalIAM, false)
    }

    package static func projectID(
        region: String, iam: EndpointURL, credentials: Credentials, http: IdentityHTTP, context: CallContext,
        algorithm: SigningAlgorithm = .hmacSHA256
    ) throws -> String {
        let key = credentials.accessKey.map { "\($0)\n\(region)\n\(iam.base)" }
        if let key, let project = cache.withLock({ $0[key] }) { return project }
        let found = try lookups.withLock(waitingAtMost: context.remainingMs) { () throws -> String in
            if let key, let project = cache.withLock({ $0[key] }) { return project }  // another client's lookup
            let project = try lookUp(
                region: region, iam: iam, credentials: credentials, http: http, context: context, algorithm: algorithm)
            if let key { cache.withLock { $0[key] = project } }
            return project
        }
        guard let found else { throw context.expired(before: "another client's IAM project lookup ended") }
        return found
    }

    private static func lookUp(
        region: String, iam: EndpointURL, credentials: Credentials, http: IdentityHTTP, context: CallContext,
        algorithm: SigningAlgorithm
    ) throws -> String {
        try http.checkCleartext(iam, role: "IAM endpoint")
        let path = "/v3/projects"
        let query = Signer.canonicalQuery([("name", SecureBuffer(region))])
        let redactor = context.redactor
        // Signer and template prepared once (an EC key takes a while to derive), used for every attempt.
        var headers = [Header("Host", iam.host), Header("User-Agent", http.userAgent)]
        var signing: (signer: Signer, template: SigningTemplate)?
        switch credentials.keys {
        case .signed(let accessKey, let secretKey, let token):
            if let token { headers.append(Header(name: "X-Security-Token", value: token)) }
            let signer = try Signer(accessKey: accessKey, secretKey: secretKey, algorithm: algorithm)
            signing = (
                signer,
                signer.template(
                    method: "GET", canonicalURI: Signer.canonicalURI(path: path), headers: CanonicalHeaders(headers))
            )
        case .token(let token):
            headers.append(Header(name: "X-Auth-Token", value: token))
        }
        /// The request's header lines, signed at `now` (again for each attempt).
        func lines(_ now: time_t) -> [SecureBuffer] {
            var lines = headers.map(IdentityHTTP.line) + [SecureBuffer("Accept:")]
            if let signing {
                let dateLine = SecureBuffer(capacity: 28)
                dateLine.append("X-Sdk-Date: ")
                dateLine.append(maxCount: 16) {
                    Signer.writeSDKDate(now, to: $0)
                    return 16
                }
                let authorization = SecureBuffer(capacity: 192)
                authorization.append("Authorization: ")
                signing.signer.appendAuthorization(
                    to: authorization, template: signing.template, query: query.bytes,
                    date: UnsafeBufferPointer(rebasing: dateLine.bytes[12...]))
                lines += [dateLine, authorization]
            }
            return lines
        }
        let url = SecureBuffer(iam.base + path + "?")
        url.append(query)
        let what = "GET \(redactor.line(iam.base + path))?name=\(region)"
        let failedLookup = "looking up the project id of region '\(region)' in IAM at \(redactor.line(iam.base))"
        let answer: HTTPResponse
        do {
            answer = try http.loop.run(what, of: "IAM", context) { timeouts, now in
                if http.trace.wants(HSS_TRACE_DEBUG) { http.trace.emit(HSS_TRACE_DEBUG, "> \(what)") }
                return try http.transport.send(
                    .get, url: url, headerLines: lines(now), timeouts: timeouts, wantedHeaders: ["X-IAM-Trace-Id"],
                    redactor: redactor)
            }
        } catch var error as HSSError {
            error.message = "\(failedLookup): \(error.message)"
            throw error
        }
        let trace = (answer.headers.first ?? nil).map { RequestID.sanitize($0.bytes, redactor: redactor) } ?? ""
        let traceNote = trace.isEmpty ? "" : " (X-IAM-Trace-Id=\(trace))"
        guard (200..<300).contains(answer.status) else {
            var error = ServiceErrorBody.describe(answer, redactor: redactor, service: "IAM")
            if error.requestID.isEmpty { error.requestID = trace }
            error.message = "\(failedLookup): \(error.message)"
            throw error
        }
        // The document reads the body in place: keep the body alive while it is read.
        let ids = withExtendedLifetime(answer.body) { () -> [SecureBuffer]? in
            guard let document = try? JSONDocument(answer.body.bytes), document.rootKind == .object else { return nil }
            return document.strings(inEachOf: ["projects"], key: "id")
        }
        guard let ids else {
            throw HSSError(
                HSS_E_BAD_RESPONSE, "IAM's answer to the project lookup of region '\(region)' has no projects list")
        }
        guard ids.count == 1, let only = ids.first else {
            // Ids are wire text: each redacted and one printable line, like any other.
            let listed = ids.prefix(8).map { redactor.line($0.bytes, maxCharacters: 64) }.joined(separator: ",")
            throw HSSError(
                HSS_E_CREDENTIALS,
                ids.isEmpty
                    ? "IAM knows no project named '\(region)' for these credentials\(traceNote): "
                        + "check the region, or set project_id"
                    : "IAM has \(ids.count) projects named '\(region)' [\(listed)\(ids.count > 8 ? ",..." : "")]"
                        + "\(traceNote): set project_id to one of them")
        }
        let project = only.string()
        do {
            try Validation.checkProjectID(project)
        } catch {
            throw HSSError(HSS_E_BAD_RESPONSE, "IAM's project id for region '\(region)' is not a valid project id")
        }
        return project
    }
}
