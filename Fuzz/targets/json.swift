import HSSBase
import HSSIdentity
import HSSOperations
import HSSPipeline
import HSSTransport

// The strict JSON reader and everything that reads an answer with it: the
// HSS answer (ShowImageUploadCommand.decode), error bodies
// (ServiceErrorBody.describe), IAM's /v3/projects (projects[*].id) and the
// temporary credentials of metadata, STS, IAM and pod identity
// (TemporaryCredentials.parse). Properties: no crash; decoded strings are
// valid UTF-8 and no longer than their source; what the strict reader accepts
// the lenient ones (duplicate keys, more depth) accept too; JSONFields gives
// the strict JSONDocument's verdict and, byte for byte, its top-level strings;
// an error's summary is one line; any valid UTF-8 text written by JSONWriter
// reads back the same.

/// Every member path an answer is read at (the emulator: _hss_testing/hss_api.py, identity_routes.py).
private let paths: [[String]] = [
    [], ["image_command"], ["images_download_url"], ["swr_image_pull_command"], ["emulator_echo", "password"],
    ["error_code"], ["errorCode"], ["code"], ["error", "code"], ["error_msg"], ["errorMsg"], ["message"],
    ["error", "message"], ["request_id"], ["projects"], ["links", "self"], ["token", "expires_at"],
    ["credential", "access"], ["credential", "secret"], ["credential", "securitytoken"], ["credential", "expires_at"],
    ["credentials", "accessKeyId"], ["credentials", "secretAccessKey"], ["credentials", "securityToken"],
    ["credentials", "expiration"], ["access_key_id"], ["secret_access_key"], ["security_token"], ["expiration"],
]

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzJSON(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let input = FuzzInput(data, size).data
    let accepted = input.withUnsafeBufferPointer { bytes in
        var strict: JSONDocument?
        var strictError: JSONError?
        do throws(JSONError) { strict = try JSONDocument(bytes) } catch { strictError = error }
        var lenient: JSONDocument?
        do throws(JSONError) { lenient = try JSONDocument(bytes, allowDuplicateKeys: true) } catch {
            require(strictError != nil, "refused with duplicate keys allowed (\(error)), accepted without")
        }
        if strict != nil { require(lenient?.rootKind == strict?.rootKind, "the lenient reader disagrees") }
        if (try? JSONDocument(bytes, maxDepth: 2)) != nil { require(strict != nil, "accepted at depth 2, not at 64") }
        for document in [strict, lenient].compactMap({ $0 }) { read(document, size: bytes.count) }
        compareFields(bytes, strict, strictError)
        readAnswer(bytes, strict)
        return strict?.rootKind == .object
    }

    // The readers of whole answers (the raw-text path of error bodies is the redactor target's).
    let body = input.secure
    if accepted, let credentials = try? TemporaryCredentials.parse(body, source: .metadata) {
        require(credentials.expiresAt != nil && credentials.accessKey != nil, "temporary credentials without expiry")
    }
    if accepted {
        let error = ServiceErrorBody.describe(
            HTTPResponse(status: 400, body: body, requestID: ""), redactor: Redactor())
        require(!error.message.unicodeScalars.contains { $0.value < 0x20 }, "the error summary is not one line")
        require(error.code.count <= ServiceErrorBody.maxCodeCharacters, "the error code is too long")
        require(error.requestID.utf8.allSatisfy { $0 > 0x20 && $0 < 0x7F }, "the request id is not a token")
    }

    // JSONWriter then the reader: the same bytes back.
    if isValidUTF8(input) {
        let single = SecureBuffer(capacity: input.count + 16)
        single.append("{\"k\":")
        input.withUnsafeBufferPointer { JSONWriter.appendString($0, to: single) }
        single.append("}")
        withExtendedLifetime(single) {
            let back = (try? JSONDocument(single.bytes))?.string(at: ["k"]).map { $0.array }
            require(back == input, "JSONWriter then JSONDocument gives \(show(back ?? [])) for \(show(input))")
        }
    }
    return 0
}

/// ShowImageUploadCommand's reading of a 2xx answer: only strict JSON
/// objects pass, and each field it gives is the document's, valid UTF-8.
private func readAnswer(_ bytes: UnsafeBufferPointer<UInt8>, _ strict: JSONDocument?) {
    let operation = ShowImageUploadCommand(
        registryAddr: nil as Bytes?, namespace: nil, username: nil, password: nil, enterpriseProjectID: nil)
    guard let answer = try? operation.decode(bytes) else { return }
    require(strict?.rootKind == .object, "an answer JSONDocument refuses was decoded")
    for (k, name) in ImageUploadCommand.names.enumerated() {
        let field = answer.fields[k]
        require(isValidUTF8(field), "an answer field is not UTF-8")
        require(strict?.string(at: [name.description])?.array == Array(field), "\(name) is not the document's")
    }
}

/// The top-level names JSONFields is asked for: the answer's, and the error body's.
private let fieldNames: [StaticString] = [
    "image_command", "images_download_url", "swr_image_pull_command", "error_code", "error_msg", "",
]

/// JSONFields against the strict document: the same verdict; each value the
/// document's string, followed by a NUL, and nothing else in the buffer,
/// which holds them all without growing.
private func compareFields(_ bytes: UnsafeBufferPointer<UInt8>, _ strict: JSONDocument?, _ strictError: JSONError?) {
    let out = SecureBuffer(capacity: bytes.count)
    let storage = out.bytes.baseAddress
    let fields: JSONFields
    do throws(JSONError) {
        fields = try JSONFields.read(bytes, names: fieldNames, into: out)
    } catch {
        return require(
            error == strictError,
            "JSONFields refused with \(error), JSONDocument with \(String(describing: strictError))")
    }
    guard let strict else { return require(false, "JSONFields accepted, JSONDocument refused with \(strictError!)") }
    require(fields.isObject == (strict.rootKind == .object), "JSONFields and JSONDocument see different roots")
    require(out.isValid && out.bytes.baseAddress == storage, "JSONFields grew a buffer as long as the text")
    var written = 0
    for (k, name) in fieldNames.enumerated() {
        let expected = strict.string(at: [name.description]).map { Array($0.bytes) }
        let value = fields[k].map { Array(out.bytes[$0]) }
        require(
            value == expected,
            "JSONFields read \(name) as \(show(value ?? [])), JSONDocument as \(show(expected ?? []))")
        guard let range = fields[k] else { continue }
        require(out.bytes[range.upperBound] == 0, "no NUL after \(name)")
        require(fields.holdsNUL(k) == value!.contains(0), "JSONFields misreports a NUL in \(name)")
        written += range.count + 1
    }
    require(out.count == written, "JSONFields wrote more than the values")
}

/// Every lookup the library makes, on a document it accepted.
private func read(_ document: JSONDocument, size: Int) {
    for path in paths {
        _ = document.kind(at: path)
        if let value = document.string(at: path) {
            require(value.isValid && value.count <= size, "a decoded string is longer than the text")
            require(isValidUTF8(value.bytes), "a decoded string is not UTF-8: \(show(value.array))")
        }
    }
    for (array, key) in [(["projects"], "id"), ([], "id"), (["projects"], "name")] {
        for value in document.strings(inEachOf: array, key: key) ?? [] {
            require(isValidUTF8(value.bytes), "a decoded string is not UTF-8")
        }
    }
}
