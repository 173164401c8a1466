import CHSSAPI
import HSSBase

/// The one retry loop (hss.h, "Retries" and "Clock skew"), for every
/// request libhss sends: HSS's and the identity calls (IAM, STS, the
/// metadata service, pod identity). Its decisions are RetryState's, which
/// libhss's engine follows too (asynchronous calls); this loop carries them
/// out on the caller's thread: it sends, and sleeps between attempts. A
/// class, one per client: a call borrows it instead of copying its fields.
package final class RequestLoop {
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
        _ what: @autoclosure () -> String, of service: String, _ context: CallContext,
        limit: Timeouts? = nil, retryConnectFailures: Bool = true, signsWithClock: Bool = true,
        _ attempt: (_ timeouts: Timeouts?, _ signingTime: time_t) throws -> HTTPResponse
    ) throws -> HTTPResponse {
        var state = RetryState(
            self, service: service, limit: limit, retryConnectFailures: retryConnectFailures,
            signsWithClock: signsWithClock)
        /// The final answer, or nil after waiting for the next attempt.
        func follow(_ next: RetryState.Next) -> HTTPResponse? {
            switch next {
            case .answer(let answer): return answer
            case .retry(let delay):
                sleepMs(delay)
                return nil
            }
        }
        while true {
            let (timeouts, signingTime) = try state.begin(context, what)
            let answer: HTTPResponse
            do {
                answer = try attempt(timeouts, signingTime)
            } catch let error as HSSError {
                if let final = follow(try state.settle(failure: error, context, what)) { return final }
                continue
            }
            if let final = follow(try state.settle(answer: answer, context, what)) { return final }
        }
    }
}
