/// RFC 3986 percent-encoding as Huawei Cloud's signers need it: keep
/// A-Z a-z 0-9 - _ . ~, everything else %XY (upper-case hex) over the UTF-8
/// bytes. Shared by signing (canonical URI and query, which is also the
/// query sent), request building and validation.
package enum PercentEncoding {
    package static func isUnreserved(_ b: UInt8) -> Bool { ByteClass.of(b) != ByteClass.escaped }

    package static func append(_ bytes: UnsafeBufferPointer<UInt8>, to out: SecureBuffer) {
        out.append(maxCount: bytes.count * 3) { write(bytes, at: $0) }
    }

    /// Writes `name=value&`, name and value encoded, at `start`, which has
    /// room for 3 bytes per byte, '=' and '&'; returns the count written.
    /// For the canonical query, which reserves once for all its parameters
    /// (and leaves the last '&' out of its count).
    package static func writeParameter(
        name: UnsafeBufferPointer<UInt8>, value: UnsafeBufferPointer<UInt8>, at start: UnsafeMutablePointer<UInt8>
    ) -> Int {
        let equals = write(name, at: start)
        start[equals] = UInt8(ascii: "=")
        let ampersand = equals &+ 1 &+ write(value, at: start + (equals &+ 1))
        start[ampersand] = UInt8(ascii: "&")
        return ampersand &+ 1
    }

    /// Writes the encoding of `bytes` at `start`, which has room for 3 bytes
    /// per byte; returns the count written. Inlined in its two callers.
    @inline(__always)
    private static func write(_ bytes: UnsafeBufferPointer<UInt8>, at start: UnsafeMutablePointer<UInt8>) -> Int {
        guard let base = bytes.baseAddress else { return 0 }
        let count = bytes.count
        if count < 8 {
            // Two overlapping halves, both unreserved (the common case): copied as they are.
            if count >= 4, allUnreserved(base, 4), allUnreserved(base + (count &- 4), 4) {
                copy(UInt32.self, from: base, to: start)
                copy(UInt32.self, from: base + (count &- 4), to: start + (count &- 4))
                return count
            }
            return writeEach(base, count, at: start)
        }
        var i = 0
        var written = 0
        while i < count {
            if count &- i >= 8 {
                if allUnreserved(base + i, 8) {
                    copy(UInt64.self, from: base + i, to: start + written)
                    i &+= 8
                    written &+= 8
                    continue
                }
            } else if allUnreserved(base + (count &- 8), 8) {
                // The last eight bytes: those before i among them were copied as
                // they are, so the word is written again over them.
                let back = 8 &- (count &- i)
                copy(UInt64.self, from: base + (count &- 8), to: start + (written &- back))
                return written &+ (count &- i)
            }
            let run = min(8, count &- i)
            written &+= writeEach(base + i, run, at: start + written)
            i &+= run
        }
        return written
    }

    /// `count` bytes one by one.
    @inline(never)
    private static func writeEach(
        _ bytes: UnsafePointer<UInt8>, _ count: Int, at start: UnsafeMutablePointer<UInt8>
    ) -> Int {
        let hex = hexDigits.utf8Start
        var written = 0
        for i in 0..<count {
            let b = bytes[i]
            if ByteClass.of(b) != ByteClass.escaped {
                start[written] = b
                written &+= 1
            } else {
                start[written] = UInt8(ascii: "%")
                start[written &+ 1] = hex[Int(b >> 4)]
                start[written &+ 2] = hex[Int(b & 0x0F)]
                written &+= 3
            }
        }
        return written
    }

    /// True when the `count` bytes at `bytes` are all unreserved (`count` a
    /// constant, so the loop unrolls into table reads ANDed).
    @inline(__always)
    private static func allUnreserved(_ bytes: UnsafePointer<UInt8>, _ count: Int) -> Bool {
        var classes: UInt8 = 0xFF
        for i in 0..<count { classes &= ByteClass.of(bytes[i]) }
        return classes & ByteClass.unreservedBit != 0
    }

    @inline(__always)
    private static func copy<Word: FixedWidthInteger>(
        _: Word.Type, from: UnsafePointer<UInt8>, to: UnsafeMutablePointer<UInt8>
    ) {
        UnsafeMutableRawPointer(to).storeBytes(of: UnsafeRawPointer(from).loadUnaligned(as: Word.self), as: Word.self)
    }

    /// A literal, read in place (an Array would be initialised lazily and
    /// bounds-checked on each escaped byte).
    @inline(__always)
    private static var hexDigits: StaticString { "0123456789ABCDEF" }

    package static func append(_ text: String, to out: SecureBuffer) {
        var text = text
        text.withUTF8 { append($0, to: out) }
    }

    /// Decodes %XY sequences; a malformed one is kept as is (like Python's unquote).
    package static func decode(_ bytes: [UInt8]) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count)
        var i = 0
        while i < bytes.count {
            if bytes[i] == UInt8(ascii: "%"), i + 2 < bytes.count,
                let hi = hexValue(bytes[i + 1]), let lo = hexValue(bytes[i + 2])
            {
                out.append(hi << 4 | lo)
                i += 3
            } else {
                out.append(bytes[i])
                i += 1
            }
        }
        return out
    }

    private static func hexValue(_ b: UInt8) -> UInt8? {
        switch b {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): return b - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): return b - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): return b - UInt8(ascii: "A") + 10
        default: return nil
        }
    }
}
