import CHSSAPI
import HSSBase
import Synchronization

/// The time to sign requests with: the local clock, corrected by what a
/// gateway's Date said when it refused a signature as expired (APIGW.0303).
/// One per client, shared by its HSS and IAM requests.
///
/// A correction is bounded and temporary (hss.h, "Clock skew"). More than
/// `maxCorrection` is refused: a whole day covers a clock set to local time
/// instead of UTC in any time zone (the common large skew), while a Date
/// further off is more likely wrong than the local clock, and a machine
/// days off needs fixing, not hiding. An accepted correction is trusted for
/// `lifetimeMs` and dropped sooner when the local clock is stepped (NTP, an
/// operator); the next refusal then measures again.
package final class SigningClock {
    package static let maxCorrection = 24 * 3600
    package static let lifetimeMs = 15 * 60 * 1000
    /// How far the wall clock may drift from the monotonic one before a
    /// correction counts as outdated by a step of the local clock.
    private static let stepToleranceMs = 2000

    private struct Correction {
        let offset: Int
        let wallAtMs: Int
        let monotonicAtMs: Int
    }

    private let correction = Mutex<Correction?>(nil)
    /// Set (for good) once a correction has been applied: until then the time to sign with is
    /// read without taking the lock.
    private let everCorrected = Atomic<Bool>(false)
    private let wallMs: () -> Int
    private let monotonic: () -> Int

    /// The clocks are injectable for unit tests only.
    package init(wallMs: @escaping () -> Int = realtimeMs, monotonicMs: @escaping () -> Int = monotonicMs) {
        self.wallMs = wallMs
        self.monotonic = monotonicMs
    }

    /// Seconds since the epoch to sign with now.
    package func now() -> time_t {
        let wall = wallMs()
        return wall / 1000 + (currentOffset(wall: wall) ?? 0)
    }

    /// The correction in use, if any (seconds).
    package var offset: Int? { currentOffset(wall: wallMs()) }

    private func currentOffset(wall: Int) -> Int? {
        guard everCorrected.load(ordering: .acquiring) else { return nil }
        return correction.withLock { current in
            guard let applied = current else { return nil }
            let elapsed = monotonic() - applied.monotonicAtMs
            let stepped = abs((wall - applied.wallAtMs) - elapsed) > SigningClock.stepToleranceMs
            if elapsed > SigningClock.lifetimeMs || stepped {
                current = nil
                return nil
            }
            return applied.offset
        }
    }

    /// Adopts the gateway's time if it is within `maxCorrection` of ours.
    /// Returns the difference (seconds, positive when the gateway is ahead)
    /// and whether it was applied.
    package func correct(serverDate: Int) -> (offset: Int, applied: Bool) {
        let wall = wallMs()
        let difference = serverDate - wall / 1000
        guard abs(difference) <= SigningClock.maxCorrection else { return (difference, false) }
        correction.withLock { $0 = Correction(offset: difference, wallAtMs: wall, monotonicAtMs: monotonic()) }
        everCorrected.store(true, ordering: .releasing)
        return (difference, true)
    }

    /// "3 d 4 h", "16 min 5 s": a skew for a message.
    package static func describe(_ seconds: Int) -> String {
        let s = abs(seconds)
        if s >= 86_400 { return "\(s / 86_400) d \(s % 86_400 / 3600) h" }
        if s >= 3600 { return "\(s / 3600) h \(s % 3600 / 60) min" }
        if s >= 60 { return "\(s / 60) min \(s % 60) s" }
        return "\(s) s"
    }
}

/// Milliseconds on the wall clock (CLOCK_REALTIME).
package func realtimeMs() -> Int {
    var now = timespec()
    clock_gettime(CLOCK_REALTIME, &now)
    return now.tv_sec * 1000 + now.tv_nsec / 1_000_000
}
