import CCurlShims
import CHSSAPI
import HSSBase
import Synchronization

/// libhss's engine: one thread per process, started on first use, that
/// drives the transfers of every asynchronous call (libcurl's multi
/// interface: any number of transfers on this one thread) and their timers
/// (backoff between attempts, deadlines). Other threads hand it work with
/// `post`, which wakes it (curl_multi_wakeup); everything else here runs on
/// the engine thread only. It knows nothing of HSS: a call's steps are
/// jobs, transfers and timers (AsyncCall).
package final class Engine: @unchecked Sendable {
    package typealias Job = () -> Void

    private let multi: UnsafeMutableRawPointer
    private let inbox = Mutex<[Job]>([])
    /// What other threads gave up that the engine thread allocated (see release(_:)).
    private let graveyard = Mutex<[Any]>([])
    /// pthread_self() of the engine thread, once it runs.
    private let threadID = Atomic<UInt>(0)
    // The engine thread's own state.
    private var transfers: [UnsafeMutableRawPointer: (CURLcode) -> Void] = [:]
    private var timers = Timers()

    /// The engine of this process (see PerProcess: after fork() the child
    /// starts its own on first use, and the parent's calls in flight are
    /// not continued there).
    package static func shared() throws -> Engine {
        try perProcess.get { try Engine() }
    }

    /// This process's engine if it was started: nil until the first
    /// asynchronous call. Read without a lock (every freed result asks): an
    /// engine is never freed (PerProcess keeps each, a parent's too), so
    /// the one last made is published as a plain pointer, and its fork
    /// generation tells a child's own from its parent's.
    package static var running: Engine? {
        let bits = published.load(ordering: .acquiring)
        guard bits != 0, let pointer = UnsafeRawPointer(bitPattern: bits) else { return nil }
        let engine = Unmanaged<Engine>.fromOpaque(pointer).takeUnretainedValue()
        return engine.generation == ForkGeneration.current ? engine : nil
    }

    private static let perProcess = PerProcess<Engine>()
    private static let published = Atomic<UInt>(0)
    private let generation = ForkGeneration.current

    /// Made once a client exists: libcurl is initialised (CurlTransport).
    private init() throws {
        guard let multi = curl_multi_init() else {
            throw HSSError(HSS_E_OUT_OF_MEMORY, "could not create libhss's engine (curl_multi_init)")
        }
        self.multi = multi
        try startThread(named: "hss-engine") { [self] in run() }
        Engine.published.store(UInt(bitPattern: Unmanaged.passUnretained(self).toOpaque()), ordering: .releasing)
    }

    /// Whether the caller is on the engine thread (a completion callback).
    package var isCurrentThread: Bool {
        let id = threadID.load(ordering: .acquiring)
        return id != 0 && pthread_equal(pthread_t(id), pthread_self()) != 0
    }

    /// Runs `job` on the engine thread, soon. Any thread; never blocks for
    /// long (a short lock). Only the job that finds the inbox empty wakes
    /// the engine: the ones behind it are taken with it (run() empties the
    /// inbox after every wake-up), so a burst of starts costs one wake-up.
    package func post(_ job: @escaping Job) {
        let wasEmpty = inbox.withLock { inbox in
            inbox.append(job)
            return inbox.count == 1
        }
        if wasEmpty { curl_multi_wakeup(multi) }
    }

    /// Gives up `objects` here, on the engine thread, at its next round
    /// (any thread; never blocks for long): for what the engine thread
    /// allocated that another thread releases, once it holds no secret
    /// unwiped. glibc keeps each thread's allocations in an arena of its
    /// own, and a free from another thread takes that arena's lock, which
    /// the engine holds in its own malloc and free: an event loop that freed
    /// the engine's results and callbacks slept on it, for milliseconds
    /// whenever the engine was preempted holding it.
    package func release(_ objects: Any) {
        graveyard.withLock { $0.append(objects) }
    }

    // MARK: On the engine thread

    /// Sends the request written into `connection` (its arena and header
    /// lines, as for CurlConnection.perform) without blocking: `done`
    /// receives the answer, or the failure, as perform would return or throw
    /// it; the connection holds a success's body until it goes back to its
    /// pool. `done` may run before this returns (a handle libcurl refused).
    package func send(
        _ connection: CurlConnection, _ method: HTTPMethod, url: UnsafePointer<CChar>, timeouts: Timeouts?,
        forceDirect: Bool, wantsRequestID: Bool, redactor: @escaping () -> Redactor,
        done: @escaping (Result<HTTPResponse, HSSError>) -> Void
    ) {
        let ended = { (code: CURLcode) in
            connection.restore(method, timeouts: timeouts)
            do {
                done(
                    .success(
                        try connection.answer(
                            code, wantedHeaders: [], wantsRequestID: wantsRequestID, keepBody: false,
                            redactor: redactor)))
            } catch {
                done(.failure(error as? HSSError ?? HSSError(HSS_E_INTERNAL, "unexpected error")))
            }
        }
        let prepared = connection.prepare(method, url: url, body: nil, timeouts: timeouts, forceDirect: forceDirect)
        guard prepared == CURLE_OK else { return ended(prepared) }
        guard curl_multi_add_handle(multi, connection.handle) == CURLM_OK else { return ended(CURLE_FAILED_INIT) }
        transfers[connection.handle] = ended
    }

    /// Stops the transfer of `connection` before its end (`done` never
    /// runs): libcurl closes its connection, and the handle is not reused.
    package func stop(_ connection: CurlConnection, _ method: HTTPMethod, timeouts: Timeouts?) {
        guard transfers.removeValue(forKey: connection.handle) != nil else { return }
        curl_multi_remove_handle(multi, connection.handle)
        connection.restore(method, timeouts: timeouts)
        connection.interrupted()
    }

    /// Runs `job` at `atMs` (monotonicMs); the token cancels it.
    package func schedule(atMs: Int, _ job: @escaping Job) -> Int { timers.add(atMs: atMs, job) }

    package func cancelTimer(_ token: Int) { timers.cancel(token) }

    private func run() -> Never {
        threadID.store(UInt(pthread_self()), ordering: .releasing)
        var jobs: [Job] = []
        var dead: [Any] = []
        while true {
            // Each pair of arrays trades places: none is allocated again once grown. Jobs are
            // dropped as soon as they ran, not kept over the wait below: a job may hold the last
            // reference to a call or a client, whose secrets are wiped as it goes.
            inbox.withLock { swap(&jobs, &$0) }
            for job in jobs { job() }
            jobs.removeAll(keepingCapacity: true)
            graveyard.withLock { swap(&dead, &$0) }
            dead.removeAll(keepingCapacity: true)
            for job in timers.due(atMs: monotonicMs()) { job() }
            var running: Int32 = 0
            curl_multi_perform(multi, &running)
            var handle: UnsafeMutableRawPointer?
            var code = CURLE_OK
            while chss_curl_multi_done(multi, &handle, &code) != 0, let finished = handle {
                curl_multi_remove_handle(multi, finished)
                transfers.removeValue(forKey: finished)?(code)
            }
            // libcurl waits no longer than its own timers ask; ours cap the wait, posts end it.
            let wait = timers.next.map { max(0, $0 - monotonicMs()) } ?? 60_000
            curl_multi_poll(multi, nil, 0, Int32(min(wait, 60_000)), nil)
        }
    }
}

/// The engine's timers: a binary heap by due time; a cancelled timer stays
/// in the heap without its job until it comes up.
private struct Timers {
    private var heap: [(atMs: Int, token: Int)] = []
    private var jobs: [Int: Engine.Job] = [:]
    private var lastToken = 0

    mutating func add(atMs: Int, _ job: @escaping Engine.Job) -> Int {
        lastToken += 1
        jobs[lastToken] = job
        heap.append((atMs, lastToken))
        var child = heap.count - 1
        while child > 0 {
            let parent = (child - 1) / 2
            guard heap[child].atMs < heap[parent].atMs else { break }
            heap.swapAt(child, parent)
            child = parent
        }
        return lastToken
    }

    mutating func cancel(_ token: Int) { jobs[token] = nil }

    /// When the first live timer is due.
    var next: Int? {
        mutating get {
            while let top = heap.first, jobs[top.token] == nil { pop() }
            return heap.first?.atMs
        }
    }

    /// The jobs of the timers due at `now`, removed.
    mutating func due(atMs now: Int) -> [Engine.Job] {
        var due: [Engine.Job] = []
        while let top = heap.first, top.atMs <= now {
            pop()
            if let job = jobs.removeValue(forKey: top.token) { due.append(job) }
        }
        return due
    }

    private mutating func pop() {
        heap.swapAt(0, heap.count - 1)
        heap.removeLast()
        var parent = 0
        while true {
            let left = 2 * parent + 1
            let right = left + 1
            var smallest = parent
            if left < heap.count, heap[left].atMs < heap[smallest].atMs { smallest = left }
            if right < heap.count, heap[right].atMs < heap[smallest].atMs { smallest = right }
            guard smallest != parent else { return }
            heap.swapAt(parent, smallest)
            parent = smallest
        }
    }
}

/// One client's connections on the engine: easy handles (CurlConnection)
/// whose connections live in one libcurl share object of their own, so that
/// a client reuses its own connections and never another client's (as on
/// the blocking path, where each client has its pool). Engine thread only.
package final class EngineConnections {
    private let settings: CurlTransport.Settings
    private let share: UnsafeMutableRawPointer
    private var idle: [CurlConnection] = []

    package init(_ transport: CurlTransport) throws {
        settings = transport.settings
        guard let share = chss_curl_share_connections() else {
            throw HSSError(HSS_E_OUT_OF_MEMORY, "could not create a libcurl share object")
        }
        self.share = share
    }

    /// An idle connection of the client, else a new one.
    package func take() throws -> CurlConnection {
        guard let connection = idle.popLast() ?? CurlConnection(settings: settings, share: share) else {
            throw HSSError(HSS_E_OUT_OF_MEMORY, "could not create a libcurl handle")
        }
        connection.clearHeaders()
        return connection
    }

    /// The transfer is over: the request and answer are wiped, and the
    /// handle kept unless its transfer broke or was stopped.
    package func put(_ connection: CurlConnection) {
        connection.finish()
        if connection.broken { connection.close() } else { idle.append(connection) }
    }

    /// Closes every connection (the client is freed; no transfer of it runs).
    package func close() {
        for connection in idle { connection.close() }
        idle.removeAll()
        curl_share_cleanup(share)
    }
}
