"""The default credential chain, IAM project discovery and endpoint resolution (issue 12), through
the C API: Tests/c/test_api.c's `call` case with a client from hss_client_new_from_env and no
credentials in code, and Tests/c/renewal_threads.c for renewal under load.

Every identity service is the emulator's (bindings/python/_hss_testing/identity.py), on 127.0.0.1; conftest's
harness has already pointed the metadata, IAM and STS endpoints at a closed loopback port and HOME at
an empty directory, so whatever a test does not set fails fast on loopback.
"""

from __future__ import annotations

import subprocess
import time
from pathlib import Path

import pytest
from _hss_testing import DEFAULT_AK as EMULATOR_AK
from _hss_testing import DEFAULT_SK as EMULATOR_SK
from _hss_testing.identity import DEFAULT_OIDC, ID_TOKEN, IDP_ID, POD_TOKEN, Identity, default_project_id

C_DIR = Path(__file__).resolve().parent / "c"
REGION = "cn-north-4"
REGION_VAR = "HUAWEICLOUD_SDK_REGION_HSS_CN_NORTH_4"
PROVIDERS = ["oidc", "environment", "profile", "metadata", "pod-identity"]
PROXY_PASSWORD = "Proxy-Secret-Pw-7321"


@pytest.fixture(scope="module")
def emu(make_emulator):
    return make_emulator()


@pytest.fixture
def idemu(emu):
    """The module's emulator with fresh identity settings and counters for each test."""
    emu.server.identity = Identity()
    emu.server.snapshot_stats(reset=True)
    return emu


def chain_env(emu, **extra):
    """A from_env client with no credentials in code: region cn-north-4 served by the emulator
    (HUAWEICLOUD_SDK_REGION_HSS_CN_NORTH_4), IAM at the emulator; `extra` on top."""
    env = {"HSS_TEST_FROM_ENV": "null", "HSS_TEST_ENDPOINT": None, "HSS_TEST_PROJECT_ID": None,
           "HSS_TEST_AK": None, "HSS_TEST_SK": None, "HSS_TEST_PRINT_SETTINGS": "1",
           "HUAWEICLOUD_SDK_REGION": REGION, REGION_VAR: emu.endpoint,
           "HUAWEICLOUD_SDK_IAM_ENDPOINT": emu.endpoint}
    env.update(extra)
    return env


def settings(r) -> dict:
    return {k[len("setting."):]: v.decode() for k, v in r.results.items() if k.startswith("setting.")}


def expect(status, message=None):
    env = {"HSS_TEST_EXPECT": status}
    if message is not None:
        env["HSS_TEST_EXPECT_MESSAGE"] = message
    return env


def profile(tmp_path, text, mode=0o600) -> str:
    path = tmp_path / "credentials"
    path.write_text(text)
    path.chmod(mode)
    return str(path)


def token_file(tmp_path, name, content) -> str:
    path = tmp_path / name
    path.write_text(content + "\n")
    return str(path)


# ----------------------------------------------------------------------------- each provider alone

def test_environment_with_project_discovery(hss_c, idemu):
    r = hss_c.run("call", chain_env(idemu, HUAWEICLOUD_SDK_AK=EMULATOR_AK, HUAWEICLOUD_SDK_SK=EMULATOR_SK)).check()
    s = settings(r)
    assert s["credentials"].endswith("(environment)") and s["credentials"].startswith(EMULATOR_AK[:4] + "...")
    assert s["project_id"] == "%s (iam)" % default_project_id(REGION)
    assert s["region"] == "cn-north-4 (environment)" and s["endpoint"] == "%s (environment)" % idemu.endpoint
    assert s["iam_endpoint"] == "%s (environment)" % idemu.endpoint
    assert idemu.echoes[-1]["project_id"] == default_project_id(REGION)
    assert idemu.stats()["iam_projects"] == 1


def test_environment_project_id_skips_iam(hss_c, idemu):
    env = chain_env(idemu, HUAWEICLOUD_SDK_AK=EMULATOR_AK, HUAWEICLOUD_SDK_SK=EMULATOR_SK,
                    HUAWEICLOUD_SDK_PROJECT_ID="env-project")
    r = hss_c.run("call", env).check()
    assert settings(r)["project_id"] == "env-project (environment)"
    assert idemu.stats()["iam_projects"] == 0


@pytest.mark.parametrize("section", ["basic", "basiccredentials"])
def test_profile(hss_c, idemu, tmp_path, section):
    path = profile(tmp_path, "[%s]\nak = %s\nsk = %s\nproject_id = file-project\n" % (section, EMULATOR_AK,
                                                                                      EMULATOR_SK))
    r = hss_c.run("call", chain_env(idemu, HUAWEICLOUD_SDK_CREDENTIALS_FILE=path)).check()
    s = settings(r)
    assert s["credentials"].endswith("(profile)") and s["project_id"] == "file-project (profile)"
    assert idemu.echoes[-1]["project_id"] == "file-project"


def test_profile_in_home_with_iam_endpoint_and_percent(hss_c, idemu, tmp_path):
    """~/.huaweicloud/credentials, its iam_endpoint, and a '%' taken literally (configparser would
    raise: no interpolation here). The emulator accepts any SK it was given: a second pair."""
    home = tmp_path / "home"
    (home / ".huaweicloud").mkdir(parents=True)
    (home / ".huaweicloud" / "credentials").write_text(
        "[DEFAULT]\niam_endpoint = %s\n[basic]\nAK = %s\nsk = %s\n" % (idemu.endpoint, "PCTAK0000001",
                                                                      "pct%sk;#x"))
    (home / ".huaweicloud" / "credentials").chmod(0o600)
    idemu.server.credentials["PCTAK0000001"] = "pct%sk;#x"
    env = chain_env(idemu, HOME=str(home), HUAWEICLOUD_SDK_IAM_ENDPOINT=None)
    r = hss_c.run("call", env).check()
    s = settings(r)
    assert s["iam_endpoint"] == "%s (profile)" % idemu.endpoint and s["project_id"].endswith("(iam)")


def test_metadata(hss_c, idemu):
    r = hss_c.run("call", chain_env(idemu, HUAWEICLOUD_SDK_METADATA_ENDPOINT=idemu.endpoint)).check()
    s = settings(r)
    assert s["credentials"].endswith("(metadata)") and s["project_id"].endswith("(iam)")
    st = idemu.stats()
    assert (st["metadata_token"], st["metadata_securitykey"], st["iam_projects"]) == (1, 1, 1)
    assert idemu.echoes[-1]["temporary"]


@pytest.mark.parametrize("mode", ["unsupported", "optional"])
def test_metadata_without_session_tokens(hss_c, idemu, mode):
    idemu.server.identity.metadata_token = mode
    hss_c.run("call", chain_env(idemu, HUAWEICLOUD_SDK_METADATA_ENDPOINT=idemu.endpoint)).check()
    assert idemu.stats()["metadata_securitykey"] == 1


@pytest.mark.parametrize("fmt", ["micro", "milli", "none"])
def test_metadata_expiry_formats(hss_c, idemu, fmt):
    """With and without fractional seconds (the official SDK fails without)."""
    idemu.server.identity.expiry_format = fmt
    hss_c.run("call", chain_env(idemu, HUAWEICLOUD_SDK_METADATA_ENDPOINT=idemu.endpoint)).check()


def test_metadata_401_fetches_a_new_session_token(hss_c, idemu):
    idemu.script([{"status": 401, "body": {"error": "token expired"}}], route="metadata_securitykey")
    hss_c.run("call", chain_env(idemu, HUAWEICLOUD_SDK_METADATA_ENDPOINT=idemu.endpoint)).check()
    st = idemu.stats()
    assert (st["metadata_token"], st["metadata_securitykey"]) == (2, 2)


def test_pod_identity(hss_c, idemu, tmp_path):
    env = chain_env(idemu, HC_CONTAINER_CREDENTIALS_FULL_URI=idemu.endpoint + "/pod-identity/credentials",
                    HC_CONTAINER_AUTHORIZATION_TOKEN_FILE=token_file(tmp_path, "pod-token", POD_TOKEN))
    r = hss_c.run("call", env).check()
    assert settings(r)["credentials"].endswith("(pod-identity)")
    assert idemu.stats()["pod_identity"] == 1


def test_oidc(hss_c, idemu, tmp_path):
    env = chain_env(idemu, HUAWEICLOUD_OIDC_PROVIDER_URN=DEFAULT_OIDC["provider_urn"],
                    HUAWEICLOUD_OIDC_AGENCY_URN=DEFAULT_OIDC["agency_urn"],
                    HUAWEICLOUD_OIDC_TOKEN_FILE=token_file(tmp_path, "id-token", ID_TOKEN),
                    HUAWEICLOUD_SDK_STS_ENDPOINT=idemu.endpoint)
    r = hss_c.run("call", env).check()
    assert settings(r)["credentials"].endswith("(oidc)")
    assert idemu.stats()["sts_oidc"] == 1


def test_oidc_every_setting(hss_c, idemu):
    idemu.server.identity.oidc = {**DEFAULT_OIDC, "agency_session_name": "ci-run \"7\"", "duration_seconds": 7200,
                                  "policy": '{"Version":"1.1"}', "policy_ids": ["p1", "p2"]}
    env = chain_env(idemu, HUAWEICLOUD_OIDC_PROVIDER_URN=DEFAULT_OIDC["provider_urn"],
                    HUAWEICLOUD_OIDC_AGENCY_URN=DEFAULT_OIDC["agency_urn"], HUAWEICLOUD_OIDC_ID_TOKEN=ID_TOKEN,
                    HUAWEICLOUD_OIDC_SESSION_NAME='ci-run "7"', HUAWEICLOUD_OIDC_DURATION_SECONDS="7200",
                    HUAWEICLOUD_OIDC_POLICY='{"Version":"1.1"}', HUAWEICLOUD_OIDC_POLICY_IDS=" p1, p2 ,,",
                    HUAWEICLOUD_SDK_STS_ENDPOINT=idemu.endpoint)
    hss_c.run("call", env).check()


def test_federation_from_environment(hss_c, idemu, tmp_path):
    env = chain_env(idemu, HUAWEICLOUD_SDK_IDP_ID=IDP_ID,
                    HUAWEICLOUD_SDK_ID_TOKEN_FILE=token_file(tmp_path, "id-token", ID_TOKEN))
    r = hss_c.run("call", env).check()
    assert settings(r)["credentials"].endswith("(environment)")
    st = idemu.stats()
    assert (st["iam_id_token"], st["iam_securitytokens"]) == (1, 1)


# ----------------------------------------------------------------------------- the chain

def test_chain_order(hss_c, idemu, tmp_path):
    """Earlier providers win: environment over profile over metadata."""
    path = profile(tmp_path, "[basic]\nak = %s\nsk = %s\n" % (EMULATOR_AK, EMULATOR_SK))
    everything = dict(HUAWEICLOUD_SDK_AK=EMULATOR_AK, HUAWEICLOUD_SDK_SK=EMULATOR_SK,
                      HUAWEICLOUD_SDK_CREDENTIALS_FILE=path, HUAWEICLOUD_SDK_METADATA_ENDPOINT=idemu.endpoint)
    aksk = ("HUAWEICLOUD_SDK_AK", "HUAWEICLOUD_SDK_SK")
    for drop, source in [((), "environment"), (aksk, "profile"),
                         (aksk + ("HUAWEICLOUD_SDK_CREDENTIALS_FILE",), "metadata")]:
        env = chain_env(idemu, **everything)
        for name in drop:
            env[name] = None
        r = hss_c.run("call", env).check()
        assert settings(r)["credentials"].endswith("(%s)" % source), drop


def test_a_failing_provider_does_not_stop_the_chain(hss_c, idemu, tmp_path):
    """A broken profile and an unreachable metadata service are recorded; pod identity answers."""
    env = chain_env(idemu, HUAWEICLOUD_SDK_CREDENTIALS_FILE=profile(tmp_path, "[basic]\nak = only-ak\n"),
                    HC_CONTAINER_CREDENTIALS_FULL_URI=idemu.endpoint + "/pod-identity/credentials",
                    HC_CONTAINER_AUTHORIZATION_TOKEN_FILE=token_file(tmp_path, "pod-token", POD_TOKEN))
    r = hss_c.run("call", env).check()
    assert settings(r)["credentials"].endswith("(pod-identity)")


def test_whole_chain_fails_with_one_error_naming_each_provider(hss_c, idemu, tmp_path, closed_port):
    env = chain_env(idemu, HUAWEICLOUD_SDK_CREDENTIALS_FILE=str(tmp_path / "absent"),
                    **expect("HSS_E_CREDENTIALS"))
    r = hss_c.run("call", env).check()
    message = r.error["message"].decode()
    positions = [message.find("%s: " % p) for p in PROVIDERS]
    assert -1 not in positions and positions == sorted(positions), message
    assert "credentials file '%s' does not exist" % (tmp_path / "absent") in message
    assert "127.0.0.1" in message and "169.254" not in message
    assert idemu.echoes == [] or all(e["project_id"] for e in idemu.echoes)
    assert idemu.stats()["hss"] == 0


def test_no_secret_in_chain_errors(hss_c, idemu, tmp_path):
    """Wrong keys everywhere: the messages name files and services, never their contents."""
    secret_sk, secret_token = "Chain-Secret-SK-4711", "Chain-Secret-Token-4711"
    path = profile(tmp_path, "[basic]\nak = AKBADPROFILE1\nsk = %s\n" % secret_sk)
    idemu.server.identity.pod_token = "another-token"
    env = chain_env(idemu, HUAWEICLOUD_SDK_AK="AKBADENV0001", HUAWEICLOUD_SDK_SK=secret_sk,
                    HUAWEICLOUD_SDK_PROJECT_ID="p", **expect("HSS_E_HTTP_CLIENT"))
    r = hss_c.run("call", env).check()
    assert secret_sk.encode() not in r.stderr + r.stdout
    env = chain_env(idemu, HUAWEICLOUD_SDK_CREDENTIALS_FILE=path,
                    HC_CONTAINER_CREDENTIALS_FULL_URI=idemu.endpoint + "/pod-identity/credentials",
                    HC_CONTAINER_AUTHORIZATION_TOKEN_FILE=token_file(tmp_path, "pod", secret_token),
                    **expect("HSS_E_HTTP_CLIENT"))
    r = hss_c.run("call", env).check()  # the profile wins, IAM refuses its SK
    assert secret_sk.encode() not in r.stderr + r.stdout and secret_token.encode() not in r.stderr + r.stdout


# ----------------------------------------------------------------------------- project discovery

def test_no_project_is_a_clear_error(hss_c, idemu):
    idemu.server.identity.projects = {REGION: []}
    idemu.server.identity.trace_id = "trace-0-projects"
    env = chain_env(idemu, HUAWEICLOUD_SDK_AK=EMULATOR_AK, HUAWEICLOUD_SDK_SK=EMULATOR_SK,
                    **expect("HSS_E_CREDENTIALS", "IAM knows no project named 'cn-north-4'"))
    r = hss_c.run("call", env).check()
    assert "X-IAM-Trace-Id=trace-0-projects" in r.error["message"].decode()


def test_several_projects_is_a_clear_error(hss_c, idemu):
    idemu.server.identity.projects = {REGION: ["p1aaaa", "p2bbbb"]}
    env = chain_env(idemu, HUAWEICLOUD_SDK_AK=EMULATOR_AK, HUAWEICLOUD_SDK_SK=EMULATOR_SK,
                    **expect("HSS_E_CREDENTIALS", "[p1aaaa,p2bbbb]"))
    hss_c.run("call", env).check()


def test_project_ids_are_wire_text(hss_c, idemu):
    """IAM's project ids enter the message like any text from an answer (issue 20.3): redacted
    (here one is the client's SK) and one printable line."""
    idemu.server.identity.projects = {REGION: ["p1aaaa", EMULATOR_SK + "\nINJECTED\x1b[31m\u0085"]}
    env = chain_env(idemu, HUAWEICLOUD_SDK_AK=EMULATOR_AK, HUAWEICLOUD_SDK_SK=EMULATOR_SK,
                    **expect("HSS_E_CREDENTIALS", "IAM has 2 projects named 'cn-north-4' [p1aaaa,*** INJECTED [31m]"))
    r = hss_c.run("call", env).check()
    assert EMULATOR_SK.encode() not in r.error["message"]


def test_iam_refusal_names_iam(hss_c, idemu):
    env = chain_env(idemu, HUAWEICLOUD_SDK_AK=EMULATOR_AK, HUAWEICLOUD_SDK_SK="wrong-sk",
                    **expect("HSS_E_HTTP_CLIENT", "looking up the project id of region 'cn-north-4'"))
    hss_c.run("call", env).check()


def test_settings_after_a_failed_lookup_show_what_was_found(hss_c, idemu, tmp_path):
    """hss_client_setting after IAM refused the lookup: the credentials the chain found and the
    IAM it asked, for the command's --show-config (issue 23.4); the project id stays unknown."""
    path = profile(tmp_path, "[basic]\nak = %s\nsk = wrong-sk\n" % EMULATOR_AK)
    env = chain_env(idemu, HUAWEICLOUD_SDK_CREDENTIALS_FILE=path, HSS_TEST_RESOLVE="1",
                    **expect("HSS_E_HTTP_CLIENT", "looking up the project id of region 'cn-north-4'"))
    s = settings(hss_c.run("call", env).check())
    assert s["credentials"] == "%s...%s (profile)" % (EMULATOR_AK[:4], EMULATOR_AK[-4:])
    assert s["iam_endpoint"] == "%s (environment)" % idemu.endpoint
    assert s["project_id"].strip() == "()"


def test_project_needs_a_region(hss_c, idemu):
    env = chain_env(idemu, HUAWEICLOUD_SDK_AK=EMULATOR_AK, HUAWEICLOUD_SDK_SK=EMULATOR_SK,
                    HUAWEICLOUD_SDK_REGION=None, HUAWEICLOUD_SDK_ENDPOINT=idemu.endpoint,
                    **expect("HSS_E_CREDENTIALS", "needs a region"))
    hss_c.run("call", env).check()
    assert idemu.stats()["iam_projects"] == 0


def test_discovery_is_cached_per_process(hss_c, idemu):
    """HSS_TEST_CLIENT_PER_THREAD: several clients in one process, one IAM lookup."""
    env = chain_env(idemu, HUAWEICLOUD_SDK_AK=EMULATOR_AK, HUAWEICLOUD_SDK_SK=EMULATOR_SK,
                    HSS_TEST_THREADS="4", HSS_TEST_CLIENT_PER_THREAD="1", HSS_TEST_CALLS="2")
    hss_c.run("threads", env).check()
    assert idemu.stats()["iam_projects"] == 1


# ----------------------------------------------------------------------------- renewal

def renewal_program(build_c, hss_c, env):
    exe = build_c(C_DIR / "renewal_threads.c", extra=("-pthread",))
    full = hss_c.base_env()
    full.update({k: str(v) for k, v in env.items() if v is not None and not k.startswith("HSS_TEST_")})
    return subprocess.Popen([str(exe)], env=full, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)


def test_sixteen_threads_renew_once(build_c, hss_c, idemu):
    """Keys with 40 min + 3 s left: the first call fetches; 4 s later they are inside the renewal
    margin, and 16 threads calling at once cause exactly one more fetch, every call succeeding."""
    idemu.server.identity.expires_in = 40 * 60 + 3
    echoes = len(idemu.echoes)
    proc = renewal_program(build_c, hss_c, chain_env(idemu, HUAWEICLOUD_SDK_METADATA_ENDPOINT=idemu.endpoint))
    assert proc.stdout.readline() == "first ok\n", proc.stderr.read()
    assert idemu.stats()["metadata_securitykey"] == 1
    time.sleep(4)
    idemu.server.identity.expires_in = 3600
    out, err = proc.communicate("go\n", timeout=60)
    assert proc.returncode == 0, err
    assert out == "round 1 ok 16\n"
    assert idemu.stats()["metadata_securitykey"] == 2
    assert [e["temporary"] for e in idemu.echoes[echoes:]] == [True] * 17


def test_fresh_keys_are_not_renewed(hss_c, idemu):
    idemu.server.identity.expires_in = 41 * 60
    hss_c.run("call", chain_env(idemu, HUAWEICLOUD_SDK_METADATA_ENDPOINT=idemu.endpoint,
                                HSS_TEST_CALLS="3")).check()
    assert idemu.stats()["metadata_securitykey"] == 1


def test_expired_keys_are_never_used(build_c, hss_c, idemu):
    """Keys that expire in 2 s; the metadata service then fails: the next call reports
    HSS_E_CREDENTIALS and sends nothing to HSS (the emulator would refuse expired keys)."""
    idemu.server.identity.expires_in = 2
    proc = renewal_program(build_c, hss_c, {**chain_env(idemu, HUAWEICLOUD_SDK_METADATA_ENDPOINT=idemu.endpoint),
                                            "RENEWAL_THREADS": "4"})
    assert proc.stdout.readline() == "first ok\n", proc.stderr.read()
    idemu.script([{"status": 500}], route="metadata_securitykey", repeat=True)
    time.sleep(3)
    hss_before = idemu.stats()["hss"]
    out, err = proc.communicate("go\n", timeout=60)
    assert proc.returncode == 1 and out == "round 1 ok 0\n"
    assert err.count("renewing credentials from metadata") == 4, err
    assert idemu.stats()["hss"] == hss_before


def test_keys_within_margin_survive_a_failed_renewal(build_c, hss_c, idemu):
    idemu.server.identity.expires_in = 40 * 60 + 2
    proc = renewal_program(build_c, hss_c, {**chain_env(idemu, HUAWEICLOUD_SDK_METADATA_ENDPOINT=idemu.endpoint),
                                            "RENEWAL_THREADS": "4"})
    assert proc.stdout.readline() == "first ok\n", proc.stderr.read()
    idemu.script([{"status": 500}], route="metadata_securitykey", repeat=True)
    time.sleep(3)
    out, err = proc.communicate("go\n", timeout=60)
    assert proc.returncode == 0 and out == "round 1 ok 4\n", err


def test_a_failed_renewal_never_shows_the_keys_the_service_issued(build_c, hss_c, idemu):
    """The metadata service refuses the renewal with an error quoting the temporary SK and token
    it issued before (issue 20.4): the warning redacts them, since the client holds them."""
    idemu.server.identity.expires_in = 40 * 60 + 2
    proc = renewal_program(build_c, hss_c, {**chain_env(idemu, HUAWEICLOUD_SDK_METADATA_ENDPOINT=idemu.endpoint),
                                            "RENEWAL_THREADS": "1", "HSS_DEBUG": "1"})
    assert proc.stdout.readline() == "first ok\n", proc.stderr.read()
    issued = idemu.server.identity.issued[-1]
    idemu.server.script([{"status": 500, "error_code": "EMU.0500",
                          "error_msg": "upstream refused sk=%s token=%s" % (issued.sk, issued.token)}],
                        "metadata_securitykey", repeat=True)
    time.sleep(3)
    out, err = proc.communicate("go\n", timeout=60)
    assert proc.returncode == 0 and out == "round 1 ok 1\n", err
    assert "renewing credentials failed, using the current ones" in err and "upstream refused sk=***" in err, err
    assert issued.sk not in err and issued.token not in err and issued.token[:40] not in err


@pytest.mark.parametrize("service", ["iam", "sts"])
def test_an_identity_call_never_shows_the_proxy_password(hss_c, idemu, make_proxy, service):
    """A proxy's error page quoting the proxy password, on an identity call (issue 20.8): the
    redactor of every request knows every secret the client holds, the proxy password included."""
    proxy = make_proxy(username="proxy-user", password=PROXY_PASSWORD)
    proxy.error_page = ("<html>access denied for proxy-user:%s</html>" % PROXY_PASSWORD).encode()
    settings = {"HSS_TEST_FROM_ENV": "1", "HSS_TEST_EXPECT_NO_REQUEST_ID": "1", "HSS_TEST_PROXY": proxy.url,
                "HSS_TEST_PROXY_USERNAME": "proxy-user",
                "HSS_TEST_PROXY_PASSWORD": PROXY_PASSWORD, "HSS_TEST_ALLOW_CLEARTEXT_PROXY": "1"}
    if service == "iam":
        settings.update(HUAWEICLOUD_SDK_AK=EMULATOR_AK, HUAWEICLOUD_SDK_SK=EMULATOR_SK,
                        HSS_TEST_IAM_ENDPOINT="http://iam.example.invalid", **expect("HSS_E_HTTP_CLIENT"))
    else:
        settings.update(HUAWEICLOUD_OIDC_PROVIDER_URN=DEFAULT_OIDC["provider_urn"],
                        HUAWEICLOUD_OIDC_AGENCY_URN=DEFAULT_OIDC["agency_urn"], HUAWEICLOUD_OIDC_ID_TOKEN=ID_TOKEN,
                        HUAWEICLOUD_SDK_STS_ENDPOINT="http://sts.example.invalid", **expect("HSS_E_CREDENTIALS"))
    r = hss_c.run("call", chain_env(idemu, **settings)).check()
    assert b"access denied for proxy-user:***" in r.error["message"], r.describe()
    assert PROXY_PASSWORD.encode() not in r.stderr + r.stdout


@pytest.mark.parametrize("variable", ["HUAWEICLOUD_SDK_CREDENTIALS_FILE", "HOME", "HUAWEICLOUD_SDK_REGIONS_FILE"])
def test_control_characters_in_paths_never_reach_a_message(hss_c, idemu, tmp_path, variable):
    """A path from the environment with a line feed, an escape sequence and a C1 control (issue
    20.9): hss_error_message is still one printable line (test_api.c checks every message)."""
    odd = tmp_path / "odd\nINJECTED\x1b[31m\u0085dir"
    odd.mkdir()
    env = chain_env(idemu, **{variable: str(odd / "missing"), **expect("HSS_E_CREDENTIALS", "INJECTED [31m")})
    if variable == "HUAWEICLOUD_SDK_REGIONS_FILE":
        (odd / "regions.yaml").write_text("HSS:\n  - id: cn-north-4\n    endpoint: [unclosed\n")
        env = chain_env(idemu, **{variable: str(odd / "regions.yaml"), REGION_VAR: None,
                                  **expect("HSS_E_INVALID_ARGUMENT", "INJECTED [31m")})
    elif variable == "HOME":
        (odd / "missing").mkdir()
    hss_c.run("call", env).check()


# ----------------------------------------------------------------------------- endpoints

def test_region_variable_fails_over_and_sticks(hss_c, idemu, closed_port):
    """Two endpoints, the first refusing connections: the call succeeds on the second, and the
    client keeps using it (the second call does not try the first again)."""
    env = chain_env(idemu, HUAWEICLOUD_SDK_AK=EMULATOR_AK, HUAWEICLOUD_SDK_SK=EMULATOR_SK,
                    HUAWEICLOUD_SDK_PROJECT_ID="p1", HSS_TEST_CALLS="2", HSS_DEBUG="1",
                    **{REGION_VAR: " http://127.0.0.1:%d , %s " % (closed_port, idemu.endpoint)})
    echoes = len(idemu.echoes)
    r = hss_c.run("call", env).check()
    assert settings(r)["endpoint"] == "%s (environment)" % idemu.endpoint
    assert len(idemu.echoes) == echoes + 2
    # Tried once: the second call went straight to the endpoint that answered.
    assert r.stderr.count(b"libhss: info: endpoint http://127.0.0.1:%d unreachable" % closed_port) == 1


def test_regions_file(hss_c, idemu, tmp_path):
    path = tmp_path / "regions.yaml"
    path.write_text("hss:\n  - id: xx-test-1\n    endpoint: %s\n" % idemu.endpoint)
    env = chain_env(idemu, HUAWEICLOUD_SDK_AK=EMULATOR_AK, HUAWEICLOUD_SDK_SK=EMULATOR_SK,
                    HUAWEICLOUD_SDK_PROJECT_ID="p1", HUAWEICLOUD_SDK_REGION="xx-test-1",
                    HUAWEICLOUD_SDK_REGIONS_FILE=str(path))
    r = hss_c.run("call", env).check()
    s = settings(r)
    assert s["endpoint"] == "%s (regions-file)" % idemu.endpoint and s["region"] == "xx-test-1 (environment)"


@pytest.mark.parametrize("content, message", [
    ("", "is empty"),
    ("hss: [unclosed\n", "regions file"),
    ("hss: 7\n", "regions file"),
])
def test_bad_regions_file_is_a_clear_error(hss_c, idemu, tmp_path, content, message):
    path = tmp_path / "regions.yaml"
    path.write_text(content)
    env = chain_env(idemu, HUAWEICLOUD_SDK_AK=EMULATOR_AK, HUAWEICLOUD_SDK_SK=EMULATOR_SK,
                    HUAWEICLOUD_SDK_PROJECT_ID="p1", HUAWEICLOUD_SDK_REGIONS_FILE=str(path), **{REGION_VAR: None},
                    **expect("HSS_E_INVALID_ARGUMENT", message))
    hss_c.run("call", env).check()


def test_built_in_region_and_inferred_region(hss_c, idemu):
    """The built-in table names the endpoint (no traffic needed to see it); an endpoint of the
    hss.<region>.myhuaweicloud.com form names the region."""
    env = chain_env(idemu, HUAWEICLOUD_SDK_AK=EMULATOR_AK, HUAWEICLOUD_SDK_SK=EMULATOR_SK,
                    HUAWEICLOUD_SDK_PROJECT_ID="p1", **{REGION_VAR: None})
    # hss.cn-north-4.myhuaweicloud.com must not be contacted: the harness's guard would refuse the
    # lookup anyway; ask only for the settings of a client that makes no call.
    env["HSS_TEST_CALLS"] = "0"
    r = hss_c.run("call", env).check()
    assert settings(r)["endpoint"] == "https://hss.cn-north-4.myhuaweicloud.com (built-in)"
    env = chain_env(idemu, HUAWEICLOUD_SDK_AK=EMULATOR_AK, HUAWEICLOUD_SDK_SK=EMULATOR_SK,
                    HUAWEICLOUD_SDK_PROJECT_ID="p1", HUAWEICLOUD_SDK_REGION=None,
                    HUAWEICLOUD_SDK_ENDPOINT="https://hss.ap-southeast-3.myhuaweicloud.com", HSS_TEST_CALLS="0")
    r = hss_c.run("call", env).check()
    assert settings(r)["region"] == "ap-southeast-3 (endpoint)"
