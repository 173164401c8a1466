import CHSSAPI
import HSSBase
import HSSSigning
import HSSTransport

extension HSSClient {
    /// Debug lines for one request (hss.h, hss_trace_fn): what was signed
    /// and what is sent, every secret starred, the AK masked. No line
    /// carries a value computed from a secret that is not keyed by the SK:
    /// the string to sign's hash of the canonical request is withheld when
    /// that request holds a secret (the registry password, a security
    /// token), since anyone holding the trace could test guesses of the
    /// secret against it offline. The signature, keyed by the SK, stays.
    func traceRequest(
        _ request: Request, path: String, query: SecureBuffer, lines: [SecureBuffer], session: Session, index: Int,
        now: time_t, url: SecureBuffer, redactor: Redactor
    ) {
        let trace = configuration.trace
        trace.emit(HSS_TRACE_DEBUG, "> \(request.method.rawValue) \(redactor.redact(url.bytes))")
        if let signer = session.signer {
            let date = Signer.sdkDate(now)
            let canonical = signer.canonicalRequest(
                method: request.method.rawValue, canonicalURI: Signer.canonicalURI(path: path), query: query,
                headers: session.fixedHeaders[index].merging(request.headers + [Header("X-Sdk-Date", date)]))
            let shown = redactor.redact(canonical.request.bytes)
            for line in shown.split(separator: "\n", omittingEmptySubsequences: false) {
                trace.emit(HSS_TRACE_DEBUG, "canonical request: \(line)")
            }
            let holdsSecret = !shown.utf8.elementsEqual(canonical.request.bytes)
            let toSign = signer.stringToSign(date: date, canonicalRequest: canonical.request).string()
            let toSignLines = toSign.split(separator: "\n")
            for (number, line) in toSignLines.enumerated() {
                let isHash = number == toSignLines.count - 1
                trace.emit(
                    HSS_TRACE_DEBUG,
                    "string to sign: "
                        + (isHash && holdsSecret
                            ? "(the hash of the canonical request is withheld: that request holds a secret)"
                            : String(line)))
            }
        }
        for line in headerLines(lines, session: session, redactor: redactor) {
            trace.emit(HSS_TRACE_DEBUG, "> \(line)")
        }
    }

    /// The request as it would be sent, redacted as debug lines are: the
    /// request line, then one header per line (hss.h, HSS_E_DRY_RUN).
    func describeRequest(
        _ request: Request, lines: [SecureBuffer], session: Session, url: SecureBuffer, redactor: Redactor
    ) -> String {
        (["\(request.method.rawValue) \(redactor.redact(url.bytes))"]
            + headerLines(lines, session: session, redactor: redactor)).joined(separator: "\n")
    }

    /// Header lines redacted, the AK masked in Authorization.
    private func headerLines(_ lines: [SecureBuffer], session: Session, redactor: Redactor) -> [String] {
        let accessKey = session.credentials.accessKey
        return lines.map { line in
            var text = redactor.redact(line.bytes)
            if let accessKey, text.hasPrefix("Authorization: ") {
                let masked = session.credentials.maskedAccessKey
                text = text.replacingFirst("Access=\(accessKey),", with: "Access=\(masked),")
                    .replacingFirst("Credential=\(accessKey)/", with: "Credential=\(masked)/")
            }
            return text
        }
    }
}

extension String {
    /// The text with the first `target` replaced (without the regex module).
    fileprivate func replacingFirst(_ target: String, with replacement: String) -> String {
        let text = Array(utf8)
        let needle = Array(target.utf8)
        guard !needle.isEmpty, needle.count <= text.count else { return self }
        for start in 0...(text.count - needle.count) where Array(text[start..<(start + needle.count)]) == needle {
            return String(decoding: text[..<start], as: UTF8.self) + replacement
                + String(decoding: text[(start + needle.count)...], as: UTF8.self)
        }
        return self
    }
}
