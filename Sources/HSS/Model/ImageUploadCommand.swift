import CHSS
import FoundationEssentials

/// Inputs of ShowImageUploadCommand, as bytes that can be wiped.
struct ImageUploadCommandRequest {
    var registryAddr: SecureBuffer?
    var namespace: SecureBuffer?
    var username: SecureBuffer?
    var password: SecureBuffer?
    var enterpriseProjectID: SecureBuffer?

    init(registryAddr: SecureBuffer?, namespace: SecureBuffer?, username: SecureBuffer?,
                password: SecureBuffer?, enterpriseProjectID: SecureBuffer? = nil) {
        self.registryAddr = registryAddr
        self.namespace = namespace
        self.username = username
        self.password = password
        self.enterpriseProjectID = enterpriseProjectID
    }

    /// The API reference's limits, checked before anything is sent.
    func validate() throws {
        try Validation.checkText(registryAddr, field: "registry_addr", maxCharacters: 256)
        try Validation.checkText(namespace, field: "namespace", maxCharacters: 128)
        try Validation.checkText(username, field: "username", maxCharacters: 128)
        try Validation.checkText(password, field: "password", maxCharacters: 128)
        if enterpriseProjectID != nil {
            try Validation.checkText(enterpriseProjectID, field: "enterprise_project_id", maxCharacters: 256)
        }
    }

    /// The query as signed and sent.
    func canonicalQuery() -> SecureBuffer {
        let parameters: [(name: String, value: SecureBuffer?)] = [
            ("registry_addr", registryAddr), ("namespace", namespace), ("username", username),
            ("password", password), ("enterprise_project_id", enterpriseProjectID),
        ]
        return Signer.canonicalQuery(parameters.compactMap { name, value in value.map { (name, $0) } })
    }
}

/// The answer of ShowImageUploadCommand. It may embed the password.
struct ImageUploadCommand: Decodable {
    let imageCommand: String
    let imagesDownloadURL: String
    let swrImagePullCommand: String

    enum CodingKeys: String, CodingKey {
        case imageCommand = "image_command"
        case imagesDownloadURL = "images_download_url"
        case swrImagePullCommand = "swr_image_pull_command"
    }

    init(imageCommand: String, imagesDownloadURL: String, swrImagePullCommand: String) {
        self.imageCommand = imageCommand
        self.imagesDownloadURL = imagesDownloadURL
        self.swrImagePullCommand = swrImagePullCommand
    }

    /// Decodes a 2xx body. Errors name the missing field; they never quote
    /// the body, which may hold the password.
    static func decode(_ body: SecureBuffer) throws -> ImageUploadCommand {
        let wire: Wire
        do {
            wire = try decoder.decode(Wire.self, from: body.data())
        } catch {
            throw HSSError(HSS_E_BAD_RESPONSE, "the service's answer is not a JSON object")
        }
        func field(_ value: String?, _ name: String) throws -> String {
            guard let value else { throw HSSError(HSS_E_BAD_RESPONSE, "the service's answer lacks \(name)") }
            // C strings end at the first NUL: a value holding one would be cut short.
            guard value.withCString({ strlen($0) }) == value.utf8.count else {
                throw HSSError(HSS_E_BAD_RESPONSE, "the service's answer has a NUL character in \(name)")
            }
            return value
        }
        return ImageUploadCommand(
            imageCommand: try field(wire.image_command, "image_command"),
            imagesDownloadURL: try field(wire.images_download_url, "images_download_url"),
            swrImagePullCommand: try field(wire.swr_image_pull_command, "swr_image_pull_command"))
    }

    /// One decoder for all calls: decoding does not change it, and it is thread-safe.
    fileprivate static let decoder = JSONDecoder()

    private struct Wire: Decodable {
        let image_command: String?
        let images_download_url: String?
        let swr_image_pull_command: String?
    }
}

/// The body of a >= 400 answer, read in the official SDKs' fallback order.
/// Each field is read on its own, so one of an unexpected type does not
/// send the whole body down the raw-text path.
struct ServiceErrorBody: Decodable {
    /// Service text is shown whole up to this many characters.
    static let maxMessageCharacters = 1024

    let code: String?
    let message: String?
    let requestID: String?

    private enum Keys: String, CodingKey {
        case error_code, error_msg, errorCode, errorMsg, code, message, request_id
    }

    init(from decoder: Decoder) throws {
        let fields = try decoder.container(keyedBy: Keys.self)
        func text(_ key: Keys) -> String? { (try? fields.decodeIfPresent(String.self, forKey: key)) ?? nil }
        code = text(.error_code) ?? text(.errorCode) ?? text(.code)
        message = text(.error_msg) ?? text(.errorMsg) ?? text(.message)
        requestID = text(.request_id)
    }

    /// The error for a >= 400 answer. Everything taken from the body is
    /// redacted before it is cut to length or shown.
    static func describe(status: Int, body: SecureBuffer, requestID: String, redactor: Redactor) -> HSSError {
        let parsed = try? ImageUploadCommand.decoder.decode(ServiceErrorBody.self, from: body.data())
        var error = HSSError(status >= 500 ? HSS_E_HTTP_SERVER : HSS_E_HTTP_CLIENT, "")
        error.httpStatus = status
        error.code = singleLine(String(redactor.redact(parsed?.code ?? "").prefix(128)))
        // Not a JSON object: the raw body, redacted straight from its wiped buffer.
        let text = parsed.map { redactor.redact($0.message ?? "") } ?? redactor.redact(body.bytes)
        // Line breaks stay (APIGW.0301 quotes a multi-line request); other controls go.
        error.serviceMessage = String(text.prefix(maxMessageCharacters).map {
            $0.isNewline || $0 == "\t" || !isControl($0) ? $0 : " "
        })
        error.requestID = requestID.isEmpty ? RequestID.sanitize(parsed?.requestID ?? "", redactor: redactor) : requestID
        var summary = "HSS answered HTTP \(status)"
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

extension SecureBuffer {
    /// A Data view of the bytes without a copy; valid while the buffer lives
    /// and is not changed.
    func data() -> Data {
        guard let base = bytes.baseAddress, count > 0 else { return Data() }
        return Data(bytesNoCopy: UnsafeMutableRawPointer(mutating: base), count: count, deallocator: .none)
    }
}
