"""Fixtures of the shell-command tests (Tests/shell/test_cli.py).

    cli            the built hss-image-upload-command (env HSS_BIN_DIR, default build/bin)
                   and a runner: cli.run(args, stdin=, env=, project=) -> subprocess result
    cli_emulator   the local HSS emulator, in-process, plain HTTP
    cli_tls        the emulator over TLS with a throw-away CA: (endpoint, ca.pem)
    cli_stub       a canned-answer server, for answers the emulator cannot produce
                   (fields with newlines, tabs, escape sequences...): cli_stub.answer(fields)
    cli_closed_port  a port that refuses connections

The command always runs with a scrubbed environment: PATH, LD_LIBRARY_PATH=<lib dir>, and
only the variables a test sets, so a developer's HUAWEICLOUD_SDK_* cannot leak in.
The command itself is built by `make cli`; these tests do not compile it.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import threading
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

SHELL_TESTS = Path(__file__).resolve().parent
ROOT = SHELL_TESTS.parent.parent
EMULATOR_DIR = ROOT / "Tests" / "emulator"
PROGRAM = "hss-image-upload-command"

sys.path.insert(0, str(EMULATOR_DIR))
import hss_emulator  # noqa: E402

AK, SK = "EMULATORAK", "EMULATORSK"
TOKEN = "EMULATOR-TOKEN"


class Cli:
    def __init__(self, exe: Path, lib_dir: Path, endpoint: str):
        self.exe = exe
        self.lib_dir = lib_dir
        self.endpoint = endpoint

    def base_env(self) -> dict:
        return {"PATH": "/usr/bin:/bin", "LD_LIBRARY_PATH": str(self.lib_dir), "LC_ALL": "C.UTF-8"}

    def env(self, project: str = "cli-project", extra: dict | None = None) -> dict:
        """A working AK/SK configuration against the HTTP emulator, then `extra`
        (a value of None removes the variable)."""
        env = self.base_env()
        env.update({"HUAWEICLOUD_SDK_ENDPOINT": self.endpoint, "HUAWEICLOUD_SDK_PROJECT_ID": project,
                    "HUAWEICLOUD_SDK_AK": AK, "HUAWEICLOUD_SDK_SK": SK})
        for name, value in (extra or {}).items():
            if value is None:
                env.pop(name, None)
            else:
                env[name] = value
        return env

    def run(self, args, stdin: bytes | str | None = None, env: dict | None = None,
            project: str = "cli-project", bare: bool = False, timeout: float = 30):
        """Run the command. With bare=True the environment is only `env` over the base
        (no emulator configuration)."""
        if isinstance(stdin, str):
            stdin = stdin.encode()
        full = dict(self.base_env(), **(env or {})) if bare else self.env(project, env)
        return subprocess.run([str(self.exe), *args], input=stdin if stdin is not None else b"",
                              env=full, capture_output=True, timeout=timeout)

    def popen(self, args, env: dict, **kwargs):
        return subprocess.Popen([str(self.exe), *args], env=env, **kwargs)


class EmulatorHandle:
    def __init__(self, **kwargs):
        self.server, self.port = hss_emulator.start_emulator(**kwargs)

    @property
    def endpoint(self) -> str:
        return "http://127.0.0.1:%d" % self.port

    def requests(self) -> int:
        """How many API requests reached the emulator so far."""
        with urllib.request.urlopen(self.endpoint + hss_emulator.STATS_PATH, timeout=10) as r:
            return json.load(r)["requests"]


@pytest.fixture(scope="session")
def cli_emulator():
    emu = EmulatorHandle()
    yield emu
    emu.server.shutdown()


@pytest.fixture(scope="session")
def cli(cli_emulator) -> Cli:
    bin_dir = Path(os.environ.get("HSS_BIN_DIR") or ROOT / "build" / "bin").resolve()
    lib_dir = Path(os.environ.get("HSS_LIB_DIR") or ROOT / "build" / "lib").resolve()
    exe = bin_dir / PROGRAM
    if not os.access(exe, os.X_OK):
        pytest.fail("%s not found: run `make cli` (or set HSS_BIN_DIR)" % exe)
    if not (lib_dir / "libhss.so.1").exists():
        pytest.fail("%s/libhss.so.1 not found: run `make lib` (or set HSS_LIB_DIR)" % lib_dir)
    return Cli(exe, lib_dir, cli_emulator.endpoint)


@pytest.fixture(scope="session")
def cli_tls(tmp_path_factory):
    out = tmp_path_factory.mktemp("cli-ca")
    subprocess.run(["bash", str(EMULATOR_DIR / "make_test_ca.sh"), str(out)], check=True)
    server, port = hss_emulator.start_emulator(tls_cert=str(out / "server.pem"),
                                               tls_key=str(out / "server.key"))
    yield "https://127.0.0.1:%d" % port, str(out / "ca.pem")
    server.shutdown()


class _CannedHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):  # never log: the query holds the password
        pass

    def do_GET(self):
        body = self.server.body
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


class CannedServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self):
        super().__init__(("127.0.0.1", 0), _CannedHandler)
        self.body = b"{}"
        self.endpoint = "http://127.0.0.1:%d" % self.server_address[1]

    def answer(self, fields: dict):
        """Answer every request 200 with these fields (JSON, non-ASCII as is)."""
        self.body = json.dumps(fields, ensure_ascii=False).encode("utf-8")


@pytest.fixture(scope="session")
def cli_stub():
    server = CannedServer()
    threading.Thread(target=server.serve_forever, args=(0.1,), daemon=True).start()
    yield server
    server.shutdown()
    server.server_close()


@pytest.fixture(scope="session")
def cli_closed_port():
    """Bound for the whole session (so nobody else gets it) but never listening."""
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.bind(("127.0.0.1", 0))
    yield s.getsockname()[1]
    s.close()
