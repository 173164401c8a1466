import CHSS
import HSSBase

/// The body of a >= 400 answer, read in the official SDKs' fallback order.
/// Each field is read on its own, so one of an unexpected type does not
/// send the whole body down the raw-text path.
package enum ServiceErrorBody {
    /// Service text is shown whole up to this many characters.
    package static let maxMessageCharacters = 1024
    package static let maxCodeCharacters = 128

    /// The error for a >= 400 answer. Everything taken from the body is
    /// decoded into wiped buffers and redacted before it becomes text, is
    /// cut to length or shown.
    package static func describe(
        status: Int, body: SecureBuffer, requestID: String,
        redactor: Redactor, service: String = "HSS"
    ) -> HSSError {
        var error = HSSError(status >= 500 ? HSS_E_HTTP_SERVER : HSS_E_HTTP_CLIENT, "")
        error.httpStatus = status
        let document = try? JSONDocument(body.bytes)
        let fields = document?.rootKind == .object ? document : nil
        func text(_ paths: [String]...) -> String? {
            for path in paths {
                if let value = fields?.string(at: path) { return redactor.redact(value.bytes) }
            }
            return nil
        }
        let code = text(["error_code"], ["errorCode"], ["code"], ["error", "code"]) ?? ""
        error.code = singleLine(String(code.prefix(maxCodeCharacters)))
        // Not a JSON object: the raw body, redacted straight from its wiped buffer.
        let message =
            fields == nil
            ? redactor.redact(body.bytes)
            : text(["error_msg"], ["errorMsg"], ["message"], ["error", "message"]) ?? ""
        // Line breaks stay (APIGW.0301 quotes a multi-line request); other controls go.
        error.serviceMessage = String(
            message.prefix(maxMessageCharacters).map {
                $0.isNewline || $0 == "\t" || !isControl($0) ? $0 : " "
            })
        error.requestID =
            requestID.isEmpty
            ? (fields?.string(at: ["request_id"]).map { RequestID.sanitize($0.bytes, redactor: redactor) } ?? "")
            : requestID
        var summary = "\(service) answered HTTP \(status)"
        if !error.code.isEmpty { summary += " \(error.code)" }
        if !error.serviceMessage.isEmpty { summary += ": " + singleLine(error.serviceMessage) }
        if !error.requestID.isEmpty { summary += " (request id \(error.requestID))" }
        error.message = summary
        return error
    }

    private static func isControl(_ c: Character) -> Bool {
        c.unicodeScalars.contains { $0.value < 0x20 || (0x7F...0x9F).contains($0.value) }
    }

    /// Control characters (newlines included) become spaces, runs of them one.
    private static func singleLine(_ text: String) -> String {
        text.split(whereSeparator: isControl).joined(separator: " ")
    }
}
