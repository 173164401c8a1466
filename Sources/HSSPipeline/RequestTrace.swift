import CHSSAPI
import HSSBase
import HSSIdentity
import HSSSigning
import HSSTransport

extension HSSClient {
    /// Debug lines for one request (hss.h, hss_trace_fn): what was signed
    /// and what is sent, every secret starred, the AK masked. No line
    /// carries a value computed from a secret that is not keyed by the SK:
    /// the string to sign's hash of the canonical request is withheld when
    /// that request holds a secret (the registry password, a security
    /// token), since anyone holding the trace could test guesses of the
    /// secret offline. The signature, keyed by the SK, stays.
    func traceRequest(
        _ request: Request, written: PreparedEndpoint.Written, connection: HTTPConnection,
        prepared: PreparedEndpoint, session: Session, extraLines: [SecureBuffer], redactor: Redactor
    ) {
        let trace = configuration.trace
        let arena = connection.arena.bytes
        trace.emit(
            HSS_TRACE_DEBUG,
            "> \(request.method.rawValue) \(redactor.redact(UnsafeBufferPointer(rebasing: arena[written.url])))")
        if let signer = session.signer, let template = prepared.template, let dateRange = written.date {
            let canonical = SecureBuffer(capacity: 1024)
            let date = UnsafeBufferPointer(rebasing: arena[dateRange])
            template.appendCanonicalRequest(
                to: canonical, query: UnsafeBufferPointer(rebasing: arena[written.query]), date: date)
            let shown = redactor.redact(canonical.bytes)
            for line in shown.split(separator: "\n", omittingEmptySubsequences: false) {
                trace.emit(HSS_TRACE_DEBUG, "canonical request: \(line)")
            }
            let holdsSecret = !shown.utf8.elementsEqual(canonical.bytes)
            let toSign = signer.stringToSign(date: String(decoding: date, as: UTF8.self), canonicalRequest: canonical)
            let toSignLines = toSign.string().split(separator: "\n")
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
        for line in headerLines(
            written, connection: connection, index: prepared.index, session: session,
            extraLines: extraLines, redactor: redactor)
        {
            trace.emit(HSS_TRACE_DEBUG, "> \(line)")
        }
    }

    /// The request as it would be sent, redacted as debug lines are: the
    /// request line, then one header per line (hss.h, HSS_E_DRY_RUN).
    func describeRequest(
        _ request: Request, written: PreparedEndpoint.Written, connection: HTTPConnection, session: Session,
        redactor: Redactor
    ) -> String {
        let url = UnsafeBufferPointer(rebasing: connection.arena.bytes[written.url])
        let index = activeEndpointIndex
        return
            (["\(request.method.rawValue) \(redactor.redact(url))"]
            + headerLines(
                written, connection: connection, index: index, session: session,
                extraLines: request.headers.map(IdentityHTTP.line), redactor: redactor))
            .joined(separator: "\n")
    }

    /// A request's header lines redacted, the AK masked in Authorization.
    private func headerLines(
        _ written: PreparedEndpoint.Written, connection: HTTPConnection, index: Int, session: Session,
        extraLines: [SecureBuffer], redactor: Redactor
    ) -> [String] {
        var texts = (session.fixedHeaderLines[index] + extraLines).map { redactor.redact($0.bytes) }
        if let (date, authorization) = written.signedLines {
            let arena = connection.arena.bytes
            texts.append(redactor.redact(UnsafeBufferPointer(rebasing: arena[date])))
            var line = redactor.redact(UnsafeBufferPointer(rebasing: arena[authorization]))
            if let accessKey = session.credentials.accessKey {
                let masked = session.credentials.maskedAccessKey
                line = line.replacingFirst("Access=\(accessKey),", with: "Access=\(masked),")
                    .replacingFirst("Credential=\(accessKey)/", with: "Credential=\(masked)/")
            }
            texts.append(line)
        }
        return texts
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
