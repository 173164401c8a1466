import HSSBase
import HSSOperations
import HSSPipeline
import HSSTransport

// Endpoint and option validation: EndpointURL, the checks of Validation, the
// operation's parameter checks and a whole ClientConfiguration (what
// hss_client_new checks before any traffic). Properties: what is accepted is
// what the rules say (a host of letters, digits, '.', '-', ':' and brackets;
// a path of printable ASCII without '?' or '#'; header values of printable
// ASCII; ranges of timeouts and retry settings), and a URL read back from its
// own text is the same URL.
//
// Input: a flag byte, a URL (NUL-ended), a presence mask (2 bytes), five
// numbers (4 bytes each), then the options' strings, each NUL-ended.

@_cdecl("LLVMFuzzerInitialize")
public func initialize(
    _ argc: UnsafeMutablePointer<CInt>,
    _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>
) -> CInt {
    isolateEnvironment()
    return 0
}

private let schemeSets = [["https", "http"], ["https"], ["http", "https", "socks5", "socks5h"]]

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOptions(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    var input = FuzzInput(data, size)
    let flags = input.byte()
    let text = String(decoding: input.field(), as: UTF8.self)
    checkURL(text, allowPath: flags & 1 != 0, addScheme: flags & 2 != 0, schemes: schemeSets[Int(flags >> 2) % 3])

    let mask = input.uint16()
    let numbers = (0..<5).map { _ in input.int32() }
    var fields: [[UInt8]?] = []
    for bit in 0..<13 { fields.append(mask & (1 << bit) != 0 ? input.field() : nil) }
    let strings = fields.map { $0.map { String(decoding: $0, as: UTF8.self) } }
    let secrets = fields.map { $0?.secure }
    for case let field? in fields {
        checkValidation(field, allowSpace: flags & 0x40 != 0)
    }

    let operation = ShowImageUploadCommand(
        registryAddr: secrets[0], namespace: secrets[1], username: secrets[2], password: secrets[5],
        enterpriseProjectID: secrets[12])
    if (try? operation.validate()) != nil {
        for (value, limit) in [(fields[0], 256), (fields[1], 128), (fields[2], 128), (fields[5], 128)] {
            let value = value ?? []
            let characters = String(validating: value, as: UTF8.self)?.unicodeScalars
            require(characters != nil && !value.isEmpty && characters!.count <= limit, "a bad parameter passed")
            require(!characters!.contains { $0.value < 0x20 || $0.value == 0x7F }, "a control character passed")
        }
        _ = operation.request()
    }

    var options = ClientOptions()
    options.region = strings[0]
    options.endpoint = strings[1]
    options.projectID = strings[2]
    options.accessKey = secrets[3]
    options.secretKey = secrets[4]
    options.securityToken = secrets[6]
    options.authToken = secrets[7]
    options.userAgentSuffix = strings[8]
    options.iamEndpoint = strings[9]
    options.proxy = strings[10]
    options.proxyUsername = strings[11]
    options.noProxy = strings[12]
    options.proxyPassword = flags & 0x80 != 0 ? secrets[5] : nil
    options.allowCleartextProxy = flags & 0x20 != 0
    options.connectTimeoutMs = numbers[0]
    options.timeoutMs = numbers[1]
    options.maxAttempts = numbers[2]
    options.retryBaseMs = numbers[3]
    options.retryCapMs = numbers[4]
    guard let configuration = try? ClientConfiguration(options) else { return 0 }
    require(!configuration.endpoints.isEmpty, "a configuration without an endpoint")
    for endpoint in configuration.endpoints { checkAccepted(endpoint, allowPath: false, schemes: ["https", "http"]) }
    if let iam = configuration.iamEndpoint { checkAccepted(iam, allowPath: false, schemes: ["https", "http"]) }
    for timeout in [configuration.connectTimeoutMs, configuration.timeoutMs] {
        require((1...ClientConfiguration.maxTimeoutMs).contains(timeout), "a timeout of \(timeout) ms passed")
    }
    let retry = configuration.retry
    require((1...10).contains(retry.maxAttempts), "max_attempts \(retry.maxAttempts) passed")
    require((1...60_000).contains(retry.baseMs) && (retry.baseMs...600_000).contains(retry.capMs), "bad retry times")
    for failed in 1...retry.maxAttempts {
        let delay = retry.delayMs(afterFailure: failed, retryAfterMs: nil)
        require((0...retry.capMs).contains(delay), "a delay of \(delay) ms with a cap of \(retry.capMs)")
    }
    require(configuration.userAgent.utf8.allSatisfy { $0 >= 0x20 && $0 < 0x7F }, "the User-Agent is not printable")
    if let region = configuration.region {
        require(!region.isEmpty && region.utf8.allSatisfy(isIDByte), "region \(region) passed")
    }
    if let project = configuration.projectID {
        require(!project.isEmpty && project.utf8.allSatisfy(isIDByte), "project id \(project) passed")
    }
    return 0
}

private func isIDByte(_ b: UInt8) -> Bool {
    PercentEncoding.isUnreserved(b) && b != UInt8(ascii: ".") && b != UInt8(ascii: "~")
}

private func checkURL(_ text: String, allowPath: Bool, addScheme: Bool, schemes: [String]) {
    guard
        let url = try? EndpointURL(text, field: "url", allowPath: allowPath, addScheme: addScheme, schemes: schemes)
    else { return }
    checkAccepted(url, allowPath: allowPath, schemes: schemes)
}

/// What an accepted URL must be.
private func checkAccepted(_ url: EndpointURL, allowPath: Bool, schemes: [String]) {
    let host = Array(url.host.utf8)
    require(!host.isEmpty && host.count <= 255, "a host of \(host.count) bytes")
    let hostBytes = Array("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-:[]".utf8)
    require(host.allSatisfy(hostBytes.contains), "host \(show(host)) passed")
    require(
        schemes.contains(url.scheme) && url.base == url.scheme + "://" + url.host,
        "base \(url.base) is not scheme://host")
    require(url.isHTTPS == (url.scheme == "https"), "isHTTPS is wrong")
    let path = Array(url.path.utf8)
    require(
        path.isEmpty || (allowPath && path.first == UInt8(ascii: "/") && path.count <= 2048), "path \(url.path) passed")
    require(
        path.allSatisfy { $0 > 0x20 && $0 < 0x7F && $0 != UInt8(ascii: "?") && $0 != UInt8(ascii: "#") }, "a bad path")
    _ = url.hostName
    let again = try? EndpointURL(url.text, field: "url", allowPath: allowPath, schemes: schemes)
    require(again == url, "\(url.text) reads back differently")
}

/// The checks of Validation, each against what it promises.
private func checkValidation(_ value: [UInt8], allowSpace: Bool) {
    let buffer = value.secure
    if (try? Validation.checkHeaderValue(buffer, field: "f", maxBytes: 256, allowSpace: allowSpace)) != nil {
        require(!value.isEmpty && value.count <= 256, "a header value of \(value.count) bytes passed")
        require(
            value.allSatisfy { ($0 > 0x20 && $0 < 0x7F) || (allowSpace && $0 == 0x20) }, "a bad header value passed")
    }
    if (try? Validation.checkText(buffer, field: "f", maxCharacters: 16)) != nil {
        let scalars = String(validating: value, as: UTF8.self)?.unicodeScalars
        require(scalars != nil && !value.isEmpty && scalars!.count <= 16, "a bad text passed: \(show(value))")
        require(!scalars!.contains { $0.value < 0x20 || $0.value == 0x7F }, "a control character passed")
    }
    let text = String(decoding: value, as: UTF8.self)
    if (try? Validation.checkProjectID(text)) != nil {
        require(!value.isEmpty && value.count <= 256 && value.allSatisfy(isIDByte), "project id \(show(value)) passed")
    }
}
