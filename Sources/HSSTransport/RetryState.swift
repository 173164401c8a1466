import CHSSAPI
import HSSBase

/// The retry loop's decisions (hss.h, "Retries" and "Clock skew"), with no
/// waiting and no sending: what the blocking loop (RequestLoop.run) and
/// libhss's engine (an asynchronous call) both follow, attempt by attempt.
/// `begin` says whether another attempt may start and with which timeouts
/// and signing time; `settle` takes its outcome and says whether the answer
/// is final, or after how long to try again, or throws the final failure.
/// An attempt is tried again after a broken transport or a
/// 429/500/502/503/504, within max_attempts, the client's retry budget and
/// the call's deadline; an expired signature (401 APIGW.0303 with a Date
/// within the clock's window) is signed again at once with the gateway's
/// time, not counted as an attempt.
package struct RetryState {
    package enum Next {
        /// The final answer, whatever its status: the caller describes a >= 400 one, to which
        /// its `note` adds why no further attempt was made.
        case answer(HTTPResponse)
        /// Try again after this many milliseconds (0: at once, signed again).
        case retry(afterMs: Int)
    }

    private let policy: RetryPolicy
    private let budget: RetryBudget
    private let clock: SigningClock
    private let trace: Trace
    private let service: String
    private let limit: Timeouts?
    private let retryConnectFailures: Bool
    private let signsWithClock: Bool
    /// Requests made, the clock-skew retry included; attempts counted against max_attempts.
    package private(set) var sent = 0
    private var counted = 0
    private var skewCorrected = false
    private var startedMs = 0

    /// `service` names the service in messages;
    /// `limit`: the service's own timeouts (shorter than the call's);
    /// `retryConnectFailures` false: a refused connection is final (the
    /// metadata service off the cloud); `signsWithClock` false: the request
    /// is not signed with the clock (no skew correction).
    package init(
        _ loop: RequestLoop, service: String, limit: Timeouts? = nil,
        retryConnectFailures: Bool = true, signsWithClock: Bool = true
    ) {
        policy = loop.policy
        budget = loop.budget
        clock = loop.clock
        trace = loop.trace
        self.service = service
        self.limit = limit
        self.retryConnectFailures = retryConnectFailures
        self.signsWithClock = signsWithClock
    }

    /// The next attempt's timeouts (what is left of the call) and the time
    /// to sign it with; throws HSS_E_TIMEOUT when the deadline has passed.
    /// `what` names the request in messages (made only when one is).
    package mutating func begin(_ context: CallContext, _ what: () -> String) throws -> (
        timeouts: Timeouts?, signingTime: time_t
    ) {
        let remaining = context.remainingMs  // one clock read for the check and the timeouts
        guard remaining > 0 else {
            var error = context.expired(before: sent == 0 ? what() : "attempt \(counted + 1) of \(what())")
            error.attempts = sent
            throw error
        }
        sent += 1
        counted += 1
        startedMs = trace.wants(HSS_TRACE_DEBUG) ? monotonicMs() : 0
        return (context.attemptTimeouts(within: limit, remainingMs: remaining), clock.now())
    }

    /// What to do after the attempt `begin` started ended with `outcome`.
    /// Throws the final failure (with why no further attempt was made in
    /// its message).
    package mutating func settle(
        _ outcome: Result<HTTPResponse, HSSError>, _ context: CallContext, _ what: () -> String
    ) throws -> Next {
        switch outcome {
        case .success(let answer): return try settle(answer: answer, context, what)
        case .failure(let error): return try settle(failure: error, context, what)
        }
    }

    /// The same, for an attempt that was answered (the blocking loop's way:
    /// no Result is built, and none destroyed, on every call).
    package mutating func settle(answer: HTTPResponse, _ context: CallContext, _ what: () -> String) throws -> Next {
        answer.attempts = sent
        if startedMs != 0 {
            trace.emit(
                HSS_TRACE_DEBUG,
                "< HTTP \(answer.status) in \(monotonicMs() - startedMs) ms"
                    + (answer.requestID.isEmpty ? "" : " (request id \(answer.requestID))"))
        }
        if signsWithClock, !skewCorrected, let serverDate = answer.serverDate, answer.status == 401,
            ServiceErrorBody.code(of: answer.body) == "APIGW.0303"
        {
            skewCorrected = true
            let (offset, applied) = clock.correct(serverDate: serverDate)
            let skew = "its clock is \(SigningClock.describe(offset)) \(offset >= 0 ? "ahead of" : "behind") ours"
            guard applied else {
                answer.note =
                    "the gateway refused the signature as expired: \(skew), more than the "
                    + "\(SigningClock.maxCorrection / 3600) h libhss corrects; fix this machine's clock"
                return .answer(answer)
            }
            trace.emit(
                HSS_TRACE_INFO,
                "\(what()): the gateway refused the signature as expired (APIGW.0303): \(skew); "
                    + "signing again with its time")
            counted -= 1
            return .retry(afterMs: 0)
        }
        guard RetryPolicy.isRetryableStatus(answer.status) else {
            if answer.status < 400 { budget.refund() }
            return .answer(answer)
        }
        return try retryOrGiveUp(
            ServiceErrorBody.describe(answer, redactor: context.redactor, service: service), answer, context, what)
    }

    /// The same, for an attempt that failed before an answer.
    package mutating func settle(failure error: HSSError, _ context: CallContext, _ what: () -> String) throws -> Next {
        var error = error
        error.attempts = sent
        if startedMs != 0 { trace.emit(HSS_TRACE_DEBUG, "< \(error.message)") }
        guard RetryPolicy.isRetryable(error), retryConnectFailures || !error.connectFailed else { throw error }
        return try retryOrGiveUp(error, nil, context, what)
    }

    /// After a failed attempt (`response`: its >= 400 answer, if it had
    /// one): another attempt after a delay, or the end.
    private mutating func retryOrGiveUp(
        _ failure: HSSError, _ response: HTTPResponse?, _ context: CallContext, _ what: () -> String
    ) throws -> Next {
        var failure = failure
        /// Gives up: the last answer with `note`, or the failure with it.
        func giveUp(_ note: String?) throws -> Next {
            if let response {
                response.note = note
                return .answer(response)
            }
            if let note { failure.message += " (\(note))" }
            throw failure
        }
        guard counted < policy.maxAttempts else { return try giveUp(sent > 1 ? "after \(sent) attempts" : nil) }
        let delay = policy.delayMs(afterFailure: counted, retryAfterMs: failure.retryAfterMs)
        guard monotonicMs() + delay < context.deadlineMs else {
            trace.emit(HSS_TRACE_INFO, "\(what()): attempt \(counted) failed (\(failure.message)); no time left")
            return try giveUp("no time left within the call's timeout to retry\(sent > 1 ? "; \(sent) attempts" : "")")
        }
        guard budget.withdraw(after: failure) else {
            trace.emit(HSS_TRACE_INFO, "\(what()): attempt \(counted) failed (\(failure.message)); budget spent")
            return try giveUp("the client's retry budget is spent\(sent > 1 ? "; \(sent) attempts" : "")")
        }
        trace.emit(
            HSS_TRACE_INFO,
            "\(what()): attempt \(counted) of \(policy.maxAttempts) failed (\(failure.message)); "
                + "retrying in \(delay) ms")
        return .retry(afterMs: delay)
    }
}
