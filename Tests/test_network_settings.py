"""Proxies, trust and the configuration warnings (issue 12), through the C API (Tests/c/test_api.c's
`call` case). The proxy is Tests/proxy_server.py on 127.0.0.1 (CONNECT tunnels and absolute-URI
forwarding, recording what it sees); conftest's harness removed every proxy variable beforehand.
"""

from __future__ import annotations

import shutil
import subprocess

import pytest

PASSWORD = "Proxy-Test-Registry-Pw-9"
PROXY_PASSWORD = "Proxy-Secret-Pw-5150"


def https_env(emu, **extra):
    env = {"HSS_TEST_ENDPOINT": emu.endpoint, "HSS_TEST_CA_FILE": emu.ca_file, "HSS_TEST_PASSWORD": PASSWORD}
    env.update(extra)
    return env


def expect(status, message=None):
    env = {"HSS_TEST_EXPECT": status}
    if message is not None:
        env["HSS_TEST_EXPECT_MESSAGE"] = message
    return env


def test_https_through_a_connect_tunnel(hss_c, https_emulator, proxy_server):
    before = len(https_emulator.echoes)
    hss_c.run("call", https_env(https_emulator, HSS_TEST_PROXY=proxy_server.url)).check()
    assert len(https_emulator.echoes) == before + 1
    assert proxy_server.tunnels == 1
    assert not proxy_server.saw(PASSWORD) and not proxy_server.saw("password")


def test_proxy_authentication(hss_c, https_emulator, make_proxy):
    proxy = make_proxy(username="proxy-user", password=PROXY_PASSWORD)
    hss_c.run("call", https_env(https_emulator, HSS_TEST_PROXY=proxy.url, HSS_TEST_PROXY_USERNAME="proxy-user",
                                HSS_TEST_PROXY_PASSWORD=PROXY_PASSWORD)).check()
    assert proxy.tunnels == 1
    r = hss_c.run("call", https_env(https_emulator, HSS_TEST_PROXY=proxy.url, HSS_TEST_PROXY_USERNAME="proxy-user",
                                    HSS_TEST_PROXY_PASSWORD="wrong-" + PROXY_PASSWORD,
                                    **expect("HSS_E_NETWORK", "407"))).check()
    assert PROXY_PASSWORD.encode() not in r.stdout + r.stderr


def test_http_endpoint_through_a_proxy_is_refused(hss_c, http_emulator, proxy_server):
    """The password would travel in the URL to the proxy: refused before anything is sent."""
    hss_c.run("call", {"HSS_TEST_PROXY": proxy_server.url,
                       **expect("HSS_E_INVALID_ARGUMENT", "allow_cleartext_proxy")}).check()
    env = {"http_proxy": proxy_server.url, **expect("HSS_E_INVALID_ARGUMENT", "environment's proxy")}
    hss_c.run("call", env).check()
    assert proxy_server.requests == []


def test_http_endpoint_through_a_proxy_when_allowed(hss_c, http_emulator, proxy_server):
    hss_c.run("call", {"HSS_TEST_PROXY": proxy_server.url, "HSS_TEST_ALLOW_CLEARTEXT_PROXY": "1",
                       "HSS_TEST_PASSWORD": PASSWORD}).check()
    assert proxy_server.saw(PASSWORD)  # what the caller accepted: the proxy sees the URL


@pytest.mark.parametrize("no_proxy", ["127.0.0.1", "*", "example.com, 127.0.0.1"])
def test_no_proxy_exempts_an_http_endpoint(hss_c, http_emulator, proxy_server, no_proxy):
    for env in ({"HSS_TEST_PROXY": proxy_server.url, "HSS_TEST_NO_PROXY": no_proxy},
                {"http_proxy": proxy_server.url, "no_proxy": no_proxy},
                {"http_proxy": proxy_server.url, "NO_PROXY": no_proxy}):
        hss_c.run("call", env).check()
    assert proxy_server.requests == []


@pytest.mark.parametrize("no_proxy, host, why", [
    ("[::1], *.x.test,x.test.", "127.0.0.1",
     "libhss does not read the no_proxy entries '[::1]', '*.x.test', 'x.test.'"),
    ("127.0.0.1 localhost", "127.0.0.1", "libhss does not read a no_proxy list with blanks inside an entry"),
    ("::1", "[::1]", 'for libhss, only a no_proxy of exactly "*" exempts an IPv6 or numeric host'),
])
def test_refusal_says_which_no_proxy_entries_libhss_did_not_read(hss_c, proxy_server, no_proxy, host, why):
    """Entries outside the part of no_proxy libhss shares with libcurl exempt nothing (the full grid is
    test_no_proxy_differential.py): the message says so, for the user to rewrite them."""
    hss_c.run("call", {"HSS_TEST_ENDPOINT": "http://%s:8080" % host, "HSS_TEST_PROXY": proxy_server.url,
                       "HSS_TEST_NO_PROXY": no_proxy, **expect("HSS_E_INVALID_ARGUMENT", why)}).check()
    assert proxy_server.requests == []


def test_environment_proxy_set_after_the_client_is_refused(hss_c, http_emulator, proxy_server):
    """Every request is checked when it is sent, not only the endpoints at creation: a proxy the
    environment names later does not get an http:// request either."""
    hss_c.run("call", {"HSS_TEST_SETENV_AFTER_CLIENT": "http_proxy=" + proxy_server.url,
                       "HSS_TEST_PASSWORD": PASSWORD,
                       **expect("HSS_E_INVALID_ARGUMENT", "an http:// request to 127.0.0.1:")}).check()
    assert proxy_server.requests == []


def test_environment_proxy_for_https(hss_c, https_emulator, proxy_server):
    for name in ("https_proxy", "HTTPS_PROXY", "all_proxy"):
        hss_c.run("call", https_env(https_emulator, **{name: proxy_server.url})).check()
    assert proxy_server.tunnels == 3


def test_empty_proxy_option_ignores_the_environment(hss_c, https_emulator, http_emulator, proxy_server):
    hss_c.run("call", https_env(https_emulator, HSS_TEST_PROXY="", https_proxy=proxy_server.url)).check()
    hss_c.run("call", {"HSS_TEST_PROXY": "", "http_proxy": proxy_server.url}).check()
    assert proxy_server.requests == []


# ----------------------------------------------------------------------------- trust

def test_ssl_cert_file(hss_c, https_emulator):
    hss_c.run("call", https_env(https_emulator, HSS_TEST_CA_FILE=None, SSL_CERT_FILE=https_emulator.ca_file)).check()
    hss_c.run("call", https_env(https_emulator, HSS_TEST_CA_FILE=None, **expect("HSS_E_TLS"))).check()


def test_ssl_cert_dir(hss_c, https_emulator, tmp_path):
    openssl = shutil.which("openssl")
    if openssl is None:
        pytest.fail("openssl is not installed (make test-deps installs it)")
    directory = tmp_path / "certs"
    directory.mkdir()
    shutil.copy(https_emulator.ca_file, directory / "test-ca.pem")
    subprocess.run([openssl, "rehash", str(directory)], check=True, capture_output=True)
    hss_c.run("call", https_env(https_emulator, HSS_TEST_CA_FILE=None, SSL_CERT_DIR=str(directory))).check()


def test_ssl_cert_file_must_be_a_bundle(hss_c, https_emulator, tmp_path):
    (tmp_path / "not-pem").write_text("nothing here\n")
    hss_c.run("call", https_env(https_emulator, HSS_TEST_CA_FILE=None, SSL_CERT_FILE=str(tmp_path / "not-pem"),
                                **expect("HSS_E_INVALID_ARGUMENT", "SSL_CERT_FILE"))).check()


def test_ca_file_beats_ssl_cert_file(hss_c, https_emulator, tmp_path):
    (tmp_path / "not-pem").write_text("nothing here\n")
    hss_c.run("call", https_env(https_emulator, SSL_CERT_FILE=str(tmp_path / "not-pem"))).check()


# ----------------------------------------------------------------------------- warnings and trace

@pytest.mark.parametrize("mode, warned", [(0o600, False), (0o640, True), (0o644, True)])
def test_profile_readable_by_others_is_warned_about(hss_c, http_emulator, tmp_path, mode, warned):
    path = tmp_path / "credentials"
    path.write_text("[basic]\nak = %s\nsk = %s\nproject_id = p1\n" % (hss_c.client_env()["HSS_TEST_AK"],
                                                                      hss_c.client_env()["HSS_TEST_SK"]))
    path.chmod(mode)
    env = {"HSS_TEST_AK": None, "HSS_TEST_SK": None, "HSS_TEST_PROJECT_ID": None,
           "HUAWEICLOUD_SDK_CREDENTIALS_FILE": str(path), "HSS_DEBUG": "1"}
    r = hss_c.run("call", env).check()
    lines = r.stderr.decode().splitlines()
    assert "libhss: info: using credentials from profile (AK EMUL...ORAK)" in lines
    assert "libhss: info: project id p1 from profile" in lines
    warning = "libhss: warning: credentials file '%s' is readable by others (mode %o): chmod 600 it" % (path, mode)
    assert (warning in lines) == warned
