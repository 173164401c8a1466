import HSSBase

/// The methods libhss sends; each new one is a case here and a line in
/// CurlTransport.send.
package enum HTTPMethod: String {
    case get = "GET"
    case post = "POST"
    case put = "PUT"
}

/// What came back from the server.
package struct HTTPResponse {
    package let status: Int
    package let body: SecureBuffer
    /// X-Request-Id, already redacted (RequestID.sanitize).
    package let requestID: String
    /// The values of the headers the caller asked for, in its order (nil:
    /// absent), in wiped memory: one may be a token (X-Subject-Token).
    package var headers: [SecureBuffer?] = []
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

/// What sends a request. CurlTransport in the library; an in-process stub
/// in the fuzz target of the C entry point (HSSClient.transportForTesting).
package protocol HTTPTransport: AnyObject {
    func send(
        _ method: HTTPMethod, url: SecureBuffer, headerLines: [SecureBuffer],
        body: SecureBuffer?, timeouts: Timeouts?, wantedHeaders: [String], redactor: Redactor
    ) throws -> HTTPResponse
}
