"""Emulator: the HSS emulator in this process, for tests (hss-emulator(1), IN PROCESS).

    with hss.testing.Emulator() as emu:
        client = hss.Client(endpoint=emu.endpoint, project_id=emu.project_id, ak=emu.ak, sk=emu.sk)
        emu.script([{"status": 429, "retry_after": "1"}])     # the next answer of the HSS route
        ...
        emu.records[-1]["query"]                              # what the server received
"""

from __future__ import annotations

from . import identity
from .server import make_server, serve_in_thread

DEFAULT_REGION = "cn-north-4"
ENV_MODES = ("keys", "metadata")


class Emulator:
    """Starts serving at once (on a free port of 127.0.0.1 by default); stop it with close() or
    by leaving a `with` block. Options (all keywords):

    credentials  the accepted AK/SK pairs: {AK: SK}, ["AK:SK", ...] (default EMULATORAK:EMULATORSK)
    tokens       the accepted X-Auth-Token values (default ["EMULATOR-TOKEN"])
    region       the region whose project IAM lists (default cn-north-4)
    identity     the identity services' settings: a dict of identity.Identity's, or an Identity
    tls_cert, tls_key   serve HTTPS with this certificate chain and key (PEM files)
    ca_file      the CA a client must trust for that (kept in .ca_file, for the tests' convenience)
    clock_offset seconds the server's clock runs ahead of the true one (negative: behind)
    host, port, verbose
    record       keep records (default True; the command, a long-running server, does not)

    Attributes: endpoint, host, port, scheme, ca_file, region, project_id (the one project IAM
    lists for the region), ak, sk (the first pair), token (the first token), server (the
    EmulatorServer: identity, credentials, clock_offset... may be changed at any time)."""

    def __init__(self, *, credentials=None, tokens=None, region: str = DEFAULT_REGION, identity=None,
                 tls_cert=None, tls_key=None, ca_file=None, clock_offset: float = 0.0, host: str = "127.0.0.1",
                 port: int = 0, verbose: bool = False, record: bool = True):
        self.server = make_server(host, port, tls_cert, tls_key, credentials, tokens, verbose, identity, record)
        self.server.clock_offset = clock_offset
        serve_in_thread(self.server)
        self.host, self.port = host, self.server.server_address[1]
        self.scheme = "https" if tls_cert else "http"
        self.ca_file = ca_file
        self.endpoint = "%s://%s:%d" % (self.scheme, "[%s]" % host if ":" in host else host, self.port)
        self.region = region
        self.ak, self.sk = next(iter(self.server.credentials.items()))
        self.token = self.server.tokens[0]
        self._running = True

    @property
    def project_id(self) -> str:
        """The project IAM lists for the region (the first, if the identity settings give several)."""
        listed = self.server.identity.projects_of(self.region)
        return listed[0] if listed else identity.default_project_id(self.region)

    # -- what it received --

    @property
    def records(self) -> list[dict]:
        """One dict per request received, oldest first, secrets as the server saw them: method,
        path, query ([(name, value)] decoded), headers ([(name, value)]), body, route, status,
        request_id, auth, params (the HSS call's parameters once valid), echo, time."""
        return self.server.records if self.server.records is not None else []

    @property
    def echoes(self) -> list[dict]:
        """The emulator_echo of every 200 answer of the HSS route."""
        return [r["echo"] for r in self.records if r["echo"] is not None]

    @property
    def params(self) -> list[dict]:
        """The decoded parameters of every HSS call that passed validation."""
        return [r["params"] for r in self.records if r["params"] is not None]

    def stats(self, reset: bool = False) -> dict:
        """{"requests", "connections", "dropped_idle", <route>: hits...}, as GET
        /_emulator/stats?routes=1 answers (EmulatorServer.snapshot_stats)."""
        return self.server.snapshot_stats(reset)

    # -- what it answers --

    def script(self, answers: list, route: str = "hss", repeat: bool = False):
        """The route's next answers, one per request: "pass" or a dict of status, error_code,
        error_msg, body, retry_after, date, delay, reset, truncate, oversize (faults.py);
        normal answers again once they are used up, or with repeat=True the same again."""
        self.server.script(answers, route, repeat)

    @property
    def identity(self) -> identity.Identity:
        return self.server.identity

    @property
    def clock_offset(self) -> float:
        return self.server.clock_offset

    @clock_offset.setter
    def clock_offset(self, seconds: float):
        self.server.clock_offset = seconds

    def reset(self):
        """No scripted answers, no records, the true clock (a waiting answer hangs up)."""
        self.server.clear_faults()

    # -- for clients --

    def env(self, mode: str = "keys") -> dict[str, str]:
        """The environment that points libhss (and, where they read it, the official SDKs) here:
        the endpoint, the region and its endpoint variable, IAM; with mode "keys" also the AK/SK
        and the project id; with "metadata" instead the metadata service (libhss's
        HUAWEICLOUD_SDK_METADATA_ENDPOINT): the default chain then fetches temporary credentials
        here and looks the project up in IAM."""
        if mode not in ENV_MODES:
            raise ValueError("mode must be one of %s" % ", ".join(ENV_MODES))
        env = {"HUAWEICLOUD_SDK_ENDPOINT": self.endpoint, "HUAWEICLOUD_SDK_REGION": self.region,
               "HUAWEICLOUD_SDK_REGION_HSS_" + self.region.upper().replace("-", "_"): self.endpoint,
               "HUAWEICLOUD_SDK_IAM_ENDPOINT": self.endpoint}
        if mode == "keys":
            env.update(HUAWEICLOUD_SDK_PROJECT_ID=self.project_id, HUAWEICLOUD_SDK_AK=self.ak,
                       HUAWEICLOUD_SDK_SK=self.sk)
        else:
            env["HUAWEICLOUD_SDK_METADATA_ENDPOINT"] = self.endpoint
        return env

    # -- life --

    def close(self):
        """Stop serving (a waiting answer hangs up). Idempotent."""
        if self._running:
            self._running = False
            self.server.shutdown()

    shutdown = close

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def __repr__(self):
        return "<hss.testing.Emulator %s%s>" % (self.endpoint, "" if self._running else " closed")
