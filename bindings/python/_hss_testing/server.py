"""The emulator's HTTP server: its settings (keys, tokens, identity services, clock), its records of
the requests, its counters and the scripted answers of each route (faults.py). The requests
themselves are handled by handler.py, through the route table (routes.py).

    server, port = start_emulator(credentials={"AK": "SK"})   # serving in a daemon thread
    ...
    server.shutdown()

Emulator (emulator.py) wraps this for tests; cli.py runs it as a command.
"""

from __future__ import annotations

import datetime as _dt
import socket
import sys
import threading
import time
from http.server import ThreadingHTTPServer

from . import faults, identity, routes
from .handler import EmulatorHandler

DEFAULT_AK, DEFAULT_SK = "EMULATORAK", "EMULATORSK"
DEFAULT_CREDENTIALS = {DEFAULT_AK: DEFAULT_SK}
DEFAULT_TOKEN = "EMULATOR-TOKEN"
DEFAULT_TOKENS = (DEFAULT_TOKEN,)


class EmulatorServer(ThreadingHTTPServer):
    """Attributes a test may change at any time: credentials ({AK: SK}), tokens, identity (an
    identity.Identity), clock_offset (seconds the server's clock is ahead of the true one: the
    X-Sdk-Date check and every answer's Date header), faults ({route: [action, ...]}; script()).

    records: with record=True, one dict per request received (not GET /_emulator/stats), oldest
    first, the secrets in it as the server saw them: time (time.monotonic() at arrival), method,
    path (as received), query ([(name, value)] decoded), headers ([(name, value)]), body (bytes),
    route, request_id, status (None until answered; stays None when hung up), auth (how it was
    authenticated, None if not), params (the HSS parameters, once valid), echo (emulator_echo).

    idle_timeout: seconds a connection may wait for its next request before the emulator closes
    it (counted in stats' dropped_idle once it has carried a request); a connection that is
    already open keeps the limit it started with."""

    daemon_threads = True  # a stalled handler must never keep the process alive
    allow_reuse_address = True
    # socketserver's default backlog of 5 drops the SYNs of many clients connecting at once (the
    # kernel retries 1, 3, 7 s later): libhss's 64-thread test connects 64 at a time.
    request_queue_size = 128
    idle_timeout = 60.0

    def __init__(self, address, credentials: dict[str, str], tokens, ssl_context=None, verbose=False,
                 identity_service: identity.Identity | None = None, record: bool = True):
        if ":" in address[0]:
            self.address_family = socket.AF_INET6
        super().__init__(address, EmulatorHandler)
        if ssl_context is not None:
            # Handshake later, in the handler thread (EmulatorHandler.setup), so that a client
            # that connects and says nothing cannot block accept().
            self.socket = ssl_context.wrap_socket(self.socket, server_side=True, do_handshake_on_connect=False)
        self.credentials = dict(credentials)
        self.tokens = tuple(tokens)
        self.identity = identity_service or identity.Identity()
        self.verbose = verbose
        self.clock_offset = 0.0
        self.faults: dict[str, list] = {}
        self.records: list[dict] | None = [] if record else None
        self._lock = threading.Lock()
        self._repeat: set[str] = set()  # routes whose script starts over when it runs out
        self._wake = threading.Event()  # set by clear_faults() and shutdown(): ends every wait
        self._stopping = False
        self.requests = self.connections = self.dropped_idle = 0
        self.route_hits = dict.fromkeys(routes.ROUTE_NAMES, 0)

    # -- arrivals: counters, records, scripted answers --

    def arrive(self, route: str, first_on_connection: bool, record: dict | None):
        """Count and record a request; its scripted action ("pass" when there is none)."""
        with self._lock:
            self.requests += 1
            self.route_hits[route] += 1
            if first_on_connection:
                self.connections += 1
            if record is not None and self.records is not None:
                self.records.append(record)
            script = self.faults.get(route)
            if not script:
                return "pass"
            action = script.pop(0)
            if route in self._repeat:
                script.append(action)
            return action

    def dropped_while_idle(self):
        """A kept-alive connection was closed after idle_timeout without a request."""
        with self._lock:
            self.dropped_idle += 1

    def script(self, actions: list, route: str = "hss", repeat: bool = False):
        """Replace `route`'s scripted answers (faults.py): one action per request to it, then
        normal answers again; with repeat=True the script starts over instead, until clear_faults()."""
        if route not in routes.ROUTE_NAMES:
            raise ValueError("unknown route: %s (routes: %s)" % (route, ", ".join(routes.ROUTE_NAMES)))
        checked = [faults.check(action) for action in actions]
        with self._lock:
            self.faults[route] = checked
            (self._repeat.add if repeat else self._repeat.discard)(route)

    def clear_faults(self):
        """No scripted answers, no records, the true clock; waiting answers hang up unanswered."""
        with self._lock:
            self.faults = {}
            self._repeat.clear()
            if self.records is not None:
                self.records = []
            self.clock_offset = 0.0
            self._wake.set()
            self._wake = threading.Event()

    def wait_or_wake(self, seconds: float) -> bool:
        """Wait (a delayed or stalled answer); True if clear_faults() or shutdown() ended the wait."""
        return self._stopping or self._wake.wait(seconds) or self._stopping

    def arrival_times(self, route: str = "hss") -> list[float]:
        return [r["time"] for r in self.records or () if r["route"] == route]

    @property
    def arrivals(self) -> list[tuple[str, float]]:
        return [(r["route"], r["time"]) for r in self.records or ()]

    @property
    def verified(self) -> list[tuple[str, str]]:
        """(route, algorithm) of every request whose AK/SK signature verified."""
        return [(r["route"], r["auth"]["algorithm"]) for r in self.records or ()
                if r["auth"] is not None and r["auth"]["auth"] == "aksk"]

    # -- counters --

    def snapshot_stats(self, reset: bool, routes_too: bool = True) -> dict:
        """{"requests", "connections"} and (routes_too) dropped_idle (the kept-alive connections
        closed after idle_timeout) and one hit counter per route name."""
        with self._lock:
            snap = {"requests": self.requests, "connections": self.connections}
            if routes_too:
                snap["dropped_idle"] = self.dropped_idle
                snap.update(self.route_hits)
            if reset:
                self.requests = self.connections = self.dropped_idle = 0
                self.route_hits = dict.fromkeys(routes.ROUTE_NAMES, 0)
        return snap

    def stats(self, reset: bool = False) -> dict:
        return self.snapshot_stats(reset)

    def now(self) -> _dt.datetime:
        return _dt.datetime.now(_dt.timezone.utc) + _dt.timedelta(seconds=self.clock_offset)

    def unix_now(self) -> float:
        return time.time() + self.clock_offset

    # -- life --

    def handle_error(self, request, client_address):
        # Clients hanging up (timeouts, size caps, failed TLS handshakes) are expected in
        # tests; stay quiet unless asked.
        if self.verbose:
            print("hss-emulator: connection error: %s" % type(sys.exc_info()[1]).__name__, file=sys.stderr, flush=True)

    def shutdown(self):
        self._stopping = True
        self._wake.set()  # ends delayed and stalled answers
        super().shutdown()
        self.server_close()


def parse_credentials(credentials) -> dict[str, str]:
    """{ak: sk}, ["AK:SK", ...] or [(ak, sk), ...]; None or empty: the defaults."""
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


def make_identity(settings) -> identity.Identity:
    """None: the defaults; an Identity as it is; a dict: Identity(**settings)."""
    if isinstance(settings, identity.Identity):
        return settings
    return identity.Identity(**(settings or {}))


def make_server(host="127.0.0.1", port=0, tls_cert=None, tls_key=None, credentials=None, tokens=None,
                verbose=False, identity=None, record=True) -> EmulatorServer:
    ctx = None
    if tls_cert or tls_key:
        if not (tls_cert and tls_key):
            raise ValueError("--tls-cert and --tls-key go together")
        import ssl  # only for TLS: a Python without its ssl module still runs the emulator over HTTP

        ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        ctx.minimum_version = ssl.TLSVersion.TLSv1_2
        ctx.load_cert_chain(tls_cert, tls_key)
    return EmulatorServer((host, port), parse_credentials(credentials), tokens or DEFAULT_TOKENS, ctx, verbose,
                          make_identity(identity), record)


def serve_in_thread(server: EmulatorServer) -> threading.Thread:
    thread = threading.Thread(target=server.serve_forever, args=(0.1,), name="hss-emulator", daemon=True)
    thread.start()
    return thread


def start_emulator(tls_cert=None, tls_key=None, credentials=None, tokens=None, host="127.0.0.1", verbose=False,
                   identity=None, record=True):
    """Start on a free port in a daemon thread: (server, port). Stop with server.shutdown()."""
    server = make_server(host, 0, tls_cert, tls_key, credentials, tokens, verbose, identity, record)
    serve_in_thread(server)
    return server, server.server_address[1]
