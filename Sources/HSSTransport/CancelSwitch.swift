import CHSSAPI
import Synchronization

/// hss_cancel: a switch that any thread may trigger, once for good, shared
/// by any number of calls. A call in flight watches it: triggering runs each
/// watcher once, on the triggering thread (a watcher only posts work to
/// libhss's engine, so triggering never blocks). Calls keep the switch
/// alive while they hold it, so hss_cancel_free may come first.
package final class CancelSwitch: Sendable {
    private struct State {
        var triggered = false
        var nextToken = 0
        var watchers: [Int: @Sendable () -> Void] = [:]
    }

    private let state = Mutex(State())

    package init() {}

    /// Triggers it: every watcher runs once, here; later calls do nothing.
    package func trigger() {
        let watchers = state.withLock { state -> [@Sendable () -> Void] in
            guard !state.triggered else { return [] }
            state.triggered = true
            defer { state.watchers.removeAll() }
            return Array(state.watchers.values)
        }
        for watcher in watchers { watcher() }
    }

    /// Runs `watcher` when the switch is triggered. nil when it already is
    /// (the watcher is not kept): the caller acts on that itself.
    package func watch(_ watcher: @escaping @Sendable () -> Void) -> Int? {
        state.withLock { state in
            guard !state.triggered else { return nil }
            state.nextToken += 1
            state.watchers[state.nextToken] = watcher
            return state.nextToken
        }
    }

    /// Stops watching (the call is over).
    package func forget(_ token: Int) {
        _ = state.withLock { $0.watchers.removeValue(forKey: token) }
    }
}

/// A one-shot gate a thread waits on until another opens it (a blocking
/// call waiting for the engine; hss_client_free waiting for its calls).
/// pthread primitives, which ThreadSanitizer understands as they are.
package final class Latch: @unchecked Sendable {
    private let mutex = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)
    private let condition = UnsafeMutablePointer<pthread_cond_t>.allocate(capacity: 1)
    private var isOpen = false

    package init() {
        mutex.initialize(to: pthread_mutex_t())
        condition.initialize(to: pthread_cond_t())
        pthread_mutex_init(mutex, nil)
        pthread_cond_init(condition, nil)
    }

    deinit {
        pthread_cond_destroy(condition)
        pthread_mutex_destroy(mutex)
        condition.deallocate()
        mutex.deallocate()
    }

    package func open() {
        pthread_mutex_lock(mutex)
        isOpen = true
        pthread_cond_broadcast(condition)
        pthread_mutex_unlock(mutex)
    }

    package func wait() {
        pthread_mutex_lock(mutex)
        while !isOpen { pthread_cond_wait(condition, mutex) }
        pthread_mutex_unlock(mutex)
    }
}
