// Where the callbacks of calls that do not block run (hss_completions), and
// the gate the caller's trace function is called through.
import CHSSAPI
import HSSBase
import HSSPipeline
import HSSTransport
import Synchronization

/// A client made with HSS_COMPLETIONS_DISPATCH: completed calls' callbacks,
/// queued until hss_client_dispatch runs them on the caller's thread, and
/// an eventfd that is readable exactly while the queue is not empty (both
/// change under one lock). After fork() the child drops the parent's queue
/// (those completions are the parent's) and makes its own descriptor,
/// closing its copy of the parent's, which both processes would share.
final class Completions {
    private struct State {
        var fd: Int32
        var pid = getpid()
        var queue: [() -> Void] = []
    }

    private let state: Mutex<State>

    init() throws {
        let fd = chss_eventfd()
        guard fd >= 0 else { throw HSSError(HSS_E_INTERNAL, "could not create an eventfd (errno \(chss_errno()))") }
        state = Mutex(State(fd: fd))
    }

    /// The child of a fork() leaves the parent's completions and descriptor.
    private static func adopt(_ state: inout State) {
        let current = getpid()
        guard state.pid != current else { return }
        let inherited = state.fd
        state.fd = chss_eventfd()  // made first: a number other than the parent's
        if inherited >= 0 { _ = closeDescriptor(inherited) }
        state.pid = current
        _ = Unmanaged.passRetained(Inherited(state.queue))
        state.queue = []
    }

    private final class Inherited {
        let queue: [() -> Void]
        init(_ queue: [() -> Void]) { self.queue = queue }
    }

    var descriptor: Int32 {
        state.withLock { state in
            Completions.adopt(&state)
            return state.fd
        }
    }

    /// Queues a completed call's callback (engine thread).
    func post(_ callback: @escaping () -> Void) {
        state.withLock { state in
            Completions.adopt(&state)
            state.queue.append(callback)
            var one: UInt64 = 1
            _ = write(state.fd, &one, 8)
        }
    }

    /// Runs every queued callback here; how many ran.
    func dispatch() -> UInt32 {
        let callbacks = state.withLock { state -> [() -> Void] in
            Completions.adopt(&state)
            var counter: UInt64 = 0
            _ = read(state.fd, &counter, 8)  // not readable again until the next post
            defer { state.queue = [] }
            return state.queue
        }
        for callback in callbacks { callback() }
        return UInt32(clamping: callbacks.count)
    }

    /// hss_client_free: the last callbacks, then the descriptor is closed.
    func close() {
        _ = dispatch()
        state.withLock { state in
            if state.pid == getpid(), state.fd >= 0 { _ = closeDescriptor(state.fd) }
            state.fd = -1
        }
    }
}

private func closeDescriptor(_ fd: Int32) -> Int32 { close(fd) }

/// The caller's trace function, called through a gate that hss_client_free
/// closes: a call still on libhss's worker thread after the client is
/// freed (a credential fetch it no longer waits for) traces nothing, and
/// once hss_client_free returns the function is never called again
/// (closing waits for lines being delivered). Readers share the lock.
final class TraceGate {
    private let function: hss_trace_fn
    private let user: UnsafeMutableRawPointer?
    private let lock = UnsafeMutablePointer<pthread_rwlock_t>.allocate(capacity: 1)
    private var isOpen = true

    init(function: hss_trace_fn, user: UnsafeMutableRawPointer?) {
        self.function = function
        self.user = user
        lock.initialize(to: pthread_rwlock_t())
        pthread_rwlock_init(lock, nil)
    }

    deinit {
        pthread_rwlock_destroy(lock)
        lock.deallocate()
    }

    func close() {
        pthread_rwlock_wrlock(lock)
        isOpen = false
        pthread_rwlock_unlock(lock)
    }

    /// The hss_trace_fn the library calls, with the gate as `user`.
    static let call: hss_trace_fn = { level, line, user in
        guard let user else { return }
        let gate = Unmanaged<TraceGate>.fromOpaque(user).takeUnretainedValue()
        pthread_rwlock_rdlock(gate.lock)
        if gate.isOpen { gate.function(level, line, gate.user) }
        pthread_rwlock_unlock(gate.lock)
    }
}
