// Tests/test_sanitize.py, under TSan: four threads count under one Swift Mutex, contended enough
// that its uninstrumented slow paths run. Without Tests/sanitize/swift_mutex_tsan.c linked in, TSan
// reports the counter as raced (the false report the wrappers exist for); with them, nothing;
// with them and the argument `race`, each thread also bumps a counter beside the Mutex, which TSan
// must report.
import Glibc
import Synchronization

let counter = Mutex(0)
nonisolated(unsafe) var unguarded = 0
let racy = CommandLine.arguments.dropFirst().first == "race"

func work(_: UnsafeMutableRawPointer?) -> UnsafeMutableRawPointer? {
    for _ in 0..<50_000 {
        counter.withLock { $0 += 1 }
    }
    if racy {
        unguarded += 1
    }
    return nil
}

var threads = [pthread_t](repeating: 0, count: 4)
for i in threads.indices {
    pthread_create(&threads[i], nil, work, nil)
}
for thread in threads {
    pthread_join(thread, nil)
}
print(counter.withLock { $0 })
