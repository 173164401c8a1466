// ShowImageUploadCommand (see ClientExports.swift for the boundary's rules).
import CHSSAPI
import HSSBase
import HSSOperations
import HSSPipeline
import HSSTransport

private typealias Result = ResultBox<ImageUploadCommand>

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
    deliver(out, err) {
        guard let box = Handle.borrowed(client, as: ClientBox.self) else {
            throw HSSError.invalid("client must not be NULL")
        }
        return Result(try call(box, request))
    }
}

/// The caller's request, read in place for the call: the password is
/// copied only into the request libhss builds (wiped); and its cancel switch.
func operation(
    _ request: UnsafePointer<hss_image_upload_command_request>?
) throws -> (operation: ShowImageUploadCommand, cancel: CancelSwitch?) {
    guard let request else { throw HSSError.invalid("request must not be NULL") }
    let r = try StructVersions.read(
        request, into: hss_image_upload_command_request(), sizes: StructVersions.imageUploadCommandRequest,
        name: "request")
    return (
        ShowImageUploadCommand(
            registryAddr: borrowed(r.registry_addr), namespace: borrowed(r.namespace_name),
            username: borrowed(r.username), password: borrowed(r.password),
            enterpriseProjectID: borrowed(r.enterprise_project_id)),
        Handle.borrowed(r.cancel, as: CancelSwitch.self)
    )
}

/// The blocking call: on this thread; with a cancel switch, on libhss's
/// engine while this thread waits, so that another thread can cancel it.
private func call(
    _ box: ClientBox, _ request: UnsafePointer<hss_image_upload_command_request>?
) throws -> ImageUploadCommand {
    let (operation, cancel) = try operation(request)
    guard let cancel else { return try operation.run(on: box.client) }
    guard Engine.running?.isCurrentThread != true else {
        throw HSSError.invalid(
            "a call with a cancel switch cannot wait on libhss's engine thread (a completion callback): "
                + "use hss_image_upload_command_start")
    }
    let latch = Latch()
    var outcome: Swift.Result<ImageUploadCommand, HSSError>?
    try operation.owned().start(on: box.client, calls: box.calls, cancel: cancel) { result in
        outcome = result
        latch.open()
    }
    latch.wait()
    guard let outcome else { throw HSSError(HSS_E_INTERNAL, "a call completed without an outcome") }
    return try outcome.get()
}

private let bufferSize = CurlTransport.maxBodyBytes + 3

@c @implementation
public func hss_image_upload_command_get_into(
    _ client: OpaquePointer!,
    _ request: UnsafePointer<hss_image_upload_command_request>!,
    _ buffer: UnsafeMutablePointer<CChar>!,
    _ size: Int,
    _ lengths: UnsafeMutablePointer<Int>!,
    _ err: UnsafeMutablePointer<OpaquePointer?>!
) -> hss_status {
    answer(into: buffer, size, lengths, err, client) { box in try call(box, request) }
}

@c @implementation
public func hss_image_upload_command_get_fields(
    _ client: OpaquePointer!,
    _ registryAddr: UnsafePointer<CChar>!,
    _ namespaceName: UnsafePointer<CChar>!,
    _ username: UnsafePointer<CChar>!,
    _ password: UnsafePointer<CChar>!,
    _ enterpriseProjectID: UnsafePointer<CChar>!,
    _ buffer: UnsafeMutablePointer<CChar>!,
    _ size: Int,
    _ lengths: UnsafeMutablePointer<Int>!,
    _ err: UnsafeMutablePointer<OpaquePointer?>!
) -> hss_status {
    answer(into: buffer, size, lengths, err, client) { box in
        try ShowImageUploadCommand(
            registryAddr: borrowed(registryAddr), namespace: borrowed(namespaceName),
            username: borrowed(username), password: borrowed(password),
            enterpriseProjectID: borrowed(enterpriseProjectID)
        ).run(on: box.client)
    }
}

/// The _into calls: the caller's buffer checked before `call` runs, then the
/// answer's three strings written into it, each NUL-terminated.
private func answer(
    into buffer: UnsafeMutablePointer<CChar>?, _ size: Int, _ lengths: UnsafeMutablePointer<Int>?,
    _ err: UnsafeMutablePointer<OpaquePointer?>?, _ client: OpaquePointer?,
    _ call: (ClientBox) throws -> ImageUploadCommand
) -> hss_status {
    guard !errorSlotIsUsed(err) else { return HSS_E_INVALID_ARGUMENT }
    do {
        guard let box = Handle.borrowed(client, as: ClientBox.self) else {
            throw HSSError.invalid("client must not be NULL")
        }
        guard let buffer, let lengths else { throw HSSError.invalid("buffer and lengths must not be NULL") }
        guard size >= bufferSize else {
            throw HSSError.invalid(
                "size is \(size) bytes; the buffer needs HSS_IMAGE_UPLOAD_COMMAND_BUFFER_SIZE (\(bufferSize))")
        }
        let answer = try call(box)
        let fields = answer.fields
        // The answer's cap (CurlTransport.maxBodyBytes) makes this hold; a
        // broken cap must not write past the caller's buffer.
        guard (0..<3).reduce(0, { $0 + fields[$1].count + 1 }) <= size else {
            throw HSSError(HSS_E_INTERNAL, "the answer outgrew HSS_IMAGE_UPLOAD_COMMAND_BUFFER_SIZE")
        }
        withExtendedLifetime(fields) {
            var at = buffer
            for k in 0..<3 {
                let field = fields[k]
                at.withMemoryRebound(to: UInt8.self, capacity: field.count + 1) { out in
                    if let source = field.baseAddress { out.update(from: source, count: field.count) }
                    out[field.count] = 0
                }
                lengths[k] = field.count
                at += field.count + 1
            }
        }
        return HSS_OK
    } catch {
        return fail(error, err)
    }
}

/// An accessor's text: the result's wiped buffer, NUL-terminated.
private func text(_ result: OpaquePointer?, _ k: Int) -> UnsafePointer<CChar> {
    Handle.borrowed(result, as: Result.self).map { $0.result.fields.cString(k) } ?? emptyCString
}

@c @implementation
public func hss_image_upload_command_image_command(_ result: OpaquePointer!) -> UnsafePointer<CChar>! {
    text(result, 0)
}

@c @implementation
public func hss_image_upload_command_images_download_url(_ result: OpaquePointer!) -> UnsafePointer<CChar>! {
    text(result, 1)
}

@c @implementation
public func hss_image_upload_command_swr_image_pull_command(_ result: OpaquePointer!) -> UnsafePointer<CChar>! {
    text(result, 2)
}

@c @implementation
public func hss_image_upload_command_free(_ result: OpaquePointer!) {
    guard let result else { return }
    let box = Unmanaged<Result>.fromOpaque(UnsafeRawPointer(result)).takeRetainedValue()
    box.result.fields.wipe()  // now, whoever frees the memory: image_command embeds the password
    Handle.releaseWhereAllocated(box)
}
