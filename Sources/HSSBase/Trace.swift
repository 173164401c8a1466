import CHSS

/// Where a client's diagnostics go: the caller's trace function, else
/// stderr when HSS_DEBUG=1, else nowhere. Lines never hold a secret (the
/// callers redact); control characters become spaces, so a line stays one.
package struct Trace {
    private let function: hss_trace_fn?
    private let user: UnsafeMutableRawPointer?
    private let toStandardError: Bool

    package init(function: hss_trace_fn? = nil, user: UnsafeMutableRawPointer? = nil) {
        self.function = function
        self.user = user
        toStandardError = function == nil && Environment.text("HSS_DEBUG") == "1"
    }

    package var isOn: Bool { function != nil || toStandardError }

    package func emit(_ level: hss_trace_level, _ line: @autoclosure () -> String) {
        guard isOn else { return }
        let text = String(line().unicodeScalars.map { $0.value < 0x20 || $0.value == 0x7F ? " " : Character($0) })
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
