import CHSSAPI

/// Reads a small file that may hold a secret (the credentials file, a token
/// file, ca_file) straight into a SecureBuffer: no Array or String ever
/// holds its bytes.
package enum SecureFile {
    /// Why a file was not read. Messages name the path (not secret), never the contents.
    package enum Failure: Error, Equatable {
        /// ENOENT or ENOTDIR: nothing there (callers may fall back to a default).
        case missing
        /// A directory, FIFO, socket or device.
        case notRegular
        /// Larger than the caller's limit (checked on the size and again while reading).
        case tooLarge(limit: Int)
        /// open(2) or read(2) failed with this errno.
        case unreadable(Int32)

        /// A sentence about `what`, e.g. `describe("credentials file '/x'")`
        /// gives "credentials file '/x' does not exist".
        package func describe(_ what: String) -> String {
            switch self {
            case .missing: return "\(what) does not exist"
            case .notRegular: return "\(what) is not a regular file"
            case .tooLarge(let limit): return "\(what) is larger than \(limit) bytes"
            case .unreadable(let code): return "\(what) cannot be read: \(String(cString: strerror(code)))"
            }
        }
    }

    /// The whole regular file at `path` (at most `maxBytes` bytes) and its st_mode, for permission checks.
    /// Opened non-blocking, so a FIFO or device named by mistake is refused at once instead of blocking.
    /// With `enough`, only the beginning it needs: read in steps (4 KiB, then as much again as was
    /// read, so that `enough` sees each byte about twice) until `enough` is true of the bytes so far,
    /// or to the end. A file whose stated size is over the limit is still refused, unread.
    package static func read(
        _ path: String, maxBytes: Int, until enough: ((UnsafeBufferPointer<UInt8>) -> Bool)? = nil
    ) throws(Failure) -> (contents: SecureBuffer, mode: mode_t) {
        var fd: Int32
        repeat { fd = chss_open_nonblocking(path) } while fd < 0 && chss_errno() == EINTR
        guard fd >= 0 else {
            let code = chss_errno()
            throw code == ENOENT || code == ENOTDIR ? .missing : .unreadable(code)
        }
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0 else { throw .unreadable(chss_errno()) }
        guard info.st_mode & UInt32(S_IFMT) == UInt32(S_IFREG) else { throw .notRegular }
        let limit = max(maxBytes, 0)
        guard info.st_size <= limit else { throw .tooLarge(limit: limit) }

        // Room for the stated size plus a one-byte probe for the end, so a
        // file that does not change is read without the buffer ever growing
        // (growing copies). Read to the end, not to st_size: the file may
        // have changed since fstat, and /proc-like files state size 0.
        let size = Int(info.st_size)
        let firstStep = 4096
        let contents = SecureBuffer(capacity: (enough == nil ? size : min(size, firstStep)) + 1)
        while true {
            let have = contents.count
            var want = min(limit + 1 - have, have < size ? size - have : (have == size ? 1 : 4096))
            if enough != nil { want = min(want, max(have, firstStep)) }
            var got = 0
            var code: Int32 = 0
            contents.append(maxCount: want) { out in
                repeat { got = CHSSAPI.read(fd, out, want) } while got < 0 && chss_errno() == EINTR
                code = chss_errno()
                return max(got, 0)
            }
            guard contents.isValid else { throw .unreadable(ENOMEM) }
            guard got >= 0 else { throw .unreadable(code) }
            guard contents.count <= limit else { throw .tooLarge(limit: limit) }
            if got == 0 || enough?(contents.bytes) == true { return (contents, info.st_mode) }
        }
    }
}
