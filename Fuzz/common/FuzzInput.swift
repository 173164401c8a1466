import Glibc
import HSSBase

/// The fuzzer's bytes, read from the front: a few choices first, then data.
/// Reading past the end gives zeros and empty fields, so every input is usable.
struct FuzzInput {
    let data: [UInt8]
    private var at = 0

    init(_ bytes: UnsafePointer<UInt8>?, _ size: Int) {
        data = size > 0 && bytes != nil ? Array(UnsafeBufferPointer(start: bytes, count: size)) : []
    }

    var isAtEnd: Bool { at >= data.count }

    mutating func byte() -> UInt8 {
        guard at < data.count else { return 0 }
        at += 1
        return data[at - 1]
    }

    /// Two bytes, little-endian.
    mutating func uint16() -> Int { Int(byte()) | Int(byte()) << 8 }

    /// Four bytes, little-endian, signed.
    mutating func int32() -> Int { Int(Int32(truncatingIfNeeded: uint16() | uint16() << 16)) }

    /// The bytes up to the next NUL (which is consumed) or the end. The C API's
    /// strings and the environment's values cannot hold a NUL, so fields never do.
    mutating func field() -> [UInt8] {
        let start = min(at, data.count)
        var end = start
        while end < data.count && data[end] != 0 { end += 1 }
        at = end + 1
        return Array(data[start..<end])
    }

    /// Everything not read yet.
    mutating func rest() -> [UInt8] {
        defer { at = data.count }
        return at < data.count ? Array(data[at...]) : []
    }
}

/// A property of the code under test does not hold: report and abort, so that
/// libFuzzer saves the input as a crash.
func require(_ condition: Bool, _ message: @autoclosure () -> String) {
    guard !condition else { return }
    fputs("fuzz property violated: \(message())\n", stderr)
    abort()
}

/// The bytes as a Swift literal-ish text for failure messages.
func show(_ bytes: [UInt8]) -> String {
    var out = "\""
    for b in bytes {
        switch b {
        case 0x20..<0x7F where b != UInt8(ascii: "\"") && b != UInt8(ascii: "\\"):
            out.append(Character(Unicode.Scalar(b)))
        default: out += (b < 16 ? "\\x0" : "\\x") + String(b, radix: 16)
        }
    }
    return out + "\""
}

func isValidUTF8(_ bytes: UnsafeBufferPointer<UInt8>) -> Bool {
    var iterator = bytes.makeIterator()
    var decoder = UTF8()
    while true {
        switch decoder.decode(&iterator) {
        case .scalarValue: continue
        case .emptyInput: return true
        case .error: return false
        }
    }
}

func isValidUTF8(_ bytes: [UInt8]) -> Bool { bytes.withUnsafeBufferPointer { isValidUTF8($0) } }

/// Unset what would make a run depend on the machine (files under HOME, the
/// CA store, proxies, endpoint overrides): the targets read only their input.
func isolateEnvironment() {
    for name in [
        "HOME", "SSL_CERT_FILE", "SSL_CERT_DIR", "http_proxy", "https_proxy", "all_proxy", "no_proxy",
        "HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "NO_PROXY", "HSS_DEBUG",
    ] {
        unsetenv(name)
    }
    var index = 0
    while let entry = environ[index] {
        let text = String(cString: entry)
        index += 1
        guard text.hasPrefix("HUAWEICLOUD_") || text.hasPrefix("CLOUD_SDK_") || text.hasPrefix("HC_CONTAINER_"),
            let equals = text.firstIndex(of: "=")
        else { continue }
        unsetenv(String(text[..<equals]))
        index = 0
    }
}

extension SecureBuffer {
    /// A copy of the bytes (inside a method, so the buffer outlives the copy: an
    /// Array made from `bytes` of a temporary buffer would read freed memory).
    var array: [UInt8] { Array(bytes) }
}

extension Array where Element == UInt8 {
    /// A SecureBuffer holding these bytes.
    var secure: SecureBuffer {
        let buffer = SecureBuffer(capacity: count)
        withUnsafeBufferPointer { buffer.append($0) }
        return buffer
    }

    /// Where `needle` first occurs from `start` on. (firstRange(of:) is generic and slow.)
    func index(of needle: [UInt8], from start: Int = 0) -> Int? {
        guard let first = needle.first, needle.count <= count else { return nil }
        var i = start
        while i + needle.count <= count {
            if self[i] == first && self[i..<(i + needle.count)].elementsEqual(needle) { return i }
            i += 1
        }
        return nil
    }

    func contains(_ needle: String) -> Bool { index(of: Array(needle.utf8)) != nil }

    /// Each U+FFFD (EF BF BD) replaced by `byte`.
    func replacingReplacementCharacters(with byte: UInt8) -> [UInt8] {
        var out = self
        while let at = out.index(of: [0xEF, 0xBF, 0xBD]) { out.replaceSubrange(at..<(at + 3), with: [byte]) }
        return out
    }
}
