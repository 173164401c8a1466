"""One connection's requests: read, record, route (routes.py), answer. Every answer carries an
X-Request-Id (32 hex) and a Date on the server's clock; error bodies are the gateway's JSON,
{"error_code", "error_msg", "request_id"}. Nothing is logged but, with --verbose, method and path
(the query holds the registry password).
"""

from __future__ import annotations

import json
import secrets
import sys
import time
from http.server import BaseHTTPRequestHandler

from . import auth, faults, routes
from .canonical import parse_query

STATS_PATH = "/_emulator/stats"
MAX_REQUEST_BODY = 1 << 20  # the API's calls have no body or a small one; more is not worth reading


def _text(raw: bytes) -> str:
    return raw.decode("utf-8", "replace")


class EmulatorHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive; every answer carries Content-Length
    server_version = "hss-emulator"
    disable_nagle_algorithm = True  # else every kept-alive answer waits ~40 ms for delayed ACKs

    # -- plumbing --

    def version_string(self):
        return self.server_version

    def date_time_string(self, timestamp=None):
        """The Date header (IMF-fixdate) on the server's clock, or a scripted answer's."""
        if timestamp is None and getattr(self, "date_override", None):
            return self.date_override
        return super().date_time_string(self.server.unix_now() if timestamp is None else timestamp)

    def setup(self):
        self.timeout = self.server.idle_timeout  # the socket's (StreamRequestHandler.setup)
        super().setup()
        self._connection_counted = False
        handshake = getattr(self.connection, "do_handshake", None)  # an ssl.SSLSocket's (TLS)
        if handshake is not None:
            handshake()

    def log_message(self, format, *args):  # noqa: A002 - signature fixed by the base class
        pass  # never log: the request line holds the registry password

    def handle_one_request(self):
        self.request_id = secrets.token_hex(16)
        self.date_override = None
        self.answer_headers: list[tuple[str, str]] = []  # added to this request's answer
        self.record = None
        self.raw_requestline = None  # stays None when the wait for a request line times out
        super().handle_one_request()
        if self.raw_requestline is None and self._connection_counted:
            self.server.dropped_while_idle()  # http.server closes the connection

    def note(self, **fields):
        """Add to this request's record (params, echo, auth)."""
        if self.record is not None:
            self.record.update(fields)

    def authenticate(self, request: auth.Incoming) -> dict:
        """auth.authenticate, noted in the record; AuthError when refused."""
        credential = auth.authenticate(request, self.server)
        self.note(auth=credential)
        return credential

    def send_answer(self, status: int, body: bytes, content_type: str | None = "application/json",
                    extra_headers=(), content_length: int | None = None):
        self.note(status=status)
        self.send_response(status)
        self.send_header("X-Request-Id", self.request_id)
        if content_type:
            self.send_header("Content-Type", content_type)
        for name, value in [*self.answer_headers, *extra_headers]:
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body) if content_length is None else content_length))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def send_json(self, status: int, obj):
        self.send_answer(status, json.dumps(obj, ensure_ascii=False).encode("utf-8"))

    def send_error_json(self, status: int, code: str, msg: str):
        self.send_json(status, {"error_code": code, "error_msg": msg, "request_id": self.request_id})

    def send_error(self, code, message=None, explain=None):
        """Framing errors found by http.server itself (bad request line, huge headers...)."""
        if not hasattr(self, "request_id"):
            self.request_id = secrets.token_hex(16)
        # Only the generic reason: http.server's detail message can quote the request line,
        # i.e. the query string with the password.
        msg = self.responses.get(code, ("error",))[0]
        body = json.dumps({"error_code": "EMU.%04d" % code, "error_msg": msg, "request_id": self.request_id}).encode()
        self.close_connection = True
        self.send_response(code)
        self.send_header("X-Request-Id", self.request_id)
        self.send_header("Content-Type", "application/json")
        self.send_header("Connection", "close")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD" and code >= 200 and code not in (204, 304):
            self.wfile.write(body)

    def _read_body(self) -> bytes | None:
        """Read (and keep) any request body so that keep-alive framing stays intact."""
        if self.headers.get("Transfer-Encoding"):
            self.close_connection = True
            self.send_error_json(400, "EMU.0400", "Transfer-Encoding is not supported")
            return None
        try:
            length = int(self.headers.get("Content-Length") or 0)
        except ValueError:
            length = -1
        if length < 0:
            self.close_connection = True
            self.send_error_json(400, "EMU.0400", "bad Content-Length")
            return None
        if length > MAX_REQUEST_BODY:
            self.close_connection = True
            self.send_error_json(413, "EMU.0413", "request body too large")
            return None
        return self.rfile.read(length) if length else b""

    # -- dispatch --

    def do_GET(self):
        self._dispatch()

    do_POST = do_PUT = do_DELETE = do_PATCH = do_HEAD = do_OPTIONS = do_GET

    def _dispatch(self):
        raw_path, _, raw_query = self.path.encode("latin-1", "replace").partition(b"?")  # as received
        if self.server.verbose:  # the path only: the query holds the password
            print("hss-emulator: %s %s" % (self.command, raw_path.decode("latin-1")), file=sys.stderr, flush=True)
        body = self._read_body()
        if body is None:
            return
        if raw_path == STATS_PATH.encode() and self.command == "GET":
            flags = raw_query.split(b"&")
            self.send_json(200, self.server.snapshot_stats(b"reset=1" in flags, b"routes=1" in flags))
            return

        route, path = routes.find(self.command, raw_path)
        name = route.name if route else routes.NOT_FOUND
        request = auth.Incoming(self.command, raw_path, raw_query, self.headers, body)
        if self.server.records is not None:
            self.record = {
                "time": time.monotonic(), "method": self.command, "path": raw_path.decode("latin-1"),
                "query": [(_text(n), _text(v)) for n, v in parse_query(raw_query)],
                "headers": [(k, _text(v.encode("latin-1", "replace"))) for k, v in self.headers.items()],
                "body": body, "route": name, "request_id": self.request_id, "status": None, "auth": None,
                "params": None, "echo": None}
        action = self.server.arrive(name, not self._connection_counted, self.record)
        self._connection_counted = True
        if faults.carry_out(self, action):
            return
        if route is None:
            self.send_error_json(404, "APIGW.0101",
                                 "The API does not exist or has not been published in the environment")
            return
        route.serve(self, request, path)
