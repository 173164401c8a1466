// The C boundary: every function of include/hss.h is implemented in this
// module with `@c @implementation`, so the compiler checks each signature
// against the header's declaration. Each function only marshals between C
// types and the layers below and turns every failure into a status: no trap
// (`!`, `try!`, fatalError, unchecked index) is reachable from here.
// This file: version, status texts, clients.
import CHSSAPI
import HSSBase
import HSSPipeline
import HSSTransport

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
    deliver(out, err) {
        guard let options else { throw HSSError.invalid("options must not be NULL") }
        let given = try HSSBoundary.options(from: options)
        return try ClientBox(HSSClient(given.options), completions: given.completions, gate: given.gate)
    }
}

@c @implementation
public func hss_client_new_from_env(
    _ overrides: UnsafePointer<hss_client_options>!,
    _ out: UnsafeMutablePointer<OpaquePointer?>!,
    _ err: UnsafeMutablePointer<OpaquePointer?>!
) -> hss_status {
    deliver(out, err) {
        var merged = ClientOptions.fromEnvironment()
        let given = try HSSBoundary.options(from: overrides)
        merged.apply(given.options)
        return try ClientBox(HSSClient(merged), completions: given.completions, gate: given.gate)
    }
}

@c @implementation
public func hss_client_free(_ client: OpaquePointer!) {
    Handle.borrowed(client, as: ClientBox.self)?.close()
    Handle.release(client, as: ClientBox.self)
}

@c @implementation
public func hss_client_resolve(
    _ client: OpaquePointer!,
    _ err: UnsafeMutablePointer<OpaquePointer?>!
) -> hss_status {
    guard !errorSlotIsUsed(err) else { return HSS_E_INVALID_ARGUMENT }
    guard let box = Handle.borrowed(client, as: ClientBox.self) else {
        return fail(HSSError.invalid("client must not be NULL"), err)
    }
    do {
        try box.client.resolve()
        return HSS_OK
    } catch {
        return fail(error, err)
    }
}

@c @implementation
public func hss_client_set_trace_level(_ client: OpaquePointer!, _ level: Int32) -> hss_status {
    guard let box = Handle.borrowed(client, as: ClientBox.self) else { return HSS_E_INVALID_ARGUMENT }
    do {
        try box.client.setTraceLevel(level)
        return HSS_OK
    } catch {
        return HSS_E_INVALID_ARGUMENT
    }
}

/// One part of a setting (its value or its source) as a C string the client keeps.
private func settingText(
    _ client: OpaquePointer?, _ setting: hss_setting, _ part: ((value: String, source: String)) -> String
) -> UnsafePointer<CChar> {
    guard let box = Handle.borrowed(client, as: ClientBox.self),
        let which = HSSClient.Setting(rawValue: Int(setting.rawValue))
    else { return emptyCString }
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
