import CHSS

// TEMPORARY STUB (lead): replaced by the real SecureFile.
package enum SecureFile {
    package enum Failure: Error {
        case missing, notRegular, tooLarge, unreadable(Int32)
        package func describe(_ what: String) -> String {
            switch self {
            case .missing: return "\(what) does not exist"
            case .notRegular: return "\(what) is not a regular file"
            case .tooLarge: return "\(what) is too large"
            case .unreadable(let e): return "\(what) cannot be read (errno \(e))"
            }
        }
    }

    package static func read(_ path: String, maxBytes: Int) throws(SecureFile.Failure) -> (
        contents: SecureBuffer, mode: mode_t
    ) {
        let fd = chss_open_nonblocking(path)
        guard fd >= 0 else { throw access(path, F_OK) != 0 ? .missing : .unreadable(0) }
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0, info.st_mode & UInt32(S_IFMT) == UInt32(S_IFREG) else { throw .notRegular }
        guard info.st_size <= maxBytes else { throw .tooLarge }
        let out = SecureBuffer(capacity: Int(info.st_size) + 1)
        while true {
            var n = 0
            out.append(maxCount: 4096) { n = CHSS.read(fd, $0, 4096); return max(n, 0) }
            if n == 0 { break }
            if n < 0 { throw .unreadable(0) }
            if out.count > maxBytes { throw .tooLarge }
        }
        return (out, info.st_mode)
    }
}
