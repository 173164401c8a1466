import CHSSAPI
import HSSBase

/// Where a transport's requests go through: libcurl's own rules (the
/// environment's *_proxy variables) unless `url` is set; "" is no proxy.
package struct ProxySettings {
    package var url: String?
    package var username: String?
    package var password: SecureBuffer?
    package var noProxy: String?
    /// allow_cleartext_proxy: an http:// request may go through a proxy.
    package var allowCleartext: Bool

    package init(
        url: String? = nil, username: String? = nil, password: SecureBuffer? = nil, noProxy: String? = nil,
        allowCleartext: Bool = false
    ) {
        self.url = url
        self.username = username
        self.password = password
        self.noProxy = noProxy
        self.allowCleartext = allowCleartext
    }

    /// Whether any proxy can apply: ours, or one from libcurl's variables.
    package var mayBeUsed: Bool {
        guard let url else {
            return ["https_proxy", "HTTPS_PROXY", "http_proxy", "all_proxy", "ALL_PROXY"].contains {
                Environment.text($0) != nil
            }
        }
        return !url.isEmpty
    }

    /// Never any proxy, whatever the environment says (the metadata service
    /// and pod identity are reached directly, as on the host itself).
    package static let direct = ProxySettings(url: "")
}

/// Whether a request goes through a proxy, as libhss decides it.
package enum ProxyRoute: Equatable {
    case direct
    /// `via` names the proxy; `why` says, when it can, why no_proxy did
    /// not exempt the host ("" otherwise).
    case proxied(via: String, why: String)
}

extension ProxySettings {
    /// The one answer to "would a request to scheme://authority go through
    /// a proxy?", for every request libhss sends. The proxy is found as
    /// libcurl finds it: ours, else <scheme>_proxy (for http only the lower
    /// case: libcurl ignores HTTP_PROXY), then all_proxy, ALL_PROXY; no_proxy
    /// is ours, else no_proxy, else NO_PROXY (an empty variable is unset, as
    /// for libcurl). The host is exempt only by the part of no_proxy whose
    /// meaning libhss and libcurl share (NoProxyList): any other answer is
    /// "proxied".
    package func route(scheme: String, authority: Substring) -> ProxyRoute {
        let via: String
        if let url {
            guard !url.isEmpty else { return .direct }
            via = "the proxy option's proxy"
        } else {
            let own = scheme == "http" ? ["http_proxy"] : [scheme + "_proxy", scheme.uppercased() + "_PROXY"]
            guard let name = (own + ["all_proxy", "ALL_PROXY"]).first(where: { Environment.text($0) != nil }) else {
                return .direct
            }
            via = "the environment's proxy (\(name))"
        }
        let list = noProxy ?? Environment.text("no_proxy") ?? Environment.text("NO_PROXY") ?? ""
        let answer = NoProxyList(list).exempts(NoProxyList.Host(authority: authority))
        return answer.exempt ? .direct : .proxied(via: via, why: answer.why)
    }

    /// Whether requests to `endpoint` go through a proxy, as route() decides.
    package func routesThroughProxy(_ endpoint: EndpointURL) -> Bool {
        if case .proxied = route(scheme: endpoint.scheme, authority: Substring(endpoint.host)) { return true }
        return false
    }

    /// Refuses an http:// `endpoint` that would go through a proxy (the
    /// proxy would read the request, secrets included, in clear) unless
    /// allowCleartext. `role` names it in the message ("IAM endpoint").
    package func checkCleartext(_ endpoint: EndpointURL, role: String) throws {
        guard endpoint.scheme == "http", !allowCleartext,
            case .proxied(let via, let why) = route(scheme: "http", authority: Substring(endpoint.host))
        else { return }
        throw ProxySettings.refusal("an http:// \(role) (\(endpoint.base))", via: via, why: why)
    }

    /// For the transport, before it sends `url`: true for an http:// URL
    /// that libhss found exempt (libcurl is then told to send it directly,
    /// so that it cannot decide otherwise); throws for one that would go
    /// through a proxy unless allowCleartext (whatever its caller checked,
    /// the environment may have changed since). False for any other URL:
    /// libcurl's rules apply. Only the authority is read: the rest of the
    /// URL may hold secrets.
    package func sendsDirectly(_ url: UnsafeBufferPointer<UInt8>) throws -> Bool {
        let prefix = "http://".utf8
        // The scheme in any case, as libcurl reads it.
        guard url.count > prefix.count, zip(url, prefix).allSatisfy({ lowerASCII($0) == $1 }) else { return false }
        let rest = url[prefix.count...]
        let end = rest.firstIndex(where: {
            $0 == UInt8(ascii: "/") || $0 == UInt8(ascii: "?") || $0 == UInt8(ascii: "#")
        })
        let authority = Substring(decoding: rest[..<(end ?? rest.endIndex)], as: UTF8.self)
        switch route(scheme: "http", authority: authority) {
        case .direct:
            return true
        case .proxied(let via, let why):
            guard allowCleartext else {
                // Never user information (libhss's URLs have none): only the host.
                let host = authority.split(separator: "@", omittingEmptySubsequences: false).last ?? ""
                throw ProxySettings.refusal("an http:// request to \(host)", via: via, why: why)
            }
            return false
        }
    }

    private static func refusal(_ what: String, via: String, why: String) -> HSSError {
        var error = HSSError.invalid(
            "\(what) would go through \(via), which would read the request and its secrets in clear"
                + (why.isEmpty ? "" : " (\(why))")
                + ": use https, exempt the host with no_proxy, or set allow_cleartext_proxy")
        error.isCleartextRefusal = true
        return error
    }
}

/// no_proxy, read only where libhss and libcurl (7.88 and later) agree on
/// its meaning, so that a host libhss finds exempt is exempt for libcurl:
///   - the whole list exactly "*": every host;
///   - entries separated by commas, blanks around them ignored, empty ones
///     skipped (a list with blanks inside an entry is not read at all:
///     libcurl's versions split it differently);
///   - a host name or domain, optionally with a leading dot: that name and
///     every name under it, in any case ("example.com", ".example.com");
///   - an IPv4 address in dotted-decimal, optionally "/1" to "/32": that
///     address or network, for a host written the same way.
/// Any other entry ("*" in a list, a trailing dot, brackets, a port, IPv6
/// addresses) exempts nothing here, and an IPv6 host or one written as a
/// number libcurl rewrites ("127.1", "0x7f.1") only "*" exempts.
package struct NoProxyList {
    /// A URL's host, as libcurl 7.88 compares it with no_proxy.
    package enum Host: Equatable {
        case name(String)  // lower-cased
        case ipv4(UInt32)
        case other  // IPv6, a number libcurl may rewrite, anything odd

        /// From "host[:port]" or "[v6][:port]".
        package init(authority: Substring) {
            guard !authority.hasPrefix("[") else {
                self = .other
                return
            }
            let host = authority.lowercased().split(separator: ":", omittingEmptySubsequences: false)[0]
            let labels = host.split(separator: ".", omittingEmptySubsequences: false)
            let valid = labels.allSatisfy { label in
                !label.isEmpty && label.first != "-"
                    && label.utf8.allSatisfy { NoProxyList.isNameByte($0) && $0 != 0x5F }
            }
            if let address = NoProxyList.ipv4(host) {
                self = .ipv4(address)
            } else if !valid || NoProxyList.mayBeNumber(labels) {
                self = .other
            } else {
                self = .name(String(host))
            }
        }
    }

    let text: String

    package init(_ text: String) { self.text = text }

    /// Whether the list exempts `host`, and when it does not, why not if an
    /// entry libhss does not read might have ("" when none).
    package func exempts(_ host: Host) -> (exempt: Bool, why: String) {
        if text == "*" { return (true, "") }
        let entries = text.split(separator: ",").map(trimmed).filter { !$0.isEmpty }
        if entries.contains(where: { $0.contains(" ") || $0.contains("\t") }) {
            return (false, "libhss does not read a no_proxy list with blanks inside an entry")
        }
        if host == .other {
            return (
                false,
                entries.isEmpty ? "" : "for libhss, only a no_proxy of exactly \"*\" exempts an IPv6 or numeric host"
            )
        }
        var unread: [Substring] = []
        for entry in entries {
            let network = NoProxyList.network(entry)
            let name = NoProxyList.domain(entry)
            switch host {
            case .name(let hostName):
                if let name, hostName == name || hostName.hasSuffix("." + name) { return (true, "") }
            case .ipv4(let address):
                if let (base, bits) = network {
                    let mask = bits == 32 ? UInt32.max : ~(UInt32.max >> bits)
                    if address & mask == base & mask { return (true, "") }
                }
            case .other:
                break
            }
            if network == nil, name == nil { unread.append(entry) }
        }
        guard !unread.isEmpty else { return (false, "") }
        let shown = unread.prefix(3).map { "'\($0)'" }.joined(separator: ", ")
        return (false, "libhss does not read the no_proxy entries \(shown)\(unread.count > 3 ? ", ..." : "")")
    }

    /// "name.domain" or ".name.domain", lower-cased without the dot.
    private static func domain(_ entry: Substring) -> String? {
        let name = entry.hasPrefix(".") ? entry.dropFirst() : entry
        let labels = name.split(separator: ".", omittingEmptySubsequences: false)
        guard labels.allSatisfy({ !$0.isEmpty && $0.utf8.allSatisfy(isNameByte) }) else { return nil }
        return name.lowercased()
    }

    /// "a.b.c.d" or "a.b.c.d/bits" (1-32, no leading zero).
    private static func network(_ entry: Substring) -> (UInt32, UInt32)? {
        let parts = entry.split(separator: "/", maxSplits: 1, omittingEmptySubsequences: false)
        guard let address = ipv4(parts[0]) else { return nil }
        guard parts.count == 2 else { return (address, 32) }
        let digits = parts[1]
        guard (1...2).contains(digits.count), digits.first != "0", digits.allSatisfy(\.isASCIIDigit),
            let bits = UInt32(digits), bits <= 32
        else { return nil }
        return (address, bits)
    }

    /// Four decimal numbers 0-255 without leading zeros: the only form of
    /// an IPv4 address that libcurl keeps as written.
    static func ipv4(_ text: Substring) -> UInt32? {
        let parts = text.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 4 else { return nil }
        var value: UInt32 = 0
        for part in parts {
            guard (1...3).contains(part.count), part.allSatisfy(\.isASCIIDigit), part == "0" || part.first != "0",
                let number = UInt32(part), number <= 255
            else { return nil }
            value = value << 8 | number
        }
        return value
    }

    /// Labels that libcurl's URL parser might read as an IPv4 address in
    /// another form (1 to 4 numbers, octal or hex: "127.1", "0x7f.1").
    static func mayBeNumber(_ labels: [Substring]) -> Bool {
        labels.count <= 4
            && labels.allSatisfy { label in
                label.first?.isASCIIDigit == true && label.allSatisfy { $0.isHexDigit || $0 == "x" || $0 == "X" }
            }
    }

    /// A letter, digit, '-' or '_'.
    static func isNameByte(_ byte: UInt8) -> Bool {
        (0x30...0x39).contains(byte) || (0x41...0x5A).contains(byte) || (0x61...0x7A).contains(byte)
            || byte == 0x2D || byte == 0x5F
    }
}

extension Character {
    fileprivate var isASCIIDigit: Bool { ("0"..."9").contains(self) }
}

private func lowerASCII(_ byte: UInt8) -> UInt8 {
    (0x41...0x5A).contains(byte) ? byte | 0x20 : byte
}

private func trimmed(_ text: Substring) -> Substring {
    var text = text
    while text.first == " " || text.first == "\t" { text.removeFirst() }
    while text.last == " " || text.last == "\t" { text.removeLast() }
    return text
}
