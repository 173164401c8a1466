import CHSSAPI
import HSSBase

/// What one call hands to every request it makes, HSS's and the identity
/// calls it causes (the credential chain, renewal, IAM discovery): the
/// deadline of the whole call (timeout_ms, hss.h "Retries") and a redactor
/// that knows every secret the client holds at that moment, the call's own
/// included.
package struct CallContext {
    /// On the monotonic clock (monotonicMs).
    package private(set) var deadlineMs: Int
    /// The transport's defaults: an attempt that may use all of them needs
    /// no per-request timeouts.
    package let timeoutMs: Int
    package let connectTimeoutMs: Int
    /// The secrets the client holds.
    private var known: Redactor
    /// The call's own secret (the registry password), read where the caller
    /// holds it: copied into a redactor only when a text must be redacted,
    /// so that a successful call copies nothing.
    private let callSecret: Bytes?

    package init(
        timeoutMs: Int, connectTimeoutMs: Int, redactor: Redactor, callSecret: Bytes? = nil,
        startedAtMs: Int = monotonicMs()
    ) {
        self.deadlineMs = startedAtMs + timeoutMs
        self.timeoutMs = timeoutMs
        self.connectTimeoutMs = connectTimeoutMs
        self.known = redactor
        self.callSecret = callSecret
    }

    /// A redactor that knows every secret the client holds and the call's own.
    package var redactor: Redactor {
        guard let callSecret else { return known }
        var redactor = known
        redactor.add(callSecret.secureCopy())
        return redactor
    }

    /// This context with `redactor` for the secrets the client holds (a
    /// session's, once it is known).
    package func holding(_ redactor: Redactor) -> CallContext {
        var copy = self
        copy.known = redactor
        return copy
    }

    package var remainingMs: Int { deadlineMs - monotonicMs() }

    /// This context with its deadline brought forward to half of what is left.
    package func withHalfTheTimeLeft() -> CallContext {
        var copy = self
        copy.deadlineMs = monotonicMs() + max(remainingMs, 0) / 2
        return copy
    }

    /// This context, whose redactor also knows `secrets`.
    package func knowing(_ secrets: SecureBuffer?...) -> CallContext {
        var copy = self
        for secret in secrets { copy.known.add(secret) }
        return copy
    }

    /// The next attempt's timeouts: what is left of the call, within
    /// `limit` (a service's own, shorter ones). nil when the transport's
    /// defaults already say that (no per-request setopt).
    /// `remainingMs`: what is left, if the caller has just read it.
    package func attemptTimeouts(within limit: Timeouts? = nil, remainingMs known: Int? = nil) -> Timeouts? {
        let left = max(known ?? remainingMs, 1)
        if limit == nil, left >= timeoutMs - 10 { return nil }
        let total = min(limit?.totalMs ?? left, left)
        return Timeouts(connectMs: min(limit?.connectMs ?? connectTimeoutMs, total), totalMs: total)
    }

    /// The error of a call whose deadline passed before `step`.
    package func expired(before step: String) -> HSSError {
        HSSError(HSS_E_TIMEOUT, "the call's timeout (\(timeoutMs) ms) ran out before \(step)")
    }
}
