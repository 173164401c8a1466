import CHSS
import HSSBase
import HSSSigning
import HSSTransport

/// A configured client, and the one path every call takes:
/// validate → resolve the path → canonical query → sign → transport →
/// classify the status → decode the answer or describe the error.
/// Immutable after init, so one client may serve many threads at once.
package final class HSSClient {
    package let configuration: ClientConfiguration
    private let transport: CurlTransport
    /// Header lines that are the same on every call, built once.
    private let fixedHeaderLines: [SecureBuffer]
    /// The same headers as they are signed, canonicalised once.
    private let fixedHeaders: CanonicalHeaders
    /// Prepared once (the SK's HMAC key schedule); nil with IAM-token auth.
    private let signer: Signer?
    /// The client's own secrets, redacted from every text of every call.
    private let redactor: Redactor

    package init(_ options: ClientOptions) throws {
        configuration = try ClientConfiguration(options)
        transport = try CurlTransport(
            .init(
                connectTimeoutMs: configuration.connectTimeoutMs,
                timeoutMs: configuration.timeoutMs,
                caBundle: configuration.caBundle))
        // The headers the official SDK sends and signs on every call.
        var headers = [
            Header("Content-Type", "application/json"),
            Header("Host", configuration.host),
            Header("User-Agent", configuration.userAgent),
            Header("X-Project-Id", configuration.projectID),
        ]
        var redactor = Redactor()
        switch configuration.credentials {
        case .signed(let accessKey, let secretKey, let token):
            if let token { headers.append(Header(name: "X-Security-Token", value: token)) }
            signer = try Signer(accessKey: accessKey, secretKey: secretKey)
            redactor.add(secretKey)
            redactor.add(token)
        case .token(let token):
            headers.append(Header(name: "X-Auth-Token", value: token))
            signer = nil
            redactor.add(token)
        }
        fixedHeaders = CanonicalHeaders(headers)
        // "Accept:" removes libcurl's default, so only the signed headers go out.
        fixedHeaderLines = headers.map(HSSClient.headerLine) + [SecureBuffer("Accept:")]
        self.redactor = redactor
    }

    /// Runs one operation: its inputs are checked before anything is sent,
    /// and its answer must be a strict JSON object.
    package func perform<O: Operation>(_ operation: O, now: time_t = time(nil)) throws -> O.Output {
        try operation.validate()
        let response = try send(operation.request(), now: now)
        do {
            let answer: JSONDocument
            do {
                answer = try JSONDocument(response.body.bytes)
            } catch .duplicateKey {
                throw HSSError(HSS_E_BAD_RESPONSE, "the service's answer names a field twice")
            } catch {
                throw HSSError(HSS_E_BAD_RESPONSE, "the service's answer is not a JSON object")
            }
            guard answer.rootKind == .object else {
                throw HSSError(HSS_E_BAD_RESPONSE, "the service's answer is not a JSON object")
            }
            return try operation.decode(answer)
        } catch var error as HSSError {
            error.httpStatus = response.status
            error.requestID = response.requestID
            throw error
        }
    }

    /// Sends a request and returns its 2xx answer; any other answer is
    /// thrown as the HSSError that describes it.
    package func send(_ request: Request, now: time_t = time(nil)) throws -> HTTPResponse {
        var redactor = self.redactor
        for parameter in request.query where parameter.isSecret { redactor.add(parameter.value) }

        let path = resolvedPath(request)
        let query = Signer.canonicalQuery(request.query.map { ($0.name, $0.value) })
        var lines = fixedHeaderLines + request.headers.map(HSSClient.headerLine)
        if let signer {
            let date = Signer.sdkDate(now)
            let dateHeader = Header("X-Sdk-Date", date)
            let authorization = SecureBuffer(capacity: 192)
            authorization.append("Authorization: ")
            signer.appendAuthorization(
                to: authorization, method: request.method.rawValue, canonicalURI: Signer.canonicalURI(path: path),
                query: query, headers: fixedHeaders.merging(request.headers + [dateHeader]), date: date)
            lines.append(HSSClient.headerLine(dateHeader))
            lines.append(authorization)
        }

        let url = SecureBuffer(capacity: configuration.baseURL.utf8.count + path.utf8.count + query.count + 2)
        url.append(configuration.baseURL)
        url.append(path)
        if !query.isEmpty {
            url.append(UInt8(ascii: "?"))
            url.append(query)
        }
        guard url.isValid, query.isValid else { throw HSSError(HSS_E_OUT_OF_MEMORY, "could not build the request") }

        let response = try transport.send(request.method, url: url, headerLines: lines, redactor: redactor)
        switch response.status {
        case 200..<300:
            return response
        case 400..<600:
            throw ServiceErrorBody.describe(
                status: response.status, body: response.body,
                requestID: response.requestID, redactor: redactor)
        default:
            var error = HSSError(HSS_E_BAD_RESPONSE, "unexpected HTTP status \(response.status) from the service")
            error.httpStatus = response.status
            error.requestID = response.requestID
            throw error
        }
    }

    /// The path template with "{project_id}" and the request's own
    /// parameters filled in, each encoded as one path segment.
    private func resolvedPath(_ request: Request) -> String {
        var template = request.pathTemplate
        return template.withUTF8 { bytes in
            let out = SecureBuffer(capacity: bytes.count + 64)
            var start = 0
            while let open = bytes[start...].firstIndex(of: UInt8(ascii: "{")),
                let close = bytes[open...].firstIndex(of: UInt8(ascii: "}"))
            {
                out.append(UnsafeBufferPointer(rebasing: bytes[start..<open]))
                let name = String(decoding: bytes[(open + 1)..<close], as: UTF8.self)
                PercentEncoding.append(
                    request.pathParameters[name] ?? (name == "project_id" ? configuration.projectID : ""), to: out)
                start = close + 1
            }
            out.append(UnsafeBufferPointer(rebasing: bytes[start...]))
            return out.string()
        }
    }

    private static func headerLine(_ header: Header) -> SecureBuffer {
        let line = SecureBuffer(capacity: header.name.utf8.count + header.value.count + 3)
        line.append(header.name)
        line.append(": ")
        line.append(header.value)
        return line
    }
}

extension JSONDocument {
    /// A top-level string field an answer must have, in wiped memory;
    /// refused when absent, not a string, or holding a NUL (C strings would
    /// end there).
    package func requiredText(_ name: String) throws -> SecureBuffer {
        guard let value = string(at: [name]) else {
            throw HSSError(HSS_E_BAD_RESPONSE, "the service's answer lacks \(name)")
        }
        guard value.isValid else { throw HSSError(HSS_E_OUT_OF_MEMORY, "could not store \(name)") }
        guard !value.bytes.contains(0) else {
            throw HSSError(HSS_E_BAD_RESPONSE, "the service's answer has a NUL character in \(name)")
        }
        return value
    }
}
