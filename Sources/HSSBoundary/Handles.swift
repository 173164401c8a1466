// The objects behind the header's opaque handles, and how a failure reaches
// the caller. Every handle is a retained Swift object, released by its
// _free function; results and errors never point into a client.
import CHSSAPI
import HSSBase
import HSSPipeline
import HSSTransport
import Synchronization

/// Opaque pointers to and from retained objects: the one place for the casts.
enum Handle {
    static func retained(_ object: AnyObject) -> OpaquePointer {
        OpaquePointer(Unmanaged.passRetained(object).toOpaque())
    }

    /// The object behind a handle the caller passed back, or nil for NULL.
    static func borrowed<T: AnyObject>(_ pointer: OpaquePointer?, as type: T.Type) -> T? {
        pointer.map { Unmanaged<T>.fromOpaque(UnsafeRawPointer($0)).takeUnretainedValue() }
    }

    static func release<T: AnyObject>(_ pointer: OpaquePointer?, as type: T.Type) {
        guard let pointer else { return }
        Unmanaged<T>.fromOpaque(UnsafeRawPointer(pointer)).release()
    }

    /// Gives up `objects` (a result, completed calls' callbacks, holding no
    /// secret unwiped) on the engine thread, which allocated them when the
    /// process runs one (Engine.release says why), else here.
    static func releaseWhereAllocated(_ objects: Any) {
        if let engine = Engine.running, !engine.isCurrentThread { engine.release(objects) }
    }
}

/// hss_client: the client, the C strings it has handed out, its calls on
/// libhss's engine, and (HSS_COMPLETIONS_DISPATCH) their completions.
final class ClientBox {
    let client: HSSClient
    let published = PublishedTexts()
    let calls: AsyncCalls
    let completions: Completions?
    private let gate: TraceGate?

    init(_ client: HSSClient, completions mode: hss_completions, gate: TraceGate?) throws {
        self.client = client
        calls = AsyncCalls(client: client)
        calls.keepAlive = gate
        completions = mode == HSS_COMPLETIONS_DISPATCH ? try Completions() : nil
        self.gate = gate
    }

    /// Hands a completed call's callback to where it runs: here, on the
    /// engine thread, or the dispatch queue.
    func complete(_ callback: @escaping () -> Void) {
        if let completions { completions.post(callback) } else { callback() }
    }

    /// hss_client_free's first part: the trace function is no longer
    /// called, every call in flight is cancelled and completes (on the
    /// engine; waited for, except on the engine thread itself, where it
    /// follows the callback that is running), and the dispatch queue is
    /// run a last time and its descriptor closed.
    func close() {
        gate?.close()
        let onEngine = Engine.running?.isCurrentThread == true
        let latch = onEngine ? nil : Latch()
        let closing = calls.close { [completions] in
            if onEngine { completions?.close() }
            latch?.open()
        }
        if closing { latch?.wait() }
        if !onEngine || !closing { completions?.close() }
    }
}

/// An operation's result (hss_image_upload_command...): the decoded answer
/// itself, whose wiped, NUL-terminated buffers the accessors hand out;
/// released (and wiped) with the box, since it may carry secrets.
final class ResultBox<Result> {
    let result: Result

    init(_ result: Result) { self.result = result }
}

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
    let retryable: Bool

    init(_ error: HSSError) {
        attempts = Int32(clamping: error.attempts)
        retryable = RetryPolicy.isRetryable(error)
        status = error.status
        httpStatus = Int32(clamping: error.httpStatus)
        message = CStringCopy(SingleLine.of(error.message))
        code = CStringCopy(SingleLine.of(error.code))
        serviceMessage = CStringCopy(SingleLine.keepingLineFeeds(error.serviceMessage))
        requestID = CStringCopy(error.requestID)
    }
}

/// A NUL-terminated copy of a (non-secret) text owned by an error box.
final class CStringCopy {
    let pointer: UnsafeMutablePointer<CChar>?

    init(_ text: String) {
        pointer = text.withCString { strdup($0) }
    }

    deinit { free(pointer) }

    var text: UnsafePointer<CChar> { pointer.map { UnsafePointer($0) } ?? emptyCString }
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

let emptyCString = UnsafeRawPointer(StaticString("").utf8Start).assumingMemoryBound(to: CChar.self)

func cText(_ text: StaticString) -> UnsafePointer<CChar> {
    UnsafeRawPointer(text.utf8Start).assumingMemoryBound(to: CChar.self)
}

/// Reports `error` through the optional out-parameter and returns its status.
func fail(_ error: Error, _ err: UnsafeMutablePointer<OpaquePointer?>?) -> hss_status {
    let error = error as? HSSError ?? HSSError(HSS_E_INTERNAL, "unexpected error")
    err?.pointee = Handle.retained(ErrorBox(error))
    return error.status
}

/// GError's rule: an error out-parameter must hold NULL on entry. A caller
/// that passes a used one has a bug; refusing it is better than leaking or
/// overwriting that error.
func errorSlotIsUsed(_ err: UnsafeMutablePointer<OpaquePointer?>?) -> Bool {
    err?.pointee != nil
}

/// Runs `body`, which makes a result, and hands it to C through `out`; any
/// failure goes through `err`. The common shape of every call that returns
/// an object.
func deliver(
    _ out: UnsafeMutablePointer<OpaquePointer?>?, _ err: UnsafeMutablePointer<OpaquePointer?>?,
    _ body: () throws -> AnyObject
) -> hss_status {
    guard !errorSlotIsUsed(err) else { return HSS_E_INVALID_ARGUMENT }
    guard let out else { return fail(HSSError.invalid("out must not be NULL"), err) }
    do {
        out.pointee = Handle.retained(try body())
        return HSS_OK
    } catch {
        return fail(error, err)
    }
}
