/// registry_addr's shape (the API page: "host" or "host:port", such as
/// myharbor.com), checked before any traffic with a message that names the
/// rule broken, never the value. The host is dot-separated labels of
/// letters (any script), digits, '-' and '_' (so also an IPv4 address), or
/// an IPv6 address in brackets; the port is 1-65535. The HSS emulator
/// (hss-emulator(1)) reads it the same way.
package enum RegistryAddress {
    package static func check(_ text: String, field: String = "registry_addr") throws {
        func refuse(_ rule: String) -> HSSError { HSSError.invalid("\(field) must be host or host:port: \(rule)") }
        // Byte tests only: String.contains(String) would pull in the _StringProcessing module.
        let bytes = Array(text.utf8)
        let scheme = Array("://".utf8)
        if bytes.indices.contains(where: { bytes[$0...].starts(with: scheme) }) {
            throw refuse("no scheme (such as https://)")
        }
        if text.unicodeScalars.contains(where: { $0.properties.isWhitespace }) { throw refuse("no spaces") }
        if bytes.contains(UInt8(ascii: "/")) { throw refuse("no path") }
        if bytes.contains(where: { $0 == UInt8(ascii: "?") || $0 == UInt8(ascii: "#") || $0 == UInt8(ascii: "@") }) {
            throw refuse("no query, fragment or user name")
        }
        var host = Substring(text)
        var port: Substring?
        if host.hasPrefix("[") {
            guard let close = host.firstIndex(of: "]") else { throw refuse("an IPv6 address needs its closing ']'") }
            let address = host[host.index(after: host.startIndex)..<close]
            guard !address.isEmpty, address.utf8.contains(UInt8(ascii: ":")),
                address.unicodeScalars.allSatisfy({ $0.properties.isASCIIHexDigit || $0 == ":" || $0 == "." })
            else { throw refuse("an IPv6 address in brackets, such as [2001:db8::1]") }
            let rest = host[host.index(after: close)...]
            guard rest.isEmpty || rest.hasPrefix(":") else { throw refuse("nothing after the ']' but ':port'") }
            port = rest.isEmpty ? nil : rest.dropFirst()
            host = address
        } else {
            let parts = host.split(separator: ":", omittingEmptySubsequences: false)
            guard parts.count <= 2 else {
                throw refuse("an IPv6 address goes in brackets, such as [2001:db8::1]:5000")
            }
            host = parts[0]
            port = parts.count == 2 ? parts[1] : nil
            guard !host.isEmpty else { throw refuse("a host before the ':'") }
            let labels = host.split(separator: ".", omittingEmptySubsequences: false)
            guard labels.allSatisfy({ !$0.isEmpty }) else { throw refuse("no empty label (such as '..')") }
            guard labels.allSatisfy({ $0.unicodeScalars.allSatisfy(isHostScalar) }) else {
                throw refuse("letters, digits, '-', '_' and '.' in the host")
            }
        }
        if let port {
            guard !port.isEmpty, port.utf8.count <= 5, port.utf8.allSatisfy({ (0x30...0x39).contains($0) }),
                let number = Int(port), (1...65535).contains(number)
            else { throw refuse("a port from 1 to 65535") }
        }
    }

    private static func isHostScalar(_ scalar: Unicode.Scalar) -> Bool {
        if scalar == "-" || scalar == "_" { return true }
        switch scalar.properties.generalCategory {
        case .uppercaseLetter, .lowercaseLetter, .titlecaseLetter, .modifierLetter, .otherLetter,
            .decimalNumber, .letterNumber, .otherNumber:
            return true
        default:
            return false
        }
    }
}
