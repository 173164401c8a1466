"""Helpers of the Python binding tests (Tests/python). Importing this module points
HSS_LIBRARY at $HSS_LIB_DIR/libhss.so.1 (default: build/lib) and puts the binding's source
tree on sys.path, so it must be imported before `hss` (conftest.py does).

The emulators, the test CA and the other servers are fixtures of Tests/conftest.py.
"""

import os
import re
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
BINDING_DIR = os.path.join(ROOT, "bindings", "python")
HEADER = os.path.join(ROOT, "include", "hss.h")
LIB_DIR = os.environ.get("HSS_LIB_DIR") or os.path.join(ROOT, "build", "lib")
LIBRARY = os.path.join(LIB_DIR, "libhss.so.1")

os.environ["HSS_LIBRARY"] = LIBRARY
if BINDING_DIR not in sys.path:
    sys.path.insert(0, BINDING_DIR)

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


def clean_env(**overrides):
    """os.environ without anything that could lead `hss` to a library, plus overrides."""
    env = {k: v for k, v in os.environ.items() if k not in ("HSS_LIBRARY", "LD_LIBRARY_PATH", "PYTHONPATH")}
    env.update(overrides)
    return env


def run_python(code, env, cwd=None, timeout=60, python=None):
    """Run `python -c code` with exactly `env`; returns CompletedProcess (text)."""
    return subprocess.run([python or sys.executable, "-c", code], env=env, cwd=cwd or HERE,
                          capture_output=True, text=True, timeout=timeout)
