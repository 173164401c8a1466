import HSSBase

/// The methods libhss sends; each new one is a case here and a line in
/// CurlTransport.send.
package enum HTTPMethod: String {
    case get = "GET"
    case post = "POST"
    case put = "PUT"
}

/// What came back from the server. A class: it is handed up through the
/// transport, the retry loop and the pipeline, and a struct of this size was
/// copied and destroyed field by field at each step (~1.2k instructions a
/// call). One owner at a time: whoever holds it may set its fields.
package final class HTTPResponse {
    package let status: Int
    package let body: SecureBuffer
    /// X-Request-Id, already redacted (RequestID.sanitize).
    package let requestID: String
    /// The values of the headers the caller asked for, in its order (nil:
    /// absent), in wiped memory: one may be a token (X-Subject-Token).
    package var headers: [SecureBuffer?]
    /// For a >= 400 answer: what its Retry-After asks (ms) and its Date
    /// (seconds since the epoch), for the retry loop.
    package var retryAfterMs: Int?
    package var serverDate: Int?
    /// How many requests it took, and why the loop made no further
    /// attempt (RequestLoop), for the error that describes it.
    package var attempts = 1
    package var note: String?

    package init(
        status: Int, body: SecureBuffer, requestID: String, headers: [SecureBuffer?] = [],
        retryAfterMs: Int? = nil, serverDate: Int? = nil
    ) {
        self.status = status
        self.body = body
        self.requestID = requestID
        self.headers = headers
        self.retryAfterMs = retryAfterMs
        self.serverDate = serverDate
    }
}

/// Connect and total timeouts of one request, in milliseconds.
package struct Timeouts {
    package var connectMs: Int
    package var totalMs: Int

    package init(connectMs: Int, totalMs: Int) {
        self.connectMs = connectMs
        self.totalMs = totalMs
    }
}

/// What sends a request: CurlTransport in the library; an in-process stub
/// in the fuzz target of the C entry point (HSSClient.transportForTesting).
package protocol HTTPTransport: AnyObject {
    /// Runs `body` with a connection of its own for one request.
    func withConnection<T>(_ body: (HTTPConnection) throws -> T) throws -> T
}

/// One connection, for one request at a time: the caller writes the request
/// into `arena` (wiped after the call), lists its header lines, performs.
package protocol HTTPConnection: AnyObject {
    var arena: SecureBuffer { get }
    /// Adds a header line ("Name: value", NUL-terminated) that stays where
    /// it is until perform returns.
    func appendHeader(_ line: UnsafePointer<CChar>)
    /// Adds these lines, in order, as appendHeader does each (one call
    /// through the protocol for them all).
    func appendHeaders(_ lines: UnsafeBufferPointer<UnsafePointer<CChar>>)
    /// Sends `method` to `url` (NUL-terminated, alive until it returns) with
    /// the listed headers and `body` (POST and PUT): the status, the body,
    /// the `wantedHeaders`, X-Request-Id (always for an error answer; for a
    /// success when `wantsRequestID`), and for an error answer its
    /// Retry-After and Date. `redactor` (made only when a text from the wire
    /// must be shown) cleans every such text. `forceDirect`: no proxy at all
    /// for this request (an http:// URL libhss found exempt). A success's
    /// body is the connection's own, reused buffer unless `keepBody`: then
    /// it must be read before the connection goes back (withConnection).
    func perform(
        _ method: HTTPMethod, url: UnsafePointer<CChar>, body: SecureBuffer?, timeouts: Timeouts?,
        forceDirect: Bool, wantedHeaders: [String], wantsRequestID: Bool, keepBody: Bool, redactor: () -> Redactor
    ) throws -> HTTPResponse
    /// The last answer's X-Request-Id, sanitized (for an error that needs it).
    func requestID(redactor: Redactor) -> String
}

extension HTTPConnection {
    package func appendHeaders(_ lines: UnsafeBufferPointer<UnsafePointer<CChar>>) {
        for line in lines { appendHeader(line) }
    }
}
