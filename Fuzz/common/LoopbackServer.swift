import Glibc
import Synchronization

/// An HTTP server on 127.0.0.1 for the targets that go through the real
/// libcurl: on its own thread, one connection at a time, it reads the
/// request's head (and a body by Content-Length, unless the client waits
/// for "100 Continue"), writes the answer it was given, byte for byte, and
/// closes. Every connection gets the same answer until it is changed.
final class LoopbackServer: @unchecked Sendable {
    let port: Int
    private let listener: Int32
    private let state = Mutex<(answer: [UInt8], requests: Int)>(([], 0))

    /// Listens on a free port of 127.0.0.1; nil if the socket calls fail.
    init?() {
        guard let (socket, port) = LoopbackServer.bound(), listen(socket, 16) == 0 else { return nil }
        listener = socket
        self.port = port
        var thread = pthread_t()
        let me = Unmanaged.passRetained(self).toOpaque()
        guard
            pthread_create(
                &thread, nil,
                { me in
                    Unmanaged<LoopbackServer>.fromOpaque(me!).takeUnretainedValue().serve()
                },
                me) == 0
        else { return nil }
        pthread_detach(thread)
    }

    /// The answer for the connections from now on; the request count starts again.
    func answer(with bytes: [UInt8]) { state.withLock { $0 = (bytes, 0) } }

    /// The requests read since the answer was set.
    var requests: Int { state.withLock { $0.requests } }

    /// A port of 127.0.0.1 where nothing listens (bound, so no one else
    /// takes it): a connection is refused at once.
    static func refusingPort() -> Int? { bound()?.port }

    private static func bound() -> (socket: Int32, port: Int)? {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { return nil }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let ok = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(fd, $0, length) == 0 && getsockname(fd, $0, &length) == 0
            }
        }
        guard ok else {
            close(fd)
            return nil
        }
        return (fd, Int(UInt16(bigEndian: address.sin_port)))
    }

    private func serve() -> Never {
        while true {
            let connection = accept(listener, nil, nil)
            guard connection >= 0 else { continue }
            var limit = timeval(tv_sec: 2, tv_usec: 0)  // a client that stops talking does not stop the server
            setsockopt(connection, SOL_SOCKET, SO_RCVTIMEO, &limit, socklen_t(MemoryLayout<timeval>.size))
            setsockopt(connection, SOL_SOCKET, SO_SNDTIMEO, &limit, socklen_t(MemoryLayout<timeval>.size))
            if readRequest(connection) {
                let answer = state.withLock { state in
                    state.requests += 1
                    return state.answer
                }
                var sent = 0
                while sent < answer.count {
                    let n = answer[sent...].withUnsafeBytes {
                        send(connection, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL))
                    }
                    guard n > 0 else { break }
                    sent += n
                }
            }
            close(connection)
        }
    }

    /// Reads one request: its head, then its body by Content-Length (not
    /// when the client sent "Expect: 100-continue": it waits for an answer
    /// first). False when the client closed or stalled before the head ended.
    private func readRequest(_ connection: Int32) -> Bool {
        var received: [UInt8] = []
        var headEnd: Int?
        var chunk = [UInt8](repeating: 0, count: 4096)
        func readMore() -> Bool {
            let n = chunk.withUnsafeMutableBytes { recv(connection, $0.baseAddress, $0.count, 0) }
            guard n > 0 else { return false }
            received += chunk[0..<n]
            return true
        }
        while headEnd == nil {
            guard received.count < 1 << 20, readMore() else { return false }
            headEnd = received.index(of: Array("\r\n\r\n".utf8)).map { $0 + 4 }
        }
        let head = String(decoding: received[0..<headEnd!], as: UTF8.self).lowercased()
        var length = 0
        for line in head.split(separator: "\r\n") {
            if line.hasPrefix("expect:") { return true }
            if line.hasPrefix("content-length:") { length = Int(line.dropFirst(15).drop { $0 == " " }) ?? 0 }
        }
        while received.count - headEnd! < min(length, 1 << 20) {
            guard readMore() else { break }
        }
        return true
    }
}
