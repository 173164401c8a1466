"""hss.Client with the default credential chain, IAM project-id discovery, settings() and
resolve(), against the emulator's IAM and HSS routes (issue 12).

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


def test_region_alone_on_an_ecs_with_an_agency(chain_env, emu, make):
    """The other acceptance path: only the metadata service (the emulator's), the IAM endpoint
    and the region's endpoint. The call is signed with the temporary AK and its token."""
    chain_env.set(HUAWEICLOUD_SDK_METADATA_ENDPOINT=emu.endpoint)
    chain_env.region_at(emu)
    client = make(region=REGION)
    assert client.get_image_upload_command(**GOOD).image_command == expected_image_command(**GOOD)
    (minted,) = emu.server.identity.issued
    call = hss_calls(emu)[-1]
    assert call["params"]["project_id"] == iam_project(emu)
    assert call["echo"]["access_key"] == minted.ak and call["echo"]["temporary"] and call["echo"]["security_token"]
    assert client.settings()["credentials"] == (minted.ak[:4] + "..." + minted.ak[-4:], "metadata")


def test_basiccredentials_section_and_from_env(chain_env, emu):
    """The section the official builder really reads, and Client.from_env with the chain."""
    chain_env.profile(section="basiccredentials", ak=AK, sk=SK)
    chain_env.region_at(emu)
    with hss.Client.from_env(region=REGION) as client:
        assert client.get_image_upload_command(**GOOD).image_command == expected_image_command(**GOOD)
        assert client.settings()["credentials"] == (MASKED_AK, "profile")


def test_profile_project_id_and_iam_endpoint(chain_env, emu, closed_port, make):
    """A profile's project_id is used as is (no IAM call); its iam_endpoint wins over
    HUAWEICLOUD_SDK_IAM_ENDPOINT."""
    chain_env.profile(ak=AK, sk=SK, project_id="proj-from-profile", iam_endpoint=emu.endpoint)
    chain_env.set(**{REGION_VAR: emu.endpoint})  # IAM variable: the closed port
    client = make(region=REGION)
    client.resolve()
    settings = client.settings()
    assert settings["project_id"] == ("proj-from-profile", "profile")
    assert settings["iam_endpoint"] == (emu.endpoint, "profile")
    client.get_image_upload_command(**GOOD)
    assert hss_calls(emu)[-1]["params"]["project_id"] == "proj-from-profile"


def test_environment_credentials_with_discovery(chain_env, emu, make):
    chain_env.set(HUAWEICLOUD_SDK_AK=AK, HUAWEICLOUD_SDK_SK=SK)
    chain_env.region_at(emu)
    client = make(region=REGION)
    client.resolve()
    settings = client.settings()
    assert settings["credentials"] == (MASKED_AK, "environment")
    assert settings["project_id"] == (iam_project(emu), "iam")
    client.get_image_upload_command(**GOOD)
    assert hss_calls(emu)[-1]["params"]["project_id"] == iam_project(emu)


def test_discovery_is_cached_per_process(chain_env, emu, make):
    """A second client with the same AK, region and IAM endpoint asks IAM no more."""
    chain_env.profile(ak=AK, sk=SK)
    chain_env.region_at(emu)
    make(region=REGION).resolve()
    second = make(region=REGION)
    second.get_image_upload_command(**GOOD)
    assert second.settings()["project_id"] == (iam_project(emu), "iam")
    assert emu.stats()["iam_projects"] == 1


@pytest.mark.parametrize("projects", [[], ["p-one", "p-two"]], ids=["none", "several"])
def test_iam_knows_zero_or_several_projects(chain_env, make_emulator, make, projects):
    """Clear errors quoting IAM's trace id (the official SDK's texts); nothing reaches HSS."""
    trace = "iam-trace-0123456789abcdef"
    with make_emulator(identity={"projects": {REGION: projects}, "trace_id": trace}) as emu:
        chain_env.profile(ak=AK, sk=SK)
        chain_env.region_at(emu)
        client = make(region=REGION)
        with pytest.raises(hss.CredentialsError) as info:
            client.resolve()
        message = str(info.value)
        assert "X-IAM-Trace-Id" in message and trace in message and REGION in message
        assert all(p in message for p in projects)
        with pytest.raises(hss.CredentialsError):
            client.get_image_upload_command(**GOOD)
        assert hss_calls(emu) == []


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


def test_profile_errors_are_reported(chain_env, emu, make):
    """A profile file without keys, or missing: the chain's error says what the profile lacked."""
    path = chain_env.profile(region="x")  # [basic] without ak/sk
    client = make(endpoint=emu.endpoint, project_id="p")
    with pytest.raises(hss.CredentialsError) as info:
        client.resolve()
    assert path in str(info.value)
    chain_env.set(HUAWEICLOUD_SDK_CREDENTIALS_FILE=str(chain_env.tmp / "missing"))
    with pytest.raises(hss.CredentialsError) as info:
        make(endpoint=emu.endpoint, project_id="p").resolve()
    assert str(chain_env.tmp / "missing") in str(info.value)


def test_iam_unreachable(chain_env, emu, make):
    chain_env.profile(ak=AK, sk=SK)
    chain_env.set(**{REGION_VAR: emu.endpoint})  # IAM: the closed port
    client = make(region=REGION)
    with pytest.raises(hss.NetworkError) as info:
        client.resolve()
    assert "IAM" in str(info.value)
    assert SK not in str(info.value)


def test_iam_refuses_the_credentials(chain_env, emu, make):
    chain_env.profile(ak=AK, sk="WRONG-PROFILE-SK")
    chain_env.region_at(emu)
    client = make(region=REGION)
    with pytest.raises(hss.ClientRequestError) as info:
        client.resolve()
    e = info.value
    assert e.status_code == 401 and "IAM" in str(e)
    for text in (str(e), repr(e), e.error_msg):
        assert "WRONG-PROFILE-SK" not in text


def test_discovery_needs_a_region(chain_env, emu, make):
    """An endpoint that names no region, no project id anywhere: nothing to look up."""
    chain_env.profile(ak=AK, sk=SK)
    chain_env.set(HUAWEICLOUD_SDK_IAM_ENDPOINT=emu.endpoint)
    before = emu.stats()["requests"]
    with pytest.raises(hss.CredentialsError) as info:
        make(endpoint=emu.endpoint).resolve()
    assert "project_id" in str(info.value) and "region" in str(info.value)
    assert emu.stats()["requests"] == before


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


def test_cleartext_proxy_is_refused_unless_allowed(chain_env, emu, closed_port):
    """An http:// endpoint through a proxy would show the registry password to it: refused,
    nothing sent; allowed explicitly, the call goes to the proxy (here: a closed port)."""
    proxy = "http://127.0.0.1:%d" % closed_port
    before = emu.stats()["requests"]
    with pytest.raises(hss.InvalidArgumentError) as info:
        with hss.Client(endpoint=emu.endpoint, project_id="p", ak=AK, sk=SK, proxy=proxy) as client:
            client.get_image_upload_command(**GOOD)
    assert "allow_cleartext_proxy" in str(info.value)
    with hss.Client(endpoint=emu.endpoint, project_id="p", ak=AK, sk=SK, proxy=proxy,
                    allow_cleartext_proxy=True) as client:
        with pytest.raises(hss.NetworkError):
            client.get_image_upload_command(**GOOD)
    assert emu.stats()["requests"] == before  # the proxy was used, not the emulator
    # "" is no proxy at all, whatever the environment says
    chain_env.set(http_proxy=proxy, HTTPS_PROXY=proxy, ALL_PROXY=proxy)
    with hss.Client(endpoint=emu.endpoint, project_id="p", ak=AK, sk=SK, proxy="") as client:
        client.get_image_upload_command(**GOOD)


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
    proxy = make_proxy(username="proxy-user", password=PROXY_PASSWORD)
    with tls_client(tls_emu, proxy=proxy.url) as client:  # no credentials: 407
        with pytest.raises(hss.HSSError) as info:
            client.get_image_upload_command(**GOOD)
    assert proxy.requests[-1]["status"] == 407 and proxy.tunnels == 0
    with tls_client(tls_emu, proxy=proxy.url, proxy_username="proxy-user",
                    proxy_password="wrong-" + PROXY_PASSWORD) as client:
        with pytest.raises(hss.HSSError) as info:
            client.get_image_upload_command(**GOOD)
    assert PROXY_PASSWORD not in str(info.value) and PROXY_PASSWORD not in repr(client)
    with tls_client(tls_emu, proxy=proxy.url, proxy_username="proxy-user",
                    proxy_password=PROXY_PASSWORD) as client:
        assert client.get_image_upload_command(**GOOD).image_command == expected_image_command(**GOOD)
        assert PROXY_PASSWORD not in repr(client) and PROXY_PASSWORD not in repr(vars(client))
    assert proxy.tunnels == 1


def test_proxy_from_the_environment_and_no_proxy(chain_env, tls_emu, make_proxy):
    """Without the option, https_proxy applies as with curl; no_proxy (option or variable)
    bypasses it."""
    proxy = make_proxy()
    chain_env.set(https_proxy=proxy.url)
    with tls_client(tls_emu) as client:
        client.get_image_upload_command(**GOOD)
    assert proxy.tunnels == 1
    with tls_client(tls_emu, proxy=proxy.url, no_proxy="127.0.0.1") as client:
        client.get_image_upload_command(**GOOD)
    chain_env.set(no_proxy="127.0.0.1")
    with tls_client(tls_emu) as client:
        client.get_image_upload_command(**GOOD)
    assert proxy.tunnels == 1  # neither of the last two went through it


def test_cleartext_proxy_when_allowed(chain_env, emu, make_proxy):
    """Opted in, an http:// endpoint is forwarded by the proxy, which then reads the request
    in full: that is what the option allows."""
    proxy = make_proxy()
    with hss.Client(endpoint=emu.endpoint, project_id="p", ak=AK, sk=SK, proxy=proxy.url,
                    allow_cleartext_proxy=True) as client:
        assert client.get_image_upload_command(**GOOD).image_command == expected_image_command(**GOOD)
    assert proxy.saw("GET %s/v5/p/image/registries/image-upload-command?" % emu.endpoint)
    assert proxy.tunnels == 0


def test_discovery_through_the_proxy(chain_env, tls_emu, make_proxy):
    """The IAM lookup takes the same proxy as the HSS call."""
    proxy = make_proxy()
    chain_env.profile(ak=AK, sk=SK)
    chain_env.set(**{REGION_VAR: tls_emu.endpoint, "HUAWEICLOUD_SDK_IAM_ENDPOINT": tls_emu.endpoint})
    with hss.Client(region=REGION, ca_file=tls_emu.ca_file, proxy=proxy.url) as client:
        client.get_image_upload_command(**GOOD)
        assert client.settings()["project_id"].source == "iam"
    assert proxy.tunnels >= 1
    assert all(r["line"] == "CONNECT 127.0.0.1:%d HTTP/1.1" % tls_emu.port for r in proxy.requests)


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
