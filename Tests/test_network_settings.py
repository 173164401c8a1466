"""Proxies, trust and the configuration warnings (issue 12), through the C API (Tests/c/test_api.c's
`call` case). The proxy is Tests/proxy_server.py on 127.0.0.1 (CONNECT tunnels and absolute-URI
forwarding, recording what it sees); conftest's harness removed every proxy variable beforehand.
"""

from __future__ import annotations

import shutil
import subprocess

import pytest
from _hss_testing.identity import DEFAULT_OIDC, ID_TOKEN, IDP_ID

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


# The identity calls libhss sends through the client's proxy: (name, the environment that makes the
# client send it to the emulator at http://localhost:<port>, the request line's path). The HSS endpoint
# itself (http://127.0.0.1:<port>) is exempt by no_proxy.
IDENTITY_CALLS = {
    "IAM endpoint": (lambda emu, tmp: {"HSS_TEST_PROJECT_ID": None, "HSS_TEST_REGION": "cn-north-4",
                                       "HSS_TEST_IAM_ENDPOINT": localhost(emu)}, "/v3/projects?name=cn-north-4"),
    "STS endpoint": (lambda emu, tmp: {"HSS_TEST_FROM_ENV": "1", "HSS_TEST_AK": None, "HSS_TEST_SK": None,
                                       "HUAWEICLOUD_OIDC_PROVIDER_URN": DEFAULT_OIDC["provider_urn"],
                                       "HUAWEICLOUD_OIDC_AGENCY_URN": DEFAULT_OIDC["agency_urn"],
                                       "HUAWEICLOUD_OIDC_ID_TOKEN": ID_TOKEN,
                                       "HUAWEICLOUD_SDK_STS_ENDPOINT": localhost(emu)},
                     "/v5/agencies/assume-with-oidc"),
    "IAM endpoint (federation)": (lambda emu, tmp: {"HSS_TEST_FROM_ENV": "1", "HSS_TEST_AK": None,
                                                    "HSS_TEST_SK": None, "HUAWEICLOUD_SDK_IDP_ID": IDP_ID,
                                                    "HUAWEICLOUD_SDK_ID_TOKEN_FILE": token_file(tmp),
                                                    "HUAWEICLOUD_SDK_IAM_ENDPOINT": localhost(emu)},
                                  "/v3.0/OS-AUTH/id-token/tokens"),
}


def localhost(emu) -> str:
    return emu.endpoint.replace("127.0.0.1", "localhost")


def token_file(tmp_path) -> str:
    path = tmp_path / "id-token"
    path.write_text(ID_TOKEN + "\n")
    return str(path)


@pytest.mark.parametrize("call", IDENTITY_CALLS)
def test_http_identity_endpoint_through_a_proxy_is_refused(hss_c, http_emulator, proxy_server, tmp_path, call):
    """IAM and STS requests carry a signature, a security token or an id token: the same clear-text
    rule as the HSS endpoint, refused before anything is sent."""
    settings, path = IDENTITY_CALLS[call]
    role = call.split(" (")[0]
    for proxy in ({"HSS_TEST_PROXY": proxy_server.url, "HSS_TEST_NO_PROXY": "127.0.0.1"},
                  {"http_proxy": proxy_server.url, "no_proxy": "127.0.0.1"}):
        hss_c.run("call", {**settings(http_emulator, tmp_path), **proxy,
                           **expect("HSS_E_INVALID_ARGUMENT",
                                  "an http:// %s (%s) would go through" % (role, localhost(http_emulator)))}).check()
    assert proxy_server.requests == []
    hss_c.run("call", {**settings(http_emulator, tmp_path), "HSS_TEST_PROXY": proxy_server.url,
                       "HSS_TEST_NO_PROXY": "127.0.0.1", "HSS_TEST_ALLOW_CLEARTEXT_PROXY": "1"}).check()
    assert proxy_server.saw(" %s%s " % (localhost(http_emulator), path))


def test_environment_proxy_set_after_the_client_is_not_used(hss_c, http_emulator, proxy_server):
    """An http:// endpoint's route is decided when the client is made (hss.h, Proxy) and held on
    libcurl: one found direct is sent with no proxy at all, so a proxy the environment names
    later never gets the request (nor the password in its URL)."""
    hss_c.run("call", {"HSS_TEST_SETENV_AFTER_CLIENT": "http_proxy=" + proxy_server.url,
                       "HSS_TEST_PASSWORD": PASSWORD}).check()
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


@pytest.mark.parametrize("source", ["SSL_CERT_FILE", "ca_file"])
def test_a_certificate_that_does_not_decode_fails_the_call(hss_c, https_emulator, tmp_path, source):
    """Client creation looks for a certificate's BEGIN line, and decodes nothing (issue 24: decoding
    one cost 7 M instructions at every start); OpenSSL decodes the bundle at the connection, and one
    that does not decode fails the call as HSS_E_TLS, with nothing sent."""
    bad = tmp_path / "bad.pem"
    bad.write_text("-----BEGIN CERTIFICATE-----\nnot base64!\n-----END CERTIFICATE-----\n")
    trust = {"HSS_TEST_CA_FILE": None, "SSL_CERT_FILE": str(bad)} if source == "SSL_CERT_FILE" else \
        {"HSS_TEST_CA_FILE": str(bad)}
    before = https_emulator.stats()["requests"]
    r = hss_c.run("call", https_env(https_emulator, **trust, **expect("HSS_E_TLS"))).check()
    assert r.error["begin"] == b"call", r.describe()
    assert https_emulator.stats()["requests"] == before


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
