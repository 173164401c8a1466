import CHSSAPI

/// Where a client's diagnostics go: the caller's trace function (up to the
/// level it asked for), else stderr when HSS_DEBUG=1 (every level), else
/// nowhere. Lines never hold a secret (the callers redact, Redactor.line)
/// and follow the one single-line rule (SingleLine), whatever their parts.
package struct Trace {
    private let function: hss_trace_fn?
    private let user: UnsafeMutableRawPointer?
    private let toStandardError: Bool
    /// The most detailed level wanted; 0 when nothing is.
    private let level: UInt32

    package init(function: hss_trace_fn? = nil, user: UnsafeMutableRawPointer? = nil, level: Int32 = 0) {
        self.function = function
        self.user = user
        toStandardError = function == nil && Environment.text("HSS_DEBUG") == "1"
        if function != nil {
            self.level = level == 0 ? HSS_TRACE_INFO.rawValue : UInt32(clamping: max(level, 0))
        } else {
            self.level = toStandardError ? HSS_TRACE_DEBUG.rawValue : 0
        }
    }

    package var isOn: Bool { level > 0 }

    /// Whether lines of `level` are wanted: build costly ones only then.
    package func wants(_ level: hss_trace_level) -> Bool { level.rawValue <= self.level }

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
