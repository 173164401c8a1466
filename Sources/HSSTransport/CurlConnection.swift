import CCurlShims
import CHSSAPI
import HSSBase

/// One libcurl easy handle and everything a call needs around it, reused
/// call after call so that a call allocates (almost) nothing: its arena (a
/// wiped buffer the request's query, URL and header lines are written
/// into), its curl_slist nodes, its error buffer and its response sink. The
/// options that never change are set once, when the handle is made; a call
/// sets only its URL and headers (and what differs from the last call: the
/// method, timeouts). One thread at a time (CurlTransport's pool).
package final class CurlConnection: HTTPConnection {
    let handle: UnsafeMutableRawPointer
    package let arena = SecureBuffer(capacity: 4096)
    private var nodes: UnsafeMutablePointer<curl_slist>
    private var nodeCapacity = 16
    private var headerCount = 0
    private let errorText = UnsafeMutablePointer<CChar>.allocate(capacity: Int(CURL_ERROR_SIZE) + 1)
    private let sink = ResponseSink()
    private var lastMethod = HTTPMethod.get
    /// Whether CURLOPT_PROXY is "" for this call (an exempt http:// URL).
    private var forcedDirect = false
    /// A transfer failed: the connection is closed rather than reused.
    private(set) var broken = false
    private let settings: CurlTransport.Settings
    /// The handle's URL (libcurl's copy, CURLOPT_URL) is, byte for byte, the
    /// effective URL libcurl reports for its last transfer: a call to that
    /// same URL leaves it set (setting it copies it and frees the last copy).
    private var urlIsEffective = false
    /// The URL set for the transfer under way, checked against the effective
    /// one once the transfer is over (answer); nil when it was left as it was.
    private var urlToCheck: UnsafePointer<CChar>?

    /// `share`: the connection cache of one client's transfers on libhss's
    /// engine (EngineConnections); nil: the handle's own, as with curl_easy_perform.
    init?(settings: CurlTransport.Settings, share: UnsafeMutableRawPointer? = nil) {
        guard let handle = CurlConnection.makeHandle(settings) else { return nil }
        self.handle = handle
        self.settings = settings
        nodes = .allocate(capacity: nodeCapacity)
        errorText.initialize(repeating: 0, count: Int(CURL_ERROR_SIZE) + 1)
        let sinkPointer = Unmanaged.passUnretained(sink).toOpaque()
        guard chss_curl_set_ptr(handle, CURLOPT_ERRORBUFFER, errorText) == CURLE_OK,
            chss_curl_set_write(handle, ResponseSink.write, sinkPointer) == CURLE_OK,
            chss_curl_set_ptr(handle, CURLOPT_HTTPHEADER, nodes) == CURLE_OK,
            share == nil || chss_curl_set_ptr(handle, CURLOPT_SHARE, share) == CURLE_OK
        else {
            curl_easy_cleanup(handle)
            nodes.deallocate()
            errorText.deallocate()
            return nil
        }
    }

    /// Frees the handle (closing its connection); not after fork() in the
    /// child, which must leave the parent's connections alone (abandon()).
    func close() {
        curl_easy_cleanup(handle)
        release()
    }

    /// Gives up the handle without cleaning it up (the child of fork()).
    func abandon() { release() }

    /// The call is over: its request and answer are wiped, the buffers kept.
    func finish() {
        arena.truncate(to: 0)
        sink.finish()
    }

    private func release() {
        finish()
        nodes.deallocate()
        errorText.deallocate()
    }

    // MARK: Headers

    /// Starts a request's header list (call before appending lines).
    package func clearHeaders() { headerCount = 0 }

    /// Appends a header line ("Name: value", NUL-terminated) that stays put
    /// until perform returns: a session's SecureBuffer, or a line in the
    /// arena once nothing more is appended to it.
    package func appendHeader(_ line: UnsafePointer<CChar>) {
        if headerCount == nodeCapacity {
            let grown = UnsafeMutablePointer<curl_slist>.allocate(capacity: nodeCapacity * 2)
            grown.moveInitialize(from: nodes, count: headerCount)
            nodes.deallocate()
            nodes = grown
            nodeCapacity *= 2
            _ = chss_curl_set_ptr(handle, CURLOPT_HTTPHEADER, nodes)
        }
        (nodes + headerCount).initialize(to: curl_slist(data: UnsafeMutablePointer(mutating: line), next: nil))
        if headerCount > 0 { nodes[headerCount - 1].next = nodes + headerCount }
        headerCount += 1
    }

    /// The protocol's default, written here so that each line is a direct
    /// call to this class's appendHeader, not one through the witness table.
    package func appendHeaders(_ lines: UnsafeBufferPointer<UnsafePointer<CChar>>) {
        for line in lines { appendHeader(line) }
    }

    // MARK: Perform

    package func perform(
        _ method: HTTPMethod, url: UnsafePointer<CChar>, body: SecureBuffer?, timeouts: Timeouts?,
        forceDirect: Bool, wantedHeaders: [String], wantsRequestID: Bool, keepBody: Bool, redactor: () -> Redactor
    ) throws -> HTTPResponse {
        let rc = prepare(method, url: url, body: body, timeouts: timeouts, forceDirect: forceDirect)
        let code = rc == CURLE_OK ? withExtendedLifetime(body) { curl_easy_perform(handle) } : rc
        restore(method, timeouts: timeouts)
        return try answer(
            code, wantedHeaders: wantedHeaders, wantsRequestID: wantsRequestID, keepBody: keepBody, redactor: redactor)
    }

    /// Sets the handle up for one transfer (perform's first part; libhss's
    /// engine runs the transfer itself): its URL, headers and what differs
    /// from the last one. The URL, the header lines and `body` must stay
    /// where they are until the transfer is over.
    package func prepare(
        _ method: HTTPMethod, url: UnsafePointer<CChar>, body: SecureBuffer?, timeouts: Timeouts?, forceDirect: Bool
    ) -> CURLcode {
        sink.start()
        errorText[0] = 0
        var rc = CURLE_OK
        func set(_ option: CURLoption, _ value: Int) {
            if rc == CURLE_OK { rc = chss_curl_set_long(handle, option, value) }
        }
        func set(_ option: CURLoption, _ value: UnsafeRawPointer?) {
            if rc == CURLE_OK { rc = chss_curl_set_ptr(handle, option, value) }
        }
        if method != lastMethod {
            switch method {
            case .get: set(CURLOPT_HTTPGET, 1)
            case .post, .put: set(CURLOPT_POST, 1)
            }
            set(CURLOPT_CUSTOMREQUEST, method == .put ? putMethod : nil)
            lastMethod = method
        }
        if method != .get {
            // The body is used in place (no copy), from the caller's wiped buffer.
            set(CURLOPT_POSTFIELDSIZE, body?.count ?? 0)
            set(CURLOPT_POSTFIELDS, body?.cString.map(UnsafeRawPointer.init) ?? emptyString)
        }
        if let timeouts {
            set(CURLOPT_CONNECTTIMEOUT_MS, timeouts.connectMs)
            set(CURLOPT_TIMEOUT_MS, timeouts.totalMs)
        }
        if forceDirect != forcedDirect {
            if forceDirect { set(CURLOPT_PROXY, emptyString) } else { restoreProxy() }
            forcedDirect = forceDirect
        }
        // libcurl performs again with the URL it was given last (Curl_pretransfer): left set
        // only when it is this one exactly (see urlIsEffective).
        if urlIsEffective && chss_curl_effective_url_is(handle, url) != 0 {
            urlToCheck = nil
        } else {
            urlIsEffective = false
            urlToCheck = url
            set(CURLOPT_URL, url)
        }
        // HTTPHEADER points at `nodes` between transfers (init, appendHeader, restore): NULL when there are none.
        if headerCount == 0 { set(CURLOPT_HTTPHEADER, nil) }
        return rc
    }

    /// Puts back what `prepare` set for that transfer only, once it is over.
    package func restore(_ method: HTTPMethod, timeouts: Timeouts?) {
        if headerCount == 0 { _ = chss_curl_set_ptr(handle, CURLOPT_HTTPHEADER, nodes) }
        if method != .get { _ = chss_curl_set_ptr(handle, CURLOPT_POSTFIELDS, nil) }
        if timeouts != nil {
            _ = chss_curl_set_long(handle, CURLOPT_CONNECTTIMEOUT_MS, settings.connectTimeoutMs)
            _ = chss_curl_set_long(handle, CURLOPT_TIMEOUT_MS, settings.timeoutMs)
        }
    }

    /// The answer of the transfer that ended with libcurl's `code` (perform's
    /// last part): the status, the body, and the headers asked for; a
    /// failed transfer is thrown, and the connection is not reused.
    package func answer(
        _ code: CURLcode, wantedHeaders: [String], wantsRequestID: Bool, keepBody: Bool, redactor: () -> Redactor
    ) throws -> HTTPResponse {
        var status = 0
        _ = chss_curl_get_response_code(handle, &status)
        guard code == CURLE_OK else { throw failure(code, status: status, redactor: redactor()) }
        if let url = urlToCheck {  // the transfer is over, its URL still where it was
            urlIsEffective = chss_curl_effective_url_is(handle, url) != 0
            urlToCheck = nil
        }
        let isSuccess = (200..<300).contains(status)
        let response = HTTPResponse(
            status: status, body: !isSuccess || keepBody ? sink.take() : sink.body,
            requestID: !isSuccess || wantsRequestID ? requestID(redactor: redactor()) : "")
        if !wantedHeaders.isEmpty { response.headers = wantedHeaders.map { header($0) } }
        if status >= 400 {  // only an error answer pays for these
            response.retryAfterMs = header("Retry-After").flatMap {
                HTTPDate.retryAfterMs($0.string(), now: Int(time(nil)))
            }
            response.serverDate = header("Date").flatMap { HTTPDate.parse($0.string()) }
        }
        return response
    }

    /// The transfer was stopped before its end (cancelled): libcurl closes
    /// its connection, and this handle is not reused either.
    package func interrupted() { broken = true }

    /// The error for a failed transfer (the connection is not reused).
    private func failure(_ code: CURLcode, status: Int, redactor: Redactor) -> HSSError {
        let detail = redactor.redact(String(cString: errorText))
        var error: HSSError
        let body = sink.take()
        if sink.overflowed {
            error = HSSError(
                HSS_E_BAD_RESPONSE, "the service's answer is larger than \(CurlTransport.maxBodyBytes) bytes")
        } else if !body.isValid {
            error = HSSError(HSS_E_OUT_OF_MEMORY, "could not store the service's answer")
        } else {
            var osErrno = 0
            var requestSize = 0
            var proxyStatus = 0
            _ = chss_curl_get_long(handle, CURLINFO_OS_ERRNO, &osErrno)
            _ = chss_curl_get_long(handle, CURLINFO_REQUEST_SIZE, &requestSize)
            _ = chss_curl_get_long(handle, CURLINFO_HTTP_CONNECTCODE, &proxyStatus)
            let failure = CurlTransport.Failure(
                code: code, osErrno: osErrno, requestSent: requestSize > 0, bodyStarted: body.count > 0,
                proxyStatus: proxyStatus)
            error = CurlTransport.error(for: failure, detail: detail)
            error.connectFailed = failure.neverSent
        }
        error.httpStatus = status
        error.requestID = status == 0 ? "" : requestID(redactor: redactor)
        broken = true  // whatever broke, the next call starts on a fresh connection
        return error
    }

    /// The handle's own proxy again, after a request sent directly.
    private func restoreProxy() {
        if let proxy = settings.proxy.url {
            _ = proxy.withCString { chss_curl_set_ptr(handle, CURLOPT_PROXY, $0) }
        } else {
            _ = chss_curl_set_ptr(handle, CURLOPT_PROXY, nil)  // libcurl's variables again
        }
    }

    /// The last value of a response header, copied into wiped memory.
    private func header(_ name: String) -> SecureBuffer? {
        var found: UnsafeMutablePointer<curl_header>?
        guard curl_easy_header(handle, name, 0, UInt32(CURLH_HEADER), -1, &found) == CURLHE_OK,
            let value = found?.pointee.value
        else { return nil }
        return SecureBuffer(cString: value)
    }

    /// The answer's X-Request-Id, sanitized (RequestID): only when a
    /// message needs it, since it costs a redaction.
    package func requestID(redactor: Redactor) -> String {
        var header: UnsafeMutablePointer<curl_header>?
        guard curl_easy_header(handle, "X-Request-Id", 0, UInt32(CURLH_HEADER), -1, &header) == CURLHE_OK,
            let value = header?.pointee.value
        else { return "" }
        return value.withMemoryRebound(to: UInt8.self, capacity: strlen(value)) {
            RequestID.sanitize(UnsafeBufferPointer(start: $0, count: strlen(value)), redactor: redactor)
        }
    }

    /// A new handle with the per-client options: secure defaults first.
    private static func makeHandle(_ settings: CurlTransport.Settings) -> UnsafeMutableRawPointer? {
        guard let handle = curl_easy_init() else { return nil }
        var ok = true
        func set(_ option: CURLoption, _ value: Int) {
            ok = ok && chss_curl_set_long(handle, option, value) == CURLE_OK
        }
        func set(_ option: CURLoption, _ value: String) {
            ok = ok && value.withCString { chss_curl_set_ptr(handle, option, $0) } == CURLE_OK
        }
        set(CURLOPT_NOSIGNAL, 1)
        set(CURLOPT_PROTOCOLS_STR, "http,https")
        set(CURLOPT_REDIR_PROTOCOLS_STR, "http,https")
        set(CURLOPT_FOLLOWLOCATION, 0)
        set(CURLOPT_SSL_VERIFYPEER, 1)
        set(CURLOPT_SSL_VERIFYHOST, 2)
        set(CURLOPT_CONNECTTIMEOUT_MS, settings.connectTimeoutMs)
        set(CURLOPT_TIMEOUT_MS, settings.timeoutMs)
        set(CURLOPT_TCP_KEEPALIVE, 1)
        set(CURLOPT_HTTPGET, 1)
        // SSLKEYLOGFILE is ignored. A libcurl without OpenSSL answers
        // CURLE_NOT_BUILT_IN or CURLE_UNKNOWN_OPTION: it has no keylog of ours to clear.
        let keylog = chss_curl_ignore_keylog(handle)
        ok = ok && (keylog == CURLE_OK || keylog == CURLE_NOT_BUILT_IN || keylog == CURLE_UNKNOWN_OPTION)
        // For the server, and for an https proxy when one may be used (libcurl
        // copies a blob for every request: only where it can serve).
        let proxy = settings.proxy
        let trustOptions =
            proxy.mayBeUsed
            ? [
                (CURLOPT_CAINFO_BLOB, CURLOPT_CAINFO, CURLOPT_CAPATH),
                (CURLOPT_PROXY_CAINFO_BLOB, CURLOPT_PROXY_CAINFO, CURLOPT_PROXY_CAPATH),
            ]
            : [(CURLOPT_CAINFO_BLOB, CURLOPT_CAINFO, CURLOPT_CAPATH)]
        for (blob, file, directory) in trustOptions {
            if let bundle = settings.caBundle {
                // Read once at client creation.
                ok =
                    ok
                    && bundle.withUnsafeBytes { chss_curl_set_blob(handle, blob, $0.baseAddress, $0.count) } == CURLE_OK
            } else if let caFile = settings.caFile {
                set(file, caFile)
            }
            if settings.caBundle != nil || settings.caPath != nil {
                // nil clears libcurl's default directory: then only the bundle's CAs count.
                ok = ok && chss_curl_set_ptr(handle, directory, settings.caPath) == CURLE_OK
            }
        }
        if let url = proxy.url { set(CURLOPT_PROXY, url) }
        if let username = proxy.username { set(CURLOPT_PROXYUSERNAME, username) }
        if let password = proxy.password {
            // libcurl keeps its own copy (documented residue in hss.h).
            ok = ok && chss_curl_set_ptr(handle, CURLOPT_PROXYPASSWORD, password.cString) == CURLE_OK
        }
        if let noProxy = proxy.noProxy { set(CURLOPT_NOPROXY, noProxy) }
        guard ok else {
            curl_easy_cleanup(handle)
            return nil
        }
        return handle
    }
}

/// "": an empty body, and CURLOPT_PROXY's "no proxy at all".
private let emptyString = UnsafeRawPointer(StaticString("").utf8Start)
private let putMethod = UnsafeRawPointer(StaticString("PUT").utf8Start)

/// Collects a call's body in a wiped buffer and stops the transfer at the
/// cap. The buffer is reused (wiped between transfers) unless a body is
/// handed over to outlive the connection's use (take()).
private final class ResponseSink {
    private(set) var body = SecureBuffer(capacity: 2048)
    private(set) var overflowed = false
    private var taken = false

    /// An empty body for the next transfer.
    func start() {
        if taken {
            body = SecureBuffer(capacity: 2048)
            taken = false
        } else {
            body.truncate(to: 0)
        }
        overflowed = false
    }

    /// The body received, handed over: the next transfer gets a new buffer.
    func take() -> SecureBuffer {
        taken = true
        return body
    }

    /// Wipes the body kept for reuse (the connection goes back to its pool).
    func finish() {
        if !taken { body.truncate(to: 0) }
    }

    static let write: chss_curl_write_fn = { data, size, count, userdata in
        guard let userdata else { return 0 }
        let sink = Unmanaged<ResponseSink>.fromOpaque(userdata).takeUnretainedValue()
        let body = sink.body  // read once: each read of the property is a retain and a release
        let length = size * count
        guard body.count + length <= CurlTransport.maxBodyBytes else {
            sink.overflowed = true
            return 0
        }
        guard length > 0, let data else { return length }
        data.withMemoryRebound(to: UInt8.self, capacity: length) {
            body.append(UnsafeBufferPointer(start: $0, count: length))
        }
        return body.isValid ? length : 0
    }
}
