import CHSSAPI
import Glibc

// One whole answer, any status line, header and body, through the real
// libcurl: a LoopbackServer on 127.0.0.1 answers every request of an input
// with the input's bytes, and the first byte picks which path of libhss
// reads them, each through the C API with a client made for the input:
//   0 the HSS call (AK/SK, project id): hss_image_upload_command_get
//   1 IAM project discovery (AK/SK, a region, no project id): hss_client_resolve
//   2 the metadata service (the chain; HUAWEICLOUD_SDK_METADATA_ENDPOINT)
//   3 pod identity (HC_CONTAINER_*, a token file)
//   4 STS (HUAWEICLOUD_OIDC_*, HUAWEICLOUD_SDK_STS_ENDPOINT)
//   5 IAM federation (HUAWEICLOUD_SDK_IDP_ID + a token file; X-Subject-Token)
// Every endpoint libhss could use is set to 127.0.0.1 before the first
// client; the chain's providers not under test find nothing (their
// variables unset, the metadata service on a port that refuses).
// Properties: no crash; a success's strings are not NULL and name the
// path's source; an error's status is one an answer can cause, its message
// and code one printable line (no C0, DEL, C1, line separator or bidi
// control), its service message free of controls but LF and TAB, its
// request id printable ASCII; no field holds a form of a secret the client
// holds (the registry password, the SK, the security token, the token from
// a file or variable); the requests made (counted by the server) and the
// attempts reported stay within what max_attempts 2 allows (maxRequests).
//
// Input: the path byte, a flags byte (bit 0: a security token with the
// AK/SK; bit 1: the OIDC id token inline, not from a file), then the answer.

private enum Path: Int, CaseIterable {
    case hss, iam, metadata, podIdentity, sts, federation
}

/// The most requests a path makes with max_attempts 2: HSS and IAM sign with
/// the clock (one more after APIGW.0303); the metadata service asks for a
/// session token and the key, and both again after a 401; federation makes
/// two calls.
private let maxRequests: [Path: Int] = [.hss: 3, .iam: 3, .metadata: 8, .podIdentity: 2, .sts: 2, .federation: 4]
/// Where a resolved path's credentials (or, for IAM, the project id) came from.
private let expectedSource: [Path: String] = [
    .iam: "iam", .metadata: "metadata", .podIdentity: "pod-identity", .sts: "oidc", .federation: "environment",
]

// Secrets: no space (error fields turn control characters into spaces), no
// "*" (what redaction writes); the seeds (make_seeds.py) echo them.
private let password = Array("AnsPw7z4K\u{e4}/~\"+&=\\\u{1F511}#Zr8Lp".utf8)
private let secretKey = Array("AnsSk8r2N\u{e9}/~\"+&=\\#Xc3Vb".utf8)
private let securityToken = Array("AnsSt5m9D/~\"+&=\\#Gf6Hj".utf8)
private let oidcToken = Array("AnsOidc3v6B/~\"+&=\\#Lk2Mn".utf8)
private let podToken = Array("AnsPod6t1Y/~\"+&=\\#Ux4Wp".utf8)
private let federationToken = Array("AnsIdT2g8K/~\"+&=\\#Ep5Rt".utf8)
private let forms = (
    password: SecretForms(password), secretKey: SecretForms(secretKey), securityToken: SecretForms(securityToken),
    oidc: SecretForms(oidcToken), pod: SecretForms(podToken), federation: SecretForms(federationToken)
)

/// The secrets a path's client holds (the registry password is the HSS call's).
private func secrets(_ path: Path, securityToken: Bool) -> [SecretForms] {
    switch path {
    case .hss: return [forms.password, forms.secretKey] + (securityToken ? [forms.securityToken] : [])
    case .iam: return [forms.secretKey] + (securityToken ? [forms.securityToken] : [])
    case .metadata: return []
    case .podIdentity: return [forms.pod]
    case .sts: return [forms.oidc]
    case .federation: return [forms.federation]
    }
}

/// The server, and the files and addresses the environment points at.
private struct Fixture {
    let server: LoopbackServer
    let base: String
    let refusing: String
    let files: (oidc: String, pod: String, federation: String)
}

private nonisolated(unsafe) var directory: String?

private let fixture: Fixture? = {
    isolateEnvironment()
    guard let server = LoopbackServer(), let refusingPort = LoopbackServer.refusingPort() else { return nil }
    var template = Array("\(getenv("TMPDIR").map { String(cString: $0) } ?? "/tmp")/answer-XXXXXX".utf8CString)
    guard let made = mkdtemp(&template) else { return nil }
    directory = String(cString: made)
    atexit {
        for name in ["oidc", "pod", "federation"] { unlink(directory! + "/" + name) }
        rmdir(directory!)
    }
    func file(_ name: String, _ token: [UInt8]) -> String {
        let path = directory! + "/" + name
        let stream = fopen(path, "w")
        fwrite(token + [0x0A], 1, token.count + 1, stream)  // a newline, as platforms write them
        fclose(stream)
        return path
    }
    let base = "http://127.0.0.1:\(server.port)"
    setenv("HUAWEICLOUD_SDK_IAM_ENDPOINT", base, 1)
    setenv("HUAWEICLOUD_SDK_STS_ENDPOINT", base, 1)
    setenv("HC_CONTAINER_CREDENTIALS_FULL_URI", base + "/pod-identity/credentials", 1)
    let refusing = "http://127.0.0.1:\(refusingPort)"
    setenv("HUAWEICLOUD_SDK_METADATA_ENDPOINT", refusing, 1)
    return Fixture(
        server: server, base: base, refusing: refusing,
        files: (file("oidc", oidcToken), file("pod", podToken), file("federation", federationToken)))
}()

/// Sets `name` when `value` is given, else unsets it.
private func environment(_ name: String, _ value: String?) {
    if let value { setenv(name, value, 1) } else { unsetenv(name) }
}

/// What the chain reads, for `path`: only its own provider applies.
private func prepareEnvironment(_ fixture: Fixture, _ path: Path, oidcInline: Bool) {
    environment("HUAWEICLOUD_SDK_METADATA_ENDPOINT", path == .metadata ? fixture.base : fixture.refusing)
    environment("HC_CONTAINER_AUTHORIZATION_TOKEN_FILE", path == .podIdentity ? fixture.files.pod : nil)
    let sts = path == .sts
    environment("HUAWEICLOUD_OIDC_PROVIDER_URN", sts ? "urn:iam::fuzz:identity_provider:oidc" : nil)
    environment("HUAWEICLOUD_OIDC_AGENCY_URN", sts ? "urn:iam::fuzz:agency:fuzz" : nil)
    environment("HUAWEICLOUD_OIDC_ID_TOKEN", sts && oidcInline ? String(decoding: oidcToken, as: UTF8.self) : nil)
    environment("HUAWEICLOUD_OIDC_TOKEN_FILE", sts && !oidcInline ? fixture.files.oidc : nil)
    environment("HUAWEICLOUD_SDK_IDP_ID", path == .federation ? "fuzz-idp" : nil)
    environment("HUAWEICLOUD_SDK_ID_TOKEN_FILE", path == .federation ? fixture.files.federation : nil)
}

/// Runs `body` with C strings of `texts` (nil stays NULL), alive for the call.
private func withCStrings<R>(_ texts: [[UInt8]?], _ body: ([UnsafePointer<CChar>?]) -> R) -> R {
    let copies = texts.map { text in text.flatMap { strdup(String(decoding: $0, as: UTF8.self)) } }
    defer { for copy in copies { free(copy) } }
    return body(copies.map { $0.map { UnsafePointer($0) } })
}

private var inputs = 0

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzAnswer(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    guard let fixture else {
        require(false, "the loopback server could not start")
        return 0
    }
    var input = FuzzInput(data, size)
    let path = Path.allCases[Int(input.byte()) % Path.allCases.count]
    let flags = input.byte()
    fixture.server.answer(with: input.rest())
    prepareEnvironment(fixture, path, oidcInline: flags & 2 != 0)
    inputs += 1

    let signed = path == .hss || path == .iam
    let held = secrets(path, securityToken: signed && flags & 1 != 0)
    // IAM's answers are cached per AK for the process: each input has its own AK.
    let ak = signed ? Array((path == .iam ? "FUZZIAMAK\(inputs)" : "FUZZHSSAK0001").utf8) : nil
    let fields: [[UInt8]?] = [
        Array(fixture.base.utf8), path == .iam ? nil : Array("fuzz-project".utf8), ak, signed ? secretKey : nil,
        signed && flags & 1 != 0 ? securityToken : nil, path == .iam ? Array("cn-north-4".utf8) : nil,
        path == .iam ? Array(fixture.base.utf8) : nil,
    ]
    var client: OpaquePointer?
    let made = withCStrings(fields) { text -> hss_status in
        var options = hss_client_options()
        _ = hss_client_options_init(&options, UInt32(HSS_CLIENT_OPTIONS_VERSION))
        (options.endpoint, options.project_id, options.ak, options.sk) = (text[0], text[1], text[2], text[3])
        (options.security_token, options.region, options.iam_endpoint) = (text[4], text[5], text[6])
        options.timeout_ms = 2000
        options.connect_timeout_ms = 1000
        options.max_attempts = 2
        options.retry_base_ms = 1
        options.retry_cap_ms = 1
        return hss_client_new(&options, &client, nil)
    }
    require(made == HSS_OK, "the client for \(path) could not be made: \(made)")

    var error: OpaquePointer?
    if path == .hss {
        var result: OpaquePointer?
        var request = hss_image_upload_command_request()
        _ = hss_image_upload_command_request_init(&request, UInt32(HSS_IMAGE_UPLOAD_COMMAND_REQUEST_VERSION))
        let status = withCStrings([Array("swr.example.com".utf8), Array("ns".utf8), Array("user".utf8), password]) {
            text -> hss_status in
            (request.registry_addr, request.namespace_name, request.username, request.password) =
                (text[0], text[1], text[2], text[3])
            return hss_image_upload_command_get(client, &request, &result, &error)
        }
        if status == HSS_OK {
            for text in [
                hss_image_upload_command_image_command(result), hss_image_upload_command_images_download_url(result),
                hss_image_upload_command_swr_image_pull_command(result),
            ] {
                require(text != nil, "a result string is NULL")
            }
            hss_image_upload_command_free(result)
        }
        check(status, error, path, held)
    } else {
        let status = hss_client_resolve(client, &error)
        if status == HSS_OK {
            let setting = path == .iam ? HSS_SETTING_PROJECT_ID : HSS_SETTING_CREDENTIALS
            let value = hss_client_setting(client, setting)
            let source = hss_client_setting_source(client, setting)
            require(value != nil && source != nil, "a setting is NULL")
            require(
                String(cString: source!) == expectedSource[path], "\(path) resolved from \(String(cString: source!))")
            if path == .iam {
                let project = Array(String(cString: value!).utf8)
                require(!project.isEmpty && project.allSatisfy(isProjectIDByte), "IAM's project id \(show(project))")
            }
        }
        check(status, error, path, held)
    }
    hss_error_free(error)
    hss_client_free(client)
    let requests = fixture.server.requests
    require(requests <= maxRequests[path]!, "\(path) made \(requests) requests")
    return 0
}

private func isProjectIDByte(_ b: UInt8) -> Bool {
    (0x30...0x39).contains(b) || (0x41...0x5A).contains(b) || (0x61...0x7A).contains(b) || b == 0x2D || b == 0x5F
}

/// The statuses an answer can cause (hss.h): never a caller's mistake, a lack of memory or a bug.
private let answerStatuses: Set<UInt32> = [
    HSS_E_NETWORK.rawValue, HSS_E_TIMEOUT.rawValue, HSS_E_HTTP_CLIENT.rawValue, HSS_E_HTTP_SERVER.rawValue,
    HSS_E_BAD_RESPONSE.rawValue, HSS_E_CREDENTIALS.rawValue,
]

private func check(_ status: hss_status, _ error: OpaquePointer?, _ path: Path, _ secrets: [SecretForms]) {
    guard status != HSS_OK else { return }
    require(error != nil && hss_error_status(error) == status, "\(path) failed without its error object")
    require(
        answerStatuses.contains(status.rawValue),
        "\(path) failed with status \(status.rawValue): \(String(cString: hss_error_message(error)))")
    let fields: [(String, UnsafePointer<CChar>?)] = [
        ("message", hss_error_message(error)), ("code", hss_error_code(error)),
        ("service message", hss_error_service_message(error)), ("request id", hss_error_request_id(error)),
    ]
    for (name, text) in fields {
        require(text != nil, "the \(name) is NULL")
        let bytes = Array(
            UnsafeBufferPointer(
                start: UnsafeRawPointer(text!).assumingMemoryBound(to: UInt8.self), count: strlen(text!)))
        require(isValidUTF8(bytes), "the \(name) is not UTF-8: \(show(bytes))")
        for secret in secrets {
            require(secret.find(in: bytes) == nil, "the \(name) holds a form of a secret: \(show(bytes))")
        }
        let scalars = String(decoding: bytes, as: UTF8.self).unicodeScalars
        switch name {
        case "request id":
            require(
                bytes.count <= 128 && bytes.allSatisfy { (0x21...0x7E).contains($0) }, "the request id \(show(bytes))")
        case "service message":
            require(!scalars.contains { $0 != "\n" && $0 != "\t" && isUnprintable($0) }, "the \(name) \(show(bytes))")
        default:
            require(!scalars.contains(where: isUnprintable), "the \(name) is not one printable line: \(show(bytes))")
        }
    }
    let attempts = Int(hss_error_attempts(error))
    require((0...maxRequests[path]!).contains(attempts), "\(path) reports \(attempts) attempts")
}

/// hss_error_message's rule (hss.h): C0, DEL, C1, line and paragraph
/// separators, bidirectional formatting characters.
private func isUnprintable(_ scalar: Unicode.Scalar) -> Bool {
    switch scalar.value {
    case 0...0x1F, 0x7F...0x9F, 0x2028, 0x2029, 0x200E, 0x200F, 0x202A...0x202E, 0x2066...0x2069, 0x061C: return true
    default: return false
    }
}
