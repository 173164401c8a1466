"""Fixtures of every suite under Tests/ (pytest hands them to Tests/python and Tests/shell too),
and those of the C-level tests (test_c_api, test_abi, test_canary, test_memcheck).

Shared test plumbing, one of each:
    lib_dir         the directory holding libhss.so.1 (env HSS_LIB_DIR, default build/lib)
    test_ca         a throw-away CA + server certificate (Tests/emulator/make_test_ca.sh);
                    make_ca() makes another
    http_emulator   the local HSS emulator, in-process, plain HTTP, recording every answer
    https_emulator  the same over TLS, with the test CA's server certificate (.ca_file)
    make_emulator   start more emulators (e.g. with other credentials); shut down at the end,
                    or at the end of a `with make_emulator() as emu:` block
    emulator_process  the emulator in a child process (for measurements of this process alone)
    stub_server     a canned-answer server for what the emulator cannot produce: by default a
                    404 APIGW.0101 (the C API only ever requests the one valid path);
                    stub_server.answer(fields) for any other JSON answer. Reset for every test.
    closed_port     a port that refuses connections (bound, never listening)

C-level only:
    build_c        compile a C file against include/hss.h and libhss, cached per session
    hss_c          the compiled Tests/c/test_api.c and a runner for its cases

Test modules must not `from conftest import ...`: Tests/python has a conftest.py of its own
and, with pytest's default import mode, both are the module `conftest`. Everything a test
needs comes through these fixtures.

The C program always runs with a scrubbed environment: PATH=/usr/bin:/bin,
LD_LIBRARY_PATH=<lib_dir> and only the variables a test sets, so a developer's
HUAWEICLOUD_SDK_* variables or a Swift toolchain on PATH cannot leak in.
"""

from __future__ import annotations

import json
import os
import re
import socket
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import SimpleNamespace

import pytest

TESTS = Path(__file__).resolve().parent
ROOT = TESTS.parent
INCLUDE = ROOT / "include"
EMULATOR_DIR = TESTS / "emulator"
TEST_API_C = TESTS / "c" / "test_api.c"
VALGRIND_SUPP = TESTS / "valgrind.supp"

sys.path.insert(0, str(EMULATOR_DIR))
import hss_emulator  # noqa: E402

CWARN = ["-std=c99", "-Wall", "-Wextra", "-Wpedantic", "-Werror"]
EMULATOR_AK, EMULATOR_SK = next(iter(hss_emulator.DEFAULT_CREDENTIALS.items()))
DEFAULT_PROJECT = "test-project"


# ----------------------------------------------------------------------------- library

@pytest.fixture(scope="session")
def lib_dir() -> Path:
    d = Path(os.environ.get("HSS_LIB_DIR") or ROOT / "build" / "lib").resolve()
    if not (d / "libhss.so.1").exists():
        pytest.fail("%s/libhss.so.1 not found: run `make lib` (or set HSS_LIB_DIR)" % d)
    return d


@pytest.fixture(scope="session")
def build_c(lib_dir, tmp_path_factory):
    """build_c(source, name=None, extra=()) -> path of the executable.

    cc -std=c99 -Wall -Wextra -Wpedantic -Werror -Iinclude SOURCE -L$LIBDIR -lhss EXTRA.
    No rpath: the programs find libhss through LD_LIBRARY_PATH (see CProgram.run)."""
    out_dir = tmp_path_factory.mktemp("cbuild")
    cc = os.environ.get("CC") or "cc"
    cache: dict = {}

    def build(source, name=None, extra=()):
        key = (str(source), tuple(extra))
        if key not in cache:
            exe = out_dir / (name or Path(source).stem)
            cmd = [cc, *CWARN, "-I%s" % INCLUDE, str(source), "-o", str(exe),
                   "-L%s" % lib_dir, "-lhss", *extra]
            proc = subprocess.run(cmd, capture_output=True, text=True)
            if proc.returncode != 0:
                pytest.fail("compilation failed: %s\n%s%s" % (" ".join(cmd), proc.stdout, proc.stderr))
            cache[key] = exe
        return cache[key]

    return build


# ----------------------------------------------------------------------------- emulators

@pytest.fixture(scope="session")
def make_ca(tmp_path_factory):
    """make_ca() -> a new throw-away CA and server certificate for 127.0.0.1 and localhost
    (Tests/emulator/make_test_ca.sh): {"ca.pem", "ca.key", "server.pem", "server.key"} -> path."""
    def make() -> dict:
        out = tmp_path_factory.mktemp("ca")
        subprocess.run(["bash", str(EMULATOR_DIR / "make_test_ca.sh"), str(out)], check=True)
        return {name: str(out / name) for name in ("ca.pem", "ca.key", "server.pem", "server.key")}

    return make


@pytest.fixture(scope="session")
def test_ca(make_ca) -> dict:
    return make_ca()


class _RecordingHandler(hss_emulator.EmulatorHandler):
    """The emulator's handler, also keeping one record per answer so that tests can compare
    the emulator's view with what the client reports:
        status      the HTTP status sent
        request_id  the X-Request-Id sent
        path        the request path (never the query: it holds the password)
        params      the decoded parameters, if they passed validation, else None
        echo        the emulator_echo of a 200 answer, else None
    Not recorded: /_emulator/stats, and answers to emu-stall (they come 30 s late, long after
    the client gave up, and would land in the middle of a later test's records)."""

    def handle_one_request(self):
        self._params = self._echo = None  # one handler serves every request of a connection
        super().handle_one_request()

    def _validate(self, project_id, raw_query):
        params = super()._validate(project_id, raw_query)
        self._params = dict(params)
        return params

    def _send_json(self, status, obj):
        if isinstance(obj, dict):
            self._echo = obj.get("emulator_echo")
        return super()._send_json(status, obj)

    def _send(self, status, body, *args, **kwargs):
        path = self.path.split("?", 1)[0]
        if path != hss_emulator.STATS_PATH and not path.startswith("/v5/emu-stall/"):
            self.server.records.append({"status": status, "request_id": self.request_id, "path": path,
                                        "params": self._params, "echo": self._echo})
        return super()._send(status, body, *args, **kwargs)


class Emulator:
    """The HSS emulator in this process (over TLS when tls_cert/tls_key are given).

        endpoint, port, scheme, ca_file (the CA to trust, https only), server (the EmulatorServer)
        records   one dict per answer, oldest first (see _RecordingHandler)
        echoes    the emulator_echo of every 200 answer
        params    the decoded parameters of every request that passed validation
        stats()   {"requests": n, "connections": m}, as GET /_emulator/stats answers
    """

    def __init__(self, ca_file: str | None = None, **start_emulator_kwargs):
        self.server, self.port = hss_emulator.start_emulator(**start_emulator_kwargs)
        self.server.records = []
        self.server.RequestHandlerClass = _RecordingHandler  # before any connection arrives
        self.scheme = "https" if start_emulator_kwargs.get("tls_cert") else "http"
        self.ca_file = ca_file
        self.endpoint = "%s://127.0.0.1:%d" % (self.scheme, self.port)
        self._running = True

    @property
    def records(self) -> list:
        return self.server.records

    @property
    def echoes(self) -> list:
        return [r["echo"] for r in self.records if r["echo"] is not None]

    @property
    def params(self) -> list:
        return [r["params"] for r in self.records if r["params"] is not None]

    def stats(self) -> dict:
        return self.server.snapshot_stats(reset=False)

    def shutdown(self):
        """Stop serving (also wakes stalled handlers). Idempotent."""
        if self._running:
            self._running = False
            self.server.shutdown()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.shutdown()


@pytest.fixture(scope="session")
def make_emulator():
    """make_emulator(ca_file=None, **start_emulator_kwargs) -> Emulator, shut down at the end of
    the session (or earlier: `with make_emulator() as emu:`)."""
    made = []

    def make(ca_file=None, **kwargs):
        emu = Emulator(ca_file, **kwargs)
        made.append(emu)
        return emu

    yield make
    for emu in made:
        emu.shutdown()


@pytest.fixture(scope="session")
def http_emulator(make_emulator) -> Emulator:
    return make_emulator()


@pytest.fixture(scope="session")
def https_emulator(make_emulator, test_ca) -> Emulator:
    return make_emulator(test_ca["ca.pem"], tls_cert=test_ca["server.pem"], tls_key=test_ca["server.key"])


@pytest.fixture
def emulator_process():
    """The emulator in a child process, default credentials (.endpoint, .port): for
    measurements that must not include the emulator's own memory."""
    proc = subprocess.Popen([sys.executable, str(EMULATOR_DIR / "hss_emulator.py"), "--port", "0"],
                            stdout=subprocess.PIPE, text=True)
    try:
        line = proc.stdout.readline()
        if not line.startswith("HSS_EMULATOR_PORT="):
            pytest.fail("the emulator did not start: %r" % line)
        port = int(line.split("=", 1)[1])
        yield SimpleNamespace(port=port, endpoint="http://127.0.0.1:%d" % port)
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        proc.stdout.close()


UNKNOWN_API_MSG = "The API does not exist or has not been published in the environment"


class _StubHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):  # never log: the query holds the password
        pass

    def do_GET(self):
        self.server.hits += 1
        status, body, request_id = self.server.canned
        self.send_response(status)
        if request_id is not None:
            self.send_header("X-Request-Id", request_id)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


class StubServer(ThreadingHTTPServer):
    """Answers every GET with one canned JSON answer; counts them in `hits`."""
    daemon_threads = True
    header_request_id = "0123456789abcdef0123456789abcdef"  # the X-Request-Id header's id ...
    body_request_id = "fedcba9876543210fedcba9876543210"    # ... and the body's request_id

    def __init__(self):
        super().__init__(("127.0.0.1", 0), _StubHandler)
        self.endpoint = "http://127.0.0.1:%d" % self.server_address[1]
        self.hits = 0
        self.answer_unknown_api()

    def answer(self, fields: dict, status: int = 200, request_id: str | None = None):
        """Answer `status` with these fields as JSON (non-ASCII as is: UTF-8), plus an
        X-Request-Id header if request_id is given."""
        self.canned = (status, json.dumps(fields, ensure_ascii=False).encode("utf-8"), request_id)

    def answer_raw(self, body: bytes, status: int, request_id: str | None = None):
        """Answer `status` with exactly these body bytes (labelled JSON, whatever they are)."""
        self.canned = (status, body, request_id)

    def answer_unknown_api(self, header: bool = True):
        """404 APIGW.0101, as the gateway answers for an unknown API, with body_request_id in
        the body and (header=True) header_request_id in an X-Request-Id header."""
        self.answer({"error_code": "APIGW.0101", "error_msg": UNKNOWN_API_MSG,
                     "request_id": self.body_request_id},
                    404, self.header_request_id if header else None)


@pytest.fixture(scope="session")
def _stub_server_session():
    server = StubServer()
    threading.Thread(target=server.serve_forever, args=(0.1,), daemon=True).start()
    yield server
    server.shutdown()
    server.server_close()


@pytest.fixture
def stub_server(_stub_server_session) -> StubServer:
    """The canned-answer server, answering the 404 APIGW.0101 again at the start of each test."""
    _stub_server_session.answer_unknown_api()
    return _stub_server_session


@pytest.fixture(scope="session")
def closed_port():
    """A TCP port that refuses connections: bound for the whole session (so nobody else
    gets it) but never listening."""
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.bind(("127.0.0.1", 0))
    yield s.getsockname()[1]
    s.close()


# ----------------------------------------------------------------------------- the C program

@dataclass
class Result:
    case: str
    returncode: int
    stdout: bytes
    stderr: bytes
    elapsed: float
    valgrind_log: str = ""
    results: dict = field(default_factory=dict)  # name -> bytes, from stdout "name=value" lines
    errors: list = field(default_factory=list)   # one dict (str -> bytes) per printed hss_error

    def describe(self) -> str:
        text = "case %s: exit %d after %.1fs\n--- stderr\n%s" % (
            self.case, self.returncode, self.elapsed, self.stderr.decode("utf-8", "replace"))
        if self.valgrind_log:
            text += "\n--- valgrind\n" + self.valgrind_log
        return text

    def check(self) -> "Result":
        assert self.returncode == 0, self.describe()
        return self

    @property
    def error(self) -> dict:
        """The only error printed."""
        assert len(self.errors) == 1, self.describe()
        return self.errors[0]


_ERROR_BLOCK = re.compile(rb"hss_error\.begin=.*?\nhss_error\.end\n", re.S)
_ERROR_FIELD = re.compile(rb"^hss_error\.(begin|returned|status|http_status|code|request_id|message)=(.*)$", re.M)


def _parse_errors(stderr: bytes) -> list:
    errors = []
    for block in _ERROR_BLOCK.findall(stderr):
        err = {k.decode(): v for k, v in _ERROR_FIELD.findall(block)}
        m = re.search(rb"\nhss_error\.msg=(.*)\nhss_error\.end\n", block, re.S)
        err["msg"] = m.group(1) if m else b""
        errors.append(err)
    return errors


def _parse_results(stdout: bytes) -> dict:
    out = {}
    for line in stdout.split(b"\n"):
        name, sep, value = line.partition(b"=")
        if sep:
            out[name.decode("ascii", "replace")] = value
    return out


class CProgram:
    """Tests/c/test_api.c, compiled, plus how to run its cases."""

    def __init__(self, exe: Path, lib_dir: Path, http: Emulator, tmp: Path):
        self.exe = exe
        self.lib_dir = lib_dir
        self.http = http
        self.tmp = tmp
        self._runs = 0
        self.project_id = DEFAULT_PROJECT

    def base_env(self) -> dict:
        return {"PATH": "/usr/bin:/bin", "LD_LIBRARY_PATH": str(self.lib_dir), "LC_ALL": "C"}

    def client_env(self) -> dict:
        """A working AK/SK client against the HTTP emulator."""
        return {"HSS_TEST_ENDPOINT": self.http.endpoint, "HSS_TEST_PROJECT_ID": DEFAULT_PROJECT,
                "HSS_TEST_AK": EMULATOR_AK, "HSS_TEST_SK": EMULATOR_SK}

    def list_cases(self) -> list:
        out = subprocess.run([str(self.exe), "--list"], env=self.base_env(), capture_output=True,
                             check=True, timeout=30).stdout
        return out.decode().split()

    def run(self, case: str, env: dict | None = None, client: bool = True, valgrind: bool = False,
            timeout: float = 120) -> Result:
        """Run one case. env is applied over the base (and, with client=True, over a working
        client config); a value of None removes the variable."""
        full = self.base_env()
        if client:
            full.update(self.client_env())
        for k, v in (env or {}).items():
            if v is None:
                full.pop(k, None)
            else:
                full[k] = str(v)
        cmd = [str(self.exe), case]
        log_path = None
        if valgrind:
            self._runs += 1
            log_path = self.tmp / ("valgrind-%d.log" % self._runs)
            cmd = ["valgrind", "--leak-check=full", "--errors-for-leak-kinds=definite",
                   "--show-leak-kinds=definite", "--error-exitcode=99", "--num-callers=40",
                   "--log-file=%s" % log_path] + \
                (["--suppressions=%s" % VALGRIND_SUPP] if VALGRIND_SUPP.exists() else []) + cmd
        start = time.monotonic()
        proc = subprocess.run(cmd, env=full, capture_output=True, timeout=timeout)
        elapsed = time.monotonic() - start
        result = Result(case, proc.returncode, proc.stdout, proc.stderr, elapsed)
        if log_path is not None and log_path.exists():
            result.valgrind_log = log_path.read_text(errors="replace")
        result.results = _parse_results(proc.stdout)
        result.errors = _parse_errors(proc.stderr)
        return result


@pytest.fixture(scope="session")
def hss_c(build_c, lib_dir, http_emulator, tmp_path_factory) -> CProgram:
    exe = build_c(TEST_API_C, extra=("-pthread",))
    return CProgram(exe, lib_dir, http_emulator, tmp_path_factory.mktemp("runs"))

