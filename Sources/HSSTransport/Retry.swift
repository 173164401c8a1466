import CHSS
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

    /// Whether a failure is worth another attempt: the transport broke
    /// (name, connect, reset, an answer cut short, an attempt's timeout), or
    /// the service said "busy" or "unavailable" (429, 500, 502, 503, 504).
    /// Never another 4xx, a TLS failure or an answer that cannot be used.
    package static func isRetryable(_ error: HSSError) -> Bool {
        switch error.status {
        case HSS_E_NETWORK, HSS_E_TIMEOUT: return true
        case HSS_E_HTTP_CLIENT, HSS_E_HTTP_SERVER: return [429, 500, 502, 503, 504].contains(error.httpStatus)
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

/// The time to sign requests with: the local clock corrected by what a
/// gateway's Date said when it refused a signature as expired (APIGW.0303).
/// One per client, shared by HSS and IAM requests.
package final class SigningClock {
    private let offset = Atomic<Int>(0)

    package init() {}

    package func now() -> time_t { time(nil) + offset.load(ordering: .relaxed) }

    /// Adopts the gateway's time; returns the difference, in seconds.
    @discardableResult
    package func correct(serverDate: Int) -> Int {
        let difference = serverDate - Int(time(nil))
        offset.store(difference, ordering: .relaxed)
        return difference
    }

    /// Whether an error answer is an expired signature the clock can fix:
    /// 401 APIGW.0303 with a Date header.
    package static func isSkew(_ error: HSSError) -> Bool {
        error.httpStatus == 401 && error.code == "APIGW.0303" && error.serverDate != nil
    }
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

/// HTTP dates (RFC 9110 IMF-fixdate, "Sun, 06 Nov 1994 08:49:37 GMT") and
/// Retry-After's delay-seconds.
package enum HTTPDate {
    private static let months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]

    /// Seconds since the epoch, or nil if `text` is not an IMF-fixdate.
    package static func parse(_ text: String) -> Int? {
        let parts = text.split(separator: " ")
        guard parts.count == 6, parts[0].count == 4, parts[0].hasSuffix(","), parts[5] == "GMT",
            let day = Int(parts[1]), parts[1].count == 2, let monthIndex = months.firstIndex(of: String(parts[2])),
            let year = Int(parts[3]), parts[3].count == 4
        else { return nil }
        let clock = parts[4].split(separator: ":")
        guard clock.count == 3, clock.allSatisfy({ $0.count == 2 }), let hour = Int(clock[0]),
            let minute = Int(clock[1]), let second = Int(clock[2]),
            (1...31).contains(day), hour < 24, minute < 60, second < 61
        else { return nil }
        var fields = tm()
        fields.tm_year = Int32(year - 1900)
        fields.tm_mon = Int32(monthIndex)
        fields.tm_mday = Int32(day)
        fields.tm_hour = Int32(hour)
        fields.tm_min = Int32(minute)
        fields.tm_sec = Int32(second)
        return Int(timegm(&fields))
    }

    /// Retry-After as milliseconds from `now`: delay-seconds or an HTTP date.
    package static func retryAfterMs(_ text: String, now: Int) -> Int? {
        if !text.isEmpty, text.utf8.count <= 9, text.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }),
            let seconds = Int(text)
        {
            return seconds * 1000
        }
        return parse(text).map { max($0 - now, 0) * 1000 }
    }
}
