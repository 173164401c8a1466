import CHSSAPI

/// The process environment, read the way the official SDKs read it: an
/// empty variable counts as unset.
package enum Environment {
    package static func text(_ name: String) -> String? {
        guard let raw = getenv(name), raw.pointee != 0 else { return nil }
        return String(cString: raw)
    }

    /// A secret variable, copied straight into wiped memory.
    package static func secret(_ name: String) -> SecureBuffer? {
        guard let raw = getenv(name), raw.pointee != 0 else { return nil }
        return SecureBuffer(cString: raw)
    }
}

/// Whether `text` occurs in `bytes`. (String.contains(String) would pull
/// the regex module into the library.)
package func occurs(_ text: String, in bytes: UnsafeBufferPointer<UInt8>) -> Bool {
    let needle = Array(text.utf8)
    guard !needle.isEmpty, needle.count <= bytes.count else { return needle.isEmpty }
    return (0...(bytes.count - needle.count)).contains { start in
        needle.indices.allSatisfy { bytes[start + $0] == needle[$0] }
    }
}

extension SecureBuffer {
    /// A copy without leading and trailing ASCII whitespace (token files
    /// end with a newline).
    package func trimmed() -> SecureBuffer {
        let all = bytes
        func isSpace(_ b: UInt8) -> Bool { b == 0x20 || (0x09...0x0D).contains(b) }
        var start = 0
        var end = all.count
        while start < end, isSpace(all[start]) { start += 1 }
        while end > start, isSpace(all[end - 1]) { end -= 1 }
        let out = SecureBuffer(capacity: end - start + 1)
        out.append(UnsafeBufferPointer(rebasing: all[start..<end]))
        return out
    }
}
