import CHSSAPI
import HSSBase
import Synchronization

/// When and how long to wait before trying a failed request again
/// (hss.h, "Retries"). Every request libhss sends is a read without side
/// effects, so any of them may be repeated.
package struct RetryPolicy {
    package static let defaultAttempts = 3
    package static let defaultBaseMs = 200
    package static let defaultCapMs = 20_000

    package var maxAttempts = RetryPolicy.defaultAttempts
    package var baseMs = RetryPolicy.defaultBaseMs
    package var capMs = RetryPolicy.defaultCapMs

    package init(maxAttempts: Int = defaultAttempts, baseMs: Int = defaultBaseMs, capMs: Int = defaultCapMs) {
        self.maxAttempts = maxAttempts
        self.baseMs = baseMs
        self.capMs = capMs
    }

    /// "Busy" or "unavailable": the service may answer the same request later.
    /// A switch, not a Set: every answer is checked, and a Set hashes the status each time.
    package static func isRetryableStatus(_ status: Int) -> Bool {
        switch status {
        case 429, 500, 502, 503, 504: return true
        default: return false
        }
    }

    /// Whether a failure is worth another attempt: the transport broke
    /// (name, connect, reset, an answer cut short, an attempt's timeout), or
    /// the service said "busy" or "unavailable" (429, 500, 502, 503, 504).
    /// Never another 4xx, a TLS failure or an answer that cannot be used.
    package static func isRetryable(_ error: HSSError) -> Bool {
        switch error.status {
        case HSS_E_NETWORK, HSS_E_TIMEOUT: return true
        case HSS_E_HTTP_CLIENT, HSS_E_HTTP_SERVER: return isRetryableStatus(error.httpStatus)
        default: return false
        }
    }

    /// The wait before attempt `failed + 1`: what Retry-After asks, up to
    /// the cap; else a random time in [0, min(cap, base * 2^(failed-1))].
    package func delayMs(afterFailure failed: Int, retryAfterMs: Int?) -> Int {
        if let retryAfterMs { return min(max(retryAfterMs, 0), capMs) }
        let ceiling = min(capMs, baseMs << min(failed - 1, 20))
        return Int.random(in: 0...max(ceiling, 0))
    }
}

/// A client's retry budget, as in the AWS SDKs' standard retry mode: a
/// retry costs tokens, a success gives one back, so that during an outage
/// failures are reported at once instead of multiplying the load.
package final class RetryBudget {
    package static let capacity = 500
    package static let retryCost = 5
    package static let timeoutRetryCost = 10

    private let tokens = Mutex(RetryBudget.capacity)

    package init() {}

    /// Takes the cost of one retry after `error`; false when the budget
    /// cannot pay it.
    package func withdraw(after error: HSSError) -> Bool {
        let cost = error.status == HSS_E_TIMEOUT ? RetryBudget.timeoutRetryCost : RetryBudget.retryCost
        return tokens.withLock { left in
            guard left >= cost else { return false }
            left -= cost
            return true
        }
    }

    package func refund() {
        tokens.withLock { left in left = min(left + 1, RetryBudget.capacity) }
    }

    package var available: Int { tokens.withLock { $0 } }
}

/// Milliseconds on a clock that only moves forward (deadlines, timings).
package func monotonicMs() -> Int {
    var now = timespec()
    clock_gettime(CLOCK_MONOTONIC, &now)
    return now.tv_sec * 1000 + now.tv_nsec / 1_000_000
}

/// Sleeps `ms` milliseconds (resumed after a signal).
package func sleepMs(_ ms: Int) {
    guard ms > 0 else { return }
    var wait = timespec(tv_sec: ms / 1000, tv_nsec: (ms % 1000) * 1_000_000)
    var left = timespec()
    while nanosleep(&wait, &left) != 0 { wait = left }
}
