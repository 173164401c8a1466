import CHSSAPI
import HSSBase
import HSSSigning
import HSSTransport

/// The calls the credential providers and project discovery make: to STS,
/// IAM, the metadata service and pod identity, through the client's one
/// retry loop (RequestLoop) and within the call's deadline. STS and IAM go
/// the way HSS calls go (the client's proxy and trust settings); the
/// metadata service and pod identity are local to the machine and are
/// always reached directly.
package final class IdentityHTTP {
    package let transport: CurlTransport
    package let direct: CurlTransport
    package let userAgent: String
    package let loop: RequestLoop

    package init(transport: CurlTransport, userAgent: String, loop: RequestLoop) throws {
        self.transport = transport
        var settings = transport.settings
        settings.proxy = .direct
        direct = try CurlTransport(settings)
        self.userAgent = userAgent
        self.loop = loop
    }

    package var trace: Trace { loop.trace }
    package var clock: SigningClock { loop.clock }

    /// Refuses, before any traffic, an http:// `url` that the proxied
    /// transport would send through a proxy (hss.h, "Proxy"); `role` names
    /// it ("STS endpoint").
    package func checkCleartext(_ url: EndpointURL, role: String) throws {
        try transport.settings.proxy.checkCleartext(url, role: role)
    }

    /// One request to `service` (named in messages), retried as the loop says; `headers` are sent as given,
    /// with User-Agent added and libcurl's Accept removed (a JSON body gets
    /// its Content-Type). `limit`: the service's own timeouts, within the
    /// call's deadline. The answer may have any status: the provider
    /// describes a >= 400 one (`refused`).
    package func send(
        _ method: HTTPMethod, _ url: String, to service: String, headers: [Header] = [], body: SecureBuffer? = nil,
        direct: Bool = false, limit: Timeouts? = nil, wantedHeaders: [String] = [], context: CallContext,
        retryConnectFailures: Bool = true
    ) throws -> HTTPResponse {
        var all = headers + [Header("User-Agent", userAgent)]
        if body != nil { all.append(Header("Content-Type", "application/json;charset=UTF-8")) }
        var lines = all.map(IdentityHTTP.line) + [SecureBuffer("Accept:")]
        if method != .get && body == nil { lines.append(SecureBuffer("Content-Type:")) }
        let target = direct ? self.direct : transport
        let address = SecureBuffer(url)
        let what = "\(method.rawValue) \(context.redactor.line(url))"
        return try loop.run(
            what, of: service, context, limit: limit, retryConnectFailures: retryConnectFailures, signsWithClock: false
        ) { timeouts, _ in
            if trace.wants(HSS_TRACE_DEBUG) { trace.emit(HSS_TRACE_DEBUG, "> \(what)") }
            return try target.send(
                method, url: address, headerLines: lines, body: body, timeouts: timeouts,
                wantedHeaders: wantedHeaders, redactor: context.redactor)
        }
    }

    package static func line(_ header: Header) -> SecureBuffer {
        let line = SecureBuffer(capacity: header.name.utf8.count + header.value.count + 3)
        line.append(header.name)
        line.append(": ")
        line.append(header.value)
        return line
    }
}
