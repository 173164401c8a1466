import CHSSAPI
import HSSBase
import HSSPipeline
import HSSTransport

// The C entry point, hss_image_upload_command_get, whole: the boundary, the
// pipeline (signing, the retry loop, the clock-skew path, error
// classification, the strict decoder, redaction) with the network replaced
// by an in-process transport that answers what the fuzzer says
// (HSSClient.transportForTesting). Properties: no crash; a success's three
// strings hold no NUL; every error text is one line and holds no form of the
// registry password or the SK, whatever the answer echoes of them.

private let password: [UInt8] = Array("Fuzz-Entry-Pw-&=+%/~ é".utf8)
private let secretKey: [UInt8] = Array("Fuzz-Entry-SK-0123456789".utf8)

/// What the fuzzer picked for the next answers: one per attempt.
private final class StubTransport: HTTPTransport, HTTPConnection {
    var answers: [(status: Int, retryAfter: [UInt8], date: [UInt8], body: [UInt8])] = []
    let arena = SecureBuffer(capacity: 4096)
    private var lastRequestID: [UInt8] = []

    func withConnection<T>(_ body: (HTTPConnection) throws -> T) throws -> T {
        defer { arena.truncate(to: 0) }
        return try body(self)
    }

    func appendHeader(_ line: UnsafePointer<CChar>) {}

    func perform(
        _ method: HTTPMethod, url: UnsafePointer<CChar>, body: SecureBuffer?, timeouts: Timeouts?,
        forceDirect: Bool, wantedHeaders: [String], wantsRequestID: Bool, keepBody: Bool, redactor: () -> Redactor
    ) throws -> HTTPResponse {
        guard !answers.isEmpty else { throw HSSError(HSS_E_NETWORK, "no more answers") }
        let answer = answers.removeFirst()
        if answer.status == 0 {
            var error = HSSError(HSS_E_NETWORK, "network error: reset by the fuzzer")
            error.connectFailed = answer.body.first.map { $0 & 1 == 1 } ?? false
            throw error
        }
        let bodyBuffer = SecureBuffer()
        answer.body.withUnsafeBufferPointer { bodyBuffer.append($0) }
        lastRequestID = answer.retryAfter
        let isSuccess = (200..<300).contains(answer.status)
        let response = HTTPResponse(
            status: answer.status, body: bodyBuffer,
            requestID: !isSuccess || wantsRequestID ? requestID(redactor: redactor()) : "",
            headers: wantedHeaders.map { _ in nil })
        if answer.status >= 400 {  // as CurlConnection reads them
            response.retryAfterMs = HTTPDate.retryAfterMs(
                String(decoding: answer.retryAfter, as: UTF8.self), now: Int(time(nil)))
            response.serverDate = HTTPDate.parse(String(decoding: answer.date, as: UTF8.self))
        }
        return response
    }

    func requestID(redactor: Redactor) -> String {
        lastRequestID.withUnsafeBufferPointer { RequestID.sanitize($0, redactor: redactor) }
    }
}

private let stub = StubTransport()
private let statuses = [200, 201, 204, 301, 400, 401, 403, 404, 408, 429, 500, 502, 503, 504, 0]

/// One client for the whole run (as a program would keep one), made with the stub.
private let client: OpaquePointer? = {
    HSSClient.transportForTesting = { stub }
    var options = hss_client_options()
    guard hss_client_options_init(&options, UInt32(HSS_CLIENT_OPTIONS_VERSION)) == HSS_OK else { return nil }
    var made: OpaquePointer?
    let status = "http://127.0.0.1:9".withCString { endpoint in
        "fuzz-project".withCString { project in
            "FUZZENTRYAK0001".withCString { ak in
                secretKey.map { CChar(bitPattern: $0) }.withUnsafeBufferPointer { sk -> hss_status in
                    var skText = Array(sk) + [0]
                    return skText.withUnsafeMutableBufferPointer {
                        options.endpoint = endpoint
                        options.project_id = project
                        options.ak = ak
                        options.sk = UnsafePointer($0.baseAddress)
                        options.max_attempts = 3
                        options.retry_base_ms = 1
                        options.retry_cap_ms = 1
                        return hss_client_new(&options, &made, nil)
                    }
                }
            }
        }
    }
    return status == HSS_OK ? made : nil
}()

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzEntry(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    guard let client else {
        require(false, "the client could not be made")
        return 0
    }
    var input = FuzzInput(data, size)
    let attempts = Int(input.byte() % 3) + 1
    stub.answers = (0..<attempts).map { index in
        let status = statuses[Int(input.byte()) % statuses.count]
        let retryAfter = input.field()
        let date = input.field()
        // The last answer takes the rest; earlier ones a field each.
        return (status, retryAfter, date, index == attempts - 1 ? input.rest() : input.field())
    }
    var request = hss_image_upload_command_request()
    _ = hss_image_upload_command_request_init(&request, UInt32(HSS_IMAGE_UPLOAD_COMMAND_REQUEST_VERSION))
    var result: OpaquePointer?
    var error: OpaquePointer?
    let passwordText = password.map { CChar(bitPattern: $0) } + [0]
    let status = passwordText.withUnsafeBufferPointer { pw in
        "myharbor.example.com:443".withCString { registry in
            "library".withCString { namespace in
                "admin".withCString { user in
                    request.registry_addr = registry
                    request.namespace_name = namespace
                    request.username = user
                    request.password = pw.baseAddress
                    return hss_image_upload_command_get(client, &request, &result, &error)
                }
            }
        }
    }
    if status == HSS_OK {
        for text in [
            hss_image_upload_command_image_command(result), hss_image_upload_command_images_download_url(result),
            hss_image_upload_command_swr_image_pull_command(result),
        ] {
            require(text != nil, "a result string is NULL")
        }
        hss_image_upload_command_free(result)
    } else {
        require(error != nil, "a failure without an error object")
        for (name, text) in [
            ("message", hss_error_message(error)), ("code", hss_error_code(error)),
            ("service message", hss_error_service_message(error)), ("request id", hss_error_request_id(error)),
        ] {
            let bytes =
                text.map {
                    Array(
                        UnsafeBufferPointer(
                            start: UnsafeRawPointer($0).assumingMemoryBound(to: UInt8.self), count: strlen($0)))
                } ?? []
            for secret in [password, secretKey] {
                require(SecretForms.find(secret, in: bytes) == nil, "the \(name) holds a form of a secret: \(bytes)")
            }
            if name != "service message" {
                require(!bytes.contains(where: { $0 < 0x20 || $0 == 0x7F }), "the \(name) is not one line")
            }
        }
        require(hss_error_attempts(error) <= 4, "more attempts than max_attempts allows (plus the clock's)")
        hss_error_free(error)
    }
    stub.answers = []
    return 0
}
