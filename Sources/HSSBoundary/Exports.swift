// The C boundary: every function of include/hss.h, implemented here with
// `@c @implementation`, so the compiler checks each signature against the
// header's declaration. Each function only marshals between C types and the
// layers below and turns every failure into a status: no trap (`!`, `try!`,
// fatalError, unchecked index) is reachable from here.
import CHSSAPI
import HSSBase
import HSSOperations
import HSSPipeline
import Synchronization

// MARK: - Objects behind the opaque handles

/// hss_error: an HSSError with its strings copied to C once, each held to
/// the one single-line rule whatever its source (a path from the
/// environment, a service's text): hss_error_message and hss_error_code are
/// one printable line; the service message keeps its line feeds.
final class ErrorBox {
    let status: hss_status
    let httpStatus: Int32
    let message: CStringCopy
    let code: CStringCopy
    let serviceMessage: CStringCopy
    let requestID: CStringCopy
    let attempts: Int32

    init(_ error: HSSError) {
        attempts = Int32(clamping: error.attempts)
        status = error.status
        httpStatus = Int32(clamping: error.httpStatus)
        message = CStringCopy(SingleLine.of(error.message))
        code = CStringCopy(SingleLine.of(error.code))
        serviceMessage = CStringCopy(SingleLine.keepingLineFeeds(error.serviceMessage))
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

/// A NUL-terminated copy of a (non-secret) text owned by an error box.
final class CStringCopy {
    let pointer: UnsafeMutablePointer<CChar>?

    init(_ text: String) {
        pointer = text.withCString { strdup($0) }
    }

    deinit { free(pointer) }
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

/// GError's rule: an error out-parameter must hold NULL on entry. A caller
/// that passes a used one has a bug; refusing it is better than leaking or
/// overwriting that error.
private func errorSlotIsUsed(_ err: UnsafeMutablePointer<OpaquePointer?>?) -> Bool {
    err?.pointee != nil
}

private func errorBox(_ pointer: OpaquePointer?) -> ErrorBox? {
    pointer.map { Unmanaged<ErrorBox>.fromOpaque(UnsafeRawPointer($0)).takeUnretainedValue() }
}

private func resultBox(_ pointer: OpaquePointer?) -> ResultBox? {
    pointer.map { Unmanaged<ResultBox>.fromOpaque(UnsafeRawPointer($0)).takeUnretainedValue() }
}

// MARK: - Versioned structs

/// The size of each version of a public struct, oldest first. A new version
/// appends its size here (the offset where its first new field ends).
enum StructVersions {
    static let clientOptions = [
        MemoryLayout<hss_client_options>.offset(of: \hss_client_options.iam_endpoint) ?? 0,
        MemoryLayout<hss_client_options>.size,
    ]
    static let imageUploadCommandRequest = [MemoryLayout<hss_image_upload_command_request>.size]

    /// The caller's struct, of any version we know, copied into a zeroed
    /// current one: fields of later versions keep their defaults.
    static func read<T>(_ pointer: UnsafePointer<T>, into zeroed: T, sizes: [Int], name: String) throws -> T {
        // Every versioned struct starts with `unsigned int version`.
        let version = Int(UnsafeRawPointer(pointer).load(as: UInt32.self))
        guard (1...sizes.count).contains(version) else {
            throw HSSError.invalid(
                "\(name).version must be 1 to \(sizes.count), not \(version) "
                    + "(fill the struct with its _init function or _INIT macro)")
        }
        var local = zeroed
        withUnsafeMutableBytes(of: &local) { destination in
            destination.copyMemory(from: UnsafeRawBufferPointer(start: pointer, count: sizes[version - 1]))
        }
        return local
    }

    /// Zeroes the fields that `version` has and sets the version.
    static func initialize<T>(_ pointer: UnsafeMutablePointer<T>?, version: UInt32, sizes: [Int]) -> hss_status {
        guard let pointer, (1...sizes.count).contains(Int(version)) else { return HSS_E_INVALID_ARGUMENT }
        UnsafeMutableRawPointer(pointer).initializeMemory(as: UInt8.self, repeating: 0, count: sizes[Int(version) - 1])
        UnsafeMutableRawPointer(pointer).storeBytes(of: version, as: UInt32.self)
        return HSS_OK
    }
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
    let o = try StructVersions.read(
        c, into: hss_client_options(), sizes: StructVersions.clientOptions,
        name: "options")
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
    result.iamEndpoint = try text(o.iam_endpoint, "iam_endpoint")
    result.proxy = try text(o.proxy, "proxy")
    result.proxyUsername = try text(o.proxy_username, "proxy_username")
    result.proxyPassword = secret(o.proxy_password)
    result.noProxy = try text(o.no_proxy, "no_proxy")
    result.allowCleartextProxy = o.allow_cleartext_proxy != 0
    result.trace = Trace(function: o.trace, user: o.trace_user, level: o.trace_level)
    result.maxAttempts = Int(o.max_attempts)
    result.retryBaseMs = o.retry_base_ms
    result.retryCapMs = o.retry_cap_ms
    result.signingAlgorithm = Int(o.signing_algorithm)
    result.derivedKeyService = try text(o.derived_key_service, "derived_key_service")
    return result
}

private func newClient(
    _ options: ClientOptions, _ out: UnsafeMutablePointer<OpaquePointer?>?,
    _ err: UnsafeMutablePointer<OpaquePointer?>?
) -> hss_status {
    guard let out else { return fail(HSSError.invalid("out must not be NULL"), err) }
    do {
        let box = ClientBox(try HSSClient(options))
        out.pointee = OpaquePointer(Unmanaged.passRetained(box).toOpaque())
        return HSS_OK
    } catch {
        return fail(error, err)
    }
}

// MARK: - Version and status

/// The version string, made once and never freed.
private let versionString: UnsafeMutablePointer<CChar>? = strdup(HSS_VERSION_STRING)

@c @implementation
public func hss_version_number() -> UInt32 {
    UInt32(HSS_VERSION_MAJOR << 16 | HSS_VERSION_MINOR << 8 | HSS_VERSION_PATCH)
}

@c @implementation
public func hss_version_string() -> UnsafePointer<CChar>! {
    UnsafePointer(versionString) ?? emptyCString
}

@c @implementation
public func hss_status_str(_ status: hss_status) -> UnsafePointer<CChar>! {
    cText(hss_status_text(status))
}

// MARK: - Client

@c @implementation
public func hss_client_options_init(
    _ options: UnsafeMutablePointer<hss_client_options>!,
    _ version: UInt32
) -> hss_status {
    StructVersions.initialize(options, version: version, sizes: StructVersions.clientOptions)
}

@c @implementation
public func hss_client_new(
    _ options: UnsafePointer<hss_client_options>!,
    _ out: UnsafeMutablePointer<OpaquePointer?>!,
    _ err: UnsafeMutablePointer<OpaquePointer?>!
) -> hss_status {
    guard !errorSlotIsUsed(err) else { return HSS_E_INVALID_ARGUMENT }
    guard let options else { return fail(HSSError.invalid("options must not be NULL"), err) }
    do {
        return newClient(try HSSBoundary.options(from: options), out, err)
    } catch {
        return fail(error, err)
    }
}

@c @implementation
public func hss_client_new_from_env(
    _ overrides: UnsafePointer<hss_client_options>!,
    _ out: UnsafeMutablePointer<OpaquePointer?>!,
    _ err: UnsafeMutablePointer<OpaquePointer?>!
) -> hss_status {
    guard !errorSlotIsUsed(err) else { return HSS_E_INVALID_ARGUMENT }
    do {
        var merged = ClientOptions.fromEnvironment()
        merged.apply(try HSSBoundary.options(from: overrides))
        return newClient(merged, out, err)
    } catch {
        return fail(error, err)
    }
}

@c @implementation
public func hss_client_free(_ client: OpaquePointer!) {
    guard let client else { return }
    Unmanaged<ClientBox>.fromOpaque(UnsafeRawPointer(client)).release()
}

private func clientBox(_ pointer: OpaquePointer?) -> ClientBox? {
    pointer.map { Unmanaged<ClientBox>.fromOpaque(UnsafeRawPointer($0)).takeUnretainedValue() }
}

@c @implementation
public func hss_client_resolve(
    _ client: OpaquePointer!,
    _ err: UnsafeMutablePointer<OpaquePointer?>!
) -> hss_status {
    guard !errorSlotIsUsed(err) else { return HSS_E_INVALID_ARGUMENT }
    guard let box = clientBox(client) else { return fail(HSSError.invalid("client must not be NULL"), err) }
    do {
        try box.client.resolve()
        return HSS_OK
    } catch {
        return fail(error, err)
    }
}

/// Texts handed to C by hss_client_setting(_source), per client, kept until
/// the client is freed (one copy per distinct text, so repeated calls do not
/// grow memory).
final class PublishedTexts {
    private let texts = Mutex<[String: UnsafeMutablePointer<CChar>]>([:])

    func publish(_ text: String) -> UnsafePointer<CChar>? {
        texts.withLock { texts in
            if let known = texts[text] { return UnsafePointer(known) }
            guard let copy = strdup(text) else { return nil }
            texts[text] = copy
            return UnsafePointer(copy)
        }
    }

    deinit {
        texts.withLock { texts in
            for pointer in texts.values { free(pointer) }
        }
    }
}

/// The object behind hss_client: the client, and the C strings it has handed out.
final class ClientBox {
    let client: HSSClient
    let published = PublishedTexts()

    init(_ client: HSSClient) { self.client = client }
}

/// One part of a setting (its value or its source) as a C string the client keeps.
private func settingText(
    _ client: OpaquePointer?, _ setting: hss_setting, _ part: ((value: String, source: String)) -> String
) -> UnsafePointer<CChar> {
    guard let box = clientBox(client), let which = HSSClient.Setting(rawValue: Int(setting.rawValue)) else {
        return emptyCString
    }
    return box.published.publish(part(box.client.setting(which))) ?? emptyCString
}

@c @implementation
public func hss_client_setting(_ client: OpaquePointer!, _ setting: hss_setting) -> UnsafePointer<CChar>! {
    settingText(client, setting) { $0.value }
}

@c @implementation
public func hss_client_setting_source(_ client: OpaquePointer!, _ setting: hss_setting) -> UnsafePointer<CChar>! {
    settingText(client, setting) { $0.source }
}

// MARK: - ShowImageUploadCommand

@c @implementation
public func hss_image_upload_command_request_init(
    _ request: UnsafeMutablePointer<hss_image_upload_command_request>!,
    _ version: UInt32
) -> hss_status {
    StructVersions.initialize(request, version: version, sizes: StructVersions.imageUploadCommandRequest)
}

@c @implementation
public func hss_image_upload_command_get(
    _ client: OpaquePointer!,
    _ request: UnsafePointer<hss_image_upload_command_request>!,
    _ out: UnsafeMutablePointer<OpaquePointer?>!,
    _ err: UnsafeMutablePointer<OpaquePointer?>!
) -> hss_status {
    guard !errorSlotIsUsed(err) else { return HSS_E_INVALID_ARGUMENT }
    guard let box = clientBox(client) else { return fail(HSSError.invalid("client must not be NULL"), err) }
    guard let request else { return fail(HSSError.invalid("request must not be NULL"), err) }
    guard let out else { return fail(HSSError.invalid("out must not be NULL"), err) }
    do {
        let r = try StructVersions.read(
            request, into: hss_image_upload_command_request(),
            sizes: StructVersions.imageUploadCommandRequest, name: "request")
        let operation = ShowImageUploadCommand(
            registryAddr: secret(r.registry_addr), namespace: secret(r.namespace_name),
            username: secret(r.username), password: secret(r.password),
            enterpriseProjectID: secret(r.enterprise_project_id))
        let result = ResultBox(try box.client.perform(operation))
        out.pointee = OpaquePointer(Unmanaged.passRetained(result).toOpaque())
        return HSS_OK
    } catch {
        return fail(error, err)
    }
}

@c @implementation
public func hss_image_upload_command_image_command(_ result: OpaquePointer!) -> UnsafePointer<CChar>! {
    resultBox(result)?.result.imageCommand.cString ?? emptyCString
}

@c @implementation
public func hss_image_upload_command_images_download_url(_ result: OpaquePointer!) -> UnsafePointer<CChar>! {
    resultBox(result)?.result.imagesDownloadURL.cString ?? emptyCString
}

@c @implementation
public func hss_image_upload_command_swr_image_pull_command(_ result: OpaquePointer!) -> UnsafePointer<CChar>! {
    resultBox(result)?.result.swrImagePullCommand.cString ?? emptyCString
}

@c @implementation
public func hss_image_upload_command_free(_ result: OpaquePointer!) {
    guard let result else { return }
    Unmanaged<ResultBox>.fromOpaque(UnsafeRawPointer(result)).release()
}

// MARK: - Errors

@c @implementation
public func hss_error_status(_ err: OpaquePointer!) -> hss_status {
    errorBox(err)?.status ?? HSS_OK
}

@c @implementation
public func hss_error_message(_ err: OpaquePointer!) -> UnsafePointer<CChar>! {
    errorBox(err)?.message.pointer.map { UnsafePointer($0) } ?? emptyCString
}

@c @implementation
public func hss_error_http_status(_ err: OpaquePointer!) -> Int32 {
    errorBox(err)?.httpStatus ?? 0
}

@c @implementation
public func hss_error_code(_ err: OpaquePointer!) -> UnsafePointer<CChar>! {
    errorBox(err)?.code.pointer.map { UnsafePointer($0) } ?? emptyCString
}

@c @implementation
public func hss_error_service_message(_ err: OpaquePointer!) -> UnsafePointer<CChar>! {
    errorBox(err)?.serviceMessage.pointer.map { UnsafePointer($0) } ?? emptyCString
}

@c @implementation
public func hss_error_request_id(_ err: OpaquePointer!) -> UnsafePointer<CChar>! {
    errorBox(err)?.requestID.pointer.map { UnsafePointer($0) } ?? emptyCString
}

@c @implementation
public func hss_error_attempts(_ err: OpaquePointer!) -> Int32 {
    errorBox(err)?.attempts ?? 0
}

@c @implementation
public func hss_error_free(_ err: OpaquePointer!) {
    guard let err else { return }
    Unmanaged<ErrorBox>.fromOpaque(UnsafeRawPointer(err)).release()
}
