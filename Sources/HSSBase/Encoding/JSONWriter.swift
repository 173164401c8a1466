/// The few JSON request bodies libhss sends (STS, IAM federation) carry
/// tokens, so they are written straight into wiped buffers.
package enum JSONWriter {
    /// Appends `value` as a JSON string literal, quotes included: '"', '\'
    /// and control characters escaped, everything else (UTF-8) as is.
    package static func appendString(_ value: UnsafeBufferPointer<UInt8>, to out: SecureBuffer) {
        let hex: StaticString = "0123456789abcdef"
        out.append(UInt8(ascii: "\""))
        for byte in value {
            switch byte {
            case UInt8(ascii: "\""), UInt8(ascii: "\\"):
                out.append(UInt8(ascii: "\\"))
                out.append(byte)
            case 0..<0x20:
                out.append("\\u00")
                out.append(hex.utf8Start[Int(byte >> 4)])
                out.append(hex.utf8Start[Int(byte & 0xF)])
            default:
                out.append(byte)
            }
        }
        out.append(UInt8(ascii: "\""))
    }

    package static func appendString(_ value: String, to out: SecureBuffer) {
        var value = value
        value.withUTF8 { appendString($0, to: out) }
    }
}
