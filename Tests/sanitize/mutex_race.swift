// Tests/test_sanitize.py, under TSan: one hand-over of a Swift Mutex through its uninstrumented
// slow paths, made certain rather than left to chance. The main thread holds the Mutex until the
// other thread is blocked on it in the kernel (FUTEX_LOCK_PI, seen in /proc), then counts and
// unlocks: the unlock takes _unlockSlow and the other thread's lock returns from _lockSlow. So the
// outcome does not depend on how the threads are scheduled (a loop of contended locks, its
// predecessor, could meet no contention on an idle machine and take minutes on a loaded one).
// Without Tests/sanitize/swift_mutex_tsan.c linked in, TSan reports the two counts as a race (the
// false report the wrappers exist for); with them, nothing; with them and the argument `race`,
// each thread also bumps a counter beside the Mutex, which TSan must report.
import Glibc
import Synchronization

let counter = Mutex(0)
nonisolated(unsafe) var unguarded = 0
let racy = CommandLine.arguments.dropFirst().first == "race"
let waiterID = Atomic<Int>(0)  // the other thread's id, once it is about to lock

#if arch(x86_64)
    let futexCall = "202"
#elseif arch(arm64)
    let futexCall = "98"
#endif
let lockPI: Set = [6, 13]  // FUTEX_LOCK_PI, FUTEX_LOCK_PI2 (the op less FUTEX_PRIVATE_FLAG)

/// This thread's id, from /proc/thread-self (a link to "<pid>/task/<tid>").
func threadID() -> Int {
    var link = [CChar](repeating: 0, count: 64)
    guard readlink("/proc/thread-self", &link, link.count - 1) > 0,
        let id = String(cString: link).split(separator: "/").last.flatMap({ Int($0) })
    else { fatalError("cannot read /proc/thread-self") }
    return id
}

/// Whether thread `id` is blocked waiting for a PI futex: /proc/self/task/<id>/syscall reads
/// "<number> <uaddr> <op> ..." while a thread is in a system call ("running" otherwise).
func isBlockedOnMutex(_ id: Int) -> Bool {
    let fd = open("/proc/self/task/\(id)/syscall", O_RDONLY)
    guard fd >= 0 else { fatalError("cannot open /proc/self/task/\(id)/syscall") }
    defer { close(fd) }
    var text = [CChar](repeating: 0, count: 256)
    guard read(fd, &text, text.count - 1) > 0 else { return false }
    let fields = String(cString: text).split(separator: " ")
    guard fields.count > 2, fields[0] == futexCall, let op = Int(fields[2].dropFirst(2), radix: 16) else {
        return false
    }
    guard lockPI.contains(op & 0x7f) else {
        fatalError("the Mutex waits with futex op \(op), not FUTEX_LOCK_PI: do the wrappers still apply?")
    }
    return true
}

func waiter(_: UnsafeMutableRawPointer?) -> UnsafeMutableRawPointer? {
    waiterID.store(threadID(), ordering: .releasing)
    counter.withLock { $0 += 1 }
    if racy {
        unguarded += 1
    }
    return nil
}

var thread = pthread_t(0)
counter.withLock { value in
    pthread_create(&thread, nil, waiter, nil)
    var id = 0
    while id == 0 || !isBlockedOnMutex(id) {
        usleep(1000)
        id = waiterID.load(ordering: .acquiring)
    }
    value += 1
}
if racy {
    unguarded += 1  // before the join, which would order it after the other thread's
}
pthread_join(thread, nil)
print(counter.withLock { $0 })
