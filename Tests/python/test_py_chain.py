"""hss.Client with the default credential chain, IAM project-id discovery, settings() and
resolve(), against the emulator's IAM and HSS routes (issue 12): what the binding adds (the
settings as Setting tuples, resolve(), the exception of a failed chain, the keywords of the
network options, the trace bridged to logging) and one call through the chain. The chain's
providers, discovery and its errors are the C API's (Tests/test_identity.py); proxies and
no_proxy are Tests/test_network_settings.py's.

Every test runs in `chain_env`: no HUAWEICLOUD_* / CLOUD_SDK_* / HC_CONTAINER_* or proxy
variable of the developer's, HOME an empty directory, and the metadata service, IAM and STS
pointed at a closed port on 127.0.0.1, so that nothing can reach beyond the loopback.
"""

import os
import re
import sys

import pytest
from hss_testsupport import AK, GOOD, SK, TOKEN, expected_image_command

import hss

REGION = "cn-north-4"
REGION_VAR = "HUAWEICLOUD_SDK_REGION_HSS_CN_NORTH_4"
MASKED_AK = AK[:4] + "..." + AK[-4:]  # "EMUL...ORAK"
SETTINGS = ("region", "endpoint", "project_id", "iam_endpoint", "credentials")
CLEARED_PREFIXES = ("HUAWEICLOUD_", "CLOUD_SDK_", "HC_CONTAINER_")
CLEARED = ("http_proxy", "https_proxy", "all_proxy", "no_proxy", "SSL_CERT_FILE", "SSL_CERT_DIR")
PROVIDERS = ("oidc", "environment", "profile", "metadata", "pod")  # named by the chain's error


class ChainEnv:
    """The test's environment (a monkeypatch) and helpers to configure the chain."""

    def __init__(self, monkeypatch, tmp_path, closed_url):
        self.mp = monkeypatch
        self.tmp = tmp_path
        self.closed_url = closed_url

    def set(self, **variables):
        for name, value in variables.items():
            if value is None:
                self.mp.delenv(name, raising=False)
            else:
                self.mp.setenv(name, value)

    def profile(self, section="basic", mode=0o600, **keys) -> str:
        """Write a credentials file and point HUAWEICLOUD_SDK_CREDENTIALS_FILE at it."""
        path = self.tmp / "credentials"
        path.write_text("[%s]\n%s" % (section, "".join("%s = %s\n" % kv for kv in keys.items())))
        path.chmod(mode)
        self.set(HUAWEICLOUD_SDK_CREDENTIALS_FILE=str(path))
        return str(path)

    def region_at(self, emulator):
        """The region's HSS endpoint and IAM: the emulator."""
        self.set(**{REGION_VAR: emulator.endpoint, "HUAWEICLOUD_SDK_IAM_ENDPOINT": emulator.endpoint})


@pytest.fixture
def chain_env(monkeypatch, tmp_path, closed_port):
    for name in list(os.environ):
        if name.startswith(CLEARED_PREFIXES) or name.lower() in CLEARED or name in CLEARED:
            monkeypatch.delenv(name)
    home = tmp_path / "home"
    home.mkdir()
    closed = "http://127.0.0.1:%d" % closed_port
    monkeypatch.setenv("HOME", str(home))
    for name in ("METADATA", "IAM", "STS"):
        monkeypatch.setenv("HUAWEICLOUD_SDK_%s_ENDPOINT" % name, closed)
    return ChainEnv(monkeypatch, tmp_path, closed)


@pytest.fixture
def emu(make_emulator):
    """A fresh emulator (HSS, IAM and the rest) for each test: libhss caches a discovered
    project id per (AK, region, IAM endpoint) for the life of the process, so a test that
    expects an IAM lookup needs an IAM endpoint of its own."""
    with make_emulator() as emulator:
        yield emulator


@pytest.fixture
def tls_emu(make_emulator, test_ca):
    """The same over TLS (.ca_file)."""
    with make_emulator(test_ca["ca.pem"], tls_cert=test_ca["server.pem"], tls_key=test_ca["server.key"]) as emulator:
        yield emulator


def iam_project(emulator, region=REGION) -> str:
    """The one project id the emulator's IAM lists for the region."""
    (project,) = emulator.server.identity.projects_of(region)
    return project


@pytest.fixture
def make(request):
    """make(**kwargs) -> hss.Client, closed at teardown."""
    made = []

    def make_client(**kwargs):
        client = hss.Client(**kwargs)
        made.append(client)
        return client

    yield make_client
    for client in made:
        client.close()


def hss_calls(emulator) -> list:
    """The HSS calls the emulator answered (IAM's and the others' left out)."""
    return [r for r in emulator.records if "/image/registries/" in r["path"]]


# ----------------------------------------------------------------------------- acceptance

def test_region_alone_with_a_profile_discovers_the_project(chain_env, emu, make):
    """The issue's acceptance test: only a profile file, the IAM endpoint and the region's
    endpoint are configured; Client(region=R) makes the signed HSS call with the project id
    IAM returned."""
    chain_env.profile(ak=AK, sk=SK)
    chain_env.region_at(emu)
    client = make(region=REGION)
    before = len(hss_calls(emu))

    result = client.get_image_upload_command(**GOOD)

    assert result.image_command == expected_image_command(**GOOD)
    calls = hss_calls(emu)[before:]
    assert len(calls) == 1 and calls[0]["status"] == 200
    assert calls[0]["params"]["project_id"] == iam_project(emu)
    assert calls[0]["echo"]["signed_headers"] is not None  # signed with the profile's AK/SK
    assert emu.stats()["iam_projects"] == 1
    assert client.settings() == {
        "region": (REGION, "options"),
        "endpoint": (emu.endpoint, "environment"),
        "project_id": (iam_project(emu), "iam"),
        "iam_endpoint": (emu.endpoint, "environment"),
        "credentials": (MASKED_AK, "profile"),
    }


# ----------------------------------------------------------------------------- settings()

def test_settings_is_a_fresh_dict_of_settings(chain_env, emu, make):
    client = make(endpoint=emu.endpoint, project_id="p-explicit", ak=AK, sk=SK)
    first = client.settings()
    assert isinstance(first, dict) and tuple(first) == SETTINGS
    for setting in first.values():
        assert isinstance(setting, hss.Setting) and isinstance(setting, tuple)
        with pytest.raises(AttributeError):
            setting.value = "x"
    first.clear()  # a snapshot of the caller's: changing it changes nothing
    assert tuple(client.settings()) == SETTINGS


def test_settings_of_explicit_options(chain_env, emu, make):
    client = make(endpoint=emu.endpoint, project_id="p-explicit", ak=AK, sk=SK,
                  iam_endpoint=emu.endpoint)
    client.resolve()  # nothing to find: no traffic
    assert client.settings() == {
        "region": (None, None),  # 127.0.0.1 names no region
        "endpoint": (emu.endpoint, "options"),
        "project_id": ("p-explicit", "options"),
        "iam_endpoint": (emu.endpoint, "options"),
        "credentials": (MASKED_AK, "options"),
    }


def test_settings_with_an_auth_token(chain_env, emu, make):
    client = make(endpoint=emu.endpoint, project_id="p", auth_token=TOKEN)
    client.resolve()
    assert client.settings()["credentials"] == (None, "options")  # a token has no AK to show


def test_settings_before_resolution_need_no_network(chain_env, emu, make):
    """Before the first call the chain has not run: project id and credentials are unknown;
    region and endpoint are known from the options and the environment."""
    chain_env.profile(ak=AK, sk=SK)
    chain_env.region_at(emu)
    before = emu.stats()["requests"]
    client = make(region=REGION)
    settings = client.settings()
    assert settings["region"] == (REGION, "options")
    assert settings["endpoint"] == (emu.endpoint, "environment")
    assert settings["project_id"] == (None, None)
    assert settings["credentials"] == (None, None)
    assert emu.stats()["requests"] == before  # creating and asking sent nothing
    client.resolve()
    assert client.settings()["project_id"].source == "iam"
    assert emu.stats()["requests"] == before + 1  # the IAM lookup alone
    client.resolve()  # idempotent: nothing more is sent
    assert emu.stats()["requests"] == before + 1


def test_settings_and_resolve_after_close(chain_env, emu, make):
    client = make(endpoint=emu.endpoint, project_id="p", ak=AK, sk=SK)
    client.close()
    with pytest.raises(hss.ClientClosedError):
        client.settings()
    with pytest.raises(hss.ClientClosedError):
        client.resolve()


# ----------------------------------------------------------------------------- errors

def test_no_credentials_anywhere(chain_env, emu, make):
    """Nothing configured: creating works (no network), resolve() and the call raise
    CredentialsError naming every source and why it did not apply; nothing reaches HSS."""
    client = make(endpoint=emu.endpoint, project_id="p")
    before = len(hss_calls(emu))
    with pytest.raises(hss.CredentialsError) as info:
        client.resolve()
    e = info.value
    assert isinstance(e, hss.HSSError) and e.status is hss.Status.CREDENTIALS
    assert e.status_code == 0 and e.request_id == ""
    text = str(e).lower()
    for provider in PROVIDERS:
        assert provider in text, (provider, str(e))
    assert chain_env.closed_url.split("//")[1] in str(e)  # the metadata service it tried
    with pytest.raises(hss.CredentialsError):
        client.get_image_upload_command(**GOOD)
    assert len(hss_calls(emu)) == before


# ----------------------------------------------------------------------------- options

def test_every_c_option_is_a_keyword():
    """Client and Client.from_env take every field of hss_client_options by keyword (seconds
    for the *_ms fields; trace_user is the C closure's, a Python callable needs none)."""
    import inspect

    from hss_testsupport import HEADER

    with open(HEADER) as f:
        body = re.search(r"typedef struct hss_client_options \{(.*?)\} hss_client_options;", f.read(), re.S)
    fields = re.findall(r"(\w+);", re.sub(r"/\*.*?\*/", "", body.group(1), flags=re.S))
    # completions: hss.AsyncClient's (HSS_COMPLETIONS_DISPATCH), not a choice the caller makes.
    expected = {f[:-3] if f.endswith("_ms") else f for f in fields} - {"version", "trace_user", "completions"}
    for fn in (hss.Client.__init__, hss.Client.from_env):
        params = inspect.signature(fn).parameters
        assert expected == {n for n, p in params.items() if p.kind is p.KEYWORD_ONLY}, fn
    assert "proxy_password" in expected and "allow_cleartext_proxy" in expected


@pytest.mark.parametrize("value", ["yes", 1, None])
def test_allow_cleartext_proxy_takes_a_bool(chain_env, emu, value):
    with pytest.raises(TypeError, match="allow_cleartext_proxy"):
        hss.Client(endpoint=emu.endpoint, project_id="p", ak=AK, sk=SK, allow_cleartext_proxy=value)


@pytest.mark.parametrize("kwargs, field", [
    ({"proxy": "ftp://127.0.0.1:3128"}, "proxy"),
    ({"proxy": "http://user:pw@127.0.0.1:3128"}, "proxy"),
    ({"iam_endpoint": "ftp://127.0.0.1"}, "iam_endpoint"),
    ({"no_proxy": "a\nb"}, "no_proxy"),
])
def test_invalid_network_options(chain_env, emu, kwargs, field):
    with pytest.raises(hss.InvalidArgumentError) as info:
        hss.Client(endpoint=emu.endpoint, project_id="p", ak=AK, sk=SK, **kwargs)
    assert field in str(info.value)
    assert "pw@" not in str(info.value)


# ----------------------------------------------------------------------------- proxies

PROXY_PASSWORD = "Proxy-Pw-Canary-77"


def tls_client(tls_emu, **kwargs):
    return hss.Client(endpoint=tls_emu.endpoint, ca_file=tls_emu.ca_file, project_id="p-proxy",
                      ak=AK, sk=SK, **kwargs)


def test_https_through_the_proxy_option(chain_env, tls_emu, make_proxy):
    """An https endpoint goes through a CONNECT tunnel: the proxy sees host and port only."""
    proxy = make_proxy()
    with tls_client(tls_emu, proxy=proxy.url) as client:
        assert client.get_image_upload_command(**GOOD).image_command == expected_image_command(**GOOD)
    assert proxy.tunnels == 1
    assert [r["line"] for r in proxy.requests] == ["CONNECT 127.0.0.1:%d HTTP/1.1" % tls_emu.port]
    assert not proxy.saw(GOOD["password"]) and not proxy.saw("password=")


def test_proxy_authentication(chain_env, tls_emu, make_proxy):
    """proxy_username and proxy_password reach the library; the password shows neither in the
    error of a refused one nor in the client's repr."""
    proxy = make_proxy(username="proxy-user", password=PROXY_PASSWORD)
    with tls_client(tls_emu, proxy=proxy.url, proxy_username="proxy-user",
                    proxy_password="wrong-" + PROXY_PASSWORD) as client:
        with pytest.raises(hss.HSSError) as info:
            client.get_image_upload_command(**GOOD)
    assert proxy.requests[-1]["status"] == 407 and proxy.tunnels == 0
    assert PROXY_PASSWORD not in str(info.value) and PROXY_PASSWORD not in repr(client)
    with tls_client(tls_emu, proxy=proxy.url, proxy_username="proxy-user",
                    proxy_password=PROXY_PASSWORD) as client:
        assert client.get_image_upload_command(**GOOD).image_command == expected_image_command(**GOOD)
        assert PROXY_PASSWORD not in repr(client) and PROXY_PASSWORD not in repr(vars(client))
    assert proxy.tunnels == 1


def test_no_proxy_option(chain_env, tls_emu, make_proxy):
    """no_proxy reaches the library: the proxy option is bypassed for the host it names (the
    proxy variables and the rule are Tests/test_network_settings.py's)."""
    proxy = make_proxy()
    with tls_client(tls_emu, proxy=proxy.url, no_proxy="127.0.0.1") as client:
        client.get_image_upload_command(**GOOD)
    assert proxy.requests == []


def test_cleartext_proxy_when_allowed(chain_env, emu, make_proxy):
    """Opted in, an http:// endpoint is forwarded by the proxy, which then reads the request
    in full: that is what the option allows."""
    proxy = make_proxy()
    with hss.Client(endpoint=emu.endpoint, project_id="p", ak=AK, sk=SK, proxy=proxy.url,
                    allow_cleartext_proxy=True) as client:
        assert client.get_image_upload_command(**GOOD).image_command == expected_image_command(**GOOD)
    assert proxy.saw("GET %s/v5/p/image/registries/image-upload-command?" % emu.endpoint)
    assert proxy.tunnels == 0


# ----------------------------------------------------------------------------- trace

def test_trace_reports_sources_and_a_readable_profile(chain_env, emu, make):
    """trace(level, line) gets logging levels; a credentials file that others can read is a
    WARNING naming it (as ssh warns); INFO lines say where the configuration came from. No
    line holds a secret."""
    import logging

    lines = []
    path = chain_env.profile(ak=AK, sk=SK, mode=0o644)
    chain_env.region_at(emu)
    client = make(region=REGION, trace=lambda level, line: lines.append((level, line)))
    client.get_image_upload_command(**GOOD)
    assert lines and all(isinstance(line, str) and "\n" not in line for _, line in lines)
    assert {level for level, _ in lines} <= {logging.WARNING, logging.INFO, logging.DEBUG}
    warnings = [line for level, line in lines if level == logging.WARNING]
    assert len(warnings) == 1 and path in warnings[0], lines
    assert any(level == logging.INFO and "profile" in line for level, line in lines), lines
    for _, line in lines:
        assert SK not in line and GOOD["password"] not in line


def test_trace_to_a_logger_and_its_errors(chain_env, emu, make, caplog, monkeypatch):
    import logging

    chain_env.profile(ak=AK, sk=SK, mode=0o640)
    chain_env.region_at(emu)
    with caplog.at_level(logging.DEBUG, logger="hss.test"):
        make(region=REGION, trace=logging.getLogger("hss.test").log).resolve()
    assert any(r.levelno == logging.WARNING and "credentials" in r.getMessage() for r in caplog.records)

    def broken(level, line):
        raise RuntimeError("a trace function that fails")

    with pytest.raises(TypeError, match="trace"):
        make(endpoint=emu.endpoint, project_id="p", ak=AK, sk=SK, trace="print")
    # A failing trace function is reported as unraisable; the call itself goes on.
    unraisable = []
    monkeypatch.setattr(sys, "unraisablehook", unraisable.append)
    make(region=REGION, trace=broken).get_image_upload_command(**GOOD)
    assert unraisable and all(isinstance(u.exc_value, RuntimeError) for u in unraisable)
