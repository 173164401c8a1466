import CHSS

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

/// The answer of ShowImageUploadCommand. It may embed the password, so its
/// strings stay in the wiped buffers the JSON reader decoded them into.
struct ImageUploadCommand {
    let imageCommand: SecureBuffer
    let imagesDownloadURL: SecureBuffer
    let swrImagePullCommand: SecureBuffer

    /// Decodes a 2xx body. Errors name the missing field; they never quote
    /// the body, which may hold the password.
    static func decode(_ body: SecureBuffer) throws -> ImageUploadCommand {
        let document: JSONDocument
        do {
            document = try JSONDocument(body.bytes)
        } catch .duplicateKey {
            throw HSSError(HSS_E_BAD_RESPONSE, "the service's answer names a field twice")
        } catch {
            throw HSSError(HSS_E_BAD_RESPONSE, "the service's answer is not a JSON object")
        }
        guard document.rootKind == .object else {
            throw HSSError(HSS_E_BAD_RESPONSE, "the service's answer is not a JSON object")
        }
        func field(_ name: String) throws -> SecureBuffer {
            guard let value = document.string(at: [name]) else {
                throw HSSError(HSS_E_BAD_RESPONSE, "the service's answer lacks \(name)")
            }
            guard value.isValid else { throw HSSError(HSS_E_OUT_OF_MEMORY, "could not store \(name)") }
            // C strings end at the first NUL: a value holding one would be cut short.
            guard !value.bytes.contains(0) else {
                throw HSSError(HSS_E_BAD_RESPONSE, "the service's answer has a NUL character in \(name)")
            }
            return value
        }
        return ImageUploadCommand(imageCommand: try field("image_command"),
                                  imagesDownloadURL: try field("images_download_url"),
                                  swrImagePullCommand: try field("swr_image_pull_command"))
    }
}

/// The body of a >= 400 answer, read in the official SDKs' fallback order.
/// Each field is read on its own, so one of an unexpected type does not
/// send the whole body down the raw-text path.
enum ServiceErrorBody {
    /// Service text is shown whole up to this many characters.
    static let maxMessageCharacters = 1024

    /// The error for a >= 400 answer. Everything taken from the body is
    /// decoded into wiped buffers and redacted before it becomes text, is
    /// cut to length or shown.
    static func describe(status: Int, body: SecureBuffer, requestID: String, redactor: Redactor) -> HSSError {
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
        error.code = singleLine(String((text(["error_code"], ["errorCode"], ["code"], ["error", "code"]) ?? "")
            .prefix(128)))
        // Not a JSON object: the raw body, redacted straight from its wiped buffer.
        let message = fields == nil
            ? redactor.redact(body.bytes)
            : text(["error_msg"], ["errorMsg"], ["message"], ["error", "message"]) ?? ""
        // Line breaks stay (APIGW.0301 quotes a multi-line request); other controls go.
        error.serviceMessage = String(message.prefix(maxMessageCharacters).map {
            $0.isNewline || $0 == "\t" || !isControl($0) ? $0 : " "
        })
        error.requestID = requestID.isEmpty
            ? (fields?.string(at: ["request_id"]).map { RequestID.sanitize($0.bytes, redactor: redactor) } ?? "")
            : requestID
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
