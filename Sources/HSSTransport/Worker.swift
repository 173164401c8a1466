import CHSSAPI
import HSSBase

/// libhss's second thread (at most one per process, started on first use):
/// the blocking work of asynchronous calls that cannot be made non-blocking
/// cheaply (the credential chain, renewals, IAM project discovery), queued
/// and run one after the other through the blocking path, so that the
/// engine never waits for it. A job posts its outcome back to the engine.
package final class Worker: @unchecked Sendable {
    private let mutex = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)
    private let condition = UnsafeMutablePointer<pthread_cond_t>.allocate(capacity: 1)
    /// Under `mutex`.
    private var jobs = JobQueue()

    /// The worker of this process: after fork() the child starts its own on
    /// first use (it has none of the parent's threads); the parent's queue,
    /// abandoned, is never run there.
    package static func shared() throws -> Worker {
        try perProcess.get { try Worker() }
    }

    private static let perProcess = PerProcess<Worker>()

    private init() throws {
        mutex.initialize(to: pthread_mutex_t())
        condition.initialize(to: pthread_cond_t())
        pthread_mutex_init(mutex, nil)
        pthread_cond_init(condition, nil)
        try startThread(named: "hss-worker") { [self] in run() }
    }

    /// Queues `job`; it runs on the worker thread after those before it.
    package func submit(_ job: @escaping () -> Void) {
        pthread_mutex_lock(mutex)
        jobs.push(job)
        pthread_cond_signal(condition)
        pthread_mutex_unlock(mutex)
    }

    private func run() -> Never {
        while true {
            pthread_mutex_lock(mutex)
            var next = jobs.pop()
            while next == nil {
                pthread_cond_wait(condition, mutex)
                next = jobs.pop()
            }
            pthread_mutex_unlock(mutex)
            next?()
        }
    }
}

/// The worker's jobs, first in first out. A job leaves the queue when it
/// is taken, with what it holds (a call's client, its password), whatever
/// waits behind it; the storage is compacted as jobs are taken, so that it
/// holds at most about twice the jobs waiting, however long it stays busy.
package struct JobQueue {
    private var slots: [(() -> Void)?] = []
    private var head = 0

    package init() {}

    /// Slots in the storage: the jobs waiting, and taken ones not compacted yet.
    package var storageCount: Int { slots.count }

    package mutating func push(_ job: @escaping () -> Void) { slots.append(job) }

    /// The first job, removed; nil when none waits.
    package mutating func pop() -> (() -> Void)? {
        guard head < slots.count else { return nil }
        let job = slots[head]
        slots[head] = nil
        head += 1
        if head == slots.count {
            slots.removeAll(keepingCapacity: true)
            head = 0
        } else if head >= 16, head * 2 >= slots.count {
            slots.removeFirst(head)
            head = 0
        }
        return job
    }
}

/// One object per process, made on first use: after fork() the child finds
/// another fork generation (ForkGeneration: a pid may be reused by a
/// grandchild) and makes its own, leaving the parent's alone (never freed
/// there: it refers to the parent's threads and connections).
package final class PerProcess<T: AnyObject>: @unchecked Sendable {
    private let mutex = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)
    private var value: T?
    private var generation = -1

    package init() {
        mutex.initialize(to: pthread_mutex_t())
        pthread_mutex_init(mutex, nil)
    }

    package func get(_ make: () throws -> T) rethrows -> T {
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        let current = ForkGeneration.current
        if let value, generation == current { return value }
        if let inherited = value { _ = Unmanaged.passRetained(inherited) }  // the parent's: left as it is
        let made = try make()
        value = made
        generation = current
        return made
    }
}

/// Starts a detached thread named `name` (15 bytes at most: ps and
/// /proc/<pid>/task/<tid>/comm show it) running `body`, which never returns.
package func startThread(named name: StaticString, _ body: @escaping () -> Never) throws {
    final class Start {
        let name: StaticString
        let body: () -> Never
        init(_ name: StaticString, _ body: @escaping () -> Never) {
            self.name = name
            self.body = body
        }
    }
    let context = Unmanaged.passRetained(Start(name, body)).toOpaque()
    var attributes = pthread_attr_t()
    pthread_attr_init(&attributes)
    defer { pthread_attr_destroy(&attributes) }
    pthread_attr_setdetachstate(&attributes, Int32(PTHREAD_CREATE_DETACHED))
    var thread = pthread_t()
    let rc = pthread_create(
        &thread, &attributes,
        { context in
            let start = Unmanaged<Start>.fromOpaque(context!).takeRetainedValue()
            chss_name_thread(UnsafeRawPointer(start.name.utf8Start).assumingMemoryBound(to: CChar.self))
            start.body()
        }, context)
    guard rc == 0 else {
        Unmanaged<Start>.fromOpaque(context).release()
        throw HSSError(HSS_E_INTERNAL, "libhss could not start its thread (pthread_create: \(rc))")
    }
}
