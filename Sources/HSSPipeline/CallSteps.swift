import CHSSAPI
import HSSBase
import HSSIdentity
import HSSTransport

/// The steps of one call that the blocking path (HSSClient.send) and the
/// engine's (AsyncCall) share, written once.
extension HSSClient {
    /// A new call's context: the whole-call deadline, and a redactor that
    /// knows every secret the client holds now (`session`'s, when there is
    /// one) plus the request's own (the registry password, read where it
    /// is). Warns about a secret too short to be starred.
    func callContext(for request: Request, session: Session?) -> CallContext {
        var callSecret: Bytes?
        // Fields read in place (not `for parameter in`): a copy of a parameter retains its value's owner.
        let query = request.query
        for i in query.indices where query[i].isSecret {
            if query[i].bytes.count < Redactor.shortest { warnShortSecret("the registry password") }
            // Borrowed from the request, which outlives the call's context; one per operation
            // today (more would join the redactor).
            callSecret = query[i].value
        }
        return CallContext(
            timeoutMs: configuration.timeoutMs, connectTimeoutMs: configuration.connectTimeoutMs,
            redactor: session?.redactor ?? configuration.secrets, callSecret: callSecret)
    }

    /// What `request` sends to each endpoint with `session` (prepared once
    /// per path when it has no headers or path parameters of its own), and
    /// its own header lines.
    func endpoints(for request: Request, session: Session) -> (prepared: [PreparedEndpoint], extraLines: [SecureBuffer])
    {
        guard request.headers.isEmpty && request.pathParameters.isEmpty else {
            let prepared = PreparedEndpoint.make(
                method: request.method, path: resolvedPath(request, projectID: session.projectID),
                extraHeaders: request.headers, session: session, configuration: configuration)
            return (prepared, request.headers.map(IdentityHTTP.line))
        }
        // Looked up first: the closure that makes them (a retain of what it captures) only the first time.
        if let known = session.prepared(request.method, pathTemplate: request.pathTemplate) { return (known, []) }
        // The path is resolved only the first time (its closure captures the template, not the request).
        let template = request.pathTemplate
        let prepared = session.prepared(
            request.method, pathTemplate: template,
            path: { resolvedPath(template, [:], projectID: session.projectID) }, configuration: configuration)
        return (prepared, [])
    }

    /// Endpoint `index` could not be reached (name, connection, TLS): says
    /// so, and, when it was the last one to try (`isLast`), makes `error`
    /// name every endpoint's failure.
    func endpointUnreachable(_ error: inout HSSError, index: Int, isLast: Bool, failures: inout [String]) {
        failures.append("\(configuration.endpoints[index].base): \(error.message)")
        configuration.trace.emit(
            HSS_TRACE_INFO,
            "endpoint \(configuration.endpoints[index].base) unreachable (\(error.message))"
                + (isLast ? "" : ", trying the next one"))
        if isLast { error.message = "no endpoint could be reached: " + failures.joined(separator: "; ") }
    }

    /// The error a final answer that was not decoded stands for: a 4xx/5xx
    /// described from its body (and traced at the debug level), else an
    /// unexpected status.
    func failure(of response: HTTPResponse, _ context: CallContext) -> HSSError {
        switch response.status {
        case 400..<600:
            let error = ServiceErrorBody.describe(response, redactor: context.redactor)
            if configuration.trace.wants(HSS_TRACE_DEBUG), !error.serviceMessage.isEmpty {
                for line in error.serviceMessage.split(separator: "\n", omittingEmptySubsequences: false) {
                    configuration.trace.emit(HSS_TRACE_DEBUG, "< \(line)")
                }
            }
            return error
        default:
            var error = HSSError(HSS_E_BAD_RESPONSE, "unexpected HTTP status \(response.status) from the service")
            error.httpStatus = response.status
            error.requestID = response.requestID
            error.attempts = response.attempts
            return error
        }
    }
}
