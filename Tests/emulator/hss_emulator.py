#!/usr/bin/env python3
"""Local emulator of Huawei Cloud HSS `ShowImageUploadCommand`, for tests and `make demo`.

    GET /v5/{project_id}/image/registries/image-upload-command
        ?registry_addr=&namespace=&username=&password=[&enterprise_project_id=]

plus, on the same port, the identity services of the credential chain (identity.py): IAM
GET /v3/projects (verified with the same signature checks), ECS metadata, CCE pod identity, STS
assume-with-oidc and IAM federation.

Python 3.11 standard library only (and libcrypto through ctypes, for ECDSA and SM2). The AK/SK
verification below is this project's own implementation of the signing rules written down in
docs/api.md and official-sdk/signers.md, for all five algorithms of the official SDKs
(signing.py); it is checked against the official SDK by Tests/emulator/test_emulator.py,
Tests/vectors/signing.json and Tests/vectors/algorithms/.

Usage:
    python3 hss_emulator.py [--host 127.0.0.1] [--port 0] [--tls-cert F --tls-key F]
                            [--credentials AK:SK ...] [--token TOKEN ...] [--identity JSON]
                            [--port-file F] [--clock-offset SECONDS] [--verbose]

Prints exactly one line `HSS_EMULATOR_PORT=<port>` once listening; runs until SIGTERM/SIGINT.

Importable: `server, port = start_emulator(..., identity={settings})`, then `server.shutdown()`;
`server.identity` (an identity.Identity) holds the identity settings and the minted credentials,
`server.stats()` the counters.

Behaviour summary:
  * 404 APIGW.0101 for any other path or method (checked before auth, like a gateway would).
  * Auth: `Authorization: <algorithm> ...` (wins if both are sent) or `X-Auth-Token`. The algorithm
    is any of signing.ALGORITHMS: SDK-HMAC-SHA256, SDK-HMAC-SM3, SDK-ECDSA-P256-SHA256, SDK-SM2-SM3
    (EC key pairs derived from the AK/SK, SM2 with the standard Z_A) and V11-HMAC-SHA256
    (`Credential=AK/YYYYMMDD/region/service`: any region and service, the date X-Sdk-Date's).
    AK/SK checks, in order: Authorization well-formed -> X-Sdk-Date present and within
    15 min of the server's clock (else APIGW.0303) -> AK known -> host, x-sdk-date (and x-security-token if sent)
    signed -> signature (APIGW.0301 echoing the canonical request, as the real gateway does).
    server.verified lists (route, algorithm) of every request whose signature verified (IAM's too).
    An AK minted by an identity route (temporary) also needs X-Security-Token = its token, signed,
    and is refused (APIGW.0301) once its expiry has passed.
  * After auth, an X-Project-Id header must equal the path's project id (else 400 HSS.0004).
  * Then, by project_id (after auth): emu-status-{403,429,500,502,504}, emu-errfmt-{camel,code,
    text}, emu-nonjson, emu-huge (8 MiB JSON), emu-redirect (302), emu-stall (30 s, then the
    normal answer) answer at once; then parameters are validated (400 HSS.0004, the message
    names the parameter, never its value); then 200, altered for emu-missing-field,
    emu-nul-field and emu-echo-headers (adds every received header, credentials "<redacted>").
  * 200 body: image_command "docker login -u U -p P R && docker load -i hss-scanner.tar &&
    docker push R/N/hss-scanner", fixed images_download_url / swr_image_pull_command, and
    "emulator_echo" with every decoded input (for byte-exact round-trip checks), how it was
    authenticated ("auth", "access_key", "signed_headers", "algorithm": the Authorization's
    scheme, "scope": V11's credential scope; None for a token) and "security_token", "temporary",
    "user_agent".
  * Fault script (issue 13): `server.script([action, ...], route="hss")` (or `server.faults[route]`,
    a list) replaces the answers to the next requests of a route, one action per request, before
    auth; when the list is empty the route serves normally. Actions (FAULT_KEYS):
      "pass"                              serve normally
      {"status": 503}                     a JSON error (X-Request-Id as always); "code" and "msg"
                                          override FAULT_ERRORS' defaults (429 APIG.0308, 502
                                          APIGW.0202, 504 APIGW.0203...); "retry_after": "1" or an
                                          HTTP date adds Retry-After
      {"reset": True}                     hang up without an answer (RST: SO_LINGER 0)
      {"stall": seconds}                  wait, then serve normally; server.clear_faults() (and
                                          shutdown) wakes it, and it then hangs up without answering
      {"truncate": True}                  200 whose Content-Length exceeds the body sent, then close
      {"oversize": True}                  a 200 JSON body of OVERSIZE_BODY_SIZE (libhss's cap + 1)
    server.arrivals lists (route, time.monotonic()) of every request, for the waits between
    attempts (arrival_times(route)); server.clear_faults() empties the scripts, arrivals and
    server.verified and sets the clock right.
  * Clock: `server.clock_offset` seconds (default 0; --clock-offset) shifts the server's clock: the
    X-Sdk-Date check (more than 15 minutes away from it -> 401 APIGW.0303, docs/api.md, for the HSS
    and IAM routes) and the `Date:` header (IMF-fixdate) of every answer.
  * `GET /_emulator/stats[?reset=1][&routes=1]` (no auth) -> {"requests": n, "connections": m},
    with routes=1 also one hit counter per route ("hss", "not_found" and identity.ROUTES' names,
    e.g. "metadata_securitykey"); server.stats() always includes them.
    Stats requests are not counted themselves, and a connection is counted once it has
    carried at least one counted request, so tests can diff two snapshots without noise.

Error codes: APIGW.*/APIG.* mimic the real API gateway (docs/api.md). The HSS.xxxx codes
(HSS.0004 for parameter errors, HSS.0000/1001/1002 for test behaviours) and EMU.xxxx (HTTP
framing errors) are THIS EMULATOR'S OWN CHOICE; the real service's codes for these are unknown.
"""

from __future__ import annotations

import argparse
import datetime as _dt
import hmac
import json
import os
import re
import secrets
import signal
import socket
import ssl
import struct
import sys
import threading
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import identity
import signing

DEFAULT_CREDENTIALS = {"EMULATORAK": "EMULATORSK"}
DEFAULT_TOKENS = ("EMULATOR-TOKEN",)

EMPTY_BODY_HASH = {alg: "1ab21d8355cfa17f8e61194831e81a8f22bec8c728fefb747ed035eb5082aa2b"  # SM3("")
                   if signing.digest_name(alg) == "sm3" else
                   "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"  # SHA-256("")
                   for alg in signing.ALGORITHMS}
MAX_CLOCK_SKEW = _dt.timedelta(minutes=15)
MAX_REQUEST_BODY = 1 << 20  # GET has no body; anything bigger is not worth reading
MAX_TOKEN_LEN = 32768

API_PATH_RE = re.compile(r"^/v5/([^/]*)/image/registries/image-upload-command$")
STATS_PATH = "/_emulator/stats"
ROUTE_NAMES = ("hss", "not_found", *identity.ROUTES.values())
IAM_SIGNED_HEADERS = "host;user-agent;x-sdk-date"  # exactly what the official SDK signs for IAM

# (name, min chars, max chars, required). Chars = Unicode code points of the decoded UTF-8
# value (Python len()). NB: not grapheme clusters -- "👩‍👩‍👧" is 5 here.
QUERY_LIMITS = (
    ("registry_addr", 1, 256, True),
    ("namespace", 1, 128, True),
    ("username", 1, 128, True),
    ("password", 1, 128, True),
    # Not in the official parameter table; the emulator's own choice: if present, 1-256.
    ("enterprise_project_id", 1, 256, False),
)
PROJECT_ID_LIMITS = (1, 256)

IMAGES_DOWNLOAD_URL = "https://hss-emulator.invalid/images/hss-scanner.zip"
SWR_IMAGE_PULL_COMMAND = "docker pull swr.emulator.invalid/hss/hss-scanner:latest"

# Plain error replies selected by project_id: status, error_code, error_msg.
STATUS_BEHAVIOURS = {
    "emu-status-403": (403, "APIGW.0302", "The IAM user is not authorized to access the API."),
    "emu-status-429": (429, "APIG.0308",
                       "The throttling threshold has been reached: policy user over ratelimit,"
                       "limit:10,time:1 second"),
    "emu-status-500": (500, "HSS.0000", "internal error"),
    "emu-status-502": (502, "APIGW.0202", "Backend unavailable."),
    "emu-status-504": (504, "APIGW.0203", "Backend timeout."),
}
HUGE_BODY_SIZE = 8 << 20
STALL_SECONDS = 30
REDIRECT_LOCATION = "http://127.0.0.1:1/elsewhere"
# Fault script (issue 13): the default code and message of an error action, by status. The
# gateway's where docs/api.md names them; the others are the emulator's own.
FAULT_ERRORS = {
    **{status: (code, msg) for status, code, msg in STATUS_BEHAVIOURS.values()},
    400: ("HSS.0004", "invalid parameter (fault script)"),
    401: ("APIGW.0301", "Incorrect IAM authentication information: fault script"),
    503: ("EMU.0503", "Service unavailable (fault script)"),
}
FAULT_KEYS = {"status", "code", "msg", "retry_after", "reset", "stall", "truncate", "oversize"}
OVERSIZE_BODY_SIZE = (256 << 10) + 1  # one byte over libhss's answer cap (include/hss.h)
REDACTED = "<redacted>"
REDACTED_HEADERS = {"authorization", "x-security-token", "x-auth-token"}


# --------------------------------------------------------------------------------------
# Canonicalisation shared by every algorithm (docs/api.md "AK/SK signing"), own implementation.
# Everything works on bytes: the server sees raw request bytes, and header values may be
# UTF-8 (http.server hands them over as latin-1 strings, which we map back to bytes).
# --------------------------------------------------------------------------------------

_UNRESERVED = frozenset(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.~")


def percent_encode(data: bytes) -> str:
    """Keep A-Z a-z 0-9 - _ . ~, everything else %XY (upper-case hex)."""
    return "".join(chr(b) if b in _UNRESERVED else "%%%02X" % b for b in data)


def percent_decode(data: bytes) -> bytes:
    """Decode %XY; a '%' not followed by two hex digits stays literal. '+' stays '+'
    (the signing rules never use '+' for space, so a literal '+' means '+')."""
    return urllib.parse.unquote_to_bytes(data)


def canonical_uri(raw_path: bytes) -> str:
    """Decode the path, split on '/', re-encode each segment, join, append '/'."""
    uri = "/".join(percent_encode(seg) for seg in percent_decode(raw_path).split(b"/"))
    return uri if uri.endswith("/") else uri + "/"


def parse_query(raw_query: bytes) -> list[tuple[bytes, bytes]]:
    """Raw query -> decoded (name, value) pairs, in received order. 'a' alone means a=''."""
    pairs = []
    for piece in raw_query.split(b"&"):
        if piece:
            name, _, value = piece.partition(b"=")
            pairs.append((percent_decode(name), percent_decode(value)))
    return pairs


def canonical_query(pairs: list[tuple[bytes, bytes]]) -> str:
    # Sort on the DECODED values: UTF-8 byte order == code point order, which is how the
    # Python SDK sorts its (name, value) string tuples. (Sorting the encoded form would
    # differ, e.g. '~' vs '%C3%A9', but only when names repeat.)
    return "&".join("%s=%s" % (percent_encode(n), percent_encode(v)) for n, v in sorted(pairs))


def trim_header_value(value: bytes) -> bytes:
    # Only SP/HTAB: the raw bytes may be UTF-8 and e.g. 'à' ends in 0xA0, which a
    # Unicode-aware strip() of the latin-1 view would eat.
    return value.strip(b" \t")


def build_canonical_request(method: str, raw_path: bytes, raw_query: bytes,
                            signed_headers: str, header_values: dict[str, bytes],
                            body_hash: str) -> bytes:
    """header_values: lower-case name -> raw value, for every name in signed_headers."""
    lines = b"".join(name.encode("latin-1") + b":" + trim_header_value(header_values[name.lower()]) + b"\n"
                     for name in signed_headers.split(";"))
    return b"\n".join([
        method.upper().encode("ascii"),
        canonical_uri(raw_path).encode("ascii"),
        canonical_query(parse_query(raw_query)).encode("ascii"),
        lines,  # ends in '\n', so a blank line precedes SignedHeaders
        signed_headers.encode("latin-1"),
        body_hash.encode("ascii"),
    ])


def payload_hash(algorithm: str, body: bytes, declared: list[bytes]) -> str:
    """The official signer's rule: an empty body hashes as empty; else the algorithm's payload
    header (X-Sdk-Content-Sha256/-Sm3: UNSIGNED-PAYLOAD), if sent, stands in for the hash."""
    if not body:
        return EMPTY_BODY_HASH[algorithm]
    return declared[0].decode("latin-1") if declared else signing.hash_hex(algorithm, body)


# --------------------------------------------------------------------------------------
# Server
# --------------------------------------------------------------------------------------

class AuthError(Exception):
    def __init__(self, status: int, code: str, msg: str):
        super().__init__(msg)
        self.status, self.code, self.msg = status, code, msg


class EmulatorServer(ThreadingHTTPServer):
    daemon_threads = True  # a stalled handler must never keep the process alive
    allow_reuse_address = True
    # socketserver's default backlog of 5 drops the SYNs of many clients connecting at once (the
    # kernel retries 1, 3, 7 s later): the 64-thread test connects 64 at a time.
    request_queue_size = 128

    def __init__(self, address, credentials: dict[str, str], tokens, ssl_context=None, verbose=False,
                 identity_service: identity.Identity | None = None):
        if ":" in address[0]:
            self.address_family = socket.AF_INET6
        super().__init__(address, EmulatorHandler)
        if ssl_context is not None:
            # Handshake later, in the handler thread (see EmulatorHandler.setup), so a client
            # that connects and says nothing cannot block accept().
            self.socket = ssl_context.wrap_socket(self.socket, server_side=True,
                                                  do_handshake_on_connect=False)
        self.credentials = dict(credentials)
        self.tokens = tuple(tokens)
        self.identity = identity_service or identity.Identity()
        self.verbose = verbose
        self.stop_event = threading.Event()
        self._stats_lock = threading.Lock()
        self.requests = 0
        self.connections = 0
        self.route_hits = dict.fromkeys(ROUTE_NAMES, 0)
        self._huge_body = self._oversize_body = None
        self.faults: dict[str, list] = {}  # route -> fault script (see the module docstring)
        self.arrivals: list[tuple[str, float]] = []  # (route, time.monotonic()) of every request
        self.clock_offset = 0.0  # seconds the server's clock is ahead of the true one
        self.verified: list[tuple[str, str]] = []  # (route, algorithm) of every verified AK/SK request
        self._stall_wake = threading.Event()

    # -- stats --
    def count_request(self, first_on_connection: bool, route: str = "not_found"):
        with self._stats_lock:
            self.requests += 1
            self.route_hits[route] += 1
            if first_on_connection:
                self.connections += 1

    def snapshot_stats(self, reset: bool, routes: bool = True) -> dict:
        """{"requests", "connections"} and (routes=True) one hit counter per route name."""
        with self._stats_lock:
            snap = {"requests": self.requests, "connections": self.connections}
            if routes:
                snap.update(self.route_hits)
            if reset:
                self.requests = self.connections = 0
                self.route_hits = dict.fromkeys(ROUTE_NAMES, 0)
        return snap

    def stats(self, reset: bool = False) -> dict:
        return self.snapshot_stats(reset)

    # -- fault script and clock (issue 13) --
    def script(self, actions: list, route: str = "hss"):
        """Replace `route`'s fault script: one action per request to it (see the module docstring)."""
        if route not in ROUTE_NAMES:
            raise ValueError("unknown route: %s" % route)
        for action in actions:
            if action != "pass" and not (isinstance(action, dict) and action and set(action) <= FAULT_KEYS
                                         and sum(k in action for k in ("status", "reset", "stall", "truncate",
                                                                       "oversize")) == 1):
                raise ValueError("not a fault action: %r" % (action,))
        with self._stats_lock:
            self.faults[route] = list(actions)

    def clear_faults(self):
        """No fault script, arrivals or verified, the true clock; stalled requests hang up unanswered."""
        with self._stats_lock:
            self.faults = {}
            self.arrivals = []
            self.verified = []
            self.clock_offset = 0.0
            self._stall_wake.set()
            self._stall_wake = threading.Event()

    def take_fault(self, route: str):
        """Note a request's arrival; its fault action ("pass" when the script is empty)."""
        with self._stats_lock:
            self.arrivals.append((route, time.monotonic()))
            script = self.faults.get(route)
            return script.pop(0) if script else "pass"

    def arrival_times(self, route: str = "hss") -> list[float]:
        with self._stats_lock:
            return [t for r, t in self.arrivals if r == route]

    def now(self) -> _dt.datetime:
        return _dt.datetime.now(_dt.timezone.utc) + _dt.timedelta(seconds=self.clock_offset)

    def oversize_body(self) -> bytes:
        if self._oversize_body is None:
            head, tail = b'{"image_command":"', b'","images_download_url":"","swr_image_pull_command":""}'
            self._oversize_body = head + b"x" * (OVERSIZE_BODY_SIZE - len(head) - len(tail)) + tail
        return self._oversize_body

    def huge_body(self) -> bytes:
        if self._huge_body is None:
            head = b'{"image_command":"'
            tail = ('","images_download_url":"%s","swr_image_pull_command":"%s"}'
                    % (IMAGES_DOWNLOAD_URL, SWR_IMAGE_PULL_COMMAND)).encode()
            self._huge_body = head + b"x" * (HUGE_BODY_SIZE - len(head) - len(tail)) + tail
        return self._huge_body

    def handle_error(self, request, client_address):
        # Clients hanging up (timeouts, size caps, failed TLS handshakes) are expected in
        # tests; stay quiet unless asked.
        if self.verbose:
            exc = sys.exc_info()[1]
            print("hss_emulator: connection error: %s" % type(exc).__name__, file=sys.stderr, flush=True)

    def shutdown(self):
        self.stop_event.set()  # wakes stalled handlers
        self._stall_wake.set()
        super().shutdown()
        self.server_close()


class EmulatorHandler(identity.IdentityRoutes, BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive; every response carries Content-Length
    server_version = "hss-emulator"
    timeout = 60  # idle keep-alive connections are dropped after this
    disable_nagle_algorithm = True  # else every kept-alive answer waits ~40 ms for delayed ACKs
    server: EmulatorServer

    # -- plumbing --

    def version_string(self):
        return self.server_version

    def date_time_string(self, timestamp=None):
        """The Date header (IMF-fixdate), on the server's clock."""
        return super().date_time_string(time.time() + self.server.clock_offset if timestamp is None else timestamp)

    def setup(self):
        super().setup()
        self._connection_counted = False
        if isinstance(self.connection, ssl.SSLSocket):
            self.connection.do_handshake()

    def log_message(self, format, *args):  # noqa: A002 - signature fixed by the base class
        pass  # never log: the request line holds the registry password

    def handle_one_request(self):
        self.request_id = secrets.token_hex(16)
        super().handle_one_request()

    def _send(self, status: int, body: bytes, content_type: str | None = "application/json",
              extra_headers=()):
        self.send_response(status)
        self.send_header("X-Request-Id", self.request_id)
        if content_type:
            self.send_header("Content-Type", content_type)
        for name, value in extra_headers:
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def _send_json(self, status: int, obj: dict):
        self._send(status, json.dumps(obj, ensure_ascii=False).encode("utf-8"))

    def _send_error_json(self, status: int, code: str, msg: str):
        self._send_json(status, {"error_code": code, "error_msg": msg, "request_id": self.request_id})

    def send_error(self, code, message=None, explain=None):
        """Framing errors found by http.server itself (bad request line, huge headers...)."""
        if not hasattr(self, "request_id"):
            self.request_id = secrets.token_hex(16)
        # Only the generic reason: http.server's detail message can quote the request line,
        # i.e. the query string with the password.
        msg = self.responses.get(code, ("error",))[0]
        body = json.dumps({"error_code": "EMU.%04d" % code, "error_msg": msg,
                           "request_id": self.request_id}).encode()
        self.close_connection = True
        self.send_response(code)
        self.send_header("X-Request-Id", self.request_id)
        self.send_header("Content-Type", "application/json")
        self.send_header("Connection", "close")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD" and code >= 200 and code not in (204, 304):
            self.wfile.write(body)

    def _header_bytes(self, name: str) -> list[bytes]:
        # http.client decodes header bytes as latin-1; map back to the raw bytes.
        return [v.encode("latin-1", "replace") for v in (self.headers.get_all(name) or [])]

    def _header_text(self, name: str) -> str | None:
        vals = self._header_bytes(name)
        return vals[0].decode("utf-8", "replace") if vals else None

    def _read_body(self) -> bytes | None:
        """Read (and keep) any request body so keep-alive framing stays intact."""
        if self.headers.get("Transfer-Encoding"):
            self.close_connection = True
            self._send_error_json(400, "EMU.0400", "Transfer-Encoding is not supported")
            return None
        try:
            length = int(self.headers.get("Content-Length") or 0)
        except ValueError:
            length = -1
        if length < 0:
            self.close_connection = True
            self._send_error_json(400, "EMU.0400", "bad Content-Length")
            return None
        if length > MAX_REQUEST_BODY:
            self.close_connection = True
            self._send_error_json(413, "EMU.0413", "request body too large")
            return None
        return self.rfile.read(length) if length else b""

    # -- dispatch --

    def do_GET(self):
        self._dispatch()

    do_POST = do_PUT = do_DELETE = do_PATCH = do_HEAD = do_OPTIONS = do_GET

    def _dispatch(self):
        raw_target = self.path.encode("latin-1", "replace")  # request line, as received
        raw_path, _, raw_query = raw_target.partition(b"?")
        path_text = raw_path.decode("latin-1")
        if self.server.verbose:  # path only: the query string holds the password
            print("hss_emulator: %s %s" % (self.command, path_text), file=sys.stderr, flush=True)

        body = self._read_body()
        if body is None:
            return

        if path_text == STATS_PATH and self.command == "GET":
            flags = raw_query.split(b"&")
            self._send_json(200, self.server.snapshot_stats(b"reset=1" in flags, b"routes=1" in flags))
            return

        m = API_PATH_RE.match(path_text)
        route = "hss" if m and self.command == "GET" else identity.ROUTES.get((self.command, path_text))
        self.server.count_request(first_on_connection=not self._connection_counted, route=route or "not_found")
        self._connection_counted = True

        if self._fault(route or "not_found"):
            return
        if route is None:
            self._send_error_json(404, "APIGW.0101",
                                  "The API does not exist or has not been published in the environment")
            return
        if route != "hss":
            self._serve_identity(route, raw_path, raw_query, body)
            return

        try:
            auth = self._authenticate(route, raw_path, raw_query, body)
        except AuthError as e:
            self._send_error_json(e.status, e.code, e.msg)
            return

        project_id_bytes = percent_decode(m.group(1).encode("latin-1"))
        declared = self._header_bytes("X-Project-Id")
        if declared and (len(declared) != 1 or trim_header_value(declared[0]) != trim_header_value(project_id_bytes)):
            self._send_error_json(400, "HSS.0004",
                                  "invalid parameter: X-Project-Id (not the project id of the path)")
            return
        self._serve_api(project_id_bytes, raw_query, auth)

    def _fault(self, route: str) -> bool:
        """Carry out the route's next fault action; True when it replaced the answer."""
        action = self.server.take_fault(route)
        if action == "pass":
            return False
        if "stall" in action:
            if self.server._stall_wake.wait(action["stall"]):  # cleared or shut down meanwhile
                self.close_connection = True
                return True
            return False
        if action.get("reset"):
            self.close_connection = True
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            self.connection.close()  # RST; the server's own shutdown of the socket then does nothing
            return True
        if action.get("truncate"):
            body = b'{"image_command":"docker login'
            self.close_connection = True
            self.send_response(200)
            self.send_header("X-Request-Id", self.request_id)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body) + 1000))
            self.end_headers()
            self.wfile.write(body)
            return True
        if action.get("oversize"):
            self._send(200, self.server.oversize_body())
            return True
        status = action["status"]
        code, msg = FAULT_ERRORS.get(status, ("EMU.%04d" % status, "fault script"))
        body = {"error_code": action.get("code", code), "error_msg": action.get("msg", msg),
                "request_id": self.request_id}
        retry_after = [("Retry-After", action["retry_after"])] if "retry_after" in action else []
        self._send(status, json.dumps(body).encode("utf-8"), "application/json", retry_after)
        return True

    def _serve_identity(self, route: str, raw_path: bytes, raw_query: bytes, body: bytes):
        headers = [("X-IAM-Trace-Id", self.server.identity.new_trace_id())] if route == "iam_projects" else []
        forced = self.server.identity.take_failure(route)
        if forced is not None:
            self._send_forced_failure(route, *forced, headers)
        elif route == "iam_projects":
            self._serve_iam_projects(raw_path, raw_query, body, headers)
        else:
            getattr(self, "_serve_" + route)(raw_query, body)

    def _serve_iam_projects(self, raw_path: bytes, raw_query: bytes, body: bytes, headers: list):
        """IAM KeystoneListProjects as the SDK's project-id discovery uses it (credentials.md §5)."""
        def error(status, code, msg):
            self._reply(status, {"error_code": code, "error_msg": msg, "request_id": self.request_id}, headers)

        try:
            auth = self._authenticate("iam_projects", raw_path, raw_query, body)
            if auth["auth"] == "aksk":
                expected = IAM_SIGNED_HEADERS + (";x-security-token" if "X-Security-Token" in self.headers else "")
                if auth["signed_headers"] != expected:
                    raise AuthError(401, "APIGW.0301", "Incorrect IAM authentication information: "
                                    "SignedHeaders must be %s for IAM" % expected)
        except AuthError as e:
            error(e.status, e.code, e.msg)
            return
        names = [v for n, v in parse_query(raw_query) if n == b"name"]
        if len(names) != 1:
            error(400, "EMU.1400", "exactly one query parameter name=<region> is required")
            return
        region = names[0].decode("utf-8", "replace")
        base = "http://%s/v3/projects" % (self._header_text("Host") or "iam.emulator.invalid")
        ident = self.server.identity
        projects = [{"id": pid, "name": region, "domain_id": ident.domain_id, "parent_id": ident.domain_id,
                     "is_domain": False, "enabled": True, "description": "",
                     "links": {"self": "%s/%s" % (base, pid)}}
                    for pid in ident.projects_of(region)]
        links = {"self": "%s?name=%s" % (base, percent_encode(names[0])), "previous": None, "next": None}
        self._reply(200, {"links": links, "projects": projects}, headers)

    # -- auth --

    def _authenticate(self, route: str, raw_path: bytes, raw_query: bytes, body: bytes) -> dict:
        authz = self.headers.get_all("Authorization") or []
        tokens = self.headers.get_all("X-Auth-Token") or []
        if authz:
            auth = self._verify_aksk(authz, raw_path, raw_query, body)
            with self.server._stats_lock:
                self.server.verified.append((route, auth["algorithm"]))
            return auth
        if tokens:
            if len(tokens) == 1 and 0 < len(tokens[0]) <= MAX_TOKEN_LEN and any(
                    hmac.compare_digest(tokens[0].encode("latin-1", "replace"), t.encode("utf-8"))
                    for t in self.server.tokens):
                return {"auth": "token", "signed_headers": None, "access_key": None, "temporary": False,
                        "algorithm": None, "scope": None}
            raise AuthError(401, "APIGW.0307", "The token must be updated.")
        raise AuthError(401, "APIGW.0301",
                        "Incorrect IAM authentication information: Authorization not found in header")

    def _verify_aksk(self, authz: list[str], raw_path: bytes, raw_query: bytes, body: bytes) -> dict:
        def fail(msg, code="APIGW.0301"):
            raise AuthError(401, code, "Incorrect IAM authentication information: " + msg)

        fields = signing.parse_authorization(authz[0]) if len(authz) == 1 else None
        if fields is None:
            fail("unsupported or malformed Authorization header (expected one of %s)" % ", ".join(signing.ALGORITHMS))
        algorithm, scope = fields["algorithm"], fields.get("scope")

        dates = self._header_bytes("X-Sdk-Date")
        if not dates:
            fail("X-Sdk-Date not found in header", "APIGW.0303")
        sdk_date = trim_header_value(dates[0]).decode("latin-1")
        try:
            if len(dates) != 1 or not re.fullmatch(r"\d{8}T\d{6}Z", sdk_date):
                raise ValueError
            when = _dt.datetime.strptime(sdk_date, "%Y%m%dT%H%M%SZ").replace(tzinfo=_dt.timezone.utc)
        except ValueError:
            fail("X-Sdk-Date is malformed, expected YYYYMMDDTHHMMSSZ", "APIGW.0303")
        if abs(self.server.now() - when) > MAX_CLOCK_SKEW:
            fail("signature expired: X-Sdk-Date differs from the server time by more than 15 minutes",
                 "APIGW.0303")
        if scope is not None and not scope.startswith(sdk_date[:8] + "/"):
            fail("the credential scope's date is not X-Sdk-Date's")

        ak = fields["Access"]
        sk = self.server.credentials.get(ak)
        temporary = None
        if sk is None:  # perhaps minted by an identity route
            temporary = self.server.identity.temporary(ak)
            if temporary is None:
                fail("access key not found")
            sk = temporary.sk

        signed = fields["SignedHeaders"]
        names = [n.lower() for n in signed.split(";")]
        for required in ("host", "x-sdk-date"):
            if required not in names:
                fail("%s must be a signed header" % required)
        if self.headers.get("X-Security-Token") is not None and "x-security-token" not in names:
            fail("x-security-token must be a signed header")
        values = {}
        for name in names:
            got = self._header_bytes(name)
            if len(got) != 1:
                fail("signed header %s is %s" % (name, "missing" if not got else "repeated"))
            values[name] = got[0]
        if temporary is not None:
            token = self._header_bytes("X-Security-Token")
            if len(token) != 1 or not hmac.compare_digest(trim_header_value(token[0]), temporary.token.encode()):
                fail("the security token is missing or not the one of this temporary access key")
            if temporary.expired():
                fail("the temporary access key has expired")

        body_hash = payload_hash(algorithm, body, self._header_bytes(signing.content_header(algorithm)))
        creq = build_canonical_request(self.command, raw_path, raw_query, signed, values, body_hash)
        sts = signing.string_to_sign(sdk_date, creq, algorithm, scope)
        if not signing.verify(algorithm, ak, sk, sts, fields["Signature"].strip(), scope):
            # Like the real gateway: echo the canonical request we computed (it contains the
            # encoded password -- client libraries must redact this message).
            raise AuthError(401, "APIGW.0301",
                            "Verify aksk signature fail, canonicalRequest: " + creq.decode("utf-8", "replace"))
        return {"auth": "aksk", "signed_headers": signed, "access_key": ak, "temporary": temporary is not None,
                "algorithm": algorithm, "scope": scope}

    # -- the API itself --

    def _validate(self, project_id: bytes, raw_query: bytes) -> dict:
        """Return decoded params, or raise ValueError(message) -- messages never echo values."""
        def text(name: str, raw: bytes, lo: int, hi: int) -> str:
            try:
                value = raw.decode("utf-8")
            except UnicodeDecodeError:
                raise ValueError("invalid parameter: %s (not valid UTF-8)" % name) from None
            if not lo <= len(value) <= hi:
                raise ValueError("invalid parameter: %s (length must be %d-%d characters)" % (name, lo, hi))
            return value

        out = {"project_id": text("project_id", project_id, *PROJECT_ID_LIMITS)}
        received: dict[str, bytes] = {}
        known = {name for name, *_ in QUERY_LIMITS}
        for raw_name, raw_value in parse_query(raw_query):
            name = raw_name.decode("utf-8", "replace")
            if name not in known:
                shown = name if re.fullmatch(r"[A-Za-z0-9_.-]{1,64}", name) else "(not shown)"
                raise ValueError("unknown query parameter: %s" % shown)
            if name in received:
                raise ValueError("duplicate query parameter: %s" % name)
            received[name] = raw_value
        for name, lo, hi, required in QUERY_LIMITS:
            if name in received:
                out[name] = text(name, received[name], lo, hi)
            elif required:
                raise ValueError("missing required query parameter: %s" % name)
            else:
                out[name] = None
        return out

    def _serve_api(self, project_id: bytes, raw_query: bytes, auth: dict):
        behaviour = project_id.decode("utf-8", "replace")

        # Behaviours that do not depend on the query (gateway-ish failures and odd bodies).
        if behaviour in STATUS_BEHAVIOURS:
            self._send_error_json(*STATUS_BEHAVIOURS[behaviour])
            return
        if behaviour == "emu-errfmt-camel":
            self._send_json(400, {"errorCode": "HSS.1001", "errorMsg": "camel error"})
            return
        if behaviour == "emu-errfmt-code":
            self._send_json(400, {"code": "HSS.1002", "message": "code error"})
            return
        if behaviour == "emu-errfmt-text":
            self._send(503, b"service unavailable", "text/plain")
            return
        if behaviour == "emu-nonjson":
            self._send(200, b"<html>oops</html>", "text/html")
            return
        if behaviour == "emu-huge":
            self._send(200, self.server.huge_body())
            return
        if behaviour == "emu-redirect":
            self._send(302, b"", None, [("Location", REDIRECT_LOCATION)])
            return
        if behaviour == "emu-stall":
            # Request fully read; now hold the answer. Other connections have their own threads.
            self.server.stop_event.wait(STALL_SECONDS)
            if self.server.stop_event.is_set():
                self.close_connection = True
                return

        try:
            params = self._validate(project_id, raw_query)
        except ValueError as e:
            self._send_error_json(400, "HSS.0004", str(e))
            return

        echo = dict(params)
        echo.update({
            "auth": auth["auth"],
            "security_token": self.headers.get("X-Security-Token") is not None,
            "user_agent": self._header_text("User-Agent"),
            "signed_headers": auth["signed_headers"],
            "access_key": auth["access_key"],
            "temporary": auth["temporary"],
            "algorithm": auth["algorithm"],
            "scope": auth["scope"],
        })
        if behaviour == "emu-echo-headers":
            headers = {}
            for name in self.headers.keys():
                if name in headers:
                    continue
                if name.lower() in REDACTED_HEADERS:
                    headers[name] = REDACTED
                else:
                    headers[name] = ", ".join(v.decode("utf-8", "replace") for v in self._header_bytes(name))
            echo["headers"] = headers

        image_command = ("docker login -u {username} -p {password} {registry_addr} && "
                         "docker load -i hss-scanner.tar && "
                         "docker push {registry_addr}/{namespace}/hss-scanner").format(**params)
        if behaviour == "emu-nul-field":
            image_command = "docker load\u0000 -i hss-scanner.tar"
        body = {
            "image_command": image_command,
            "images_download_url": IMAGES_DOWNLOAD_URL,
            "swr_image_pull_command": SWR_IMAGE_PULL_COMMAND,
            "emulator_echo": echo,
        }
        if behaviour == "emu-missing-field":
            del body["swr_image_pull_command"]
        self._send_json(200, body)


# --------------------------------------------------------------------------------------
# Entry points
# --------------------------------------------------------------------------------------

def _parse_credentials(credentials) -> dict[str, str]:
    """Accept {ak: sk}, ["AK:SK", ...] or [(ak, sk), ...]; None -> the defaults."""
    if not credentials:
        return dict(DEFAULT_CREDENTIALS)
    if isinstance(credentials, dict):
        return dict(credentials)
    out = {}
    for item in credentials:
        if isinstance(item, str):
            ak, sep, sk = item.partition(":")
            if not sep or not ak or not sk:
                raise ValueError("credentials must look like AK:SK")
        else:
            ak, sk = item
        out[ak] = sk
    return out


def _make_identity(settings) -> identity.Identity:
    """None -> the defaults; an Identity as is; a dict -> Identity(**settings)."""
    if isinstance(settings, identity.Identity):
        return settings
    return identity.Identity(**(settings or {}))


def make_server(host="127.0.0.1", port=0, tls_cert=None, tls_key=None, credentials=None,
                tokens=None, verbose=False, identity=None) -> EmulatorServer:
    ctx = None
    if tls_cert or tls_key:
        if not (tls_cert and tls_key):
            raise ValueError("--tls-cert and --tls-key go together")
        ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        ctx.minimum_version = ssl.TLSVersion.TLSv1_2
        ctx.load_cert_chain(tls_cert, tls_key)
    return EmulatorServer((host, port), _parse_credentials(credentials),
                          tokens or DEFAULT_TOKENS, ctx, verbose, _make_identity(identity))


def start_emulator(tls_cert=None, tls_key=None, credentials=None, tokens=None,
                   host="127.0.0.1", verbose=False, identity=None):
    """Start in a daemon thread; returns (server, port). Stop with server.shutdown().
    identity: identity.Identity settings (a dict) or an Identity; see identity.py."""
    server = make_server(host, 0, tls_cert, tls_key, credentials, tokens, verbose, identity)
    threading.Thread(target=server.serve_forever, args=(0.1,), name="hss-emulator", daemon=True).start()
    return server, server.server_address[1]


def _write_port_file(path: str, port: int):
    tmp = "%s.tmp.%d" % (path, os.getpid())  # write-then-rename: readers never see half a file
    with open(tmp, "w") as f:
        f.write("%d\n" % port)
    os.replace(tmp, path)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description="Local Huawei Cloud HSS ShowImageUploadCommand emulator")
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--port", type=int, default=0, help="0 = pick a free port")
    ap.add_argument("--tls-cert")
    ap.add_argument("--tls-key")
    # action="extend": both `--credentials A:B C:D` and `--credentials A:B --credentials C:D` work
    ap.add_argument("--credentials", nargs="+", action="extend", metavar="AK:SK",
                    help="accepted AK/SK pairs (default EMULATORAK:EMULATORSK)")
    ap.add_argument("--token", nargs="+", action="extend", metavar="TOKEN",
                    help="accepted X-Auth-Token values (default EMULATOR-TOKEN)")
    ap.add_argument("--identity", type=json.loads, metavar="JSON",
                    help='identity settings, e.g. \'{"projects": {"cn-north-4": ["p1", "p2"]}}\' (identity.py)')
    ap.add_argument("--port-file")
    ap.add_argument("--clock-offset", type=float, default=0.0, metavar="SECONDS",
                    help="run the server's clock this far ahead (negative: behind)")
    ap.add_argument("--verbose", action="store_true", help="log method and path (never the query)")
    args = ap.parse_args(argv)

    try:
        server = make_server(args.host, args.port, args.tls_cert, args.tls_key,
                             args.credentials, args.token, args.verbose, args.identity)
    except (OSError, ValueError, TypeError, ssl.SSLError) as e:
        print("hss_emulator: %s" % e, file=sys.stderr)
        return 2
    server.clock_offset = args.clock_offset

    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    threading.Thread(target=server.serve_forever, args=(0.1,), name="hss-emulator", daemon=True).start()

    port = server.server_address[1]
    if args.port_file:
        _write_port_file(args.port_file, port)
    print("HSS_EMULATOR_PORT=%d" % port, flush=True)

    while not stop.wait(0.1):
        pass
    server.shutdown()
    return 0


if __name__ == "__main__":
    sys.exit(main())
