import CCryptoShims
import CHSSAPI

/// A growable byte buffer for anything that may hold a secret (password,
/// SK, tokens, the query and canonical request that embed them, response
/// bodies). Its memory is malloc'd by us so it can be wiped with
/// explicit_bzero on growth and on release; Swift's own String and Array
/// storage cannot be wiped reliably.
package final class SecureBuffer {
    package private(set) var count: Int = 0
    private var capacity: Int
    private var storage: UnsafeMutablePointer<UInt8>?

    package init(capacity: Int = 64) {
        self.capacity = max(capacity + 1, 16)
        // Not calloc: only [0, count] is ever read, so zeroing the rest is waste.
        self.storage = malloc(self.capacity)?.assumingMemoryBound(to: UInt8.self)
        storage?[0] = 0
        if storage == nil {
            self.capacity = 0
            isValid = false
        }
    }

    /// Copies a NUL-terminated C string (without the NUL).
    package convenience init(cString: UnsafePointer<CChar>) {
        let length = strlen(cString)
        self.init(capacity: length + 1)
        cString.withMemoryRebound(to: UInt8.self, capacity: length) {
            append(UnsafeBufferPointer(start: $0, count: length))
        }
    }

    package convenience init(_ text: String) {
        self.init(capacity: text.utf8.count)
        append(text)
    }

    deinit { wipeAndRelease() }

    /// Wipes the bytes now, keeping the memory (empty) for whoever frees it later.
    package func wipe() {
        guard let storage else { return }
        explicit_bzero(storage, min(count + 1, capacity))
        count = 0
    }

    /// True when every allocation so far succeeded; a buffer that could not
    /// grow refuses further appends and reports it here.
    package private(set) var isValid = true

    package var bytes: UnsafeBufferPointer<UInt8> {
        UnsafeBufferPointer(start: storage, count: count)
    }

    package var isEmpty: Bool { count == 0 }

    package func append(_ byte: UInt8) {
        guard reserve(1), let storage else { return }
        storage[count] = byte
        count += 1
        storage[count] = 0
    }

    package func append(_ other: UnsafeBufferPointer<UInt8>) {
        guard other.count > 0, reserve(other.count), let storage, let base = other.baseAddress else { return }
        (storage + count).update(from: base, count: other.count)
        count += other.count
        storage[count] = 0
    }

    /// Lets `write` put at most `maxCount` bytes straight at the end of the
    /// buffer; it returns how many it wrote. One capacity check for a whole
    /// run of bytes instead of one per byte.
    package func append(maxCount: Int, _ write: (UnsafeMutablePointer<UInt8>) -> Int) {
        guard maxCount > 0, reserve(maxCount), let storage else { return }
        count += min(write(storage + count), maxCount)
        storage[count] = 0
    }

    package func append(_ other: SecureBuffer) {
        append(other.bytes)
    }

    package func append(_ text: String) {
        var text = text
        text.withUTF8 { append($0) }
    }

    package func append(_ text: StaticString) {
        append(UnsafeBufferPointer(start: text.utf8Start, count: text.utf8CodeUnitCount))
    }

    /// Makes room for `extra` more bytes now, so that appending them moves
    /// nothing: views into the buffer stay valid while they are appended.
    @discardableResult
    package func reserveCapacity(forAppending extra: Int) -> Bool { reserve(extra) }

    /// Wipes the bytes from `length` on and keeps the first `length`: a
    /// call's buffer gives back its scratch (and, with 0, is ready for the
    /// next call) without freeing its memory.
    package func truncate(to length: Int) {
        guard let storage, length < count else { return }
        explicit_bzero(storage + length, count - length + 1)
        count = max(length, 0)
        storage[count] = 0
    }

    /// The contents as a NUL-terminated C string (the buffer always keeps a
    /// NUL after its bytes), valid until the buffer changes or is released.
    /// Reading it never mutates, so a finished buffer may be shared by threads.
    package var cString: UnsafePointer<CChar>? {
        storage.map { UnsafeRawPointer($0).assumingMemoryBound(to: CChar.self) }
    }

    /// Lossy UTF-8 text, for values that are not secret (error bodies).
    package func string() -> String { String(decoding: bytes, as: UTF8.self) }

    /// Makes room for `extra` bytes plus the trailing NUL. The check is
    /// inlined into every append; growing is not.
    @inline(__always)
    private func reserve(_ extra: Int) -> Bool {
        count + extra < capacity && storage != nil && isValid ? true : grow(extra)
    }

    @inline(never)
    private func grow(_ extra: Int) -> Bool {
        guard isValid else { return false }
        let needed = count + extra + 1
        if needed <= capacity, storage != nil { return true }
        var newCapacity = max(capacity, 16)
        while newCapacity < needed { newCapacity *= 2 }
        // Never realloc: it could leave an unwiped copy behind.
        guard let fresh = malloc(newCapacity)?.assumingMemoryBound(to: UInt8.self) else {
            isValid = false
            return false
        }
        if let storage, count > 0 { fresh.update(from: storage, count: count) }
        wipeAndRelease()
        storage = fresh
        capacity = newCapacity
        return true
    }

    private func wipeAndRelease() {
        if let storage {
            // Only [0, count] was ever written (bytes and the NUL); the rest
            // is fresh from malloc and holds nothing of ours.
            explicit_bzero(storage, min(count + 1, capacity))
            free(storage)
        }
        storage = nil
    }
}
