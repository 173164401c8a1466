// Where the callbacks of calls that do not block run (hss_completions), and
// the gate the caller's trace function is called through.
import CHSSAPI
import HSSBase
import HSSPipeline
import HSSTransport
import Synchronization

/// A client made with HSS_COMPLETIONS_DISPATCH: completed calls' callbacks,
/// queued until hss_client_dispatch runs them on the caller's thread, and
/// an eventfd that is readable exactly while completions wait that no
/// dispatch has taken on (both change under one lock), signalled once
/// however many queue: one write for the engine, one wake-up for the loop.
/// After fork() the child drops the parent's queue (those completions are
/// the parent's) and makes its own descriptor; its copy of the parent's is
/// left open (its number may be the child's own by then, as after closing
/// every descriptor).
final class Completions {
    private struct State {
        var fd: Int32
        /// Written to since the last dispatch read it.
        var signalled = false
        var generation = ForkGeneration.current
        var queue = JobQueue()
        /// How many callbacks were ever queued, and taken: the n-th queued is the n-th taken.
        var posted = 0
        var taken = 0
    }

    private let state: Mutex<State>

    init() throws {
        let fd = chss_eventfd()
        guard fd >= 0 else { throw HSSError(HSS_E_INTERNAL, "could not create an eventfd (errno \(chss_errno()))") }
        state = Mutex(State(fd: fd))
    }

    /// The child of a fork() leaves the parent's completions and descriptor.
    private static func adopt(_ state: inout State) {
        let current = ForkGeneration.current
        guard state.generation != current else { return }
        state.fd = chss_eventfd()
        state.signalled = false
        state.generation = current
        _ = Unmanaged.passRetained(Inherited(state.queue))
        state.queue = JobQueue()
        state.posted = 0
        state.taken = 0
    }

    private final class Inherited {
        let queue: JobQueue
        init(_ queue: JobQueue) { self.queue = queue }
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
            state.posted += 1
            state.queue.push(callback)
            if !state.signalled {
                var one: UInt64 = 1
                state.signalled = write(state.fd, &one, 8) == 8
            }
        }
    }

    /// Runs the callbacks queued when it begins, `max` at most (0: all of
    /// them), one at a time, each taken from the queue as it runs: a
    /// callback that frees the client runs the rest itself (close), so that
    /// none is left for after. The descriptor is signalled again when it
    /// stops with callbacks still queued. How many ran here.
    func dispatch(max: UInt32 = 0) -> UInt32 {
        let last = state.withLock { state -> Int in
            Completions.adopt(&state)
            var counter: UInt64 = 0
            _ = read(state.fd, &counter, 8)  // not readable again until the next post
            state.signalled = false
            return max == 0 ? state.posted : Swift.min(state.posted, state.taken + Int(max))
        }
        var ran: [() -> Void] = []
        while let callback = state.withLock({ state -> (() -> Void)? in
            guard state.taken < last, let callback = state.queue.pop() else { return nil }
            state.taken += 1
            return callback
        }) {
            callback()
            ran.append(callback)
        }
        state.withLock { state in
            guard state.generation == ForkGeneration.current, state.taken < state.posted, !state.signalled,
                state.fd >= 0
            else { return }
            var one: UInt64 = 1
            state.signalled = write(state.fd, &one, 8) == 8
        }
        let count = UInt32(ran.count)
        if count > 0 { Handle.releaseWhereAllocated(ran) }  // the engine made them (with what they hold)
        return count
    }

    /// hss_client_free: the last callbacks, then the descriptor is closed.
    func close() {
        _ = dispatch()
        state.withLock { state in
            if state.generation == ForkGeneration.current, state.fd >= 0 { _ = closeDescriptor(state.fd) }
            state.fd = -1
        }
    }
}

private func closeDescriptor(_ fd: Int32) -> Int32 { close(fd) }

/// The caller's trace function, called through a gate that hss_client_free
/// closes: a call still on libhss's worker thread after the client is
/// freed (a credential fetch it no longer waits for) traces nothing, and
/// once hss_client_free returns the function is never called again
/// (closing waits for lines being delivered). Readers share the lock. A
/// forked child makes the lock anew on first use: a thread of the parent's
/// inside the function at the fork left it held, and that thread is not the
/// child's.
final class TraceGate {
    private let function: hss_trace_fn
    private let user: UnsafeMutableRawPointer?
    private let lock = UnsafeMutablePointer<pthread_rwlock_t>.allocate(capacity: 1)
    /// The fork generation the lock was made in; -1 while a child remakes it.
    private let lockGeneration = Atomic<Int>(ForkGeneration.current)
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

    /// The lock, usable in this process (one thread remakes it in a forked
    /// child; any other arriving meanwhile waits the few instructions that takes).
    private var current: UnsafeMutablePointer<pthread_rwlock_t> {
        let generation = ForkGeneration.current
        while true {
            let made = lockGeneration.load(ordering: .acquiring)
            if made == generation { return lock }
            if made != -1,
                lockGeneration.compareExchange(expected: made, desired: -1, ordering: .acquiringAndReleasing).exchanged
            {
                pthread_rwlock_init(lock, nil)  // the inherited one is never unlocked here
                lockGeneration.store(generation, ordering: .releasing)
                return lock
            }
            sched_yield()
        }
    }

    func close() {
        let lock = current
        pthread_rwlock_wrlock(lock)
        isOpen = false
        pthread_rwlock_unlock(lock)
    }

    /// The hss_trace_fn the library calls, with the gate as `user`.
    static let call: hss_trace_fn = { level, line, user in
        guard let user else { return }
        let gate = Unmanaged<TraceGate>.fromOpaque(user).takeUnretainedValue()
        let lock = gate.current
        pthread_rwlock_rdlock(lock)
        if gate.isOpen { gate.function(level, line, gate.user) }
        pthread_rwlock_unlock(lock)
    }
}
