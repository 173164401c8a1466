/// RFC 3986 percent-encoding as Huawei Cloud's signers need it: keep
/// A-Z a-z 0-9 - _ . ~, everything else %XY (upper-case hex) over the UTF-8
/// bytes. Shared by signing (canonical URI and query, which is also the
/// query sent), request building and validation.
package enum PercentEncoding {
    private static let hex = Array("0123456789ABCDEF".utf8)

    package static func isUnreserved(_ b: UInt8) -> Bool {
        switch b {
        case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"),
            UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "_"),
            UInt8(ascii: "."), UInt8(ascii: "~"):
            return true
        default:
            return false
        }
    }

    package static func append(_ bytes: UnsafeBufferPointer<UInt8>, to out: SecureBuffer) {
        out.append(maxCount: bytes.count * 3) { end in
            var written = 0
            for b in bytes {
                if isUnreserved(b) {
                    end[written] = b
                    written += 1
                } else {
                    end[written] = UInt8(ascii: "%")
                    end[written + 1] = hex[Int(b >> 4)]
                    end[written + 2] = hex[Int(b & 0x0F)]
                    written += 3
                }
            }
            return written
        }
    }

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
