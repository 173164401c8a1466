"""Fixtures of every suite under Tests/ (pytest hands them to Tests/python and Tests/shell too),
and those of the C-level tests (test_c_api, test_abi, test_canary, test_memcheck).

Shared test plumbing, one of each:
    lib_dir         the directory holding libhss.so.1 (env HSS_LIB_DIR, default build/lib)
    test_ca         a throw-away CA + server certificate (Tests/emulator/make_test_ca.sh);
                    make_ca() makes another
    http_emulator   the HSS emulator libhss ships (hss.testing.Emulator, whose code is the
                    package bindings/python/_hss_testing), in-process, plain HTTP, recording
                    every request
    https_emulator  the same over TLS, with the test CA's server certificate (.ca_file)
    make_emulator   start more emulators (e.g. with other credentials); shut down at the end,
                    or at the end of a `with make_emulator() as emu:` block
    hss_emulator    the shipped pytest plugin's fixture (a fresh emulator per test)
    emulator_process  the hss-emulator command in a child process (for measurements of this
                    process alone)
    stub_server     a canned-answer server for what the emulator cannot produce: by default a
                    404 APIGW.0101 (the C API only ever requests the one valid path);
                    stub_server.answer(fields) for any other JSON answer. Reset for every test.
    closed_port     a port that refuses connections (bound, never listening)

C-level only:
    build_c        compile a C file against include/hss.h and libhss, cached per session
    hss_c          the compiled Tests/c/test_api.c and a runner for its cases (one attempt
                   per call unless the test sets HSS_TEST_MAX_ATTEMPTS; .extra_env: variables
                   of every run, e.g. HSS_TEST_ASYNC=1 for the asynchronous form)

Test modules must not `from conftest import ...`: Tests/python has a conftest.py of its own
and, with pytest's default import mode, both are the module `conftest`. Everything a test
needs comes through these fixtures.

The C program always runs with a scrubbed environment: PATH=/usr/bin:/bin,
LD_LIBRARY_PATH=<lib_dir>, the loopback variables below and only the variables a test sets,
so a developer's HUAWEICLOUD_SDK_* variables or a Swift toolchain on PATH cannot leak in.

Loopback harness (issue 12), active before any test module is imported:
    - the session runs under Tests/c/loopback_guard.c (LD_PRELOAD): pytest_configure builds
      it into build/test/ and re-executes the same pytest command under it. A connect() or
      sendto() outside 127.0.0.0/8 and ::1, or a DNS lookup of a real name, fails and is
      logged to $HSS_LOOPBACK_GUARD_LOG; the session fails if that log is not empty.
    - os.environ loses every HUAWEICLOUD_*, CLOUD_SDK_*, HC_CONTAINER_*, SSL_CERT_FILE,
      SSL_CERT_DIR and proxy variable (http_proxy, https_proxy, all_proxy, no_proxy, either
      case); HOME is a fresh empty directory; HUAWEICLOUD_SDK_METADATA_ENDPOINT, _IAM_ENDPOINT
      and _STS_ENDPOINT point at http://127.0.0.1:<closed_port>, so libhss's default chain
      fails fast instead of reaching 169.254.169.254 or a real IAM.
    loopback_env   those variables (HOME, the three endpoints, LD_PRELOAD, the guard's log):
                   put them into every scrubbed environment a test builds for a child. (A
                   child started with an env= that lacks LD_PRELOAD and the log gets them
                   anyway: the harness wraps subprocess.Popen.)
    proxy_server   a CONNECT / absolute-URI proxy on 127.0.0.1 (Tests/proxy_server.py);
                   make_proxy(username=, password=) for one with Basic authentication
"""

from __future__ import annotations

import atexit
import hashlib
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
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
BINDING_DIR = ROOT / "bindings" / "python"
TEST_API_C = TESTS / "c" / "test_api.c"
VALGRIND_SUPP = TESTS / "valgrind.supp"

# The emulator is the shipped one, imported as _hss_testing: `hss.testing` would load libhss.so.1
# into this process, which must not happen here (make sanitize's libraries cannot be loaded by Python).
sys.path.insert(0, str(BINDING_DIR))
from _hss_testing import DEFAULT_AK as EMULATOR_AK  # noqa: E402
from _hss_testing import DEFAULT_SK as EMULATOR_SK  # noqa: E402
from _hss_testing import Emulator  # noqa: E402
from proxy_server import ProxyServer  # noqa: E402

pytest_plugins = ["_hss_testing.pytest_plugin"]  # the hss_emulator fixture, as the entry point gives it

CWARN = ["-std=c99", "-Wall", "-Wextra", "-Wpedantic", "-Werror"]
DEFAULT_PROJECT = "test-project"


# ----------------------------------------------------------------------------- loopback harness

GUARD_C = TESTS / "c" / "loopback_guard.c"
GUARD_LOG = "HSS_LOOPBACK_GUARD_LOG"
_REEXEC = "HSS_LOOPBACK_GUARD_REEXEC"  # set for the re-executed pytest: no second round
_START_ENV = dict(os.environ)  # what pytest started with, for the re-execution
# Removed from the environment of the whole session (and so of every child that inherits it).
_SCRUBBED = re.compile(r"^(HUAWEICLOUD_|CLOUD_SDK_|HC_CONTAINER_|SSL_CERT_(FILE|DIR)$|(?i:(https?|all|no)_proxy)$)")


def _guard_loaded() -> bool:
    with open("/proc/self/maps") as maps:
        return any(line.rstrip().endswith(".so") and "/loopback_guard" in line for line in maps)


def _build_guard() -> Path:
    """build/test/loopback_guard-<source hash>.so, compiled once per version of the source."""
    source = GUARD_C.read_bytes()
    lib = ROOT / "build" / "test" / ("loopback_guard-%s.so" % hashlib.sha256(source).hexdigest()[:12])
    if not lib.exists():
        lib.parent.mkdir(parents=True, exist_ok=True)
        tmp = lib.with_suffix(".tmp%d" % os.getpid())  # then rename: concurrent sessions never see half a file
        cmd = [os.environ.get("CC") or "cc", "-shared", "-fPIC", "-O2", "-Wall", "-Wextra", "-Werror",
               "-o", str(tmp), str(GUARD_C), "-ldl"]
        proc = subprocess.run(cmd, capture_output=True, text=True)
        if proc.returncode != 0:
            pytest.exit("cannot build the loopback guard: %s\n%s" % (" ".join(cmd), proc.stderr), returncode=4)
        os.replace(tmp, lib)
    return lib


def _apply_harness() -> dict:
    """Scrub os.environ and point it at loopback; returns the variables children need."""
    for name in [n for n in os.environ if _SCRUBBED.match(n)]:
        del os.environ[name]
    session_dir = tempfile.mkdtemp(prefix="hss-tests-")
    atexit.register(shutil.rmtree, session_dir, True)
    os.mkdir(os.path.join(session_dir, "home"))
    unreachable = "http://127.0.0.1:%d" % _CLOSED_SOCKET.getsockname()[1]
    env = {"HOME": os.path.join(session_dir, "home"),
           "HUAWEICLOUD_SDK_METADATA_ENDPOINT": unreachable,
           "HUAWEICLOUD_SDK_IAM_ENDPOINT": unreachable,
           "HUAWEICLOUD_SDK_STS_ENDPOINT": unreachable,
           "LD_PRELOAD": os.environ["LD_PRELOAD"],
           # A pytest run by a test keeps its parent's log, so that the parent sees the lines.
           GUARD_LOG: os.environ.get(GUARD_LOG) or os.path.join(session_dir, "loopback-guard.log")}
    os.environ.update(env)
    os.environ.pop(_REEXEC, None)
    return env


# A port that refuses connections (bound for the whole session, never listening): the
# harness's endpoints, and the closed_port fixture.
_CLOSED_SOCKET = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
_CLOSED_SOCKET.bind(("127.0.0.1", 0))
_GUARDED = _guard_loaded()
LOOPBACK_ENV = _apply_harness() if _GUARDED else {}


class _GuardedPopen(subprocess.Popen):
    """subprocess.Popen (and so subprocess.run) whose child keeps the guard even when a test
    builds its environment from scratch: LD_PRELOAD and the guard's log are added to an env=
    that lacks them. Only those two, which change nothing but what leaves loopback: HOME and
    the endpoints are for the test to set (loopback_env), so that it can also leave them out."""

    def __init__(self, *args, **kwargs):
        if kwargs.get("env") is not None:
            kwargs["env"] = {"LD_PRELOAD": LOOPBACK_ENV["LD_PRELOAD"], GUARD_LOG: LOOPBACK_ENV[GUARD_LOG],
                             **kwargs["env"]}
        super().__init__(*args, **kwargs)


if _GUARDED:
    subprocess.Popen = _GuardedPopen


# What `make check` leaves to `make test` (the Makefile's TEST_MARKS), and what only `make
# check-all` runs (LONG_MARKS: long_build, valgrind). A test carries one when it needs more than
# the library, the command and the venv, or takes long; everything else is the inner loop.
MARKERS = {
    "packaging": "needs `make wheel` or `make deb`, or installs a distribution into a fresh venv",
    "man_pages": "renders the manual pages (man-db, groff) and runs their examples",
    "soak": "many thousands of calls",
    "valgrind": "runs under valgrind memcheck (make check-all only)",
    "long_build": "builds the library again from source (make check-all only)",
}


@pytest.hookimpl(tryfirst=True)
def pytest_configure(config):
    """Registers MARKERS. Without the guard: builds it and runs this same pytest command again
    under it. Here, not at import time, because pytest captures fds 1 and 2 while it imports
    conftests."""
    for name, text in MARKERS.items():
        config.addinivalue_line("markers", "%s: %s" % (name, text))
    if _GUARDED:
        return
    if _START_ENV.get(_REEXEC):
        pytest.exit("the loopback guard is in LD_PRELOAD but not loaded: %s" % _START_ENV.get("LD_PRELOAD"), 4)
    env = dict(_START_ENV)
    env["LD_PRELOAD"] = " ".join(filter(None, [str(_build_guard()), env.get("LD_PRELOAD")]))
    env[_REEXEC] = "1"
    sys.stdout.flush()
    sys.stderr.flush()
    # sys.orig_argv (Python 3.10+): `python -m pytest ...`, `.venv/bin/pytest ...`, as started.
    argv = getattr(sys, "orig_argv", None) or [sys.executable, "-m", "pytest", *sys.argv[1:]]
    os.execve(sys.executable, [sys.executable, *argv[1:]], env)


def _guard_lines() -> list:
    try:
        with open(LOOPBACK_ENV.get(GUARD_LOG, ""), errors="replace") as f:
            return f.read().splitlines()
    except FileNotFoundError:
        return []


_GUARD_KEY = pytest.StashKey[list]()


def pytest_sessionfinish(session, exitstatus):
    lines = _guard_lines()
    if lines:
        session.config.stash[_GUARD_KEY] = lines
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


def pytest_terminal_summary(terminalreporter, config):
    lines = config.stash.get(_GUARD_KEY, None)
    if lines:
        terminalreporter.section("loopback guard", red=True)
        terminalreporter.line("%d attempt(s) to leave 127.0.0.0/8 and ::1 were refused "
                              "(see Tests/c/loopback_guard.c):" % len(lines), red=True)
        for line in lines[:50]:
            terminalreporter.line("    " + line)


@pytest.fixture(scope="session")
def loopback_env() -> dict:
    """HOME, the three loopback endpoints, LD_PRELOAD and the guard's log: every scrubbed
    environment a test builds for a child process must include them."""
    return dict(LOOPBACK_ENV)


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


_MADE: list = []  # every emulator of make_emulator, for _reset_emulators


@pytest.fixture(autouse=True)
def _reset_emulators():
    """No scripted answers, records or clock offset left over from an earlier test (a closed
    emulator's reset does nothing)."""
    for emu in _MADE:
        emu.reset()


@pytest.fixture(scope="session")
def make_emulator():
    """make_emulator(ca_file=None, **options) -> hss.testing.Emulator (options: its keywords), shut
    down at the end of the session (or earlier: `with make_emulator() as emu:`)."""
    made = _MADE

    def make(ca_file=None, **kwargs):
        emu = Emulator(ca_file=ca_file, **kwargs)
        made.append(emu)
        return emu

    yield make
    for emu in made:
        emu.close()


@pytest.fixture(scope="session")
def http_emulator(make_emulator) -> Emulator:
    return make_emulator()


@pytest.fixture(scope="session")
def https_emulator(make_emulator, test_ca) -> Emulator:
    return make_emulator(test_ca["ca.pem"], tls_cert=test_ca["server.pem"], tls_key=test_ca["server.key"])


@pytest.fixture
def emulator_process():
    """The hss-emulator command in a child process, default credentials (.endpoint, .port): for
    measurements that must not include the emulator's own memory."""
    proc = subprocess.Popen([sys.executable, "-m", "_hss_testing", "--port", "0"], stdout=subprocess.PIPE, text=True,
                            env=dict(os.environ, PYTHONPATH=str(BINDING_DIR)))
    try:
        line = proc.stdout.readline()
        m = re.fullmatch(r"HSS_EMULATOR_ENDPOINT=(http://127\.0\.0\.1:(\d+))\n", line)
        if not m:
            pytest.fail("the emulator did not start: %r" % line)
        yield SimpleNamespace(port=int(m.group(2)), endpoint=m.group(1))
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
    gets it) but never listening. The harness's endpoints point at it too."""
    return _CLOSED_SOCKET.getsockname()[1]


@pytest.fixture
def make_proxy():
    """make_proxy(username=None, password=None) -> a started ProxyServer (Tests/proxy_server.py),
    stopped at the end of the test."""
    made = []

    def make(username=None, password=None):
        proxy = ProxyServer(username, password).start()
        made.append(proxy)
        return proxy

    yield make
    for proxy in made:
        proxy.stop()


@pytest.fixture
def proxy_server(make_proxy) -> ProxyServer:
    """A proxy without authentication, fresh for each test."""
    return make_proxy()


# ----------------------------------------------------------------------------- the C program

@dataclass
class Result:
    case: str
    returncode: int
    stdout: bytes
    stderr: bytes
    elapsed: float
    cpu_wait_ms: float | None = None  # cpu_wait_us(): how long the machine was overloaded meanwhile
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
    def elapsed_ms(self) -> list:
        """How long each call (or hss_client_resolve) took inside the program, in ms."""
        return [int(v) for v in re.findall(rb"^elapsed_ms=(\d+)$", self.stdout, re.M)]

    @property
    def error(self) -> dict:
        """The only error printed."""
        assert len(self.errors) == 1, self.describe()
        return self.errors[0]


def cpu_wait_us() -> int | None:
    """Microseconds in which some task has waited for a CPU since boot, as the kernel counts them
    (/proc/pressure/cpu, "some ... total="): the time the machine was overloaded. None where the
    kernel does not count them (no PSI)."""
    try:
        with open("/proc/pressure/cpu") as f:
            found = re.search(r"total=(\d+)", f.readline())
    except OSError:
        return None
    return int(found.group(1)) if found else None


_ERROR_BLOCK = re.compile(rb"hss_error\.begin=.*?\nhss_error\.end\n", re.S)
_ERROR_FIELD = re.compile(rb"^hss_error\.(begin|returned|status|http_status|code|request_id|attempts|retryable|"
                          rb"message)=(.*)$",
                          re.M)


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
        # Set by a test module for all of its runs (e.g. HSS_TEST_ASYNC: the asynchronous form).
        self.extra_env: dict = {}

    def base_env(self) -> dict:
        return {"PATH": "/usr/bin:/bin", "LD_LIBRARY_PATH": str(self.lib_dir), "LC_ALL": "C", **LOOPBACK_ENV}

    def client_env(self) -> dict:
        """A working AK/SK client against the HTTP emulator, one attempt per call: a test whose
        subject is retries sets HSS_TEST_MAX_ATTEMPTS itself (None: the library's default)."""
        return {"HSS_TEST_ENDPOINT": self.http.endpoint, "HSS_TEST_PROJECT_ID": DEFAULT_PROJECT,
                "HSS_TEST_AK": EMULATOR_AK, "HSS_TEST_SK": EMULATOR_SK, "HSS_TEST_MAX_ATTEMPTS": "1"}

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
        full.update(self.extra_env)
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
        waited, start = cpu_wait_us(), time.monotonic()
        proc = subprocess.run(cmd, env=full, capture_output=True, timeout=timeout)
        elapsed = time.monotonic() - start
        result = Result(case, proc.returncode, proc.stdout, proc.stderr, elapsed)
        if waited is not None:
            result.cpu_wait_ms = (cpu_wait_us() - waited) / 1000
        if log_path is not None and log_path.exists():
            result.valgrind_log = log_path.read_text(errors="replace")
        result.results = _parse_results(proc.stdout)
        result.errors = _parse_errors(proc.stderr)
        return result


@pytest.fixture(scope="session")
def hss_c(build_c, lib_dir, http_emulator, tmp_path_factory) -> CProgram:
    exe = build_c(TEST_API_C, extra=("-pthread",))
    return CProgram(exe, lib_dir, http_emulator, tmp_path_factory.mktemp("runs"))

