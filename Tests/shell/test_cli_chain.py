"""hss-image-upload-command with the default credential chain, IAM project-id discovery,
--show-config and the proxy options (issue 12), against the emulator and the test proxy: what
the command adds (its options, --show-config, exit statuses, messages) and one call through the
chain. The chain's providers, discovery and its errors are the C API's (Tests/test_identity.py);
the proxy rules are Tests/test_network_settings.py's.

The chain's tests run the command with only `chain_env` (over conftest.py's base): the
harness's loopback variables, HOME an empty directory, and the metadata service, IAM and STS
at a closed port on 127.0.0.1, so that nothing can reach beyond the loopback.
"""

from __future__ import annotations

import re

import pytest

AK, SK = "EMULATORAK", "EMULATORSK"  # the emulator's defaults
TOKEN = "EMULATOR-TOKEN"
MASKED_AK = AK[:4] + "..." + AK[-4:]
REGION = "cn-north-4"
REGION_VAR = "HUAWEICLOUD_SDK_REGION_HSS_CN_NORTH_4"
PASSWORD = "S3cret-Passw0rd!"
PROXY_PASSWORD = "Pr0xy-Passw0rd!"
REGISTRY = ["--registry-addr", "harbor.example.com:443", "--namespace", "library", "--username", "admin"]
PREFIX = b"hss-image-upload-command: "
PROVIDERS = (b"oidc", b"environment", b"profile", b"metadata", b"pod")


def image_command(password=PASSWORD):
    return ("docker login -u admin -p %s harbor.example.com:443 && docker load -i hss-scanner.tar && "
            "docker push harbor.example.com:443/library/hss-scanner" % password)


@pytest.fixture
def chain_env(loopback_env, tmp_path, closed_port) -> dict:
    """The environment of a command that has no configuration yet (the harness's loopback
    variables, the guard included, with a HOME of this test's)."""
    home = tmp_path / "home"
    home.mkdir()
    closed = "http://127.0.0.1:%d" % closed_port
    return dict(loopback_env, HOME=str(home), HUAWEICLOUD_SDK_METADATA_ENDPOINT=closed,
                HUAWEICLOUD_SDK_IAM_ENDPOINT=closed, HUAWEICLOUD_SDK_STS_ENDPOINT=closed)


def write_profile(tmp_path, **keys) -> str:
    path = tmp_path / "credentials"
    path.write_text("[basic]\n" + "".join("%s = %s\n" % kv for kv in keys.items()))
    path.chmod(0o600)
    return str(path)


@pytest.fixture
def profile_env(chain_env, tmp_path, http_emulator) -> dict:
    """The acceptance configuration: a profile file, the IAM endpoint and the region's endpoint."""
    return dict(chain_env, HUAWEICLOUD_SDK_CREDENTIALS_FILE=write_profile(tmp_path, ak=AK, sk=SK),
                HUAWEICLOUD_SDK_IAM_ENDPOINT=http_emulator.endpoint, **{REGION_VAR: http_emulator.endpoint})


def hss_calls(emulator) -> list:
    return [r for r in emulator.records if "/image/registries/" in r["path"]]


def show_config(proc) -> dict:
    """--show-config's lines as {name: (value, source)}."""
    assert proc.returncode == 0 and proc.stderr == b"", proc.stderr
    out = {}
    for line in proc.stdout.decode().splitlines():
        m = re.fullmatch(r"(\w+): (.*?)(?: \(([a-z-]+)\))?", line)
        assert m, line
        out[m.group(1)] = (m.group(2), m.group(3))
    return out


# ----------------------------------------------------------------------------- acceptance

def test_region_alone_with_a_profile(cli, http_emulator, profile_env):
    """The issue's acceptance test: `--region R` and the registry options, nothing else; the
    project id comes from the emulator's IAM and the signed HSS call carries it."""
    before = len(hss_calls(http_emulator))
    proc = cli.run(["--region", REGION, *REGISTRY, "--password-stdin", "--field", "image_command"],
                   stdin=PASSWORD + "\n", env=profile_env, bare=True)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == image_command().encode() + b"\n"
    calls = hss_calls(http_emulator)[before:]
    assert len(calls) == 1 and calls[0]["status"] == 200
    config = show_config(cli.run(["--region", REGION, "--show-config"], env=profile_env, bare=True))
    assert calls[0]["params"]["project_id"] == config["project_id"][0]


def test_show_config(cli, http_emulator, profile_env):
    """Each setting with its source, the AK masked, never the SK; no HSS call, and neither the
    registry options nor a password are needed (stdin is not read)."""
    before = len(hss_calls(http_emulator))
    proc = cli.run(["--region", REGION, "--show-config"], stdin=PASSWORD + "\n", env=profile_env, bare=True)
    config = show_config(proc)
    assert list(config) == ["region", "endpoint", "project_id", "iam_endpoint", "credentials", "signing_algorithm"]
    assert config["region"] == (REGION, "options")
    assert config["endpoint"] == (http_emulator.endpoint, "environment")
    assert config["project_id"][1] == "iam" and re.fullmatch(r"[\w-]+", config["project_id"][0])
    assert config["iam_endpoint"] == (http_emulator.endpoint, "environment")
    assert config["credentials"] == (MASKED_AK, "profile")
    assert config["signing_algorithm"] == ("SDK-HMAC-SHA256", "default")
    assert SK.encode() not in proc.stdout and PASSWORD.encode() not in proc.stdout
    assert len(hss_calls(http_emulator)) == before


def test_show_config_temporary_credentials_never_show_the_token(cli, http_emulator, chain_env, tmp_path):
    token = "Security-Token-Canary-123"
    env = dict(chain_env, HUAWEICLOUD_SDK_CREDENTIALS_FILE=write_profile(
        tmp_path, ak="TEMPORARYAK0042", sk="TEMPORARY-SK-CANARY", security_token=token, project_id="p-temp"))
    proc = cli.run(["--endpoint", http_emulator.endpoint, "--show-config"], env=env, bare=True)
    config = show_config(proc)
    assert config["credentials"] == ("TEMP...0042", "profile")
    assert config["project_id"] == ("p-temp", "profile")
    for secret in (token, "TEMPORARY-SK-CANARY"):
        assert secret.encode() not in proc.stdout


def test_show_config_explicit(cli, http_emulator, chain_env, tmp_path):
    token_file = tmp_path / "token"
    token_file.write_text(TOKEN + "\n")
    token_file.chmod(0o600)
    env = dict(chain_env, HUAWEICLOUD_SDK_AK=AK, HUAWEICLOUD_SDK_SK=SK)
    config = show_config(cli.run(["--endpoint", http_emulator.endpoint, "--project-id", "p1",
                                  "--iam-endpoint", http_emulator.endpoint, "--show-config"], env=env, bare=True))
    assert config == {"region": ("(none)", None), "endpoint": (http_emulator.endpoint, "options"),
                      "project_id": ("p1", "options"), "iam_endpoint": (http_emulator.endpoint, "options"),
                      "credentials": (MASKED_AK, "environment"), "signing_algorithm": ("SDK-HMAC-SHA256", "default")}
    proc = cli.run(["--endpoint", http_emulator.endpoint, "--project-id", "p1", "--auth-token-file",
                    str(token_file), "--show-config"], env=env, bare=True)
    assert show_config(proc)["credentials"] == ("IAM token", "options")
    assert TOKEN.encode() not in proc.stdout


# ----------------------------------------------------------------------------- failures

def assert_one_line_failure(proc, code, secrets=(SK, PASSWORD), show_config=False):
    """One error line on stderr; on stdout nothing, or with --show-config the settings found, one
    marked as failed (test_cli_formats.py)."""
    assert proc.returncode == code, proc.stderr
    assert b"(failed)\n" in proc.stdout if show_config else proc.stdout == b""
    assert proc.stderr.startswith(PREFIX) and proc.stderr.count(b"\n") == 1, proc.stderr
    for secret in secrets:
        assert secret.encode() not in proc.stderr


@pytest.mark.parametrize("show", [False, True])
def test_no_credentials_anywhere_exits_3(cli, http_emulator, chain_env, show):
    """Every source of the chain fails: one line naming each, exit 3, nothing sent to HSS."""
    before = len(hss_calls(http_emulator))
    args = ["--endpoint", http_emulator.endpoint, "--project-id", "p"]
    args += ["--show-config"] if show else [*REGISTRY, "--password-stdin"]
    proc = cli.run(args, stdin=PASSWORD + "\n", env=chain_env, bare=True)
    assert_one_line_failure(proc, 3, show_config=show)
    for provider in PROVIDERS:
        assert provider in proc.stderr.lower(), provider
    assert len(hss_calls(http_emulator)) == before


def test_iam_unreachable_exits_75(cli, http_emulator, profile_env, closed_port):
    proc = cli.run(["--region", REGION, "--iam-endpoint", "http://127.0.0.1:%d" % closed_port, "--show-config",
                    "--max-attempts", "1"], env=profile_env, bare=True)
    assert_one_line_failure(proc, 75, show_config=True)
    assert b"IAM" in proc.stderr


# ----------------------------------------------------------------------------- proxy options

@pytest.mark.parametrize("args, message", [
    (["--proxy-password", PROXY_PASSWORD], b"--proxy-password-file"),
    (["--proxy-password=" + PROXY_PASSWORD], b"--proxy-password-file"),
    (["--proxy-password-file", "/dev/null"], b"--proxy-user"),
    (["--proxy-user", "u", "--proxy-password-file", "/nonexistent/proxy-pw"], b"/nonexistent/proxy-pw"),
    (["--proxy"], b"missing value for --proxy"),
])
def test_proxy_usage_errors_exit_2(cli, http_emulator, args, message):
    before = http_emulator.stats()["requests"]
    proc = cli.run([*REGISTRY, "--password-stdin", *args], stdin=PASSWORD + "\n")
    assert_one_line_failure(proc, 2, secrets=(PROXY_PASSWORD, PASSWORD))
    assert message in proc.stderr
    assert http_emulator.stats()["requests"] == before


def test_no_proxy_option(cli, http_emulator, closed_port):
    """--no-proxy reaches the library: the emulator is reached directly, not through --proxy (a
    closed port); the rule itself is Tests/test_network_settings.py's."""
    proc = cli.run([*REGISTRY, "--password-stdin", "--proxy", "http://127.0.0.1:%d" % closed_port,
                    "--no-proxy", "127.0.0.1", "--field", "image_command"], stdin=PASSWORD + "\n")
    assert proc.returncode == 0 and proc.stdout == image_command().encode() + b"\n", proc.stderr


def test_empty_proxy_ignores_the_environment(cli, closed_port):
    closed = "http://127.0.0.1:%d" % closed_port
    env = {"http_proxy": closed, "HTTPS_PROXY": closed, "ALL_PROXY": closed}
    proc = cli.run([*REGISTRY, "--password-stdin", "--proxy", "", "--field", "image_command"],
                   stdin=PASSWORD + "\n", env=env)
    assert proc.returncode == 0, proc.stderr


def test_proxy_tunnel(cli, https_emulator, make_proxy):
    proxy = make_proxy()
    proc = cli.run([*REGISTRY, "--password-stdin", "--endpoint", https_emulator.endpoint, "--ca-file",
                    https_emulator.ca_file, "--proxy", proxy.url, "--field", "image_command"], stdin=PASSWORD + "\n")
    assert proc.returncode == 0 and proc.stdout == image_command().encode() + b"\n", proc.stderr
    assert proxy.tunnels == 1
    assert not proxy.saw(PASSWORD) and not proxy.saw("password=")


def test_proxy_user_and_password_file(cli, https_emulator, make_proxy, tmp_path):
    proxy = make_proxy(username="proxy-user", password=PROXY_PASSWORD)
    (tmp_path / "proxy-pw").write_text(PROXY_PASSWORD + "\n")
    args = [*REGISTRY, "--password-stdin", "--endpoint", https_emulator.endpoint, "--ca-file",
            https_emulator.ca_file, "--proxy", proxy.url, "--field", "image_command"]
    proc = cli.run([*args, "--proxy-user", "proxy-user"], stdin=PASSWORD + "\n")  # no password: 407
    assert proc.returncode != 0 and proc.stdout == b""
    assert proxy.tunnels == 0
    proc = cli.run([*args, "--proxy-user", "proxy-user", "--proxy-password-file", str(tmp_path / "proxy-pw")],
                   stdin=PASSWORD + "\n")
    assert proc.returncode == 0 and proc.stdout == image_command().encode() + b"\n", proc.stderr
    assert PROXY_PASSWORD.encode() not in proc.stderr
    assert proxy.tunnels == 1


def test_cleartext_proxy_when_allowed(cli, http_emulator, make_proxy):
    proxy = make_proxy()
    proc = cli.run([*REGISTRY, "--password-stdin", "--proxy", proxy.url, "--allow-cleartext-proxy",
                    "--field", "image_command"], stdin=PASSWORD + "\n")
    assert proc.returncode == 0 and proc.stdout == image_command().encode() + b"\n", proc.stderr
    assert proxy.saw("GET %s/v5/" % http_emulator.endpoint) and proxy.tunnels == 0


# ----------------------------------------------------------------------------- diagnostics

def test_readable_profile_warns_and_verbose_tells_the_sources(cli, http_emulator, profile_env, tmp_path):
    """A credentials file that others can read works, with one warning on stderr naming it (as
    ssh warns); --verbose adds where the configuration came from. Never a secret, never stdout."""
    path = write_profile(tmp_path, ak=AK, sk=SK)
    (tmp_path / "credentials").chmod(0o644)
    env = dict(profile_env, HUAWEICLOUD_SDK_CREDENTIALS_FILE=path)
    args = ["--region", REGION, *REGISTRY, "--password-stdin", "--field", "image_command"]
    proc = cli.run(args, stdin=PASSWORD + "\n", env=env, bare=True)
    assert proc.returncode == 0 and proc.stdout == image_command().encode() + b"\n", proc.stderr
    lines = proc.stderr.decode().splitlines()
    assert len(lines) == 1 and lines[0].startswith("hss-image-upload-command: warning: ") and path in lines[0]

    for how in (["--verbose"], []):
        env_debug = dict(env, HSS_DEBUG="1") if not how else env
        proc = cli.run([*args, *how], stdin=PASSWORD + "\n", env=env_debug, bare=True)
        assert proc.returncode == 0 and proc.stdout == image_command().encode() + b"\n", proc.stderr
        lines = proc.stderr.decode().splitlines()
        assert any(line.startswith("hss-image-upload-command: info: ") and "profile" in line for line in lines)
        assert all(re.match(r"hss-image-upload-command: (warning|info|debug): ", line) for line in lines), lines
        for secret in (SK, PASSWORD):
            assert secret not in proc.stderr.decode()
