"""A small HTTP proxy on 127.0.0.1 for the proxy tests (issue 12). Tests get it through the
conftest fixtures `proxy_server` and `make_proxy(username=..., password=...)`.

    proxy = ProxyServer(username=None, password=None).start()
    proxy.url        "http://127.0.0.1:<port>" (proxy.port)
    proxy.requests   one dict per request the proxy read, oldest first:
                       line     the request line ("CONNECT 127.0.0.1:443 HTTP/1.1",
                                "GET http://127.0.0.1:8080/v5/...?... HTTP/1.1")
                       headers  its header block
                       status   the proxy's answer: 200 (tunnel open), 407, 403, 400, 502,
                                or the status a forwarded request got from its server
    proxy.tunnels    how many CONNECT tunnels were opened
    proxy.saw(text)  whether text occurs in any request line or header block: what a proxy
                     (and whoever runs it) gets to read in clear
    proxy.error_page the body of its refusals (default empty): a test sets it to an error page
                     that quotes what it should not
    proxy.stop()     (also `with ProxyServer() as proxy:`)

CONNECT host:port opens a tunnel (https endpoints); a request with an absolute http:// URI is
forwarded (http endpoints), with Connection: close on both sides. With a username, every request
needs "Proxy-Authorization: Basic ..." for username:password, else 407 with Proxy-Authenticate.
Only loopback targets are served: any other host is answered 403 and never contacted.
"""

from __future__ import annotations

import base64
import hmac
import ipaddress
import select
import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

# Headers for this hop only (RFC 9110 7.6.1), not forwarded; and Expect: the proxy has already
# answered 100-continue and read the body.
HOP_BY_HOP = {"connection", "keep-alive", "proxy-authorization", "proxy-connection", "te", "trailer",
              "transfer-encoding", "upgrade", "expect"}
IDLE_TIMEOUT = 30  # seconds a tunnel or a forwarded request may stay silent


def is_loopback(host: str) -> bool:
    if host.lower() == "localhost":
        return True
    try:
        ip = ipaddress.ip_address(host)
    except ValueError:
        return False
    mapped = getattr(ip, "ipv4_mapped", None)
    return ip.is_loopback or (mapped is not None and mapped.is_loopback)


class _ProxyHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):  # never log: request lines may hold a password
        pass

    def _record(self) -> dict:
        record = {"line": self.requestline, "headers": str(self.headers), "status": None}
        with self.server.lock:
            self.server.requests.append(record)
        return record

    def _answer(self, record: dict, status: int, headers=()):
        """An answer that ends the connection: empty, or the server's error_page for a refusal."""
        record["status"] = status
        body = self.server.error_page if status >= 400 else b""
        self.close_connection = True
        self.send_response(status)
        for name, value in headers:
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Connection", "close")
        self.end_headers()
        self.wfile.write(body)

    def _authorized(self, record: dict) -> bool:
        expected = self.server.authorization
        given = self.headers.get("Proxy-Authorization", "")
        if expected is None or hmac.compare_digest(given.encode("latin-1", "replace"), expected):
            return True
        self._answer(record, 407, [("Proxy-Authenticate", 'Basic realm="hss-test-proxy"')])
        return False

    def do_CONNECT(self):
        record = self._record()
        if not self._authorized(record):
            return
        host, _, port = self.path.rpartition(":")
        host = host.strip("[]")
        if not port.isdigit() or not is_loopback(host):
            return self._answer(record, 403)
        try:
            upstream = socket.create_connection((host, int(port)), timeout=IDLE_TIMEOUT)
        except OSError:
            return self._answer(record, 502)
        with self.server.lock:
            self.server.tunnels += 1
        record["status"] = 200
        self.close_connection = True
        # The client waits for this line before it sends its TLS hello, so nothing of the
        # tunnel's traffic is left behind in rfile's buffer.
        self.wfile.write(b"HTTP/1.1 200 Connection established\r\n\r\n")
        self._relay(self.connection, upstream)

    def _forward(self):
        record = self._record()
        if not self._authorized(record):
            return
        url = urlsplit(self.path)
        if url.scheme != "http" or not url.hostname:
            return self._answer(record, 400)
        if not is_loopback(url.hostname):
            return self._answer(record, 403)
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length > 0 else b""
        target = (url.path or "/") + ("?" + url.query if url.query else "")  # as received, not re-encoded
        head = "%s %s HTTP/1.1\r\n" % (self.command, target)
        head += "".join("%s: %s\r\n" % (k, v) for k, v in self.headers.items() if k.lower() not in HOP_BY_HOP)
        head += "Connection: close\r\n\r\n"
        try:
            with socket.create_connection((url.hostname, url.port or 80), timeout=IDLE_TIMEOUT) as upstream:
                upstream.sendall(head.encode("latin-1") + body)
                answer = b"".join(iter(lambda: upstream.recv(65536), b""))
        except OSError:
            return self._answer(record, 502)
        # The client must not reuse this connection: say so in place of the server's Connection.
        status_head, sep, rest = answer.partition(b"\r\n\r\n")
        lines = [h for h in status_head.split(b"\r\n") if not h.lower().startswith(b"connection:")]
        parts = lines[0].split(b" ", 2) if lines else []
        record["status"] = int(parts[1]) if len(parts) > 1 and parts[1].isdigit() else None
        self.close_connection = True
        self.wfile.write(b"\r\n".join(lines + [b"Connection: close"]) + sep + rest)

    do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = do_HEAD = do_OPTIONS = _forward

    def _relay(self, client: socket.socket, upstream: socket.socket):
        """Copy bytes both ways until either side closes (or the proxy stops)."""
        self.server.track(upstream)
        try:
            while True:
                readable, _, _ = select.select([client, upstream], [], [], IDLE_TIMEOUT)
                if not readable:
                    return
                for sock in readable:
                    data = sock.recv(65536)
                    if not data:
                        return
                    (upstream if sock is client else client).sendall(data)
        except (OSError, ValueError):  # ValueError: a socket closed by stop()
            pass
        finally:
            self.server.untrack(upstream)
            upstream.close()


class ProxyServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, username: str | None = None, password: str | None = None):
        super().__init__(("127.0.0.1", 0), _ProxyHandler)
        self.port = self.server_address[1]
        self.url = "http://127.0.0.1:%d" % self.port
        self.authorization = None
        if username is not None:
            token = base64.b64encode(("%s:%s" % (username, password or "")).encode()).decode()
            self.authorization = ("Basic " + token).encode()
        self.lock = threading.Lock()
        self.error_page = b""  # the body of its refusals (403, 407, 502...), as a proxy's error page
        self.requests: list = []
        self.tunnels = 0
        self._open: set = set()  # client connections and tunnel upstreams, closed by stop()
        self._thread = None

    def process_request(self, request, client_address):
        self.track(request)
        super().process_request(request, client_address)

    def shutdown_request(self, request):
        self.untrack(request)
        super().shutdown_request(request)

    def track(self, sock):
        with self.lock:
            self._open.add(sock)

    def untrack(self, sock):
        with self.lock:
            self._open.discard(sock)

    def saw(self, text: str) -> bool:
        with self.lock:
            return any(text in r["line"] or text in r["headers"] for r in self.requests)

    def start(self) -> "ProxyServer":
        self._thread = threading.Thread(target=self.serve_forever, args=(0.1,), name="test-proxy", daemon=True)
        self._thread.start()
        return self

    def stop(self):
        """Stop accepting and cut every open connection and tunnel. Idempotent."""
        if self._thread is not None:
            self.shutdown()
            self._thread = None
            self.server_close()
            with self.lock:
                socks, self._open = list(self._open), set()
            for sock in socks:
                try:
                    sock.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.stop()
