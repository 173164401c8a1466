import CHSSAPI

/// A lock whose waiters give up at their deadline. One thread renews a
/// client's credentials (or looks a project up in IAM) while the others
/// wait for its result, but no call waits past its own timeout_ms (hss.h,
/// "Retries"). A pthread mutex, which ThreadSanitizer understands as is.
package final class TimedLock {
    private let mutex: UnsafeMutablePointer<pthread_mutex_t>

    package init() {
        mutex = .allocate(capacity: 1)
        mutex.initialize(to: pthread_mutex_t())
        pthread_mutex_init(mutex, nil)
    }

    deinit {
        pthread_mutex_destroy(mutex)
        mutex.deallocate()
    }

    /// Runs `body` holding the lock; nil when the lock could not be taken
    /// within `milliseconds`.
    package func withLock<T>(waitingAtMost milliseconds: Int, _ body: () throws -> T) rethrows -> T? {
        var until = timespec()
        clock_gettime(CLOCK_REALTIME, &until)
        let wait = max(milliseconds, 0)
        until.tv_sec += wait / 1000
        until.tv_nsec += (wait % 1000) * 1_000_000
        if until.tv_nsec >= 1_000_000_000 {
            until.tv_sec += 1
            until.tv_nsec -= 1_000_000_000
        }
        guard pthread_mutex_timedlock(mutex, &until) == 0 else { return nil }
        defer { pthread_mutex_unlock(mutex) }
        return try body()
    }
}
