import HSSBase

/// A checked "scheme://authority[/path]" URL: what libhss connects to.
/// Checked when a client is made, so a bad URL fails there, not at each call.
package struct EndpointURL: Equatable {
    /// "scheme://authority", without a trailing slash.
    package let base: String
    /// The authority, sent and signed as Host.
    package let host: String
    /// "" or a path starting with "/" (only where a path is allowed).
    package let path: String
    package let isHTTPS: Bool

    /// The whole URL.
    package var text: String { base + path }

    /// Accepts "http(s)://authority" with an optional trailing "/" and, when
    /// `allowPath`, a path of printable ASCII; refuses queries, fragments,
    /// credentials and anything that could split a header. `field` names the
    /// setting in messages; `addScheme` turns "host" into "https://host", as
    /// the official SDKs do for endpoints read from the environment or files.
    package init(
        _ text: String, field: String, allowPath: Bool = false, addScheme: Bool = false,
        schemes: [String] = ["https", "http"]
    ) throws {
        var url = text
        if addScheme, !url.withUTF8({ occurs("://", in: $0) }) { url = "https://" + url }
        let lower = url.lowercased()
        guard let scheme = schemes.first(where: { lower.hasPrefix($0 + "://") }) else {
            let names = schemes.map { $0 + "://" }
            let list = names.count > 1 ? names.dropLast().joined(separator: ", ") + " or " + (names.last ?? "") : url
            throw HSSError.invalid("\(field) must start with \(list)")
        }
        var rest = Substring(url.dropFirst(scheme.count + 3))
        var path = ""
        if let slash = rest.firstIndex(of: "/") {
            path = String(rest[slash...])
            rest = rest[..<slash]
            if path == "/" { path = "" }
        }
        let authority = String(rest)
        guard !authority.isEmpty, authority.utf8.count <= 255 else {
            throw HSSError.invalid("\(field) must name a host (at most 255 characters)")
        }
        let pathOK =
            path.isEmpty
            || (allowPath && path.utf8.count <= 2048
                && path.utf8.allSatisfy { $0 > 0x20 && $0 < 0x7F && $0 != UInt8(ascii: "?") && $0 != UInt8(ascii: "#") })
        guard pathOK, EndpointURL.validAuthority(authority) else {
            throw HSSError.invalid(
                allowPath
                    ? "\(field) must be scheme://host[:port][/path] (port 1-65535) with no query or credentials"
                    : "\(field) must be scheme://host[:port] (port 1-65535) with no path, query or credentials")
        }
        base = "\(scheme)://\(authority)"
        host = authority
        self.path = path
        isHTTPS = scheme == "https"
    }

    /// The scheme, lower-cased.
    package var scheme: String { String(base.prefix(while: { $0 != ":" })) }

    /// The host name without port or IPv6 brackets, lower-cased.
    package var hostName: String {
        var name = Substring(host)
        if name.hasPrefix("["), let close = name.firstIndex(of: "]") {
            name = name[name.index(after: name.startIndex)..<close]
        } else if let colon = name.lastIndex(of: ":") {
            name = name[..<colon]
        }
        return name.lowercased()
    }

    /// host[:port], where host is a DNS name or IPv4 address (dot-separated
    /// labels of letters, digits and '-') or a bracketed IPv6 address.
    private static func validAuthority(_ authority: String) -> Bool {
        func isASCII(_ b: UInt8, _ test: (Character) -> Bool) -> Bool { b < 0x80 && test(Character(Unicode.Scalar(b))) }
        let bytes = Array(authority.utf8)
        let hostEnd: Int
        if bytes.first == UInt8(ascii: "[") {
            guard let close = bytes.firstIndex(of: UInt8(ascii: "]")) else { return false }
            let inside = bytes[1..<close]
            guard inside.contains(UInt8(ascii: ":")),
                inside.allSatisfy({ $0 == UInt8(ascii: ":") || $0 == UInt8(ascii: ".") || isASCII($0, \.isHexDigit) })
            else { return false }
            hostEnd = close + 1
        } else {
            hostEnd = bytes.firstIndex(of: UInt8(ascii: ":")) ?? bytes.count
            let labels = bytes[0..<hostEnd].split(separator: UInt8(ascii: "."), omittingEmptySubsequences: false)
            let validLabels = labels.allSatisfy { label in
                !label.isEmpty && label.first != UInt8(ascii: "-")
                    && label.allSatisfy { $0 == UInt8(ascii: "-") || isASCII($0, { $0.isLetter || $0.isNumber }) }
            }
            guard validLabels else { return false }
        }
        if hostEnd == bytes.count { return true }
        guard bytes[hostEnd] == UInt8(ascii: ":") else { return false }
        let port = bytes[(hostEnd + 1)...]
        guard (1...5).contains(port.count), port.allSatisfy({ isASCII($0, \.isNumber) }),
            let number = Int(String(decoding: port, as: UTF8.self))
        else { return false }
        return (1...65535).contains(number)
    }
}
