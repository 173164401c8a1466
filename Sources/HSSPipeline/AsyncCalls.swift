import CHSSAPI
import HSSBase
import HSSTransport
import Synchronization

/// A call in flight on the engine, which hss_client_free can cancel.
protocol InFlightCall: AnyObject {
    /// Completes the call with HSS_E_CANCELLED now, if it is not over (engine thread).
    func cancelNow()
}

/// What ties one client to libhss's engine: its calls in flight (so that
/// hss_client_free can end them) and its connections there. Touched on the
/// engine thread only, but `admit` and `close`. After fork() the child's
/// engine finds another fork generation here and forgets the parent's calls
/// and connections (never completed, closed or freed in the child).
package final class AsyncCalls {
    /// How long after its deadline a call still waiting for the worker ends
    /// anyway (the worker's own deadline normally ends it first).
    static let lateMarginMs = 50

    let client: HSSClient
    /// Kept alive as long as a call of the client may run (the boundary's
    /// trace gate, which a call still on the worker may reach).
    package var keepAlive: AnyObject?
    /// A call was started on the engine: only then does hss_client_free go there.
    private let used = Atomic<Bool>(false)
    /// hss_client_free has begun: no call starts any more.
    private let closing = Atomic<Bool>(false)
    private var generation = ForkGeneration.current
    private var inFlight: [ObjectIdentifier: InFlightCall] = [:]
    private(set) var connections: EngineConnections?
    /// The close job ran: no connection is made again (engine thread).
    private var closed = false

    package init(client: HSSClient) { self.client = client }

    /// A call is about to start on the engine (any thread): refused once
    /// the client is being freed (a callback that hss_client_free runs).
    func admit() throws {
        guard !closing.load(ordering: .acquiring) else {
            throw HSSError(HSS_E_CANCELLED, "the client is being freed")
        }
        used.store(true, ordering: .releasing)
    }

    /// hss_client_free has begun (a start that raced it ends at once).
    var isClosing: Bool { closing.load(ordering: .acquiring) }

    /// Forgets what the parent of a fork() left here (engine thread).
    private func adoptAfterFork() {
        let current = ForkGeneration.current
        guard generation != current else { return }
        _ = Unmanaged.passRetained(Inherited(calls: inFlight, connections: connections))
        inFlight = [:]
        connections = nil
        generation = current
    }

    private final class Inherited {
        let calls: [ObjectIdentifier: InFlightCall]
        let connections: EngineConnections?
        init(calls: [ObjectIdentifier: InFlightCall], connections: EngineConnections?) {
            self.calls = calls
            self.connections = connections
        }
    }

    /// A call's first step on the engine: in flight (hss_client_free can
    /// end it) and its cancel switch watched (`watch`: the token). False
    /// when the call ended at once: its client is being freed, or the
    /// switch was triggered already.
    func enroll(_ call: InFlightCall, cancel: CancelSwitch?, engine: Engine, watch: inout Int?) -> Bool {
        adoptAfterFork()
        inFlight[ObjectIdentifier(call)] = call
        guard !isClosing else {
            call.cancelNow()
            return false
        }
        guard let cancel else { return true }
        watch = cancel.watch({ [engine, call] in engine.post { call.cancelNow() } })
        guard watch != nil else {
            call.cancelNow()
            return false
        }
        return true
    }

    func remove(_ call: InFlightCall) { inFlight[ObjectIdentifier(call)] = nil }

    /// A connection of this client's on the engine.
    func connection() throws -> CurlConnection {
        adoptAfterFork()
        guard !closed else { throw HSSError(HSS_E_CANCELLED, "the client is being freed") }
        if connections == nil { connections = try EngineConnections(client.http.transport) }
        return try connections!.take()
    }

    /// Queues blocking work on the worker thread.
    func worker(_ job: @escaping () -> Void) throws { try Worker.shared().submit(job) }

    /// hss_client_free: from now on no call starts; on the engine thread,
    /// completes every call in flight with HSS_E_CANCELLED and closes the
    /// client's connections there, then runs `then`. False (and `then` is
    /// not run) when the client never started a call on this process's
    /// engine: there is nothing to wait for, and no reason to wait behind
    /// other clients' callbacks.
    package func close(then: @escaping () -> Void) -> Bool {
        closing.store(true, ordering: .releasing)
        guard used.load(ordering: .acquiring), let engine = Engine.running else { return false }
        var held: AsyncCalls? = self  // until the job ran, not after: see below
        engine.post {
            if let calls = held {
                held = nil
                calls.closeOnEngine()
            }  // the job's reference is gone before `then` lets hss_client_free go on and free the client
            then()
        }
        return true
    }

    private func closeOnEngine() {
        adoptAfterFork()
        closed = true
        for call in Array(inFlight.values) { call.cancelNow() }
        connections?.close()
        connections = nil
    }
}

/// hss_client_resolve_start: hss_client_resolve on the worker thread, its
/// outcome reported through the engine; cancelling ends the call at once
/// (a resolution already under way goes on, and the client keeps what it
/// finds for later calls).
final class AsyncResolve: InFlightCall {
    private let calls: AsyncCalls
    private let engine: Engine
    private let cancel: CancelSwitch?
    private let finish: (HSSError?) -> Void
    private var watch: Int?
    private var timer: Int?
    private var finished = false
    /// Read by the worker thread: a resolution for a call that is over is skipped.
    private let over = Atomic<Bool>(false)
    private let context: CallContext

    init(calls: AsyncCalls, engine: Engine, cancel: CancelSwitch?, finish: @escaping (HSSError?) -> Void) {
        self.calls = calls
        self.engine = engine
        self.cancel = cancel
        self.finish = finish
        context = calls.client.context()
    }

    func start() { engine.post { self.begin() } }

    private func begin() {
        guard calls.enroll(self, cancel: cancel, engine: engine, watch: &watch) else { return }
        timer = engine.schedule(atMs: context.deadlineMs + AsyncCalls.lateMarginMs) { [self] in
            timer = nil
            complete(context.expired(before: "the credentials and the project id were obtained"))
        }
        do {
            // Weak: a call that is over (cancelled, its client freed) is released while its job waits.
            try calls.worker { [weak self] in
                guard let self, !over.load(ordering: .acquiring) else { return }
                let outcome: HSSError?
                do {
                    _ = try calls.client.sessions.session(context)
                    outcome = nil
                } catch {
                    outcome = hssError(error)
                }
                engine.post { self.complete(outcome) }
            }
        } catch {
            complete(hssError(error))
        }
    }

    func cancelNow() { complete(HSSError(HSS_E_CANCELLED, "the call was cancelled")) }

    private func complete(_ error: HSSError?) {
        guard !finished else { return }
        finished = true
        over.store(true, ordering: .releasing)
        if let timer { engine.cancelTimer(timer) }
        timer = nil
        if let watch { cancel?.forget(watch) }
        calls.remove(self)
        finish(error)
    }
}

extension HSSClient {
    /// Starts `request` on libhss's engine (hss_<name>_start): `consume`
    /// reads a 2xx answer's body, then `finish` runs once on the engine
    /// thread with the outcome (nil: success). The request must own its
    /// inputs (the caller's strings are not kept). Throws, and `finish`
    /// never runs, when libhss's threads cannot be started or the client
    /// is being freed (HSS_E_CANCELLED).
    package func start(
        _ request: Request, calls: AsyncCalls, cancel: CancelSwitch?,
        consume: @escaping (SecureBuffer) throws -> Void, finish: @escaping (HSSError?) -> Void
    ) throws {
        try calls.admit()
        let call = AsyncCall(
            client: self, calls: calls, engine: try libhssThreads(), request: request, cancel: cancel,
            consume: consume, finish: finish)
        call.start()
    }

    /// hss_client_resolve_start; as `start`.
    package func startResolve(calls: AsyncCalls, cancel: CancelSwitch?, finish: @escaping (HSSError?) -> Void) throws {
        try calls.admit()
        AsyncResolve(calls: calls, engine: try libhssThreads(), cancel: cancel, finish: finish).start()
    }
}

/// The engine, with the worker started too: a thread that cannot be
/// started fails the start (`finish` never runs), not the call later.
private func libhssThreads() throws -> Engine {
    let engine = try Engine.shared()
    _ = try Worker.shared()
    return engine
}

/// Any error as the HSSError it should be (every error libhss throws is one).
func hssError(_ error: Error) -> HSSError {
    error as? HSSError ?? HSSError(HSS_E_INTERNAL, "unexpected error")
}
