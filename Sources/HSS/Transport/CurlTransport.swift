import CHSS
import Synchronization

/// libcurl, initialised once for the process. A Swift global is lazily
/// initialised exactly once, thread-safely (swift_once).
private let curlGlobalInit: CURLcode = curl_global_init(Int(CURL_GLOBAL_ALL))

/// What came back from the server.
struct HTTPResponse {
    let status: Int
    let body: SecureBuffer
    let requestID: String
}

/// HTTP over libcurl. Keeps a pool of easy handles so that each call reuses
/// a live connection, and so that concurrent calls never share a handle
/// (libcurl's rule: one handle, one thread at a time).
final class CurlTransport {
    /// Answers of this API are a few KiB; anything far larger is refused
    /// rather than buffered (or truncated).
    static let maxBodyBytes = 256 * 1024

    private let configuration: ClientConfiguration
    private let idle = Mutex<[UnsafeMutableRawPointer]>([])

    init(configuration: ClientConfiguration) throws {
        guard curlGlobalInit == CURLE_OK else {
            throw HSSError(HSS_E_INTERNAL, "libcurl could not be initialised")
        }
        self.configuration = configuration
    }

    deinit {
        idle.withLock { handles in
            for handle in handles { curl_easy_cleanup(handle) }
            handles.removeAll()
        }
    }

    /// GET `url` with exactly `headerLines` ("Name: value"), returning the
    /// status, the body and X-Request-Id. Secrets in the URL and headers
    /// stay in the caller's SecureBuffers.
    func get(url: SecureBuffer, headerLines: [SecureBuffer], redactor: Redactor) throws -> HTTPResponse {
        guard let handle = idle.withLock({ $0.popLast() }) ?? makeHandle() else {
            throw HSSError(HSS_E_OUT_OF_MEMORY, "could not create a libcurl handle")
        }
        var keep = true
        defer {
            if keep { idle.withLock { $0.append(handle) } } else { curl_easy_cleanup(handle) }
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
                var rc = chss_curl_set_ptr(handle, CURLOPT_URL, urlText)
                if rc == CURLE_OK { rc = chss_curl_set_ptr(handle, CURLOPT_HTTPHEADER, headerLines.isEmpty ? nil : nodes) }
                if rc == CURLE_OK { rc = chss_curl_set_ptr(handle, CURLOPT_ERRORBUFFER, errorBuffer.baseAddress) }
                if rc == CURLE_OK { rc = chss_curl_set_write(handle, ResponseSink.write, sinkPointer) }
                if rc == CURLE_OK { rc = curl_easy_perform(handle) }
                // Nothing may point into this call's memory once it returns.
                _ = chss_curl_set_ptr(handle, CURLOPT_HTTPHEADER, nil)
                _ = chss_curl_set_ptr(handle, CURLOPT_ERRORBUFFER, nil)
                _ = chss_curl_set_write(handle, ResponseSink.write, nil)
                return rc
            }
        }

        var status = 0
        _ = chss_curl_get_response_code(handle, &status)
        guard code == CURLE_OK else {
            keep = code != CURLE_OUT_OF_MEMORY
            var error = sink.overflowed
                ? HSSError(HSS_E_BAD_RESPONSE, "the service's answer is larger than \(CurlTransport.maxBodyBytes) bytes")
                : CurlTransport.error(for: code, detail: redactor.redact(String(cString: errorText)))
            error.httpStatus = status
            error.requestID = status == 0 ? "" : requestID(handle)
            throw error
        }
        return HTTPResponse(status: status, body: sink.body, requestID: requestID(handle))
    }

    private func requestID(_ handle: UnsafeMutableRawPointer) -> String {
        var header: UnsafeMutablePointer<curl_header>?
        guard curl_easy_header(handle, "X-Request-Id", 0, UInt32(CURLH_HEADER), -1, &header) == CURLHE_OK,
              let value = header?.pointee.value else { return "" }
        return requestIDToken(UnsafeRawBufferPointer(start: value, count: strlen(value)))
    }

    /// A new handle with the per-client options: secure defaults first.
    private func makeHandle() -> UnsafeMutableRawPointer? {
        guard let handle = curl_easy_init() else { return nil }
        var ok = true
        func set(_ option: CURLoption, _ value: Int) { ok = ok && chss_curl_set_long(handle, option, value) == CURLE_OK }
        func set(_ option: CURLoption, _ value: String) {
            ok = ok && value.withCString { chss_curl_set_ptr(handle, option, $0) } == CURLE_OK
        }
        set(CURLOPT_NOSIGNAL, 1)
        set(CURLOPT_PROTOCOLS_STR, "http,https")
        set(CURLOPT_REDIR_PROTOCOLS_STR, "http,https")
        set(CURLOPT_FOLLOWLOCATION, 0)
        set(CURLOPT_SSL_VERIFYPEER, 1)
        set(CURLOPT_SSL_VERIFYHOST, 2)
        set(CURLOPT_HTTPGET, 1)
        set(CURLOPT_CONNECTTIMEOUT_MS, configuration.connectTimeoutMs)
        set(CURLOPT_TIMEOUT_MS, configuration.timeoutMs)
        set(CURLOPT_TCP_KEEPALIVE, 1)
        if let caFile = configuration.caFile { set(CURLOPT_CAINFO, caFile) }
        guard ok else {
            curl_easy_cleanup(handle)
            return nil
        }
        return handle
    }

    static func error(for code: CURLcode, detail: String) -> HSSError {
        let status: hss_status
        switch code {
        case CURLE_OPERATION_TIMEDOUT:
            status = HSS_E_TIMEOUT
        case CURLE_SSL_CONNECT_ERROR, CURLE_PEER_FAILED_VERIFICATION, CURLE_SSL_CERTPROBLEM,
             CURLE_SSL_CIPHER, CURLE_SSL_CACERT_BADFILE, CURLE_SSL_ENGINE_NOTFOUND, CURLE_SSL_ENGINE_SETFAILED,
             CURLE_SSL_ENGINE_INITFAILED, CURLE_SSL_CRL_BADFILE, CURLE_SSL_ISSUER_ERROR,
             CURLE_SSL_PINNEDPUBKEYNOTMATCH, CURLE_SSL_INVALIDCERTSTATUS, CURLE_SSL_SHUTDOWN_FAILED,
             CURLE_SSL_CLIENTCERT:
            status = HSS_E_TLS
        case CURLE_OUT_OF_MEMORY:
            status = HSS_E_OUT_OF_MEMORY
        case CURLE_UNSUPPORTED_PROTOCOL, CURLE_URL_MALFORMAT, CURLE_BAD_FUNCTION_ARGUMENT,
             CURLE_UNKNOWN_OPTION, CURLE_NOT_BUILT_IN:
            status = HSS_E_INTERNAL
        default:
            status = HSS_E_NETWORK
        }
        // libcurl's error buffer already ends with the generic text when it says more.
        let message = detail.isEmpty ? String(cString: curl_easy_strerror(code)) : detail
        return HSSError(status, "\(hss_status_text(status)): \(message)")
    }
}

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
