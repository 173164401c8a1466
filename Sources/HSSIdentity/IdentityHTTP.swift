import CHSS
import HSSBase
import HSSSigning
import HSSTransport

/// The calls the credential providers and project discovery make: to STS,
/// IAM, the metadata service and pod identity. STS and IAM go the way HSS
/// calls go (the client's proxy and trust settings); the metadata service
/// and pod identity are local to the machine and are always reached
/// directly.
package final class IdentityHTTP {
    package let transport: CurlTransport
    package let direct: CurlTransport
    package let userAgent: String
    package let retry: RetryPolicy
    package let budget: RetryBudget
    package let trace: Trace
    package let clock = SigningClock()

    package init(
        transport: CurlTransport, userAgent: String, retry: RetryPolicy = RetryPolicy(),
        budget: RetryBudget = RetryBudget(), trace: Trace = Trace()
    ) throws {
        self.transport = transport
        var settings = transport.settings
        settings.proxy = .direct
        direct = try CurlTransport(settings)
        self.userAgent = userAgent
        self.retry = retry
        self.budget = budget
        self.trace = trace
    }

    /// Refuses, before any traffic, an http:// `url` that the proxied
    /// transport would send through a proxy (hss.h, "Proxy"); `role` names
    /// it ("STS endpoint").
    package func checkCleartext(_ url: EndpointURL, role: String) throws {
        try transport.settings.proxy.checkCleartext(url, role: role)
    }

    /// The headers read from an error answer, last in a response's headers.
    package static let errorHeaders = ["Retry-After", "Date"]

    /// Runs `attempt` until it answers something other than 429/5xx or a
    /// broken transport, within the client's retry policy and budget (hss.h,
    /// "Retries"). `attempt` must ask for `errorHeaders`. A service that
    /// cannot even be connected to is not tried again when
    /// `retryConnectFailures` is false (a probe: the metadata service off
    /// the cloud).
    package func withRetries(
        _ what: String, retryConnectFailures: Bool = true, _ attempt: () throws -> HTTPResponse
    ) throws -> HTTPResponse {
        var made = 0
        while true {
            made += 1
            var failure: HSSError
            let started = trace.wants(HSS_TRACE_DEBUG) ? monotonicMs() : 0
            if started != 0 { trace.emit(HSS_TRACE_DEBUG, "> \(what)") }
            do {
                var response = try attempt()
                response.attempts = made
                if started != 0 {
                    trace.emit(HSS_TRACE_DEBUG, "< HTTP \(response.status) in \(monotonicMs() - started) ms")
                }
                guard [429, 500, 502, 503, 504].contains(response.status), made < retry.maxAttempts else {
                    if response.status < 400 { budget.refund() }
                    return response
                }
                failure = HSSError(HSS_E_HTTP_SERVER, "HTTP \(response.status)")
                failure.httpStatus = response.status
                let retryAfter = response.headers.count >= 2 ? response.headers[response.headers.count - 2] : nil
                failure.retryAfterMs = retryAfter.flatMap { HTTPDate.retryAfterMs($0.string(), now: Int(time(nil))) }
            } catch var error as HSSError {
                error.attempts = made
                if started != 0 { trace.emit(HSS_TRACE_DEBUG, "< \(error.message)") }
                guard RetryPolicy.isRetryable(error), made < retry.maxAttempts,
                    retryConnectFailures || !error.connectFailed
                else { throw error }
                failure = error
            }
            guard budget.withdraw(after: failure) else {
                trace.emit(HSS_TRACE_INFO, "\(what): \(failure.message); the retry budget is spent, not retrying")
                failure.attempts = made
                failure.message += " (the retry budget is spent)"
                throw failure
            }
            let delay = retry.delayMs(afterFailure: made, retryAfterMs: failure.retryAfterMs)
            trace.emit(
                HSS_TRACE_INFO,
                "\(what): attempt \(made) of \(retry.maxAttempts) failed (\(failure.message)); retrying in \(delay) ms")
            sleepMs(delay)
        }
    }

    /// One request; `headers` are sent as given, with User-Agent added and
    /// libcurl's Accept removed (a JSON body gets its Content-Type).
    package func send(
        _ method: HTTPMethod, _ url: String, headers: [Header] = [], body: SecureBuffer? = nil,
        direct: Bool = false, timeouts: Timeouts? = nil, wantedHeaders: [String] = [], redactor: Redactor,
        retryConnectFailures: Bool = true
    ) throws -> HTTPResponse {
        var all = headers + [Header("User-Agent", userAgent)]
        if body != nil { all.append(Header("Content-Type", "application/json;charset=UTF-8")) }
        var lines = all.map(IdentityHTTP.line) + [SecureBuffer("Accept:")]
        if method != .get && body == nil { lines.append(SecureBuffer("Content-Type:")) }
        let target = direct ? self.direct : transport
        let address = SecureBuffer(url)
        return try withRetries("\(method.rawValue) \(url)", retryConnectFailures: retryConnectFailures) {
            try target.send(
                method, url: address, headerLines: lines, body: body, timeouts: timeouts,
                wantedHeaders: wantedHeaders, errorHeaders: IdentityHTTP.errorHeaders, redactor: redactor)
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

/// The answer every temporary-credential source gives, read as the official
/// SDKs' common parser reads it (credentials.md §3.4): the object under
/// "credential", else "credentials", else the top level; each field under
/// any of its spellings; an expiry in UTC.
package enum TemporaryCredentials {
    package static func parse(_ body: SecureBuffer, source: CredentialSource) throws -> Credentials {
        guard let document = try? JSONDocument(body.bytes, allowDuplicateKeys: false), document.rootKind == .object
        else { throw HSSError(HSS_E_CREDENTIALS, "the answer is not a JSON object") }
        let root: [String] =
            document.kind(at: ["credential"]) == .object
            ? ["credential"] : document.kind(at: ["credentials"]) == .object ? ["credentials"] : []
        func field(_ names: String...) -> SecureBuffer? {
            for name in names {
                if let value = document.string(at: root + [name]), !value.isEmpty { return value }
            }
            return nil
        }
        guard let ak = field("access", "accessKeyId", "access_key_id") else {
            throw HSSError(HSS_E_CREDENTIALS, "the answer has no access key")
        }
        guard let sk = field("secret", "secretAccessKey", "secret_access_key") else {
            throw HSSError(HSS_E_CREDENTIALS, "the answer has no secret key")
        }
        let token = field("securitytoken", "securityToken", "security_token")
        guard let expiry = field("expires_at", "expiration") else {
            throw HSSError(HSS_E_CREDENTIALS, "the answer has no expiry (expires_at or expiration)")
        }
        guard let expiresAt = parseTime(expiry.bytes) else {
            throw HSSError(HSS_E_CREDENTIALS, "the answer's expiry is not a UTC time such as 2026-01-02T03:04:05Z")
        }
        do {
            return try Credentials.signed(
                accessKey: ak, secretKey: sk, securityToken: token, source: source, expiresAt: expiresAt)
        } catch let error as HSSError {
            throw HSSError(HSS_E_CREDENTIALS, "the answer's keys are unusable: \(error.message)")
        }
    }

    /// "YYYY-MM-DDTHH:MM:SS", an optional fraction of 1-9 digits, then "Z"
    /// or "+HH:MM"/"-HH:MM", as seconds since the epoch. The official SDK
    /// requires a fraction and "Z", and reads the time as local time.
    package static func parseTime(_ text: UnsafeBufferPointer<UInt8>) -> Int? {
        let b = Array(text)
        func digits(_ at: Int, _ count: Int) -> Int? {
            guard at + count <= b.count else { return nil }
            var value = 0
            for byte in b[at..<(at + count)] {
                guard (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) else { return nil }
                value = value * 10 + Int(byte - UInt8(ascii: "0"))
            }
            return value
        }
        func byte(_ at: Int, _ expected: Character) -> Bool { at < b.count && b[at] == expected.asciiValue }
        guard let year = digits(0, 4), byte(4, "-"), let month = digits(5, 2), byte(7, "-"),
            let day = digits(8, 2), byte(10, "T") || byte(10, "t") || byte(10, " "),
            let hour = digits(11, 2), byte(13, ":"), let minute = digits(14, 2), byte(16, ":"),
            let second = digits(17, 2),
            (1...12).contains(month), (1...31).contains(day), hour < 24, minute < 60, second < 61
        else { return nil }
        var at = 19
        if byte(at, ".") {
            at += 1
            let start = at
            while at < b.count, (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(b[at]) { at += 1 }
            guard (1...9).contains(at - start) else { return nil }
        }
        var offset = 0
        if byte(at, "Z") || byte(at, "z") {
            at += 1
        } else if byte(at, "+") || byte(at, "-"), let hh = digits(at + 1, 2), byte(at + 3, ":"),
            let mm = digits(at + 4, 2), hh < 24, mm < 60
        {
            offset = (hh * 3600 + mm * 60) * (byte(at, "-") ? -1 : 1)
            at += 6
        } else {
            return nil
        }
        guard at == b.count else { return nil }
        var parts = tm()
        parts.tm_year = Int32(year - 1900)
        parts.tm_mon = Int32(month - 1)
        parts.tm_mday = Int32(day)
        parts.tm_hour = Int32(hour)
        parts.tm_min = Int32(minute)
        parts.tm_sec = Int32(second)
        return Int(timegm(&parts)) - offset
    }
}
