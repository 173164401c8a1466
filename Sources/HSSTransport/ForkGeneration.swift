import CHSSAPI
import Synchronization

/// How many fork()s separate this process from the one that loaded libhss:
/// what is made in one generation (connections, TLS sessions) must not be
/// used in the next. A pthread_atfork handler counts them, so a call
/// checks it with one atomic load instead of a getpid() system call.
/// (A child made by vfork() or posix_spawn() runs no handler; it may only
/// exec, so it never calls libhss.)
package enum ForkGeneration {
    package static var current: Int {
        _ = registered
        return count.load(ordering: .acquiring)
    }
}

private let count = Atomic<Int>(0)

/// Registered once, on first use (a Swift global is initialised exactly once).
private let registered: Int32 = pthread_atfork(nil, nil) { count.add(1, ordering: .releasing) }
