"""Session fixtures of the C-level tests (test_c_api, test_abi, test_canary, test_memcheck).

    lib_dir        the directory holding libhss.so.1 (env HSS_LIB_DIR, default build/lib)
    test_ca        a throw-away CA + server certificate (Tests/emulator/make_test_ca.sh)
    http_emulator  the local HSS emulator, in-process, plain HTTP
    https_emulator the same over TLS, with the test CA's server certificate
    stub_server    a tiny server for what the emulator cannot produce through the C API
                   (a 404 APIGW.0101: the library only ever requests the one valid path)
    closed_port    a port that refuses connections (bound, never listening)
    make_emulator  start more emulators (e.g. with other credentials); shut down at the end
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
import ssl
import subprocess
import sys
import threading
import time
import urllib.request
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

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
def test_ca(tmp_path_factory) -> dict:
    out = tmp_path_factory.mktemp("ca")
    subprocess.run(["bash", str(EMULATOR_DIR / "make_test_ca.sh"), str(out)], check=True)
    return {name: str(out / name) for name in ("ca.pem", "server.pem", "server.key")}


class _RecordingHandler(hss_emulator.EmulatorHandler):
    """The emulator's handler, also keeping what it answered so that tests can compare the
    emulator's view (the decoded parameters, the X-Request-Id) with what the C API reports.
    The query (which holds the password) is not kept."""

    def _send(self, status, body, *args, **kwargs):
        path = self.path.split("?", 1)[0]
        if path != hss_emulator.STATS_PATH:
            self.server.recorded_responses.append(
                {"status": status, "request_id": self.request_id, "path": path})
        return super()._send(status, body, *args, **kwargs)

    def _send_json(self, status, obj):
        if isinstance(obj, dict) and "emulator_echo" in obj:
            self.server.recorded_echoes.append(obj["emulator_echo"])
        return super()._send_json(status, obj)


class Emulator:
    def __init__(self, scheme: str, ca_file: str | None = None, **kwargs):
        self.server, self.port = hss_emulator.start_emulator(**kwargs)
        self.server.recorded_echoes = []
        self.server.recorded_responses = []
        self.server.RequestHandlerClass = _RecordingHandler  # before any connection arrives
        self.scheme = scheme
        self.ca_file = ca_file
        self.endpoint = "%s://127.0.0.1:%d" % (scheme, self.port)

    @property
    def echoes(self) -> list:
        return self.server.recorded_echoes

    @property
    def responses(self) -> list:
        return self.server.recorded_responses

    def stats(self) -> dict:
        """GET /_emulator/stats (not counted by the emulator itself)."""
        ctx = ssl.create_default_context(cafile=self.ca_file) if self.scheme == "https" else None
        with urllib.request.urlopen(self.endpoint + hss_emulator.STATS_PATH, timeout=10, context=ctx) as r:
            return json.load(r)

    def shutdown(self):
        self.server.shutdown()


@pytest.fixture(scope="session")
def make_emulator():
    """make_emulator(scheme="http", ca_file=None, **start_emulator_kwargs) -> Emulator."""
    made = []

    def make(scheme="http", ca_file=None, **kwargs):
        emu = Emulator(scheme, ca_file, **kwargs)
        made.append(emu)
        return emu

    yield make
    for emu in made:
        emu.shutdown()


@pytest.fixture(scope="session")
def http_emulator():
    emu = Emulator("http")
    yield emu
    emu.shutdown()


@pytest.fixture(scope="session")
def https_emulator(test_ca):
    emu = Emulator("https", ca_file=test_ca["ca.pem"],
                   tls_cert=test_ca["server.pem"], tls_key=test_ca["server.key"])
    yield emu
    emu.shutdown()


# Ids the stub answers with: X-Request-Id header vs request_id in the body.
STUB_HEADER_REQUEST_ID = "0123456789abcdef0123456789abcdef"
STUB_BODY_REQUEST_ID = "fedcba9876543210fedcba9876543210"


class _StubHandler(BaseHTTPRequestHandler):
    """Answers every request 404 APIGW.0101 like the gateway does for an unknown API;
    project_id `stub-body-id` leaves out the X-Request-Id header (the id is then only in
    the body)."""
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):  # never log: the query holds the password
        pass

    def do_GET(self):
        self.server.hits += 1
        with_header = "/stub-body-id/" not in self.path
        body = json.dumps({"error_code": "APIGW.0101",
                           "error_msg": "The API does not exist or has not been published in the environment",
                           "request_id": STUB_BODY_REQUEST_ID}).encode()
        self.send_response(404)
        if with_header:
            self.send_header("X-Request-Id", STUB_HEADER_REQUEST_ID)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


@pytest.fixture(scope="session")
def stub_server():
    server = ThreadingHTTPServer(("127.0.0.1", 0), _StubHandler)
    server.daemon_threads = True
    server.hits = 0
    server.header_request_id = STUB_HEADER_REQUEST_ID
    server.body_request_id = STUB_BODY_REQUEST_ID
    threading.Thread(target=server.serve_forever, args=(0.1,), daemon=True).start()
    server.endpoint = "http://127.0.0.1:%d" % server.server_address[1]
    yield server
    server.shutdown()
    server.server_close()


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

