import CCurlShims
import CHSSAPI
import HSSTransport
import XCTest

/// Every libcurl code has a deliberate status (issue: nothing by default).
/// The expectations are written here on their own, by reason, and each
/// code of the linked libcurl's table must appear exactly once.
final class CurlStatusTests: XCTestCase {
    private let expected: [(hss_status, [CURLcode])] = [
        (HSS_OK, [CURLE_OK]),
        // The clock ran out.
        (HSS_E_TIMEOUT, [CURLE_OPERATION_TIMEDOUT, CURLE_FTP_ACCEPT_TIMEOUT]),
        // TLS set-up, verification, and our CA bundle.
        (
            HSS_E_TLS,
            [
                CURLE_SSL_CONNECT_ERROR, CURLE_PEER_FAILED_VERIFICATION, CURLE_SSL_CERTPROBLEM,
                CURLE_SSL_CIPHER, CURLE_SSL_CACERT_BADFILE, CURLE_SSL_ENGINE_NOTFOUND,
                CURLE_SSL_ENGINE_SETFAILED, CURLE_SSL_ENGINE_INITFAILED, CURLE_SSL_CRL_BADFILE,
                CURLE_SSL_ISSUER_ERROR, CURLE_SSL_PINNEDPUBKEYNOTMATCH, CURLE_SSL_INVALIDCERTSTATUS,
                CURLE_SSL_SHUTDOWN_FAILED, CURLE_SSL_CLIENTCERT, CURLE_USE_SSL_FAILED,
            ]
        ),
        // The transport broke: resolve, connect, send, receive, a cut-off answer.
        (
            HSS_E_NETWORK,
            [
                CURLE_COULDNT_RESOLVE_PROXY, CURLE_COULDNT_RESOLVE_HOST, CURLE_COULDNT_CONNECT,
                CURLE_INTERFACE_FAILED, CURLE_SEND_ERROR, CURLE_RECV_ERROR, CURLE_GOT_NOTHING,
                CURLE_PARTIAL_FILE, CURLE_SEND_FAIL_REWIND, CURLE_AGAIN, CURLE_NO_CONNECTION_AVAILABLE,
                CURLE_PROXY, CURLE_HTTP3, CURLE_QUIC_CONNECT_ERROR, CURLE_UNRECOVERABLE_POLL,
            ]
        ),
        // The peer answered something we cannot use.
        (
            HSS_E_BAD_RESPONSE,
            [
                CURLE_UNSUPPORTED_PROTOCOL, CURLE_WEIRD_SERVER_REPLY, CURLE_HTTP2,
                CURLE_HTTP2_STREAM, CURLE_BAD_CONTENT_ENCODING, CURLE_RANGE_ERROR,
                CURLE_BAD_DOWNLOAD_RESUME, CURLE_TOO_MANY_REDIRECTS, CURLE_FILESIZE_EXCEEDED,
            ]
        ),
        // Our own allocations (a header over libcurl's limit is tested below).
        (HSS_E_OUT_OF_MEMORY, [CURLE_OUT_OF_MEMORY, CURLE_WRITE_ERROR]),
        // Options, callbacks and protocols libhss never uses: seeing one is our bug.
        (
            HSS_E_INTERNAL,
            [
                CURLE_FAILED_INIT, CURLE_URL_MALFORMAT, CURLE_NOT_BUILT_IN, CURLE_BAD_FUNCTION_ARGUMENT,
                CURLE_UNKNOWN_OPTION, CURLE_SETOPT_OPTION_SYNTAX, CURLE_FUNCTION_NOT_FOUND,
                CURLE_RECURSIVE_API_CALL, CURLE_ABORTED_BY_CALLBACK, CURLE_READ_ERROR,
                CURLE_UPLOAD_FAILED, CURLE_HTTP_POST_ERROR, CURLE_HTTP_RETURNED_ERROR, CURLE_AUTH_ERROR,
                CURLE_LOGIN_DENIED, CURLE_REMOTE_ACCESS_DENIED, CURLE_FTP_ACCEPT_FAILED,
                CURLE_FTP_WEIRD_PASS_REPLY, CURLE_FTP_WEIRD_PASV_REPLY, CURLE_FTP_WEIRD_227_FORMAT,
                CURLE_FTP_CANT_GET_HOST, CURLE_FTP_COULDNT_SET_TYPE, CURLE_FTP_COULDNT_RETR_FILE,
                CURLE_QUOTE_ERROR, CURLE_FTP_PORT_FAILED, CURLE_FTP_COULDNT_USE_REST,
                CURLE_FILE_COULDNT_READ_FILE, CURLE_LDAP_CANNOT_BIND, CURLE_LDAP_SEARCH_FAILED,
                CURLE_TFTP_NOTFOUND, CURLE_TFTP_PERM, CURLE_REMOTE_DISK_FULL, CURLE_TFTP_ILLEGAL,
                CURLE_TFTP_UNKNOWNID, CURLE_REMOTE_FILE_EXISTS, CURLE_TFTP_NOSUCHUSER,
                CURLE_REMOTE_FILE_NOT_FOUND, CURLE_SSH, CURLE_FTP_PRET_FAILED, CURLE_RTSP_CSEQ_ERROR,
                CURLE_RTSP_SESSION_ERROR, CURLE_FTP_BAD_FILE_LIST, CURLE_CHUNK_FAILED,
                CURLE_OBSOLETE20, CURLE_OBSOLETE24, CURLE_OBSOLETE29, CURLE_OBSOLETE32,
                CURLE_OBSOLETE40, CURLE_OBSOLETE44, CURLE_OBSOLETE46, CURLE_OBSOLETE50,
                CURLE_OBSOLETE51, CURLE_OBSOLETE57, CURLE_OBSOLETE62, CURLE_OBSOLETE75,
                CURLE_OBSOLETE76,
            ]
        ),
    ]

    func testEveryCodeOfTheLinkedLibcurlHasItsRow() {
        var seen = Set<UInt32>()
        for (status, codes) in expected {
            for code in codes {
                XCTAssertTrue(seen.insert(code.rawValue).inserted, "code \(code.rawValue) listed twice")
                // As a failed system call would report it (errno set), before any byte was sent.
                let failure = CurlTransport.Failure(code: code, osErrno: 104)
                XCTAssertEqual(
                    CurlTransport.status(for: failure).rawValue, status.rawValue,
                    "CURLcode \(code.rawValue) (\(String(cString: curl_easy_strerror(code))))")
            }
        }
        XCTAssertEqual(seen, Set(0..<CURL_LAST.rawValue), "codes without a deliberate status")
    }

    func testAResponseHeaderOverLibcurlsLimitIsTheServersFault() {
        // libcurl 7.88 reports a 1 MB header line as CURLE_OUT_OF_MEMORY, after the request went out.
        let head = CurlTransport.Failure(code: CURLE_OUT_OF_MEMORY, requestSent: true)
        XCTAssertEqual(CurlTransport.status(for: head), HSS_E_BAD_RESPONSE)
        var body = head
        body.bodyStarted = true
        XCTAssertEqual(CurlTransport.status(for: body), HSS_E_OUT_OF_MEMORY)
    }

    func testAHeaderLineLibcurlsStoreRefusesIsTheServersFault() {
        // libcurl 7.88 refuses a header line with a CR before its colon ("X-A\rB: c") this way.
        let answer = CurlTransport.Failure(code: CURLE_BAD_FUNCTION_ARGUMENT, requestSent: true)
        XCTAssertEqual(CurlTransport.status(for: answer), HSS_E_BAD_RESPONSE)
        // Before anything was sent it can only be a bad option of ours.
        XCTAssertEqual(CurlTransport.status(for: .init(code: CURLE_BAD_FUNCTION_ARGUMENT)), HSS_E_INTERNAL)
    }

    func testAReceiveErrorWithoutErrnoIsAnUnusableAnswer() {
        // "Malformed encoding found in chunked-encoding", "Too large response headers": errno 0.
        XCTAssertEqual(CurlTransport.status(for: .init(code: CURLE_RECV_ERROR, osErrno: 0)), HSS_E_BAD_RESPONSE)
        XCTAssertEqual(CurlTransport.status(for: .init(code: CURLE_RECV_ERROR, osErrno: 104)), HSS_E_NETWORK)
    }

    func testACodeFromANewerLibcurlIsATransferFailure() {
        XCTAssertEqual(
            CurlTransport.status(for: .init(code: CURLcode(rawValue: CURL_LAST.rawValue + 7))),
            HSS_E_NETWORK)
    }
}
