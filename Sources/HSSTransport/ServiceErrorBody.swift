import CHSSAPI
import HSSBase

/// The body of a >= 400 answer, read in the official SDKs' fallback order.
/// Each field is read on its own, so one of an unexpected type does not
/// send the whole body down the raw-text path.
package enum ServiceErrorBody {
    /// Service text is shown whole up to this many characters.
    package static let maxMessageCharacters = 1024
    package static let maxCodeCharacters = 128

    /// The error for a >= 400 answer from `service`. Everything taken from
    /// the body is decoded into wiped buffers and redacted before it becomes
    /// text, is cut to length or shown; the loop's note (why no further
    /// attempt was made) ends the message.
    package static func describe(_ response: HTTPResponse, redactor: Redactor, service: String = "HSS") -> HSSError {
        let status = response.status
        var error = HSSError(status >= 500 ? HSS_E_HTTP_SERVER : HSS_E_HTTP_CLIENT, "")
        error.httpStatus = status
        error.attempts = response.attempts
        error.retryAfterMs = response.retryAfterMs
        error.serverDate = response.serverDate
        let document = try? JSONDocument(response.body.bytes)
        let fields = document?.rootKind == .object ? document : nil
        func text(_ paths: [[String]]) -> String? {
            for path in paths {
                if let value = fields?.string(at: path) { return redactor.redact(value.bytes) }
            }
            return nil
        }
        error.code = SingleLine.of(String((text(codePaths) ?? "").prefix(maxCodeCharacters)))
        // Not a JSON object: the raw body, redacted straight from its wiped buffer.
        let message =
            fields == nil
            ? redactor.redact(response.body.bytes)
            : text([["error_msg"], ["errorMsg"], ["message"], ["error", "message"]]) ?? ""
        // Line breaks stay (APIGW.0301 quotes a multi-line request); other controls go.
        error.serviceMessage = SingleLine.keepingLineFeeds(String(message.prefix(maxMessageCharacters)))
        error.requestID =
            response.requestID.isEmpty
            ? (fields?.string(at: ["request_id"]).map { RequestID.sanitize($0.bytes, redactor: redactor) } ?? "")
            : response.requestID
        var summary = "\(service) answered HTTP \(status)"
        if !error.code.isEmpty { summary += " \(error.code)" }
        if !error.serviceMessage.isEmpty { summary += ": " + SingleLine.of(error.serviceMessage) }
        if !error.requestID.isEmpty { summary += " (request id \(error.requestID))" }
        if let note = response.note { summary += " (\(note))" }
        error.message = summary
        return error
    }

    /// The error code of an answer's body, if it has one (the retry loop's
    /// test for APIGW.0303). Not shown to anyone.
    package static func code(of body: SecureBuffer) -> String? {
        guard let document = try? JSONDocument(body.bytes), document.rootKind == .object else { return nil }
        for path in codePaths {
            if let value = document.string(at: path) { return value.string() }
        }
        return nil
    }

    private static let codePaths = [["error_code"], ["errorCode"], ["code"], ["error", "code"]]
}
