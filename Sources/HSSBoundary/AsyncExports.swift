// Cancel switches and the calls that do not block (see ClientExports.swift
// for the boundary's rules; hss.h, "Calls that do not block").
import CHSSAPI
import HSSBase
import HSSOperations
import HSSPipeline
import HSSTransport

@c @implementation
public func hss_cancel_new(_ out: UnsafeMutablePointer<OpaquePointer?>!) -> hss_status {
    guard let out else { return HSS_E_INVALID_ARGUMENT }
    out.pointee = Handle.retained(CancelSwitch())
    return HSS_OK
}

@c @implementation
public func hss_cancel_trigger(_ cancel: OpaquePointer!) {
    Handle.borrowed(cancel, as: CancelSwitch.self)?.trigger()
}

@c @implementation
public func hss_cancel_free(_ cancel: OpaquePointer!) {
    Handle.release(cancel, as: CancelSwitch.self)
}

@c @implementation
public func hss_image_upload_command_start(
    _ client: OpaquePointer!,
    _ request: UnsafePointer<hss_image_upload_command_request>!,
    _ done: hss_image_upload_command_done_fn!,
    _ user: UnsafeMutableRawPointer!,
    _ err: UnsafeMutablePointer<OpaquePointer?>!
) -> hss_status {
    guard !errorSlotIsUsed(err) else { return HSS_E_INVALID_ARGUMENT }
    do {
        guard let box = Handle.borrowed(client, as: ClientBox.self) else {
            throw HSSError.invalid("client must not be NULL")
        }
        guard let done else { throw HSSError.invalid("done must not be NULL") }
        let (operation, cancel) = try operation(request)
        // Validated before the copy: a refused request's password is never copied.
        try operation.validate()
        try operation.owned().start(on: box.client, calls: box.calls, cancel: cancel) { outcome in
            box.complete {
                switch outcome {
                case .success(let answer):
                    done(HSS_OK, Handle.retained(ResultBox(answer)), nil, user)
                case .failure(let error):
                    done(error.status, nil, Handle.retained(ErrorBox(error)), user)
                }
            }
        }
        return HSS_OK
    } catch {
        return fail(error, err)
    }
}

@c @implementation
public func hss_client_resolve_start(
    _ client: OpaquePointer!,
    _ cancel: OpaquePointer!,
    _ done: hss_resolve_done_fn!,
    _ user: UnsafeMutableRawPointer!,
    _ err: UnsafeMutablePointer<OpaquePointer?>!
) -> hss_status {
    guard !errorSlotIsUsed(err) else { return HSS_E_INVALID_ARGUMENT }
    do {
        guard let box = Handle.borrowed(client, as: ClientBox.self) else {
            throw HSSError.invalid("client must not be NULL")
        }
        guard let done else { throw HSSError.invalid("done must not be NULL") }
        try box.client.startResolve(calls: box.calls, cancel: Handle.borrowed(cancel, as: CancelSwitch.self)) {
            failure in
            box.complete {
                if let failure {
                    done(failure.status, Handle.retained(ErrorBox(failure)), user)
                } else {
                    done(HSS_OK, nil, user)
                }
            }
        }
        return HSS_OK
    } catch {
        return fail(error, err)
    }
}

@c @implementation
public func hss_client_completion_fd(_ client: OpaquePointer!) -> Int32 {
    Handle.borrowed(client, as: ClientBox.self)?.completions?.descriptor ?? -1
}

@c @implementation
public func hss_client_dispatch(_ client: OpaquePointer!, _ max: UInt32) -> UInt32 {
    guard let completions = Handle.borrowed(client, as: ClientBox.self)?.completions else { return 0 }
    // Held here: a callback may free the client (and its box) while the others wait to run.
    let held = Unmanaged.passRetained(completions)
    defer { held.release() }
    return completions.dispatch(max: max)
}
