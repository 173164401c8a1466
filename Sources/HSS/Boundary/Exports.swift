// The C boundary. Each function only marshals between the C types of
// include/hss.h and HSSCore, and turns every failure into a status: no
// trap (`!`, `try!`, fatalError, unchecked index) is reachable from here.
import CHSS

// MARK: - Objects behind the opaque handles

/// hss_error: an HSSError with its strings copied to C once.
final class ErrorBox {
    let status: hss_status
    let httpStatus: Int32
    let message: CStringCopy
    let code: CStringCopy
    let serviceMessage: CStringCopy
    let requestID: CStringCopy

    init(_ error: HSSError) {
        status = error.status
        httpStatus = Int32(clamping: error.httpStatus)
        message = CStringCopy(error.message)
        code = CStringCopy(error.code)
        serviceMessage = CStringCopy(error.serviceMessage)
        requestID = CStringCopy(error.requestID)
    }
}

/// hss_image_upload_command: the decoded answer itself, whose wiped,
/// NUL-terminated buffers the accessors hand out; released (and wiped)
/// with the box, since the command may carry the password.
final class ResultBox {
    let result: ImageUploadCommand

    init(_ result: ImageUploadCommand) { self.result = result }
}

/// A NUL-terminated copy owned by a box, wiped and freed with it.
final class CStringCopy {
    let pointer: UnsafeMutablePointer<CChar>?

    init(_ text: String) {
        pointer = text.withCString { strdup($0) }
    }

    deinit { wipeAndFree(pointer) }
}

private let emptyCString = UnsafeRawPointer(StaticString("").utf8Start).assumingMemoryBound(to: CChar.self)

private func cText(_ text: StaticString) -> UnsafePointer<CChar> {
    UnsafeRawPointer(text.utf8Start).assumingMemoryBound(to: CChar.self)
}

/// Reports `error` through the optional out-parameter and returns its status.
private func fail(_ error: HSSError, _ err: UnsafeMutablePointer<OpaquePointer?>?) -> hss_status {
    if let err {
        err.pointee = OpaquePointer(Unmanaged.passRetained(ErrorBox(error)).toOpaque())
    }
    return error.status
}

private func fail(_ error: Error, _ err: UnsafeMutablePointer<OpaquePointer?>?) -> hss_status {
    fail(error as? HSSError ?? HSSError(HSS_E_INTERNAL, "unexpected error"), err)
}

private func errorBox(_ pointer: OpaquePointer?) -> ErrorBox? {
    pointer.map { Unmanaged<ErrorBox>.fromOpaque(UnsafeRawPointer($0)).takeUnretainedValue() }
}

private func resultBox(_ pointer: OpaquePointer?) -> ResultBox? {
    pointer.map { Unmanaged<ResultBox>.fromOpaque(UnsafeRawPointer($0)).takeUnretainedValue() }
}

// MARK: - Reading C inputs

/// A non-secret C string as Swift text; invalid UTF-8 is an error naming the field.
private func text(_ pointer: UnsafePointer<CChar>?, _ field: String) throws -> String? {
    guard let pointer else { return nil }
    guard let value = String(validatingCString: pointer) else {
        throw HSSError.invalid("\(field) is not valid UTF-8")
    }
    return value
}

private func secret(_ pointer: UnsafePointer<CChar>?) -> SecureBuffer? {
    pointer.map { SecureBuffer(cString: $0) }
}

private func options(from c: UnsafePointer<hss_client_options>?) throws -> ClientOptions {
    var result = ClientOptions()
    guard let c else { return result }
    guard c.pointee.version == HSS_CLIENT_OPTIONS_VERSION else {
        throw HSSError.invalid("options.version must be HSS_CLIENT_OPTIONS_VERSION (initialise with HSS_CLIENT_OPTIONS_INIT)")
    }
    let o = c.pointee
    result.region = try text(o.region, "region")
    result.endpoint = try text(o.endpoint, "endpoint")
    result.projectID = try text(o.project_id, "project_id")
    result.accessKey = secret(o.ak)
    result.secretKey = secret(o.sk)
    result.securityToken = secret(o.security_token)
    result.authToken = secret(o.auth_token)
    result.connectTimeoutMs = o.connect_timeout_ms
    result.timeoutMs = o.timeout_ms
    result.caFile = try text(o.ca_file, "ca_file")
    result.userAgentSuffix = try text(o.user_agent_suffix, "user_agent_suffix")
    return result
}

private func newClient(_ options: ClientOptions, _ out: UnsafeMutablePointer<OpaquePointer?>?,
                       _ err: UnsafeMutablePointer<OpaquePointer?>?) -> hss_status {
    guard let out else { return fail(HSSError.invalid("out must not be NULL"), err) }
    do {
        let client = try HSSClient(options)
        out.pointee = OpaquePointer(Unmanaged.passRetained(client).toOpaque())
        return HSS_OK
    } catch {
        return fail(error, err)
    }
}

// MARK: - Status

@_cdecl("hss_status_str")
public func hss_status_str(_ status: hss_status) -> UnsafePointer<CChar> {
    cText(hss_status_text(status))
}

// MARK: - Client

@_cdecl("hss_client_new")
public func hss_client_new(_ options: UnsafePointer<hss_client_options>?,
                           _ out: UnsafeMutablePointer<OpaquePointer?>?,
                           _ err: UnsafeMutablePointer<OpaquePointer?>?) -> hss_status {
    guard let options else { return fail(HSSError.invalid("options must not be NULL"), err) }
    do {
        return newClient(try HSS.options(from: options), out, err)
    } catch {
        return fail(error, err)
    }
}

@_cdecl("hss_client_new_from_env")
public func hss_client_new_from_env(_ overrides: UnsafePointer<hss_client_options>?,
                                    _ out: UnsafeMutablePointer<OpaquePointer?>?,
                                    _ err: UnsafeMutablePointer<OpaquePointer?>?) -> hss_status {
    do {
        var merged = ClientOptions.fromEnvironment()
        merged.apply(try HSS.options(from: overrides))
        return newClient(merged, out, err)
    } catch {
        return fail(error, err)
    }
}

@_cdecl("hss_client_free")
public func hss_client_free(_ client: OpaquePointer?) {
    guard let client else { return }
    Unmanaged<HSSClient>.fromOpaque(UnsafeRawPointer(client)).release()
}

// MARK: - ShowImageUploadCommand

@_cdecl("hss_image_upload_command_get")
public func hss_image_upload_command_get(_ client: OpaquePointer?,
                                         _ request: UnsafePointer<hss_image_upload_command_request>?,
                                         _ out: UnsafeMutablePointer<OpaquePointer?>?,
                                         _ err: UnsafeMutablePointer<OpaquePointer?>?) -> hss_status {
    guard let client else { return fail(HSSError.invalid("client must not be NULL"), err) }
    guard let request else { return fail(HSSError.invalid("request must not be NULL"), err) }
    guard let out else { return fail(HSSError.invalid("out must not be NULL"), err) }
    let r = request.pointee
    guard r.version == HSS_IMAGE_UPLOAD_COMMAND_REQUEST_VERSION else {
        return fail(HSSError.invalid(
            "request.version must be HSS_IMAGE_UPLOAD_COMMAND_REQUEST_VERSION (initialise with HSS_IMAGE_UPLOAD_COMMAND_REQUEST_INIT)"), err)
    }
    let swiftClient = Unmanaged<HSSClient>.fromOpaque(UnsafeRawPointer(client)).takeUnretainedValue()
    let input = ImageUploadCommandRequest(
        registryAddr: secret(r.registry_addr), namespace: secret(r.namespace_name),
        username: secret(r.username), password: secret(r.password),
        enterpriseProjectID: secret(r.enterprise_project_id))
    do {
        let box = ResultBox(try swiftClient.imageUploadCommand(input))
        out.pointee = OpaquePointer(Unmanaged.passRetained(box).toOpaque())
        return HSS_OK
    } catch {
        return fail(error, err)
    }
}

@_cdecl("hss_image_upload_command_image_command")
public func hss_image_upload_command_image_command(_ result: OpaquePointer?) -> UnsafePointer<CChar>? {
    resultBox(result)?.result.imageCommand.cString ?? emptyCString
}

@_cdecl("hss_image_upload_command_images_download_url")
public func hss_image_upload_command_images_download_url(_ result: OpaquePointer?) -> UnsafePointer<CChar>? {
    resultBox(result)?.result.imagesDownloadURL.cString ?? emptyCString
}

@_cdecl("hss_image_upload_command_swr_image_pull_command")
public func hss_image_upload_command_swr_image_pull_command(_ result: OpaquePointer?) -> UnsafePointer<CChar>? {
    resultBox(result)?.result.swrImagePullCommand.cString ?? emptyCString
}

@_cdecl("hss_image_upload_command_free")
public func hss_image_upload_command_free(_ result: OpaquePointer?) {
    guard let result else { return }
    Unmanaged<ResultBox>.fromOpaque(UnsafeRawPointer(result)).release()
}

// MARK: - Errors

@_cdecl("hss_error_status")
public func hss_error_status(_ err: OpaquePointer?) -> hss_status {
    errorBox(err)?.status ?? HSS_OK
}

@_cdecl("hss_error_message")
public func hss_error_message(_ err: OpaquePointer?) -> UnsafePointer<CChar>? {
    errorBox(err)?.message.pointer.map { UnsafePointer($0) } ?? emptyCString
}

@_cdecl("hss_error_http_status")
public func hss_error_http_status(_ err: OpaquePointer?) -> Int32 {
    errorBox(err)?.httpStatus ?? 0
}

@_cdecl("hss_error_code")
public func hss_error_code(_ err: OpaquePointer?) -> UnsafePointer<CChar>? {
    errorBox(err)?.code.pointer.map { UnsafePointer($0) } ?? emptyCString
}

@_cdecl("hss_error_msg")
public func hss_error_msg(_ err: OpaquePointer?) -> UnsafePointer<CChar>? {
    errorBox(err)?.serviceMessage.pointer.map { UnsafePointer($0) } ?? emptyCString
}

@_cdecl("hss_error_request_id")
public func hss_error_request_id(_ err: OpaquePointer?) -> UnsafePointer<CChar>? {
    errorBox(err)?.requestID.pointer.map { UnsafePointer($0) } ?? emptyCString
}

@_cdecl("hss_error_free")
public func hss_error_free(_ err: OpaquePointer?) {
    guard let err else { return }
    Unmanaged<ErrorBox>.fromOpaque(UnsafeRawPointer(err)).release()
}
