import CHSSAPI

/// Bytes a call reads where they are, without a copy: a caller's C string
/// (valid for the call) or a SecureBuffer's contents (kept alive by this
/// value). Secrets arrive from the C boundary this way, so that the only
/// copies of them are the ones the request needs, in wiped memory.
package struct Bytes {
    package let buffer: UnsafeBufferPointer<UInt8>
    /// What keeps `buffer` alive: its SecureBuffer; nil for what is borrowed.
    package let owner: SecureBuffer?

    package init(_ secure: SecureBuffer) {
        buffer = secure.bytes
        owner = secure
    }

    /// The caller's C string, borrowed: valid only while the caller's call lasts.
    package init(borrowing cString: UnsafePointer<CChar>) {
        buffer = cString.withMemoryRebound(to: UInt8.self, capacity: 1) {
            UnsafeBufferPointer(start: $0, count: strlen(cString))
        }
        owner = nil
    }

    /// Bytes borrowed from wherever they are: valid only while their holder keeps them.
    package init(borrowing buffer: UnsafeBufferPointer<UInt8>) {
        self.buffer = buffer
        owner = nil
    }

    package var count: Int { buffer.count }
    package var isEmpty: Bool { buffer.isEmpty }

    /// A copy in wiped memory (for a redactor, on an error path).
    package func secureCopy() -> SecureBuffer {
        let copy = SecureBuffer(capacity: buffer.count)
        copy.append(buffer)
        return copy
    }

    /// Lossy UTF-8 text, for values that are not secret.
    package func string() -> String { String(decoding: buffer, as: UTF8.self) }
}
