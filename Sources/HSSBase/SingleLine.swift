/// The one single-line rule (hss.h, hss_error_message and hss_trace_fn):
/// every text libhss shows (an error message, a trace line) is one line of
/// printable characters, whatever its parts came from: the wire, the
/// environment (a path in HOME), a file. Control characters (C0, DEL, C1),
/// line and paragraph separators and the bidirectional formatting
/// characters (which can reorder what a terminal shows) become a space;
/// runs of them one space.
package enum SingleLine {
    package static func of(_ text: String) -> String {
        var out = String.UnicodeScalarView()
        var pendingSpace = false
        for scalar in text.unicodeScalars {
            if isUnprintable(scalar) {
                pendingSpace = !out.isEmpty
                continue
            }
            if pendingSpace {
                out.append(" ")
                pendingSpace = false
            }
            out.append(scalar)
        }
        return String(out)
    }

    /// The same rule, but line feeds stay (a service message may quote a
    /// multi-line request; hss_error_service_message says so) and tabs too.
    package static func keepingLineFeeds(_ text: String) -> String {
        String(
            String.UnicodeScalarView(
                text.unicodeScalars.map { $0 == "\n" || $0 == "\t" || !isUnprintable($0) ? $0 : " " }))
    }

    /// Whether every scalar of `text` is shown as is by `of`.
    package static func isClean(_ text: String) -> Bool { !text.unicodeScalars.contains(where: isUnprintable) }

    package static func isUnprintable(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.value {
        case 0x00...0x1F, 0x7F...0x9F: return true  // C0, DEL, C1
        case 0x2028, 0x2029: return true  // line and paragraph separators
        case 0x200E, 0x200F, 0x202A...0x202E, 0x2066...0x2069, 0x061C: return true  // bidi controls
        default: return false
        }
    }
}
