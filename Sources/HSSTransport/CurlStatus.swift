import CCurlShims
import CHSSAPI
import HSSBase

extension CurlTransport {
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
        // libcurl's error buffer already ends with the generic text when it says more. The message
        // does not repeat hss_status_str's text: a caller printing both gets it once.
        return HSSError(status, detail.isEmpty ? String(cString: curl_easy_strerror(failure.code)) : detail)
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
