import CCurlShims
import CHSSAPI
import HSSBase
import Synchronization

/// libcurl, initialised once for the process. A Swift global is lazily
/// initialised exactly once, thread-safely (swift_once).
private let curlGlobalInit: CURLcode = curl_global_init(Int(CURL_GLOBAL_ALL))

/// HTTP over libcurl. Keeps a pool of connections (CurlConnection: an easy
/// handle with its buffers) so that each call reuses a live connection and
/// allocates almost nothing, and so that concurrent calls never share a
/// handle (libcurl's rule: one handle, one thread at a time).
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

    /// Idle connections, and the process that made them (its fork
    /// generation: ForkGeneration.swift). After fork() the child finds
    /// another generation and leaves the parent's connections alone:
    /// reusing one would put two processes on one connection (and one TLS
    /// session), so that each could read the other's answers; cleaning one
    /// up would send a TLS close_notify on the parent's connection. They are
    /// abandoned, not freed, in the child.
    private struct Pool {
        var generation = ForkGeneration.current
        var idle: [CurlConnection] = []

        mutating func take() -> CurlConnection? {
            forgetIfForked()
            return idle.popLast()
        }

        /// Not checked here: take() forgets every idle connection of an earlier generation,
        /// this one included (one taken before a fork() and put back after it, in the child, too).
        mutating func put(_ connection: CurlConnection) {
            idle.append(connection)
        }

        private mutating func forgetIfForked() {
            let current = ForkGeneration.current
            if generation != current {
                for connection in idle { connection.abandon() }
                idle.removeAll()
                generation = current
            }
        }
    }

    private let pool = Mutex(Pool())
    package let settings: Settings

    package init(_ settings: Settings) throws {
        guard curlGlobalInit == CURLE_OK else {
            throw HSSError(HSS_E_INTERNAL, "libcurl could not be initialised")
        }
        self.settings = settings
    }

    deinit {
        pool.withLock { pool in
            guard pool.generation == ForkGeneration.current else { return }
            for connection in pool.idle { connection.close() }
            pool.idle.removeAll()
        }
    }

    /// Runs `body` with a connection of its own (an idle one, else a new
    /// one), whose arena it builds its request in; the arena is wiped and the
    /// connection kept for the next call, unless its transfer broke.
    package func withConnection<T>(_ body: (HTTPConnection) throws -> T) throws -> T {
        guard let connection = pool.withLock({ $0.take() }) ?? CurlConnection(settings: settings) else {
            throw HSSError(HSS_E_OUT_OF_MEMORY, "could not create a libcurl handle")
        }
        defer {
            connection.finish()
            if connection.broken { connection.close() } else { pool.withLock { $0.put(connection) } }
        }
        connection.clearHeaders()
        return try body(connection)
    }

    /// Sends `method` to `url` with exactly `headerLines` ("Name: value")
    /// and `body` (POST and PUT), returning the status, the body,
    /// X-Request-Id and the `wantedHeaders` (and for an error answer its
    /// Retry-After and Date). Secrets in the URL, headers and body stay in
    /// the caller's SecureBuffers; `redactor` cleans every text taken from
    /// the wire. `timeouts` replace the transport's for this request only.
    /// An http:// URL goes as ProxySettings.sendsDirectly says: refused when
    /// a proxy would read it in clear, else directly when libhss found it
    /// exempt. (The identity calls' way; HSS's builds in the arena.)
    package func send(
        _ method: HTTPMethod, url: SecureBuffer, headerLines: [SecureBuffer],
        body: SecureBuffer? = nil, timeouts: Timeouts? = nil, wantedHeaders: [String] = [],
        redactor: Redactor
    ) throws -> HTTPResponse {
        let forceDirect = try settings.proxy.sendsDirectly(url.bytes)
        guard url.isValid, let urlText = url.cString, headerLines.allSatisfy({ $0.isValid }) else {
            throw HSSError(HSS_E_OUT_OF_MEMORY, "could not build the request")
        }
        return try withConnection { connection in
            for line in headerLines { if let text = line.cString { connection.appendHeader(text) } }
            return try withExtendedLifetime((url, headerLines)) {
                try connection.perform(
                    method, url: urlText, body: body, timeouts: timeouts, forceDirect: forceDirect,
                    wantedHeaders: wantedHeaders, wantsRequestID: true, keepBody: true, redactor: { redactor })
            }
        }
    }
}
