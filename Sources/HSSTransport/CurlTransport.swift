import CHSS
import HSSBase
import Synchronization

/// libcurl, initialised once for the process. A Swift global is lazily
/// initialised exactly once, thread-safely (swift_once).
private let curlGlobalInit: CURLcode = curl_global_init(Int(CURL_GLOBAL_ALL))

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

/// HTTP over libcurl. Keeps a pool of easy handles so that each call reuses
/// a live connection, and so that concurrent calls never share a handle
/// (libcurl's rule: one handle, one thread at a time).
package final class CurlTransport: HTTPTransport {
    /// Answers of this API are a few KiB; anything far larger is refused
    /// rather than buffered (or truncated).
    package static let maxBodyBytes = 256 * 1024

    /// What every handle of this transport is set up with.
    package struct Settings {
        package var connectTimeoutMs: Int
        package var timeoutMs: Int
        /// PEM CA bundle, the only CAs trusted (ca_file); nil: caFile, else
        /// libcurl's default file.
        package var caBundle: [UInt8]?
        /// A PEM file libcurl reads itself (SSL_CERT_FILE): a path, so that
        /// OpenSSL's store cache applies and nothing is copied per request.
        package var caFile: String?
        /// A directory of hashed CA certificates; nil: libcurl's default
        /// (cleared when only caBundle's CAs are to be trusted).
        package var caPath: String?
        package var proxy = ProxySettings()

        package init(
            connectTimeoutMs: Int, timeoutMs: Int, caBundle: [UInt8]?, caFile: String? = nil, caPath: String? = nil,
            proxy: ProxySettings = ProxySettings()
        ) {
            self.connectTimeoutMs = connectTimeoutMs
            self.timeoutMs = timeoutMs
            self.caBundle = caBundle
            self.caFile = caFile
            self.caPath = caPath
            self.proxy = proxy
        }
    }

    private let idle = Mutex(HandlePool())

    /// Idle handles, each holding a kept-alive connection, and the process
    /// that made them. After fork() the child finds another pid and leaves
    /// the parent's handles alone: reusing one would put two processes on
    /// one connection (and one TLS session), so that each could read the
    /// other's answers; cleaning one up would send a TLS close_notify on
    /// the parent's connection. They are abandoned, not freed, in the child.
    private struct HandlePool {
        var pid = getpid()
        var handles: [UnsafeMutableRawPointer] = []

        mutating func take() -> UnsafeMutableRawPointer? {
            forgetIfForked()
            return handles.popLast()
        }

        mutating func put(_ handle: UnsafeMutableRawPointer) {
            forgetIfForked()
            handles.append(handle)
        }

        private mutating func forgetIfForked() {
            let current = getpid()
            if pid != current {
                handles.removeAll()
                pid = current
            }
        }
    }

    package let settings: Settings

    package init(_ settings: Settings) throws {
        guard curlGlobalInit == CURLE_OK else {
            throw HSSError(HSS_E_INTERNAL, "libcurl could not be initialised")
        }
        self.settings = settings
    }

    deinit {
        idle.withLock { pool in
            guard pool.pid == getpid() else { return }
            for handle in pool.handles { curl_easy_cleanup(handle) }
            pool.handles.removeAll()
        }
    }

    /// Sends `method` to `url` with exactly `headerLines` ("Name: value")
    /// and `body` (POST and PUT), returning the status, the body,
    /// X-Request-Id and the `wantedHeaders` (and for an error answer its
    /// Retry-After and Date). Secrets in the URL, headers and
    /// body stay in the caller's SecureBuffers; `redactor` cleans every text
    /// taken from the wire. `timeouts` replace the transport's for this
    /// request only. An http:// URL goes as ProxySettings.sendsDirectly
    /// says: refused when a proxy would read it in clear, else directly
    /// when libhss found it exempt.
    package func send(
        _ method: HTTPMethod, url: SecureBuffer, headerLines: [SecureBuffer],
        body: SecureBuffer? = nil, timeouts: Timeouts? = nil, wantedHeaders: [String] = [],
        redactor: Redactor
    ) throws -> HTTPResponse {
        let forceDirect = try settings.proxy.sendsDirectly(url.bytes)
        guard let handle = idle.withLock({ $0.take() }) ?? makeHandle() else {
            throw HSSError(HSS_E_OUT_OF_MEMORY, "could not create a libcurl handle")
        }
        var keep = true
        defer {
            if keep { idle.withLock { $0.put(handle) } } else { curl_easy_cleanup(handle) }
        }

        // libcurl accepts any linked list of curl_slist nodes; building it
        // here (instead of curl_slist_append, which copies) keeps secret
        // header values in our wiped buffers only.
        let nodes = UnsafeMutablePointer<curl_slist>.allocate(capacity: max(headerLines.count, 1))
        defer { nodes.deallocate() }
        for (index, line) in headerLines.enumerated() {
            guard let text = line.cString, line.isValid else {
                throw HSSError(HSS_E_OUT_OF_MEMORY, "could not build the request headers")
            }
            let next = index + 1 < headerLines.count ? nodes + index + 1 : nil
            (nodes + index).initialize(to: curl_slist(data: UnsafeMutablePointer(mutating: text), next: next))
        }
        guard let urlText = url.cString, url.isValid else {
            throw HSSError(HSS_E_OUT_OF_MEMORY, "could not build the request URL")
        }

        let sink = ResponseSink(limit: CurlTransport.maxBodyBytes)
        var errorText = [CChar](repeating: 0, count: Int(CURL_ERROR_SIZE) + 1)
        let code: CURLcode = withExtendedLifetime((headerLines, url, sink)) {
            errorText.withUnsafeMutableBufferPointer { errorBuffer in
                let sinkPointer = Unmanaged.passUnretained(sink).toOpaque()
                var rc: CURLcode
                switch method {
                case .get:
                    rc = chss_curl_set_long(handle, CURLOPT_HTTPGET, 1)
                case .post, .put:
                    // The body is used in place (no copy), from our wiped buffer.
                    rc = chss_curl_set_long(handle, CURLOPT_POSTFIELDSIZE, body?.count ?? 0)
                    if rc == CURLE_OK {
                        rc = chss_curl_set_ptr(
                            handle, CURLOPT_POSTFIELDS, body?.cString.map(UnsafeRawPointer.init) ?? emptyString)
                    }
                }
                if rc == CURLE_OK {
                    rc = chss_curl_set_ptr(handle, CURLOPT_CUSTOMREQUEST, method == .put ? putMethod : nil)
                }
                if rc == CURLE_OK, let timeouts {
                    rc = chss_curl_set_long(handle, CURLOPT_CONNECTTIMEOUT_MS, timeouts.connectMs)
                    if rc == CURLE_OK { rc = chss_curl_set_long(handle, CURLOPT_TIMEOUT_MS, timeouts.totalMs) }
                }
                if rc == CURLE_OK { rc = chss_curl_set_ptr(handle, CURLOPT_URL, urlText) }
                if rc == CURLE_OK, forceDirect { rc = chss_curl_set_ptr(handle, CURLOPT_PROXY, emptyString) }
                if rc == CURLE_OK {
                    rc = chss_curl_set_ptr(handle, CURLOPT_HTTPHEADER, headerLines.isEmpty ? nil : nodes)
                }
                if rc == CURLE_OK { rc = chss_curl_set_ptr(handle, CURLOPT_ERRORBUFFER, errorBuffer.baseAddress) }
                if rc == CURLE_OK { rc = chss_curl_set_write(handle, ResponseSink.write, sinkPointer) }
                if rc == CURLE_OK { rc = curl_easy_perform(handle) }
                // Nothing may point into this call's memory once it returns.
                _ = chss_curl_set_ptr(handle, CURLOPT_HTTPHEADER, nil)
                _ = chss_curl_set_ptr(handle, CURLOPT_ERRORBUFFER, nil)
                _ = chss_curl_set_write(handle, ResponseSink.write, nil)
                if method != .get { _ = chss_curl_set_ptr(handle, CURLOPT_POSTFIELDS, nil) }
                if forceDirect { restoreProxy(handle) }
                if timeouts != nil {
                    _ = chss_curl_set_long(handle, CURLOPT_CONNECTTIMEOUT_MS, settings.connectTimeoutMs)
                    _ = chss_curl_set_long(handle, CURLOPT_TIMEOUT_MS, settings.timeoutMs)
                }
                return rc
            }
        }

        var status = 0
        _ = chss_curl_get_response_code(handle, &status)
        guard code == CURLE_OK else {
            keep = false  // whatever broke, the next call starts on a fresh connection
            let detail = redactor.redact(String(cString: errorText))
            var error: HSSError
            if sink.overflowed {
                error = HSSError(
                    HSS_E_BAD_RESPONSE, "the service's answer is larger than \(CurlTransport.maxBodyBytes) bytes")
            } else if !sink.body.isValid {
                error = HSSError(HSS_E_OUT_OF_MEMORY, "could not store the service's answer")
            } else {
                var osErrno = 0
                var requestSize = 0
                _ = chss_curl_get_long(handle, CURLINFO_OS_ERRNO, &osErrno)
                _ = chss_curl_get_long(handle, CURLINFO_REQUEST_SIZE, &requestSize)
                var proxyStatus = 0
                _ = chss_curl_get_long(handle, CURLINFO_HTTP_CONNECTCODE, &proxyStatus)
                let failure = Failure(
                    code: code, osErrno: osErrno, requestSent: requestSize > 0,
                    bodyStarted: sink.body.count > 0, proxyStatus: proxyStatus)
                error = CurlTransport.error(for: failure, detail: detail)
                error.connectFailed = failure.neverSent
            }
            error.httpStatus = status
            error.requestID = status == 0 ? "" : requestID(handle, redactor: redactor)
            throw error
        }
        var response = HTTPResponse(status: status, body: sink.body, requestID: requestID(handle, redactor: redactor))
        if !wantedHeaders.isEmpty { response.headers = wantedHeaders.map { header(handle, $0) } }
        if status >= 400 {  // only an error answer pays for these
            response.retryAfterMs = header(handle, "Retry-After").flatMap {
                HTTPDate.retryAfterMs($0.string(), now: Int(time(nil)))
            }
            response.serverDate = header(handle, "Date").flatMap { HTTPDate.parse($0.string()) }
        }
        return response
    }

    /// The handle's own proxy again, after a request sent directly.
    private func restoreProxy(_ handle: UnsafeMutableRawPointer) {
        if let proxy = settings.proxy.url {
            _ = proxy.withCString { chss_curl_set_ptr(handle, CURLOPT_PROXY, $0) }
        } else {
            _ = chss_curl_set_ptr(handle, CURLOPT_PROXY, nil)  // libcurl's variables again
        }
    }

    /// The last value of a response header, copied into wiped memory.
    private func header(_ handle: UnsafeMutableRawPointer, _ name: String) -> SecureBuffer? {
        var found: UnsafeMutablePointer<curl_header>?
        guard curl_easy_header(handle, name, 0, UInt32(CURLH_HEADER), -1, &found) == CURLHE_OK,
            let value = found?.pointee.value
        else { return nil }
        return SecureBuffer(cString: value)
    }

    private func requestID(_ handle: UnsafeMutableRawPointer, redactor: Redactor) -> String {
        var header: UnsafeMutablePointer<curl_header>?
        guard curl_easy_header(handle, "X-Request-Id", 0, UInt32(CURLH_HEADER), -1, &header) == CURLHE_OK,
            let value = header?.pointee.value
        else { return "" }
        return value.withMemoryRebound(to: UInt8.self, capacity: strlen(value)) {
            RequestID.sanitize(UnsafeBufferPointer(start: $0, count: strlen(value)), redactor: redactor)
        }
    }

    /// A new handle with the per-client options: secure defaults first.
    private func makeHandle() -> UnsafeMutableRawPointer? {
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

    /// What libcurl reported, with the facts that tell a broken transport
    /// from an unusable answer where one code stands for both.
    package struct Failure {
        package var code: CURLcode
        /// The errno of a failed system call; 0 when libcurl itself refused the data.
        package var osErrno = 0
        package var requestSent = false
        package var bodyStarted = false
        /// The proxy's answer to CONNECT (407: authentication), 0 without one.
        package var proxyStatus = 0

        package init(
            code: CURLcode, osErrno: Int = 0, requestSent: Bool = false, bodyStarted: Bool = false, proxyStatus: Int = 0
        ) {
            self.code = code
            self.osErrno = osErrno
            self.requestSent = requestSent
            self.bodyStarted = bodyStarted
            self.proxyStatus = proxyStatus
        }

        /// Failed on the way to the server (resolving, connecting, the TLS
        /// handshake, or the connect timeout): the request was never sent.
        package var neverSent: Bool {
            guard !requestSent else { return false }
            switch code {
            case CURLE_COULDNT_RESOLVE_HOST, CURLE_COULDNT_RESOLVE_PROXY, CURLE_COULDNT_CONNECT,
                CURLE_OPERATION_TIMEDOUT:
                return true
            default:
                return CurlTransport.status(for: self) == HSS_E_TLS
            }
        }
    }

    package static func error(for failure: Failure, detail: String) -> HSSError {
        let status = CurlTransport.status(for: failure)
        // libcurl's error buffer already ends with the generic text when it says more.
        let message = detail.isEmpty ? String(cString: curl_easy_strerror(failure.code)) : detail
        return HSSError(status, "\(hss_status_text(status)): \(message)")
    }

    /// Every libcurl code, mapped on purpose (Tests/HSSTests/CurlStatusTests
    /// checks each row). The rule: what the peer sent and we cannot use is
    /// BAD_RESPONSE; a broken transport is NETWORK; INTERNAL and
    /// OUT_OF_MEMORY are only for our own failures. Codes of options and
    /// protocols libhss never uses are INTERNAL: seeing one is our bug.
    package static func status(for failure: Failure) -> hss_status {
        // A proxy that refused the tunnel (407, 403, 502...): the way to the service is broken.
        if failure.proxyStatus >= 300 { return HSS_E_NETWORK }
        switch failure.code {
        case CURLE_OK:
            return HSS_OK
        case CURLE_OPERATION_TIMEDOUT, CURLE_FTP_ACCEPT_TIMEOUT:
            return HSS_E_TIMEOUT
        case CURLE_SSL_CONNECT_ERROR, CURLE_PEER_FAILED_VERIFICATION, CURLE_SSL_CERTPROBLEM, CURLE_SSL_CIPHER,
            CURLE_SSL_CACERT_BADFILE, CURLE_SSL_ENGINE_NOTFOUND, CURLE_SSL_ENGINE_SETFAILED,
            CURLE_SSL_ENGINE_INITFAILED, CURLE_SSL_CRL_BADFILE, CURLE_SSL_ISSUER_ERROR,
            CURLE_SSL_PINNEDPUBKEYNOTMATCH, CURLE_SSL_INVALIDCERTSTATUS, CURLE_SSL_SHUTDOWN_FAILED,
            CURLE_SSL_CLIENTCERT, CURLE_USE_SSL_FAILED:
            return HSS_E_TLS
        case CURLE_COULDNT_RESOLVE_PROXY, CURLE_COULDNT_RESOLVE_HOST, CURLE_COULDNT_CONNECT,
            CURLE_INTERFACE_FAILED, CURLE_SEND_ERROR, CURLE_GOT_NOTHING, CURLE_PARTIAL_FILE,
            CURLE_SEND_FAIL_REWIND, CURLE_AGAIN, CURLE_NO_CONNECTION_AVAILABLE, CURLE_PROXY,
            CURLE_HTTP3, CURLE_QUIC_CONNECT_ERROR, CURLE_UNRECOVERABLE_POLL:
            return HSS_E_NETWORK
        case CURLE_UNSUPPORTED_PROTOCOL,  // HTTP/0.9 (our URLs are always http or https)
            CURLE_WEIRD_SERVER_REPLY, CURLE_HTTP2, CURLE_HTTP2_STREAM, CURLE_BAD_CONTENT_ENCODING,
            CURLE_RANGE_ERROR, CURLE_BAD_DOWNLOAD_RESUME, CURLE_TOO_MANY_REDIRECTS, CURLE_FILESIZE_EXCEEDED:
            return HSS_E_BAD_RESPONSE
        case CURLE_RECV_ERROR:
            // A failed recv() carries its errno; without one, libcurl refused
            // what arrived (bad chunked encoding, headers over its limits).
            return failure.osErrno != 0 ? HSS_E_NETWORK : HSS_E_BAD_RESPONSE
        case CURLE_OUT_OF_MEMORY:
            // libcurl 7.88 also reports a response header or status line over
            // its 100 KB limit this way (newer ones: CURLE_TOO_LARGE): while
            // the answer's head is being read, blame the peer.
            return failure.requestSent && !failure.bodyStarted ? HSS_E_BAD_RESPONSE : HSS_E_OUT_OF_MEMORY
        case CURLE_BAD_FUNCTION_ARGUMENT:
            // Our options are set before the transfer; once the request is out,
            // libcurl 7.88's header store refuses a header line this way (a CR
            // before its colon): the peer's.
            return failure.requestSent ? HSS_E_BAD_RESPONSE : HSS_E_INTERNAL
        case CURLE_WRITE_ERROR:
            // Our sink refuses only an answer over the cap (reported before
            // this) or a failed allocation.
            return HSS_E_OUT_OF_MEMORY
        case CURLE_FAILED_INIT, CURLE_URL_MALFORMAT, CURLE_NOT_BUILT_IN, CURLE_UNKNOWN_OPTION,
            CURLE_SETOPT_OPTION_SYNTAX, CURLE_FUNCTION_NOT_FOUND, CURLE_RECURSIVE_API_CALL,
            CURLE_ABORTED_BY_CALLBACK, CURLE_READ_ERROR, CURLE_UPLOAD_FAILED, CURLE_HTTP_POST_ERROR,
            CURLE_HTTP_RETURNED_ERROR, CURLE_AUTH_ERROR, CURLE_LOGIN_DENIED, CURLE_REMOTE_ACCESS_DENIED,
            CURLE_FTP_ACCEPT_FAILED, CURLE_FTP_WEIRD_PASS_REPLY, CURLE_FTP_WEIRD_PASV_REPLY,
            CURLE_FTP_WEIRD_227_FORMAT, CURLE_FTP_CANT_GET_HOST, CURLE_FTP_COULDNT_SET_TYPE,
            CURLE_FTP_COULDNT_RETR_FILE, CURLE_QUOTE_ERROR, CURLE_FTP_PORT_FAILED, CURLE_FTP_COULDNT_USE_REST,
            CURLE_FILE_COULDNT_READ_FILE, CURLE_LDAP_CANNOT_BIND, CURLE_LDAP_SEARCH_FAILED,
            CURLE_TFTP_NOTFOUND, CURLE_TFTP_PERM, CURLE_REMOTE_DISK_FULL, CURLE_TFTP_ILLEGAL,
            CURLE_TFTP_UNKNOWNID, CURLE_REMOTE_FILE_EXISTS, CURLE_TFTP_NOSUCHUSER, CURLE_REMOTE_FILE_NOT_FOUND,
            CURLE_SSH, CURLE_FTP_PRET_FAILED, CURLE_RTSP_CSEQ_ERROR, CURLE_RTSP_SESSION_ERROR,
            CURLE_FTP_BAD_FILE_LIST, CURLE_CHUNK_FAILED,
            CURLE_OBSOLETE20, CURLE_OBSOLETE24, CURLE_OBSOLETE29, CURLE_OBSOLETE32, CURLE_OBSOLETE40,
            CURLE_OBSOLETE44, CURLE_OBSOLETE46, CURLE_OBSOLETE50, CURLE_OBSOLETE51, CURLE_OBSOLETE57,
            CURLE_OBSOLETE62, CURLE_OBSOLETE75, CURLE_OBSOLETE76:
            return HSS_E_INTERNAL
        default:
            // A code from a libcurl newer than our table: a transfer that
            // failed for a reason we cannot name.
            return HSS_E_NETWORK
        }
    }
}

/// "": an empty body, and CURLOPT_PROXY's "no proxy at all".
private let emptyString = UnsafeRawPointer(StaticString("").utf8Start)
private let putMethod = UnsafeRawPointer(StaticString("PUT").utf8Start)

/// Collects the body in a wiped buffer and stops the transfer at the cap.
private final class ResponseSink {
    let body = SecureBuffer(capacity: 4096)
    let limit: Int
    var overflowed = false

    init(limit: Int) { self.limit = limit }

    static let write: chss_curl_write_fn = { data, size, count, userdata in
        guard let userdata else { return 0 }
        let sink = Unmanaged<ResponseSink>.fromOpaque(userdata).takeUnretainedValue()
        let length = size * count
        guard sink.body.count + length <= sink.limit else {
            sink.overflowed = true
            return 0
        }
        guard length > 0, let data else { return length }
        data.withMemoryRebound(to: UInt8.self, capacity: length) {
            sink.body.append(UnsafeBufferPointer(start: $0, count: length))
        }
        return sink.body.isValid ? length : 0
    }
}
