"""Shared helpers of the Python binding tests (Tests/python). Importing this module points
HSS_LIBRARY at $HSS_LIB_DIR/libhss.so.1 (default: build/lib) and puts the binding's source
tree and the emulator on sys.path, so it must be imported before `hss` (conftest.py does).
"""

import collections
import os
import re
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
BINDING_DIR = os.path.join(ROOT, "bindings", "python")
EMULATOR_DIR = os.path.join(ROOT, "Tests", "emulator")
HEADER = os.path.join(ROOT, "include", "hss.h")
LIB_DIR = os.environ.get("HSS_LIB_DIR") or os.path.join(ROOT, "build", "lib")
LIBRARY = os.path.join(LIB_DIR, "libhss.so.1")

os.environ["HSS_LIBRARY"] = LIBRARY
for _p in (EMULATOR_DIR, BINDING_DIR):
    if _p not in sys.path:
        sys.path.insert(0, _p)

import hss_emulator  # noqa: E402

AK, SK, TOKEN = "EMULATORAK", "EMULATORSK", "EMULATOR-TOKEN"
GOOD = {"registry_addr": "myharbor.example.com:443", "namespace": "library", "username": "admin",
        "password": "s3cret-Passw0rd"}


def header_define(name):
    with open(HEADER) as f:
        m = re.search(r"^#define %s (.+)$" % re.escape(name), f.read(), re.M)
    return m.group(1).strip()


def header_statuses():
    """{name: value} of the hss_status enum in include/hss.h."""
    with open(HEADER) as f:
        body = re.search(r"typedef enum hss_status \{(.*?)\} hss_status;", f.read(), re.S).group(1)
    return {m.group(1): int(m.group(2)) for m in re.finditer(r"\b(HSS_\w+)\s*=\s*(\d+)", body)}


def expected_image_command(registry_addr, namespace, username, password, **_):
    """What the emulator puts in image_command (see its docstring)."""
    return ("docker login -u %s -p %s %s && docker load -i hss-scanner.tar && docker push %s/%s/hss-scanner"
            % (username, password, registry_addr, registry_addr, namespace))


class FastHandler(hss_emulator.EmulatorHandler):
    """The emulator's handler with TCP_NODELAY and a record of every validated request.

    http.server writes the response head and body in two send()s; with Nagle on, the body
    waits for the client's delayed ACK (~40 ms per keep-alive call). Disabling Nagle makes the
    thread and memory tests (thousands of calls) take seconds instead of minutes.
    """

    disable_nagle_algorithm = True

    def _validate(self, project_id, raw_query):
        params = super()._validate(project_id, raw_query)
        self.server.recorded.append(dict(params))
        return params


class Emulator:
    def __init__(self, server, port, scheme="http", ca_file=None):
        self.server, self.port, self.scheme, self.ca_file = server, port, scheme, ca_file
        self.endpoint = "%s://127.0.0.1:%d" % (scheme, port)

    @property
    def recorded(self):
        """The decoded parameters of the last requests that reached validation, oldest first."""
        return self.server.recorded


def start_fast_emulator(**kwargs):
    server, port = hss_emulator.start_emulator(**kwargs)
    server.recorded = collections.deque(maxlen=64)
    server.RequestHandlerClass = FastHandler
    return server, port


class EmulatorProcess:
    """The emulator in a child process (for measurements that must not include its memory)."""

    def __init__(self, credentials=None):
        code = ("import sys; sys.path.insert(0, %r); import hss_emulator as e; "
                "e.EmulatorHandler.disable_nagle_algorithm = True; sys.exit(e.main())" % EMULATOR_DIR)
        cmd = [sys.executable, "-c", code, "--port", "0"]
        for cred in credentials or ():
            cmd += ["--credentials", cred]
        self.proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, text=True)
        line = self.proc.stdout.readline()
        if not line.startswith("HSS_EMULATOR_PORT="):
            self.proc.kill()
            self.proc.wait()
            raise RuntimeError("emulator did not start: %r" % line)
        self.port = int(line.split("=", 1)[1])
        self.endpoint = "http://127.0.0.1:%d" % self.port

    def stop(self):
        self.proc.terminate()
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self.proc.stdout.close()


def clean_env(**overrides):
    """os.environ without anything that could lead `hss` to a library, plus overrides."""
    env = {k: v for k, v in os.environ.items() if k not in ("HSS_LIBRARY", "LD_LIBRARY_PATH", "PYTHONPATH")}
    env.update(overrides)
    return env


def run_python(code, env, cwd=None, timeout=60, python=None):
    """Run `python -c code` with exactly `env`; returns CompletedProcess (text)."""
    return subprocess.run([python or sys.executable, "-c", code], env=env, cwd=cwd or HERE,
                          capture_output=True, text=True, timeout=timeout)
