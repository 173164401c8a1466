import CHSSAPI
import HSSBase

/// The one retry loop (hss.h, "Retries" and "Clock skew"), for every
/// request libhss sends: HSS's and the identity calls (IAM, STS, the
/// metadata service, pod identity). An attempt is tried again after a
/// broken transport or a 429/500/502/503/504, within max_attempts, the
/// client's retry budget and the call's deadline; an expired signature
/// (401 APIGW.0303 with a Date within the clock's window) is signed again
/// at once with the gateway's time, not counted as an attempt.
package struct RequestLoop {
    package let policy: RetryPolicy
    package let budget: RetryBudget
    package let clock: SigningClock
    package let trace: Trace

    package init(policy: RetryPolicy, budget: RetryBudget, clock: SigningClock, trace: Trace) {
        self.policy = policy
        self.budget = budget
        self.clock = clock
        self.trace = trace
    }

    /// Runs `attempt` (one request to `service`, signed at the time it is given, within
    /// the timeouts it is given) until its answer is final, and returns that
    /// answer, whatever its status: the caller describes a >= 400 one, to
    /// which `note` adds why no further attempt was made. A transport
    /// failure that is final is thrown, with the same note in its message.
    /// `limit`: the service's own timeouts (shorter than the call's);
    /// `retryConnectFailures` false: a refused connection is final (the
    /// metadata service off the cloud); `signsWithClock` false: the request
    /// is not signed with the clock (no skew correction).
    package func run(
        _ what: @autoclosure () -> String, of service: String, _ context: CallContext, limit: Timeouts? = nil,
        retryConnectFailures: Bool = true,
        signsWithClock: Bool = true, _ attempt: (_ timeouts: Timeouts?, _ signingTime: time_t) throws -> HTTPResponse
    ) throws -> HTTPResponse {
        var sent = 0  // requests made, the clock-skew retry included
        var counted = 0  // attempts counted against max_attempts
        var skewCorrected = false
        while true {
            guard context.remainingMs > 0 else {
                var error = context.expired(before: sent == 0 ? what() : "attempt \(counted + 1) of \(what())")
                error.attempts = sent
                throw error
            }
            sent += 1
            counted += 1
            let started = trace.wants(HSS_TRACE_DEBUG) ? monotonicMs() : 0
            var failure: HSSError
            var response: HTTPResponse?
            do {
                var answer = try attempt(context.attemptTimeouts(within: limit), clock.now())
                answer.attempts = sent
                if started != 0 {
                    trace.emit(
                        HSS_TRACE_DEBUG,
                        "< HTTP \(answer.status) in \(monotonicMs() - started) ms"
                            + (answer.requestID.isEmpty ? "" : " (request id \(answer.requestID))"))
                }
                if signsWithClock, !skewCorrected, let serverDate = answer.serverDate, answer.status == 401,
                    ServiceErrorBody.code(of: answer.body) == "APIGW.0303"
                {
                    skewCorrected = true
                    let (offset, applied) = clock.correct(serverDate: serverDate)
                    let skew =
                        "its clock is \(SigningClock.describe(offset)) \(offset >= 0 ? "ahead of" : "behind") ours"
                    guard applied else {
                        answer.note =
                            "the gateway refused the signature as expired: \(skew), more than the "
                            + "\(SigningClock.maxCorrection / 3600) h libhss corrects; fix this machine's clock"
                        return answer
                    }
                    trace.emit(
                        HSS_TRACE_INFO,
                        "\(what()): the gateway refused the signature as expired (APIGW.0303): \(skew); "
                            + "signing again with its time")
                    counted -= 1
                    continue
                }
                guard RetryPolicy.retryableStatuses.contains(answer.status) else {
                    if answer.status < 400 { budget.refund() }
                    return answer
                }
                failure = ServiceErrorBody.describe(answer, redactor: context.redactor, service: service)
                response = answer
            } catch var error as HSSError {
                error.attempts = sent
                if started != 0 { trace.emit(HSS_TRACE_DEBUG, "< \(error.message)") }
                guard RetryPolicy.isRetryable(error), retryConnectFailures || !error.connectFailed else { throw error }
                failure = error
            }
            /// Gives up: the last answer with `note`, or the failure with it.
            func giveUp(_ note: String?) throws -> HTTPResponse {
                if var response {
                    response.note = note
                    return response
                }
                if let note { failure.message += " (\(note))" }
                throw failure
            }
            guard counted < policy.maxAttempts else { return try giveUp(sent > 1 ? "after \(sent) attempts" : nil) }
            let delay = policy.delayMs(afterFailure: counted, retryAfterMs: failure.retryAfterMs)
            guard monotonicMs() + delay < context.deadlineMs else {
                trace.emit(HSS_TRACE_INFO, "\(what()): attempt \(counted) failed (\(failure.message)); no time left")
                return try giveUp(
                    "no time left within the call's timeout to retry\(sent > 1 ? "; \(sent) attempts" : "")")
            }
            guard budget.withdraw(after: failure) else {
                trace.emit(HSS_TRACE_INFO, "\(what()): attempt \(counted) failed (\(failure.message)); budget spent")
                return try giveUp("the client's retry budget is spent\(sent > 1 ? "; \(sent) attempts" : "")")
            }
            trace.emit(
                HSS_TRACE_INFO,
                "\(what()): attempt \(counted) of \(policy.maxAttempts) failed (\(failure.message)); "
                    + "retrying in \(delay) ms")
            sleepMs(delay)
        }
    }
}
