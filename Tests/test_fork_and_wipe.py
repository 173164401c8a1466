"""Issue 9, points 5, 6 and 7 (SSLKEYLOGFILE): what libhss promises about processes and memory.

    fork      one client on both sides of fork(), parent and child calling at once, each
              with its own password: every answer must carry the caller's own password
              (Tests/c/fork_clients.c)
    wipe      after every object and client is freed, the process's memory is scanned for
              each secret, raw and percent-encoded (Tests/c/wipe_scan.c): with wiping
              allocators given to libcurl and OpenSSL nothing may remain (libhss leaves
              nothing of its own); with the default allocators the SK still never appears,
              and the rest (libcurl's freed copies of the request and of the answer, and
              over TLS OpenSSL's buffers) is printed (pytest -s), for the header's residue
    keylog    SSLKEYLOGFILE in the environment never makes libhss write TLS keys

The C programs run with a scrubbed environment, like test_api.c (see Tests/conftest.py).
"""

import os
import re
import subprocess
from pathlib import Path

import pytest

C_DIR = Path(__file__).resolve().parent / "c"
EMULATOR_AK, EMULATOR_SK = "EMULATORAK", "EMULATORSK"
PROJECT_ID = "test-project"


def run(exe, lib_dir, env, *args, timeout=60):
    full = {"PATH": "/usr/bin:/bin", "LD_LIBRARY_PATH": str(lib_dir), "LC_ALL": "C"}
    # The harness's loopback settings (conftest), so no credential lookup can leave the machine.
    full.update({k: os.environ[k] for k in ("HOME", "HUAWEICLOUD_SDK_METADATA_ENDPOINT",
                                             "HUAWEICLOUD_SDK_IAM_ENDPOINT", "HUAWEICLOUD_SDK_STS_ENDPOINT")})
    full.update({k: str(v) for k, v in env.items()})
    return subprocess.run([str(exe), *args], env=full, capture_output=True, text=True, timeout=timeout)


# ----------------------------------------------------------------------------- fork

@pytest.mark.parametrize("scheme", ["http", "https"])
def test_fork_each_process_gets_its_own_answers(build_c, lib_dir, http_emulator, https_emulator, scheme):
    """5 rounds of: a call pools a connection, fork(), parent and child make 10 calls each at
    once, with different passwords; the child frees the client. (The parent used to read
    the child's answers, password included, or garbage.)"""
    emu = http_emulator if scheme == "http" else https_emulator
    exe = build_c(C_DIR / "fork_clients.c")
    rounds, calls = 5, 10
    env = {"FORK_TEST_ENDPOINT": emu.endpoint, "FORK_TEST_PROJECT_ID": PROJECT_ID, "FORK_TEST_AK": EMULATOR_AK,
           "FORK_TEST_SK": EMULATOR_SK, "FORK_TEST_ROUNDS": rounds, "FORK_TEST_CALLS": calls}
    if emu.ca_file:
        env["FORK_TEST_CA_FILE"] = emu.ca_file
    before = len(emu.records)
    r = run(exe, lib_dir, env)
    assert r.returncode == 0, "exit %d\n%s" % (r.returncode, r.stderr)
    # The emulator got every request once, intact (the last call is the parent's, after its children).
    passwords = [p["password"] for p in (rec["params"] for rec in emu.records[before:]) if p]
    assert sorted(passwords) == sorted(["before-fork-pw"] * rounds + ["parent-pw"] * (rounds * calls + 1)
                                       + ["child-pw"] * rounds * calls)


# ----------------------------------------------------------------------------- wipe

PASSWORD = "Wipe-PW-7f3a9 & +/=~x"  # percent-encoded, it differs from the raw bytes
SK = "Wipe-SK-91b2e-" + "s" * 26  # 40 characters, like a real SK
WRONG_SK = "Wipe-SK-wrong-91b2e-" + "w" * 20
SECURITY_TOKEN = "Wipe-ST-c4d8e-" + "t" * 200
AUTH_TOKEN = "Wipe-AT-5e6f1-" + "a" * 200
WIPE_AK = "WIPEAK"


@pytest.fixture(scope="module")
def wipe_emulators(make_emulator, test_ca):
    """An HTTP and an HTTPS emulator that accept the canary SK and auth token."""
    creds = {"credentials": {WIPE_AK: SK}, "tokens": [AUTH_TOKEN]}
    return {"http": make_emulator(**creds),
            "https": make_emulator(test_ca["ca.pem"], tls_cert=test_ca["server.pem"],
                                   tls_key=test_ca["server.key"], **creds)}


def run_wipe_scan(build_c, lib_dir, mode, emu=None, stub=None):
    """Run wipe_scan MODE; return (the process, {"secret.form": hits})."""
    exe = build_c(C_DIR / "wipe_scan.c", extra=("-lcurl", "-lcrypto"))
    env = {"WIPE_PASSWORD": PASSWORD, "WIPE_SK": SK, "WIPE_WRONG_SK": WRONG_SK,
           "WIPE_SECURITY_TOKEN": SECURITY_TOKEN, "WIPE_AUTH_TOKEN": AUTH_TOKEN,
           "WIPE_AK": WIPE_AK, "WIPE_PROJECT_ID": PROJECT_ID,
           # Lazy binding: ld.so's PLT trampoline saves the vector registers on the stack, and
           # they may still hold bytes that memcpy/memchr just moved (seen: the raw error body).
           # That is a register spill of the test program, not memory any library owns.
           "LD_BIND_NOW": 1}
    if emu is not None:
        env.update({"WIPE_ENDPOINT": emu.endpoint, "WIPE_STUB_ENDPOINT": stub.endpoint})
        if emu.ca_file:
            env["WIPE_CA_FILE"] = emu.ca_file
        # The raw-body path: a 502 whose non-JSON body echoes the password and the token.
        stub.answer_raw(("<html>upstream refused %s for %s</html>" % (PASSWORD, SECURITY_TOKEN)).encode(), 502)
    r = run(exe, lib_dir, env, mode)
    assert r.returncode in (0, 1), "wipe_scan %s: exit %d\n%s" % (mode, r.returncode, r.stderr)
    hits = {m.group(1): int(m.group(2)) for m in re.finditer(r"^hits\.(\S+)=(\d+)$", r.stdout, re.M)}
    assert "scanned=" in r.stdout and hits, r.stdout + r.stderr
    return r, hits


def found(hits):
    return {k: v for k, v in hits.items() if v}


def test_wipe_scan_control(build_c, lib_dir):
    """The scan sees the heap, every form of every secret, and nothing of the program's own:
    one planted copy of each form is found exactly once."""
    r, hits = run_wipe_scan(build_c, lib_dir, "control")
    assert r.returncode == 0 and set(hits.values()) == {1}, r.stdout


@pytest.mark.parametrize("scheme", ["http", "https"])
def test_wipe_nothing_left_by_libhss(build_c, lib_dir, wipe_emulators, stub_server, scheme):
    """libcurl and OpenSSL wipe what they free (the program's allocators), so every hit is
    memory that libhss itself freed (or never freed) without wiping."""
    r, hits = run_wipe_scan(build_c, lib_dir, "wiping", wipe_emulators[scheme], stub_server)
    assert not found(hits), "secrets left in memory after free: %s\n%s" % (found(hits), r.stdout)
    assert r.returncode == 0, r.stdout


@pytest.mark.parametrize("scheme", ["http", "https"])
def test_wipe_default_allocators_never_leave_the_sk(build_c, lib_dir, wipe_emulators, stub_server, scheme):
    """With the default allocators, what libcurl (and OpenSSL) freed without wiping remains,
    but the SK never reaches libcurl, so it is never among it. The residue is printed."""
    r, hits = run_wipe_scan(build_c, lib_dir, "plain", wipe_emulators[scheme], stub_server)
    print("residue with the default allocators (%s): %s" % (scheme, found(hits)))
    assert not {k: v for k, v in found(hits).items() if k.split(".")[0] in ("sk", "wrong_sk")}, r.stdout
    assert r.returncode == 0, r.stdout


# ----------------------------------------------------------------------------- SSLKEYLOGFILE

def test_sslkeylogfile_is_ignored(hss_c, https_emulator, tmp_path):
    keylog = tmp_path / "keys.log"
    env = {"HSS_TEST_ENDPOINT": https_emulator.endpoint, "HSS_TEST_CA_FILE": https_emulator.ca_file,
           "SSLKEYLOGFILE": keylog}
    hss_c.run("call", env).check()
    assert not keylog.exists() or keylog.stat().st_size == 0, "TLS keys were written to SSLKEYLOGFILE"
