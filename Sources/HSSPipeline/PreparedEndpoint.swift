import CHSSAPI
import HSSBase
import HSSSigning
import HSSTransport

/// What every call of a session sends to one endpoint for one API path,
/// prepared once: the URL up to its query and the signing template (the
/// canonical request's fixed parts). A call then writes only its query, its
/// X-Sdk-Date and its Authorization, into its connection's arena
/// (PreparedEndpoint.write): nothing else is built per call.
final class PreparedEndpoint {
    /// The method and the path template's address (a literal's): the
    /// request has no path parameters or headers of its own.
    struct Key: Equatable {
        let method: HTTPMethod
        let pathTemplate: UInt

        /// Written out: the synthesised one compared the methods through
        /// Equatable's witness table (HTTPMethod is declared in another module).
        static func == (a: Key, b: Key) -> Bool {
            guard a.pathTemplate == b.pathTemplate else { return false }
            switch (a.method, b.method) {
            case (.get, .get), (.post, .post), (.put, .put): return true
            default: return false
            }
        }
    }

    /// "https://host/v5/<project>/...?" (the "?" dropped when a call has no query).
    let urlHead: SecureBuffer
    let template: SigningTemplate?
    let index: Int
    /// The endpoint is http:// and no_proxy exempts it: sent with no proxy
    /// at all, so that libcurl cannot decide otherwise (hss.h, Proxy).
    let forceDirect: Bool
    /// The session's fixed header lines for this endpoint, and their texts
    /// (read once here: a call lists them without a retain or a call per line).
    private let fixedLines: [SecureBuffer]
    private let fixedLineTexts: [UnsafePointer<CChar>]

    private init(
        urlHead: SecureBuffer, template: SigningTemplate?, index: Int, forceDirect: Bool, fixedLines: [SecureBuffer]
    ) {
        self.urlHead = urlHead
        self.template = template
        self.index = index
        self.forceDirect = forceDirect
        self.fixedLines = fixedLines
        fixedLineTexts = fixedLines.compactMap(\.cString)
    }

    /// One per endpoint of the configuration, for `path` (resolved) and the
    /// request's own headers (`extraHeaders`, signed like the fixed ones).
    static func make(
        method: HTTPMethod, path: String, extraHeaders: [Header], session: Session,
        configuration: ClientConfiguration
    ) -> [PreparedEndpoint] {
        let uri = Signer.canonicalURI(path: path)
        return configuration.endpoints.enumerated().map { index, endpoint in
            let urlHead = SecureBuffer(capacity: endpoint.base.utf8.count + path.utf8.count + 1)
            urlHead.append(endpoint.base)
            urlHead.append(path)
            urlHead.append(UInt8(ascii: "?"))
            let headers =
                extraHeaders.isEmpty ? session.fixedHeaders[index] : session.fixedHeaders[index].merging(extraHeaders)
            let template = session.signer?.template(method: method.rawValue, canonicalURI: uri, headers: headers)
            return PreparedEndpoint(
                urlHead: urlHead, template: template, index: index,
                forceDirect: configuration.sendsDirect[index], fixedLines: session.fixedHeaderLines[index])
        }
    }

    private static let dateName: StaticString = "X-Sdk-Date: "
    private static let authorizationName: StaticString = "Authorization: "

    /// Where a call's request lies in its connection's arena.
    struct Written {
        let url: Range<Int>
        /// The URL's text (NUL-terminated) where it lies in the arena, final once written; nil
        /// when the arena could not grow. (Read here: a caller reading the arena through its
        /// connection retains and releases it.)
        let urlText: UnsafePointer<CChar>?
        let query: Range<Int>
        /// X-Sdk-Date's value, and the X-Sdk-Date and Authorization lines
        /// (without their NUL); nil for a token's request, which is not signed.
        let date: Range<Int>?
        let signedLines: (date: Range<Int>, authorization: Range<Int>)?
    }

    /// Writes `request` (signed at `now` with the session's keys) into
    /// `connection`'s arena and lists its header lines: the session's fixed
    /// ones, the request's own, X-Sdk-Date and Authorization. Room is
    /// reserved first, so that nothing moves while views into the arena are
    /// read: the query is signed where it was written.
    func write(
        _ request: Request, session: Session, now: time_t, extraLines: [SecureBuffer], into connection: HTTPConnection
    ) -> Written {
        let arena = connection.arena
        // The encoded query is at most 3 bytes per byte; it is written once and copied into the
        // canonical request (scratch), so reserve for both before any view into the arena is taken.
        // Fields read in place (not `for parameter in`): a copy of a parameter retains its value's owner.
        let query = request.query
        var queryBytes = 0
        for i in query.indices {
            queryBytes += 3 * (query[i].name.utf8CodeUnitCount + query[i].bytes.count) + 2
        }
        arena.reserveCapacity(
            forAppending: urlHead.count + queryBytes + 64 + (template?.scratchBytes(queryCount: queryBytes) ?? 0))
        let start = arena.count
        arena.append(urlHead)
        let queryStart = arena.count
        withUnsafeTemporaryAllocation(of: Signer.QueryView.self, capacity: query.count) { views in
            for i in query.indices {
                (views.baseAddress! + i).initialize(
                    to: .init(
                        name: UnsafeBufferPointer(
                            start: query[i].name.utf8Start, count: query[i].name.utf8CodeUnitCount),
                        value: query[i].bytes))
            }
            Signer.appendCanonicalQuery(views, to: arena)
            views.baseAddress!.deinitialize(count: query.count)
        }
        let queryEnd = arena.count
        if queryEnd == queryStart { arena.truncate(to: queryStart - 1) }  // no query: no "?"
        let urlEnd = arena.count
        arena.append(0)
        var dateRange: Range<Int>?
        var signedLines: (date: Range<Int>, authorization: Range<Int>)?
        // Read in place where used, not bound to names: a binding retained and released each.
        if template != nil, session.signer != nil {
            // "X-Sdk-Date: <date>", its NUL and "Authorization: ", in one append.
            let dateLine = arena.count
            let dateStart = dateLine + PreparedEndpoint.dateName.utf8CodeUnitCount
            let dateLineEnd = dateStart + 16
            let authorization = dateLineEnd + 1
            arena.append(maxCount: authorization - dateLine + PreparedEndpoint.authorizationName.utf8CodeUnitCount) {
                $0.update(from: PreparedEndpoint.dateName.utf8Start, count: dateStart - dateLine)
                Signer.writeSDKDate(now, to: $0 + (dateStart - dateLine))
                $0[dateLineEnd - dateLine] = 0
                let name = PreparedEndpoint.authorizationName
                ($0 + (authorization - dateLine)).update(from: name.utf8Start, count: name.utf8CodeUnitCount)
                return authorization - dateLine + name.utf8CodeUnitCount
            }
            dateRange = dateStart..<dateLineEnd
            session.signer!.appendAuthorization(
                to: arena, template: template!,
                query: UnsafeBufferPointer(rebasing: arena.bytes[queryStart..<queryEnd]),
                date: UnsafeBufferPointer(rebasing: arena.bytes[dateStart..<dateStart + 16]))
            signedLines = (dateLine..<dateLineEnd, authorization..<arena.count)
            arena.append(0)
        }
        // The arena is final: its lines can be pointed at.
        let base = arena.cString
        fixedLineTexts.withUnsafeBufferPointer { connection.appendHeaders($0) }
        for line in extraLines { if let text = line.cString { connection.appendHeader(text) } }
        if let signedLines, let base {
            connection.appendHeader(base + signedLines.date.lowerBound)
            connection.appendHeader(base + signedLines.authorization.lowerBound)
        }
        return Written(
            url: start..<urlEnd, urlText: base.map { $0 + start }, query: queryStart..<queryEnd,
            date: dateRange, signedLines: signedLines)
    }
}
