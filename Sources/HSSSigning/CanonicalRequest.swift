import CHSSAPI
import HSSBase

/// One header to send and sign. The value is a SecureBuffer because
/// X-Security-Token and X-Auth-Token are secrets.
package struct Header {
    package let name: String
    package let value: SecureBuffer

    package init(name: String, value: SecureBuffer) {
        self.name = name
        self.value = value
    }

    package init(_ name: String, _ value: String) {
        self.init(name: name, value: SecureBuffer(value))
    }
}

/// Headers as they are signed: all but those whose name contains "_",
/// names lower-cased, values trimmed, sorted by name.
package struct CanonicalHeaders {
    package struct Line {
        package let name: String
        package let value: SecureBuffer
    }

    package private(set) var sorted: [Line]

    package init(_ headers: [Header]) {
        sorted = headers.compactMap { header -> Line? in
            let name = header.name.lowercased()
            guard !name.utf8.contains(UInt8(ascii: "_")) else { return nil }
            let value = SecureBuffer(capacity: header.value.count)
            value.append(CanonicalHeaders.trimmed(header.value.bytes))
            return Line(name: name, value: value)
        }.sorted { $0.name.utf8.lexicographicallyPrecedes($1.name.utf8) }
    }

    /// Removes the x-sdk-date line, returning its value (nil: none).
    package mutating func removeDate() -> SecureBuffer? {
        guard let at = sorted.firstIndex(where: { $0.name == "x-sdk-date" }) else { return nil }
        return sorted.remove(at: at).value
    }

    /// These headers with `extra` merged in, in name order.
    package func merging(_ extra: [Header]) -> CanonicalHeaders {
        var merged = self
        for line in CanonicalHeaders(extra).sorted {
            let at = merged.sorted.firstIndex { line.name.utf8.lexicographicallyPrecedes($0.name.utf8) }
            merged.sorted.insert(line, at: at ?? merged.sorted.count)
        }
        return merged
    }

    private static func trimmed(_ bytes: UnsafeBufferPointer<UInt8>) -> UnsafeBufferPointer<UInt8> {
        // Python's str.strip() on the ASCII whitespace a header value may hold.
        func isSpace(_ b: UInt8) -> Bool { b == 0x20 || (0x09...0x0D).contains(b) }
        var start = 0
        var end = bytes.count
        while start < end, isSpace(bytes[start]) { start += 1 }
        while end > start, isSpace(bytes[end - 1]) { end -= 1 }
        return UnsafeBufferPointer(rebasing: bytes[start..<end])
    }
}

/// The canonical request of one method, canonical URI and header set, as
/// text prepared once: only the query and X-Sdk-Date change from call to
/// call, so a client prepares one per endpoint and API path and renders it
/// into a call's buffer without building any String:
///
///     METHOD \n URI \n QUERY \n <lines before x-sdk-date> x-sdk-date:DATE \n
///     <lines after it> \n <signed header names> \n <body hash>
///
/// (signers.md §2). Secret header values (X-Security-Token) are held in
/// wiped memory.
package final class SigningTemplate {
    private let head = SecureBuffer(capacity: 128)
    /// "\n<lines before x-sdk-date>x-sdk-date:" and "\n<lines after it>\n<names>\n<body hash>"
    /// (without the x-sdk-date parts when the date is not signed): a call appends the query and
    /// the date between them, four appends in all.
    private let before = SecureBuffer(capacity: 256)
    private let after = SecureBuffer(capacity: 224)
    /// "content-type;host;...": the Authorization's SignedHeaders.
    package let signedHeaders: String
    /// ", SignedHeaders=<signedHeaders>, Signature=": the Authorization's middle, written once.
    let signedHeadersField = SecureBuffer(capacity: 96)
    /// Whether the request signs an X-Sdk-Date (every libhss request does).
    private let signsDate: Bool
    /// SHA-256 after the method and URI lines, for the SHA-256 algorithms:
    /// a call hashes only the rest of its canonical request (nil if OpenSSL
    /// could not allocate it; the whole request is hashed then).
    package private(set) var headHash: SHA256Prefix?

    /// `headers` are the request's headers without X-Sdk-Date; it is
    /// signed (at its sorted place) when `signsDate`.
    package init(
        method: String, canonicalURI: String, headers: CanonicalHeaders, signsDate: Bool = true, bodyHash: String
    ) {
        head.append(method)
        head.append(UInt8(ascii: "\n"))
        head.append(canonicalURI)
        head.append(UInt8(ascii: "\n"))
        before.append(UInt8(ascii: "\n"))
        if signsDate { after.append(UInt8(ascii: "\n")) }
        var names: [String] = []
        for line in headers.sorted {
            let target = !signsDate || line.name.utf8.lexicographicallyPrecedes("x-sdk-date".utf8) ? before : after
            target.append(line.name)
            target.append(UInt8(ascii: ":"))
            target.append(line.value)
            target.append(UInt8(ascii: "\n"))
            names.append(line.name)
        }
        if signsDate {
            let at = names.firstIndex { "x-sdk-date".utf8.lexicographicallyPrecedes($0.utf8) } ?? names.count
            names.insert("x-sdk-date", at: at)
        }
        self.signsDate = signsDate
        signedHeaders = names.joined(separator: ";")
        signedHeadersField.append(", SignedHeaders=" as StaticString)
        signedHeadersField.append(signedHeaders)
        signedHeadersField.append(", Signature=" as StaticString)
        if signsDate { before.append("x-sdk-date:" as StaticString) }
        after.append(UInt8(ascii: "\n"))
        after.append(signedHeaders)
        after.append(UInt8(ascii: "\n"))
        after.append(bodyHash)
        headHash = SHA256Prefix(head.bytes)
    }

    /// How many bytes Signer.appendAuthorization may write into a call's
    /// buffer for a query of `queryCount` bytes (the canonical request and
    /// the string to sign are scratch there), so a caller can reserve them
    /// and keep views into the buffer valid.
    package func scratchBytes(queryCount: Int) -> Int {
        head.count + queryCount + before.count + after.count + signedHeaders.utf8.count + 640
    }

    /// Appends the canonical request for `query` and `date` (X-Sdk-Date's
    /// 16 bytes) to `out`; without its method and URI lines if not `withHead`
    /// (to be hashed after headHash).
    package func appendCanonicalRequest(
        to out: SecureBuffer, query: UnsafeBufferPointer<UInt8>, date: UnsafeBufferPointer<UInt8>, withHead: Bool = true
    ) {
        if withHead { out.append(head) }
        out.append(query)
        out.append(before)
        if signsDate { out.append(date) }
        out.append(after)
    }
}

extension Signer {
    /// The canonical URI: decode the path, encode each segment, and end it
    /// with "/" (the request line itself keeps no trailing slash).
    package static func canonicalURI(path: String) -> String {
        // A path of unreserved bytes and "/" (every path libhss builds) is
        // its own canonical form.
        var path = path
        let plain = path.withUTF8 { $0.allSatisfy { PercentEncoding.isUnreserved($0) || $0 == UInt8(ascii: "/") } }
        if plain {
            return path.utf8.last == UInt8(ascii: "/") ? path : path + "/"
        }
        let decoded = PercentEncoding.decode(Array(path.utf8))
        let out = SecureBuffer(capacity: decoded.count * 3 + 1)
        for (index, segment) in decoded.split(separator: UInt8(ascii: "/"), omittingEmptySubsequences: false)
            .enumerated()
        {
            if index > 0 { out.append(UInt8(ascii: "/")) }
            Array(segment).withUnsafeBufferPointer { PercentEncoding.append($0, to: out) }
        }
        if out.bytes.last != UInt8(ascii: "/") { out.append(UInt8(ascii: "/")) }
        return out.string()
    }

    /// `name=value` pairs, encoded, sorted by name then value (raw bytes,
    /// i.e. code point order), joined by "&". This exact string is also the
    /// query that is sent. Names are never secret; values may be.
    package static func canonicalQuery(_ parameters: [(name: String, value: SecureBuffer)]) -> SecureBuffer {
        let out = SecureBuffer(capacity: 256)
        var names: [UInt8] = []
        for parameter in parameters { names.append(contentsOf: parameter.name.utf8) }
        names.withUnsafeBufferPointer { all in
            var at = 0
            var views = parameters.map { parameter in
                let count = parameter.name.utf8.count
                defer { at += count }
                return QueryView(
                    name: UnsafeBufferPointer(rebasing: all[at..<at + count]), value: parameter.value.bytes)
            }
            withExtendedLifetime(parameters) {
                views.withUnsafeMutableBufferPointer { appendCanonicalQuery($0, to: out) }
            }
        }
        return out
    }

    /// One parameter of a query, its value borrowed (a caller's C string or
    /// a SecureBuffer's bytes, alive for the call).
    package struct QueryView {
        package let name: UnsafeBufferPointer<UInt8>
        package let value: UnsafeBufferPointer<UInt8>

        package init(name: UnsafeBufferPointer<UInt8>, value: UnsafeBufferPointer<UInt8>) {
            self.name = name
            self.value = value
        }
    }

    /// Appends the canonical query of `parameters` (sorted in place) to `out`.
    /// A concrete buffer, not a generic collection: callers in other modules
    /// would get an unspecialised copy that allocates on each element read.
    package static func appendCanonicalQuery(_ parameters: UnsafeMutableBufferPointer<QueryView>, to out: SecureBuffer)
    {
        // Insertion sort: a handful of parameters, no allocation.
        for i in parameters.indices.dropFirst() {
            let parameter = parameters[i]
            var j = i
            while j > 0, precedes(parameter, parameters[j - 1]) {
                parameters[j] = parameters[j - 1]
                j -= 1
            }
            parameters[j] = parameter
        }
        // One reservation (the caller's) for the whole query: 3 bytes per byte at most, '=' and '&'.
        var maxCount = 0
        for parameter in parameters { maxCount += 3 * (parameter.name.count + parameter.value.count) + 2 }
        out.append(maxCount: maxCount) { start in
            var written = 0
            for parameter in parameters {
                written &+= PercentEncoding.writeParameter(
                    name: parameter.name, value: parameter.value, at: start + written)
            }
            return max(written - 1, 0)  // not the last '&'
        }
    }

    private static func precedes(_ lhs: QueryView, _ rhs: QueryView) -> Bool {
        if let a = lhs.name.first, let b = rhs.name.first, a != b { return a < b }  // most names: no call
        let byName = compare(lhs.name, rhs.name)
        return byName != 0 ? byName < 0 : compare(lhs.value, rhs.value) < 0
    }

    /// Byte order, a prefix first (memcmp, then the lengths).
    private static func compare(_ a: UnsafeBufferPointer<UInt8>, _ b: UnsafeBufferPointer<UInt8>) -> Int {
        let common = min(a.count, b.count)
        if common > 0, let x = a.baseAddress, let y = b.baseAddress {
            let c = memcmp(x, y, common)
            if c != 0 { return Int(c) }
        }
        return a.count - b.count
    }

    /// `YYYYMMDDTHHMMSSZ` in UTC.
    package static func sdkDate(_ time: time_t) -> String {
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 16) { text in
            writeSDKDate(time, to: text.baseAddress!)
            return String(decoding: UnsafeBufferPointer(text), as: UTF8.self)
        }
    }

    /// The times X-Sdk-Date can show: years 1970 to 9999.
    private static let sdkDateRange = 0...253_402_300_799

    /// Writes `YYYYMMDDTHHMMSSZ` (16 bytes) in UTC. Total: a time outside
    /// years 1970-9999 (a hostile Date header, a corrupt clock) is clamped
    /// into them, so the fixed-width digits never see a negative or
    /// five-digit year.
    package static func writeSDKDate(_ time: time_t, to text: UnsafeMutablePointer<UInt8>) {
        let t = Int(min(max(time, sdkDateRange.lowerBound), sdkDateRange.upperBound))
        // The proleptic Gregorian date of day t / 86400 by integer arithmetic
        // (eras of 400 years, years starting in March), not gmtime_r.
        let z = t / 86_400 + 719_468
        let era = z / 146_097
        let dayOfEra = z - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1_460 + dayOfEra / 36_524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let shiftedMonth = (5 * dayOfYear + 2) / 153
        let day = dayOfYear - (153 * shiftedMonth + 2) / 5 + 1
        let month = shiftedMonth < 10 ? shiftedMonth + 3 : shiftedMonth - 9
        let year = yearOfEra + era * 400 + (month <= 2 ? 1 : 0)
        let second = t % 86_400
        let pairs = UnsafeRawPointer(decimalPairs.utf8Start)
        func two(_ value: Int, at i: Int) {  // value is 0...99
            UnsafeMutableRawPointer(text + i).storeBytes(
                of: pairs.loadUnaligned(fromByteOffset: value &* 2, as: UInt16.self), as: UInt16.self)
        }
        two(year / 100, at: 0)
        two(year % 100, at: 2)
        two(month, at: 4)
        two(day, at: 6)
        text[8] = UInt8(ascii: "T")
        two(second / 3_600, at: 9)
        two(second / 60 % 60, at: 11)
        two(second % 60, at: 13)
        text[15] = UInt8(ascii: "Z")
    }

    /// "00" to "99": value v's two digits are at 2 * v.
    private static let decimalPairs: StaticString = """
        0001020304050607080910111213141516171819\
        2021222324252627282930313233343536373839\
        4041424344454647484950515253545556575859\
        6061626364656667686970717273747576777879\
        8081828384858687888990919293949596979899
        """
}
