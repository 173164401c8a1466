"""The test harness itself (issue 12): every test stays on 127.0.0.0/8 and ::1.

    environment  the session's environment is scrubbed, HOME is empty, and the metadata, IAM and
                 STS endpoints point at a closed loopback port (Tests/conftest.py)
    guard        Tests/c/loopback_guard.c is loaded in this process and in the children the
                 tests start; it refuses and logs whatever leaves loopback, and a session with
                 a logged line fails
    chain        a client without credentials fails at the loopback metadata URL, never at
                 169.254.169.254
    proxy        Tests/proxy_server.py: forwarding, CONNECT tunnels, Basic authentication,
                 loopback targets only
"""

import errno
import json
import os
import pwd
import re
import socket
import ssl
import subprocess
import sys
import urllib.error
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
GUARD_LOG = "HSS_LOOPBACK_GUARD_LOG"
ENDPOINT_VARS = ("HUAWEICLOUD_SDK_METADATA_ENDPOINT", "HUAWEICLOUD_SDK_IAM_ENDPOINT", "HUAWEICLOUD_SDK_STS_ENDPOINT")
OUTSIDE = "10.255.255.1"  # private, unrouted here: never actually tried while the guard works
STATS_PATH = "/_emulator/stats"  # the emulator's unauthenticated counters (_hss_testing/handler.py)


def guard_mapped(maps: str) -> bool:
    return "/loopback_guard" in maps


def session_log() -> str:
    try:
        return Path(os.environ[GUARD_LOG]).read_text()
    except FileNotFoundError:
        return ""


# ----------------------------------------------------------------------------- environment

def test_environment_points_at_loopback(loopback_env, closed_port):
    url = "http://127.0.0.1:%d" % closed_port
    for name in ENDPOINT_VARS:
        assert os.environ[name] == loopback_env[name] == url, name
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection(("127.0.0.1", closed_port), timeout=5).close()
    home = Path(os.environ["HOME"])
    assert home == Path(loopback_env["HOME"]) and home.is_dir()
    assert home != Path(pwd.getpwuid(os.getuid()).pw_dir)
    assert not (home / ".huaweicloud").exists()
    leaked = [n for n in os.environ if n not in ENDPOINT_VARS and re.match(
        r"HUAWEICLOUD_|CLOUD_SDK_|HC_CONTAINER_|SSL_CERT_(FILE|DIR)$|(?i:(https?|all|no)_proxy)$", n)]
    assert leaked == []
    assert loopback_env["LD_PRELOAD"] == os.environ["LD_PRELOAD"]
    assert loopback_env[GUARD_LOG] == os.environ[GUARD_LOG]


# ----------------------------------------------------------------------------- the guard

def test_guard_loaded_here_and_in_the_c_program(hss_c):
    assert guard_mapped(Path("/proc/self/maps").read_text())
    maps = subprocess.run(["cat", "/proc/self/maps"], env=hss_c.base_env(), capture_output=True, text=True,
                          check=True).stdout
    assert guard_mapped(maps), "CProgram.base_env() lost LD_PRELOAD"


@pytest.mark.parametrize("family, address, logged", [
    (socket.AF_INET, OUTSIDE, "connect %s:9" % OUTSIDE),
    (socket.AF_INET6, "2001:db8::1", "connect [2001:db8::1]:9"),
    (socket.AF_INET6, "::ffff:" + OUTSIDE, "connect [::ffff:%s]:9" % OUTSIDE),
], ids=["ipv4", "ipv6", "v4-mapped"])
def test_guard_refuses_connect(tmp_path, monkeypatch, family, address, logged):
    assert guard_mapped(Path("/proc/self/maps").read_text())
    log = tmp_path / "guard.log"
    monkeypatch.setenv(GUARD_LOG, str(log))  # not the session's log: this line is expected
    with socket.socket(family, socket.SOCK_STREAM) as s:
        s.settimeout(2)
        with pytest.raises(OSError) as e:
            s.connect((address, 9))
    assert e.value.errno == errno.ENETUNREACH
    assert log.read_text() == logged + "\n"


def test_guard_refuses_sendto_and_lets_loopback_through(tmp_path, monkeypatch, closed_port):
    log = tmp_path / "guard.log"
    monkeypatch.setenv(GUARD_LOG, str(log))
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        with pytest.raises(OSError) as e:
            s.sendto(b"x", (OUTSIDE, 53))
        assert e.value.errno == errno.ENETUNREACH
        assert s.sendto(b"x", ("127.0.0.1", closed_port)) == 1
    for family, address in [(socket.AF_INET, "127.0.0.1"), (socket.AF_INET, "127.1.2.3"),
                            (socket.AF_INET6, "::1"), (socket.AF_INET6, "::ffff:127.0.0.1")]:
        with socket.socket(family, socket.SOCK_STREAM) as s:
            with pytest.raises(ConnectionRefusedError):  # reached the (closed) port, not refused
                s.connect((address, closed_port))
    assert log.read_text() == "sendto %s:53\n" % OUTSIDE


def test_guard_refuses_name_lookups(tmp_path, monkeypatch):
    """A real name is never sent to the (non-loopback) name server; reserved names fail at once
    and are not worth a line; localhost still resolves."""
    assert guard_mapped(Path("/proc/self/maps").read_text())
    log = tmp_path / "guard.log"
    monkeypatch.setenv(GUARD_LOG, str(log))
    for name in ["hss.cn-north-4.myhuaweicloud.com", "registry.invalid", "emulator.test", "a.example",
                 "x.localhost"]:
        with pytest.raises(socket.gaierror):
            socket.getaddrinfo(name, 443)
    assert {ai[4][0] for ai in socket.getaddrinfo("localhost", 80, socket.AF_INET)} == {"127.0.0.1"}
    assert log.read_text() == "resolve hss.cn-north-4.myhuaweicloud.com\n"


CHILD = """
import errno, socket, sys
if "/loopback_guard" not in open("/proc/self/maps").read():
    sys.exit(3)
try:
    socket.create_connection((sys.argv[1], 9), timeout=2)
except OSError as e:
    print(errno.errorcode.get(e.errno, e.errno))
"""


@pytest.mark.parametrize("with_loopback_env", [True, False], ids=["loopback_env", "bare"])
def test_guard_in_a_child_with_a_scrubbed_environment(tmp_path, loopback_env, with_loopback_env):
    """A child keeps the guard with loopback_env in its environment, and (conftest's Popen)
    even with an environment built without it."""
    log = tmp_path / "guard.log"
    env = {"PATH": "/usr/bin:/bin", GUARD_LOG: str(log)}
    if with_loopback_env:
        env = {**loopback_env, **env}
    proc = subprocess.run([sys.executable, "-c", CHILD, OUTSIDE], env=env, capture_output=True, text=True,
                          timeout=30)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "ENETUNREACH"
    assert log.read_text() == "connect %s:9\n" % OUTSIDE


NESTED = """
import errno, socket

def test_leaves_loopback():
    assert "/loopback_guard" in open("/proc/self/maps").read()
    with socket.socket() as s:
        s.settimeout(2)
        try:
            s.connect(("%s", 9))
        except OSError as e:
            assert e.errno == errno.ENETUNREACH
        else:
            raise AssertionError("connected")
""" % OUTSIDE


def test_session_without_guard_reexecutes_and_fails_on_a_logged_line(tmp_path):
    """`python -m pytest` started without the guard runs again under it, and a session whose
    log has a line fails even though every test passed."""
    (tmp_path / "test_nested.py").write_text(NESTED)
    # Empty, not absent: conftest's Popen would add the session's guard and log.
    env = dict(os.environ, LD_PRELOAD="", PYTHONPATH=str(ROOT / "Tests"), **{GUARD_LOG: ""})
    proc = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "conftest", "-p", "no:cacheprovider",
                           "--rootdir", str(tmp_path), "test_nested.py"],
                          cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120)
    assert "1 passed" in proc.stdout, proc.stdout + proc.stderr
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "loopback guard" in proc.stdout and "connect %s:9" % OUTSIDE in proc.stdout


# ----------------------------------------------------------------------------- the default chain

NO_CREDENTIALS_C = r"""
#include <hss.h>
#include <stdio.h>
#include <stdlib.h>

int main(void)
{
    hss_client_options options = HSS_CLIENT_OPTIONS_INIT;
    hss_image_upload_command_request request = HSS_IMAGE_UPLOAD_COMMAND_REQUEST_INIT;
    hss_client *client = NULL;
    hss_image_upload_command *out = NULL;
    hss_error *err = NULL;
    hss_status status;

    options.endpoint = getenv("ENDPOINT");
    options.project_id = "p";
    request.registry_addr = "harbor.example.test:443";
    request.namespace_name = "ns";
    request.username = "u";
    request.password = "pw";
    status = hss_client_new(&options, &client, &err);
    if (status == HSS_OK)
        status = hss_image_upload_command_get(client, &request, &out, &err);
    printf("%d\n%d\n%s\n", (int)status, (int)HSS_E_CREDENTIALS, err ? hss_error_message(err) : "");
    hss_error_free(err);
    hss_image_upload_command_free(out);
    hss_client_free(client);
    return 0;
}
"""

NO_CREDENTIALS_PY = """
import sys
import hss
try:
    hss.Client(endpoint=sys.argv[1], project_id="p").get_image_upload_command(
        registry_addr="harbor.example.test:443", namespace="ns", username="u", password="pw")
except hss.HSSError as e:
    print("%d\\n%d\\n%s" % (-1 if e.status is None else int(e.status), int(hss.Status.CREDENTIALS), e.message))
else:
    print("0\\n10\\n")
"""


@pytest.mark.parametrize("front_end", ["c", "python"])
def test_chain_without_credentials_stays_on_loopback(front_end, build_c, lib_dir, loopback_env, http_emulator,
                                                     tmp_path):
    """No credentials anywhere: the chain ends at the metadata provider, which names the loopback
    override it tried; nothing reaches HSS and the default 169.254.169.254 is never contacted.
    (Needs the issue-12 core: HSS_E_CREDENTIALS and the metadata provider.)"""
    env = {"PATH": "/usr/bin:/bin", "LC_ALL": "C", **loopback_env}
    if front_end == "c":
        source = tmp_path / "no_credentials.c"
        source.write_text(NO_CREDENTIALS_C)
        cmd = [str(build_c(source))]
        env.update(LD_LIBRARY_PATH=str(lib_dir), ENDPOINT=http_emulator.endpoint)
    else:
        cmd = [sys.executable, "-c", NO_CREDENTIALS_PY, http_emulator.endpoint]
        env.update(PYTHONPATH=str(ROOT / "bindings" / "python"), HSS_LIBRARY=str(lib_dir / "libhss.so.1"))
    log_before, answers_before = session_log(), len(http_emulator.records)
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    status, expected, message = (proc.stdout.split("\n", 2) + ["", ""])[:3]
    assert status == expected, "status %s, not HSS_E_CREDENTIALS (%s): %s" % (status, expected, message)
    assert "metadata" in message.lower(), message
    assert loopback_env["HUAWEICLOUD_SDK_METADATA_ENDPOINT"] in message, message
    assert session_log() == log_before  # 169.254.169.254 (or any other address) never tried
    assert len(http_emulator.records) == answers_before  # nothing sent to HSS


# ----------------------------------------------------------------------------- the proxy

def read_head(sock: socket.socket) -> bytes:
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(4096)
        if not chunk:
            break
        data += chunk
    return data


def test_proxy_forwards_absolute_uri(proxy_server, http_emulator):
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({"http": proxy_server.url}))
    url = http_emulator.endpoint + STATS_PATH + "?password=Zq7-in-clear"
    with opener.open(url, timeout=10) as answer:
        assert answer.status == 200 and "requests" in json.load(answer)
    assert [(r["line"], r["status"]) for r in proxy_server.requests] == [("GET %s HTTP/1.1" % url, 200)]
    assert proxy_server.saw("password=Zq7-in-clear")  # what an http:// endpoint shows a proxy
    assert proxy_server.tunnels == 0


def test_proxy_tunnels_connect(proxy_server, https_emulator):
    context = ssl.create_default_context(cafile=https_emulator.ca_file)
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({"https": proxy_server.url}),
                                         urllib.request.HTTPSHandler(context=context))
    with opener.open(https_emulator.endpoint + STATS_PATH + "?password=Zq7-tunnelled", timeout=10) as answer:
        assert answer.status == 200
    assert proxy_server.tunnels == 1
    [record] = proxy_server.requests
    assert record["line"].startswith("CONNECT 127.0.0.1:%d HTTP/1." % https_emulator.port) and record["status"] == 200
    assert not proxy_server.saw("Zq7") and not proxy_server.saw("password")


def test_proxy_basic_authentication(make_proxy, http_emulator, https_emulator):
    proxy = make_proxy(username="proxy-user", password="proxy-Zq7-pass")
    with_credentials = proxy.url.replace("http://", "http://proxy-user:proxy-Zq7-pass@")
    wrong = proxy.url.replace("http://", "http://proxy-user:wrong@")
    context = ssl.create_default_context(cafile=https_emulator.ca_file)

    def get(proxy_url, endpoint):
        opener = urllib.request.build_opener(urllib.request.ProxyHandler({"http": proxy_url, "https": proxy_url}),
                                             urllib.request.HTTPSHandler(context=context))
        with opener.open(endpoint + STATS_PATH, timeout=10) as answer:
            return answer.status

    for proxy_url in (proxy.url, wrong):
        with pytest.raises(urllib.error.HTTPError) as e:
            get(proxy_url, http_emulator.endpoint)
        assert e.value.code == 407 and e.value.headers["Proxy-Authenticate"].startswith("Basic ")
        with pytest.raises(OSError, match="407"):  # the tunnel is refused
            get(proxy_url, https_emulator.endpoint)
    assert get(with_credentials, http_emulator.endpoint) == 200
    assert get(with_credentials, https_emulator.endpoint) == 200
    assert [r["status"] for r in proxy.requests] == [407, 407, 407, 407, 200, 200]
    assert proxy.tunnels == 1


def test_proxy_serves_loopback_only(proxy_server):
    log_before = session_log()
    for request in (b"CONNECT %s:443 HTTP/1.1\r\nHost: %s:443\r\n\r\n" % (OUTSIDE.encode(), OUTSIDE.encode()),
                    b"GET http://192.0.2.1/ HTTP/1.1\r\nHost: 192.0.2.1\r\n\r\n",
                    b"GET http://hss.cn-north-4.myhuaweicloud.com/ HTTP/1.1\r\nHost: x\r\n\r\n"):
        with socket.create_connection(("127.0.0.1", proxy_server.port), timeout=10) as s:
            s.sendall(request)
            assert read_head(s).startswith(b"HTTP/1.1 403 ")
    assert [r["status"] for r in proxy_server.requests] == [403, 403, 403] and proxy_server.tunnels == 0
    assert session_log() == log_before  # refused by the proxy, not by the guard


def test_proxy_stop_cuts_tunnels(make_proxy, http_emulator):
    proxy = make_proxy()
    with socket.create_connection(("127.0.0.1", proxy.port), timeout=10) as s:
        s.sendall(b"CONNECT 127.0.0.1:%d HTTP/1.1\r\n\r\n" % http_emulator.port)
        assert read_head(s) == b"HTTP/1.1 200 Connection established\r\n\r\n"
        s.sendall(b"GET %s HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n" % STATS_PATH.encode())
        assert read_head(s).startswith(b"HTTP/1.1 200 ")  # through the tunnel, kept alive
        proxy.stop()
        while s.recv(4096):  # the rest of the answer, then the end of the tunnel
            pass
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection(("127.0.0.1", proxy.port), timeout=5).close()
