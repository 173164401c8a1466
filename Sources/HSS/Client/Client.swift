import CHSS

/// A configured HSS client: signs requests, sends them over its transport
/// and turns answers into results or HSSErrors. Immutable after init, so
/// one client may serve many threads at once.
final class HSSClient {
    let configuration: ClientConfiguration
    private let transport: CurlTransport
    private let path: String
    /// Header lines that are the same on every call, built once.
    private let fixedHeaderLines: [SecureBuffer]
    /// Prepared once with the fixed headers; nil with IAM-token auth.
    private let signer: Signer?

    init(_ options: ClientOptions) throws {
        configuration = try ClientConfiguration(options)
        transport = try CurlTransport(configuration: configuration)
        path = "/v5/\(configuration.projectID)/image/registries/image-upload-command"

        // The headers the official SDK sends and signs for this API.
        var headers = [
            Signer.Header("Content-Type", "application/json"),
            Signer.Header("Host", configuration.host),
            Signer.Header("User-Agent", configuration.userAgent),
            Signer.Header("X-Project-Id", configuration.projectID),
        ]
        switch configuration.credentials {
        case .signed(let accessKey, let secretKey, let token):
            if let token { headers.append(Signer.Header(name: "X-Security-Token", value: token)) }
            signer = try Signer(method: "GET", path: path, headers: headers, accessKey: accessKey, secretKey: secretKey)
        case .token(let token):
            headers.append(Signer.Header(name: "X-Auth-Token", value: token))
            signer = nil
        }
        // "Accept:" removes libcurl's default, so only the signed headers go out.
        fixedHeaderLines = headers.map(HSSClient.headerLine) + [SecureBuffer("Accept:")]
    }

    func imageUploadCommand(_ request: ImageUploadCommandRequest, now: time_t = time(nil)) throws
        -> ImageUploadCommand
    {
        try request.validate()
        var redactor = Redactor()
        redactor.add(request.password)
        switch configuration.credentials {
        case .signed(_, let sk, let token):
            redactor.add(sk)
            redactor.add(token)
        case .token(let token):
            redactor.add(token)
        }

        let query = request.canonicalQuery()
        var lines = fixedHeaderLines
        if let signer {
            let date = Signer.sdkDate(now)
            let dateHeader = Signer.Header("X-Sdk-Date", date)
            let authorization = signer.authorization(query: query, date: date, extra: [dateHeader])
            lines.append(HSSClient.headerLine(dateHeader))
            lines.append(HSSClient.headerLine(Signer.Header("Authorization", authorization)))
        }

        let url = SecureBuffer(capacity: configuration.baseURL.utf8.count + path.utf8.count + query.count + 2)
        url.append(configuration.baseURL)
        url.append(path)
        url.append(UInt8(ascii: "?"))
        url.append(query)
        guard url.isValid, query.isValid else { throw HSSError(HSS_E_OUT_OF_MEMORY, "could not build the request") }

        let response = try transport.get(url: url, headerLines: lines, redactor: redactor)
        switch response.status {
        case 200..<300:
            do {
                return try ImageUploadCommand.decode(response.body)
            } catch var error as HSSError {
                error.httpStatus = response.status
                error.requestID = response.requestID
                throw error
            }
        case 400..<600:
            throw ServiceErrorBody.describe(status: response.status, body: response.body,
                                            requestID: response.requestID, redactor: redactor)
        default:
            var error = HSSError(HSS_E_BAD_RESPONSE, "unexpected HTTP status \(response.status) from the service")
            error.httpStatus = response.status
            error.requestID = response.requestID
            throw error
        }
    }

    private static func headerLine(_ header: Signer.Header) -> SecureBuffer {
        let line = SecureBuffer(capacity: header.name.utf8.count + header.value.count + 3)
        line.append(header.name)
        line.append(": ")
        line.append(header.value)
        return line
    }
}
