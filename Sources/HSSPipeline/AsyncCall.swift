import CHSSAPI
import HSSBase
import HSSTransport
import Synchronization

/// One call that does not block (hss_image_upload_command_start): the steps
/// of HSSClient.send, taken on libhss's engine thread one event at a time
/// instead of on the caller's thread. The session comes from the client
/// when it is current, else from the worker thread (the credential chain,
/// renewal, IAM); each attempt is a transfer on the engine (endpoint
/// failover included); RetryState decides, as for the blocking loop, what
/// follows each attempt, and a backoff is a timer. Every method runs on the
/// engine thread, but `start`.
final class AsyncCall: InFlightCall {
    private let client: HSSClient
    private let calls: AsyncCalls
    private let engine: Engine
    private let request: Request
    /// Reads a 2xx answer's body while the connection holds it.
    private let consume: (SecureBuffer) throws -> Void
    /// The outcome, once (nil: success).
    private let finish: (HSSError?) -> Void
    private let cancel: CancelSwitch?
    private var watch: Int?
    private var context: CallContext
    /// The context as the call began, for the worker's job (`context` is the engine thread's).
    private let workerContext: CallContext
    private var retry: RetryState
    private var session: Session?
    private var prepared: [PreparedEndpoint] = []
    private var extraLines: [SecureBuffer] = []
    private var attempt: (timeouts: Timeouts?, signingTime: time_t) = (nil, 0)
    /// The endpoint this attempt started at, how many it has tried, and why they failed.
    private var first = 0
    private var step = 0
    private var failures: [String] = []
    private var running: CurlConnection?
    private var timer: Int?
    private var decoded = false
    private var finished = false
    /// Read by the worker thread: a job for a call that is over is skipped.
    private let over = Atomic<Bool>(false)

    init(
        client: HSSClient, calls: AsyncCalls, engine: Engine, request: Request, cancel: CancelSwitch?,
        consume: @escaping (SecureBuffer) throws -> Void, finish: @escaping (HSSError?) -> Void
    ) {
        self.client = client
        self.calls = calls
        self.engine = engine
        self.request = request
        self.cancel = cancel
        self.consume = consume
        self.finish = finish
        context = client.callContext(for: request, session: client.sessions.now)
        workerContext = context
        retry = RetryState(client.http.loop, service: "HSS", signsWithClock: true)
    }

    private func what() -> String { "\(request.method.rawValue) \(request.pathTemplate)" }

    /// On the caller's thread: hands the call to the engine.
    func start() { engine.post { self.begin() } }

    /// Watches the cancel switch (a switch triggered already ends the call
    /// here, before anything is sent), then takes the first step.
    private func begin() {
        guard calls.enroll(self, cancel: cancel, engine: engine, watch: &watch) else { return }
        if let session = client.sessions.now, !session.needsRenewal(at: Int(time(nil))) { return use(session) }
        // The worker makes (or renews) the session, as the blocking path would, within the
        // call's deadline; the timer ends a call still queued behind other work at its deadline.
        timer = engine.schedule(atMs: context.deadlineMs + AsyncCalls.lateMarginMs) { [self] in
            timer = nil
            complete(self.context.expired(before: "the credentials and the project id were obtained"))
        }
        do {
            // Weak, the context read from the call: a call that is over (cancelled, its client
            // freed) is released, with its password and client, while its job waits in the queue.
            try calls.worker { [weak self] in
                guard let self, !over.load(ordering: .acquiring) else { return }
                let outcome: Result<Session, HSSError>
                do {
                    outcome = .success(try client.sessions.session(workerContext))
                } catch {
                    outcome = .failure(hssError(error))
                }
                engine.post { self.sessionMade(outcome) }
            }
        } catch {
            complete(hssError(error))
        }
    }

    private func sessionMade(_ outcome: Result<Session, HSSError>) {
        guard !finished else { return }
        if let timer { engine.cancelTimer(timer) }
        timer = nil
        switch outcome {
        case .success(let session): use(session)
        case .failure(let error): complete(error)
        }
    }

    private func use(_ session: Session) {
        self.session = session
        context = context.holding(session.redactor)
        (prepared, extraLines) = client.endpoints(for: request, session: session)
        if client.configuration.dryRun {
            return complete(
                client.dryRun(
                    request, prepared: prepared[client.activeEndpointIndex], session: session,
                    now: client.signingTime(), extraLines: extraLines, context: context))
        }
        nextAttempt()
    }

    private func nextAttempt() {
        do {
            attempt = try retry.begin(context, what)
        } catch {
            return complete(hssError(error))
        }
        first = client.activeEndpointIndex
        step = 0
        failures = []
        send()
    }

    /// Starts the attempt's transfer to the endpoint `step` places after the one in use.
    private func send() {
        guard let session else { return }
        let index = (first + step) % prepared.count
        let connection: CurlConnection
        do {
            connection = try calls.connection()
        } catch {
            return settle(.failure(hssError(error)), index: index)
        }
        let endpoint = prepared[index]
        let written = endpoint.write(
            request, session: session, now: attempt.signingTime, extraLines: extraLines, into: connection)
        if client.configuration.trace.wants(HSS_TRACE_DEBUG) {
            client.traceRequest(
                request, written: written, connection: connection, prepared: endpoint, session: session,
                extraLines: extraLines, redactor: context.redactor)
        }
        running = connection
        guard let arena = connection.arena.cString else {
            return transferEnded(.failure(HSSError(HSS_E_OUT_OF_MEMORY, "could not build the request")), index: index)
        }
        let context = self.context
        engine.send(
            connection, request.method, url: arena + written.url.lowerBound, timeouts: attempt.timeouts,
            forceDirect: endpoint.forceDirect, wantsRequestID: client.configuration.trace.wants(HSS_TRACE_DEBUG),
            redactor: { context.redactor }, done: { [self] answer in transferEnded(answer, index: index) })
    }

    /// The attempt's transfer ended: its answer (a 2xx one decoded while the
    /// connection holds it), or the next endpoint when this one could not
    /// be reached.
    private func transferEnded(_ answer: Result<HTTPResponse, HSSError>, index: Int) {
        guard let connection = running else { return }
        running = nil
        var outcome = answer
        if case .success(let response) = answer, (200..<300).contains(response.status) {
            do {
                try consume(response.body)
                decoded = true
            } catch {
                var failure = hssError(error)
                failure.httpStatus = response.status
                failure.requestID = connection.requestID(redactor: context.redactor)
                outcome = .failure(failure)
            }
        }
        calls.connections?.put(connection)
        if case .failure(var error) = outcome, error.connectFailed, prepared.count > 1 {
            let isLast = step == prepared.count - 1
            client.endpointUnreachable(&error, index: index, isLast: isLast, failures: &failures)
            guard isLast else {
                step += 1
                return send()
            }
            outcome = .failure(error)
        }
        settle(outcome, index: index)
    }

    /// What RetryState makes of the attempt: the answer, a retry (now or
    /// after a timer), or the final failure.
    private func settle(_ outcome: Result<HTTPResponse, HSSError>, index: Int) {
        if case .success = outcome, index != first { client.activeEndpoint.store(index, ordering: .relaxed) }
        do {
            switch try retry.settle(outcome, context, what) {
            case .answer(let response):
                complete(decoded ? nil : client.failure(of: response, context))
            case .retry(let delay) where delay == 0:
                nextAttempt()
            case .retry(let delay):
                timer = engine.schedule(atMs: monotonicMs() + delay) { [self] in
                    timer = nil
                    nextAttempt()
                }
            }
        } catch {
            complete(hssError(error))
        }
    }

    /// The switch was triggered, or the client is being freed: the transfer
    /// in progress is stopped (libcurl closes its connection) and the call
    /// completes with HSS_E_CANCELLED at once.
    func cancelNow() {
        guard !finished else { return }
        if let connection = running {
            running = nil
            engine.stop(connection, request.method, timeouts: attempt.timeouts)
            calls.connections?.put(connection)
        }
        var error = HSSError(HSS_E_CANCELLED, "the call was cancelled")
        error.attempts = retry.sent
        complete(error)
    }

    /// The call's one completion: nil for success.
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
