import CHSSAPI
import Synchronization

/// Where a client's diagnostics go: the caller's trace function (up to the
/// level it asked for), else stderr when HSS_DEBUG=1 (every level), else
/// nowhere. Lines never hold a secret (the callers redact, Redactor.line)
/// and follow the one single-line rule (SingleLine), whatever their parts.
package struct Trace {
    private let function: hss_trace_fn?
    private let user: UnsafeMutableRawPointer?
    private let toStandardError: Bool
    /// The most detailed level wanted; 0 when nothing is. Shared by every
    /// copy, so that hss_client_set_trace_level reaches them all.
    private final class Level: Sendable {
        let value: Atomic<UInt32>
        init(_ value: UInt32) { self.value = Atomic(value) }
    }

    private let level: Level

    package init(function: hss_trace_fn? = nil, user: UnsafeMutableRawPointer? = nil, level: Int32 = 0) {
        self.function = function
        self.user = user
        toStandardError = function == nil && Environment.text("HSS_DEBUG") == "1"
        self.level = Level(0)
        setLevel(level)
    }

    /// The level the caller asked for (0: the default: INFO for a trace
    /// function; everything for HSS_DEBUG's stderr).
    package func setLevel(_ requested: Int32) {
        let value: UInt32
        if function != nil {
            value = requested == 0 ? HSS_TRACE_INFO.rawValue : UInt32(clamping: max(requested, 0))
        } else {
            value = toStandardError ? (requested == 0 ? HSS_TRACE_DEBUG.rawValue : UInt32(clamping: requested)) : 0
        }
        level.value.store(value, ordering: .relaxed)
    }

    package var isOn: Bool { level.value.load(ordering: .relaxed) > 0 }

    /// Whether lines of `level` are wanted: build costly ones only then.
    package func wants(_ level: hss_trace_level) -> Bool { level.rawValue <= self.level.value.load(ordering: .relaxed) }

    package func emit(_ level: hss_trace_level, _ line: @autoclosure () -> String) {
        guard wants(level) else { return }
        let text = SingleLine.of(line())
        if let function {
            text.withCString { function(level, $0, user) }
        } else {
            let prefix =
                level == HSS_TRACE_WARNING ? "warning: " : level == HSS_TRACE_INFO ? "info: " : "debug: "
            var output = "libhss: " + prefix + text + "\n"
            output.withUTF8 { _ = write(2, $0.baseAddress, $0.count) }
        }
    }
}
