// TEMPORARY STUB (lead): replaced by the real INI reader.
package struct INIError: Error {
    package var line: Int
    package var reason: String
}

package struct INIDocument {
    private var sections: [String: [String: SecureBuffer]] = [:]

    package init(_ bytes: UnsafeBufferPointer<UInt8>) throws(INIError) {
        var current: String?
        for (index, raw) in bytes.split(separator: UInt8(ascii: "\n")).enumerated() {
            let line = String(decoding: raw, as: UTF8.self).trimmingCharacters(in: " \t\r")
            if line.isEmpty || line.hasPrefix("#") || line.hasPrefix(";") { continue }
            if line.hasPrefix("[") && line.hasSuffix("]") {
                current = String(line.dropFirst().dropLast())
                sections[current!, default: [:]] = sections[current!] ?? [:]
                continue
            }
            guard let section = current, let eq = line.firstIndex(where: { $0 == "=" || $0 == ":" }) else {
                throw INIError(line: index + 1, reason: "not a key = value line")
            }
            let key = line[..<eq].trimmingCharacters(in: " \t").lowercased()
            sections[section, default: [:]][key] = SecureBuffer(line[line.index(after: eq)...].trimmingCharacters(in: " \t"))
        }
    }

    package func hasSection(_ name: String) -> Bool { sections[name] != nil }

    package func value(section: String, key: String) -> SecureBuffer? {
        sections[section]?[key.lowercased()] ?? sections["DEFAULT"]?[key.lowercased()]
    }
}

extension String {
    fileprivate func trimmingCharacters(in set: String) -> String {
        var s = Substring(self)
        while let f = s.first, set.contains(f) { s.removeFirst() }
        while let l = s.last, set.contains(l) { s.removeLast() }
        return String(s)
    }
}
extension Substring {
    fileprivate func trimmingCharacters(in set: String) -> String { String(self).trimmingCharacters(in: set) }
}
