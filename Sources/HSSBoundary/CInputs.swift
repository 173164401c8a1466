// Reading what the caller passes in: versioned structs of any known version,
// C strings (secrets straight into wiped buffers), the client options.
import CHSSAPI
import HSSBase
import HSSPipeline

/// The size of each version of a public struct, oldest first. A new version
/// appends its size here (the offset where its first new field ends).
enum StructVersions {
    static let clientOptions = [
        MemoryLayout<hss_client_options>.offset(of: \hss_client_options.iam_endpoint) ?? 0,
        MemoryLayout<hss_client_options>.offset(of: \hss_client_options.dry_run) ?? 0,
        MemoryLayout<hss_client_options>.offset(of: \hss_client_options.completions) ?? 0,
        MemoryLayout<hss_client_options>.size,
    ]
    static let imageUploadCommandRequest = [
        MemoryLayout<hss_image_upload_command_request>.offset(of: \hss_image_upload_command_request.cancel) ?? 0,
        MemoryLayout<hss_image_upload_command_request>.size,
    ]

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
func text(_ pointer: UnsafePointer<CChar>?, _ field: String) throws -> String? {
    guard let pointer else { return nil }
    guard let value = String(validatingCString: pointer) else {
        throw HSSError.invalid("\(field) is not valid UTF-8")
    }
    return value
}

/// A caller's C string, read where it is for the duration of the call.
func borrowed(_ pointer: UnsafePointer<CChar>?) -> Bytes? {
    pointer.map { Bytes(borrowing: $0) }
}

func secret(_ pointer: UnsafePointer<CChar>?) -> SecureBuffer? {
    pointer.map { SecureBuffer(cString: $0) }
}

/// The options, and what only the boundary uses: where completions run,
/// and the gate the caller's trace function is called through (TraceGate).
func options(from c: UnsafePointer<hss_client_options>?) throws -> (
    options: ClientOptions, completions: hss_completions, gate: TraceGate?
) {
    var result = ClientOptions()
    guard let c else { return (result, HSS_COMPLETIONS_LIBRARY_THREAD, nil) }
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
    let gate = o.trace.map { TraceGate(function: $0, user: o.trace_user) }
    result.trace = Trace(
        function: gate == nil ? nil : TraceGate.call, user: gate.map { Unmanaged.passUnretained($0).toOpaque() },
        level: o.trace_level)
    result.maxAttempts = Int(o.max_attempts)
    result.retryBaseMs = o.retry_base_ms
    result.retryCapMs = o.retry_cap_ms
    result.signingAlgorithm = Int(o.signing_algorithm)
    result.derivedKeyService = try text(o.derived_key_service, "derived_key_service")
    result.dryRun = o.dry_run != 0
    let completions: hss_completions
    switch o.completions {
    case Int32(HSS_COMPLETIONS_LIBRARY_THREAD.rawValue): completions = HSS_COMPLETIONS_LIBRARY_THREAD
    case Int32(HSS_COMPLETIONS_DISPATCH.rawValue): completions = HSS_COMPLETIONS_DISPATCH
    default:
        throw HSSError.invalid(
            "completions must be HSS_COMPLETIONS_LIBRARY_THREAD (0) or HSS_COMPLETIONS_DISPATCH (1)")
    }
    return (result, completions, gate)
}
