/// registry_addr's shape (the API page: "host" or "host:port", such as
/// myharbor.com), checked before any traffic with a message that names the
/// rule broken, never the value. The host is dot-separated labels of
/// letters (any script), digits, '-' and '_' (so also an IPv4 address), or
/// an IPv6 address in brackets; the port is 1-65535. The HSS emulator
/// (hss-emulator(1)) reads it the same way. Checked on the bytes as given,
/// without a copy (the hot path of every call).
package enum RegistryAddress {
    package static func check(_ text: String, field: String = "registry_addr") throws {
        var text = text
        try text.withUTF8 { try check($0, field: field) }
    }

    package static func check(_ bytes: UnsafeBufferPointer<UInt8>, field: String = "registry_addr") throws {
        // The common case in one pass; anything else through the rules, the one source of each message.
        guard !isPlainHostAndPort(bytes) else { return }
        try checkEachRule(bytes, field: field)
    }

    /// True for ASCII labels (A-Z a-z 0-9 - _), none empty, joined by dots,
    /// then optionally ':' and a port from 1 to 65535 in at most 5 digits: a
    /// shape that passes every rule below. False proves nothing.
    package static func isPlainHostAndPort(_ bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        var i = 0
        while true {
            let labelStart = i
            while i < bytes.count, ByteClass.of(bytes[i]) == ByteClass.label { i &+= 1 }
            guard i > labelStart, i < bytes.count else { return i > labelStart }
            guard bytes[i] == UInt8(ascii: ".") else { break }
            i &+= 1
        }
        guard bytes[i] == UInt8(ascii: ":") else { return false }
        let digits = bytes.count - i - 1
        guard digits > 0, digits <= 5 else { return false }
        var port = 0
        for b in UnsafeBufferPointer(rebasing: bytes[(i + 1)...]) {
            let digit = b &- UInt8(ascii: "0")
            guard digit < 10 else { return false }
            port = port &* 10 &+ Int(digit)
        }
        return port > 0 && port <= 65535
    }

    /// Each rule in turn.
    package static func checkEachRule(_ bytes: UnsafeBufferPointer<UInt8>, field: String = "registry_addr") throws {
        func refuse(_ rule: String) -> HSSError { HSSError.invalid("\(field) must be host or host:port: \(rule)") }
        // The rules in this order, each over the whole text: the message names the first one broken.
        for i in bytes.indices
        where bytes[i] == UInt8(ascii: ":") && i + 2 < bytes.count
            && bytes[i + 1] == UInt8(ascii: "/") && bytes[i + 2] == UInt8(ascii: "/")
        {
            throw refuse("no scheme (such as https://)")
        }
        if containsWhitespace(bytes) { throw refuse("no spaces") }
        if bytes.contains(UInt8(ascii: "/")) { throw refuse("no path") }
        if bytes.contains(where: { $0 == UInt8(ascii: "?") || $0 == UInt8(ascii: "#") || $0 == UInt8(ascii: "@") }) {
            throw refuse("no query, fragment or user name")
        }
        var port: Slice<UnsafeBufferPointer<UInt8>>?
        if bytes.first == UInt8(ascii: "[") {
            guard let close = bytes.firstIndex(of: UInt8(ascii: "]")) else {
                throw refuse("an IPv6 address needs its closing ']'")
            }
            let address = bytes[1..<close]
            guard !address.isEmpty, address.contains(UInt8(ascii: ":")),
                address.allSatisfy({ isHexDigit($0) || $0 == UInt8(ascii: ":") || $0 == UInt8(ascii: ".") })
            else { throw refuse("an IPv6 address in brackets, such as [2001:db8::1]") }
            let rest = bytes[(close + 1)...]
            guard rest.isEmpty || rest.first == UInt8(ascii: ":") else {
                throw refuse("nothing after the ']' but ':port'")
            }
            port = rest.isEmpty ? nil : rest.dropFirst()
        } else {
            let colon = bytes.firstIndex(of: UInt8(ascii: ":"))
            if let colon, bytes[(colon + 1)...].contains(UInt8(ascii: ":")) {
                throw refuse("an IPv6 address goes in brackets, such as [2001:db8::1]:5000")
            }
            let hostEnd = colon ?? bytes.count
            if let colon { port = bytes[(colon + 1)...] }
            guard hostEnd > 0 else { throw refuse("a host before the ':'") }
            try checkHost(bytes[..<hostEnd], refuse)
        }
        if let port {
            guard !port.isEmpty, port.count <= 5, port.allSatisfy({ (0x30...0x39).contains($0) }),
                (1...65535).contains(port.reduce(0) { $0 * 10 + Int($1 - 0x30) })
            else { throw refuse("a port from 1 to 65535") }
        }
    }

    /// Dot-separated labels, none empty, of letters, digits, '-' and '_'.
    private static func checkHost(_ host: Slice<UnsafeBufferPointer<UInt8>>, _ refuse: (String) -> HSSError) throws {
        var labelLength = 0
        var i = host.startIndex
        while i < host.endIndex {
            let b = host[i]
            if b == UInt8(ascii: ".") {
                guard labelLength > 0 else { throw refuse("no empty label (such as '..')") }
                labelLength = 0
                i += 1
                continue
            }
            if b < 0x80 {
                guard isASCIIAlphanumeric(b) || b == UInt8(ascii: "-") || b == UInt8(ascii: "_") else {
                    throw refuse("letters, digits, '-', '_' and '.' in the host")
                }
                i += 1
            } else {
                var iterator = host[i...].makeIterator()
                var decoder = UTF8()
                guard case .scalarValue(let scalar) = decoder.decode(&iterator), isLetterOrNumber(scalar) else {
                    throw refuse("letters, digits, '-', '_' and '.' in the host")
                }
                i += UTF8.width(scalar)
            }
            labelLength += 1
        }
        guard labelLength > 0 else { throw refuse("no empty label (such as '..')") }
    }

    private static func containsWhitespace(_ bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        var i = 0
        while i < bytes.count {
            let b = bytes[i]
            if b < 0x80 {
                if b == 0x20 || (0x09...0x0D).contains(b) { return true }
                i += 1
                continue
            }
            var iterator = bytes[i...].makeIterator()
            var decoder = UTF8()
            guard case .scalarValue(let scalar) = decoder.decode(&iterator) else { return false }  // checkText's job
            if scalar.properties.isWhitespace { return true }
            i += UTF8.width(scalar)
        }
        return false
    }

    private static func isASCIIAlphanumeric(_ b: UInt8) -> Bool {
        (0x30...0x39).contains(b) || (0x41...0x5A).contains(b) || (0x61...0x7A).contains(b)
    }

    private static func isHexDigit(_ b: UInt8) -> Bool {
        (0x30...0x39).contains(b) || (0x41...0x46).contains(b) || (0x61...0x66).contains(b)
    }

    private static func isLetterOrNumber(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.properties.generalCategory {
        case .uppercaseLetter, .lowercaseLetter, .titlecaseLetter, .modifierLetter, .otherLetter,
            .decimalNumber, .letterNumber, .otherNumber:
            return true
        default:
            return false
        }
    }
}
