"""Secrets never come back out of libhss.

Every failure path runs with distinctive secrets (registry password, SK, security token, auth
token). The C program prints every field of every error object it receives (message, code,
service message, request id) to stderr; none of that output may contain a secret: raw,
percent-encoded with upper- or lower-case hex, or form-encoded ('+' for space). Each secret
also carries a short marker ("7f3a9"...) that no encoding changes, and the marker must not
appear either, which also catches a partial redaction.

A successful call legitimately returns the password inside image_command (stdout), so for
successes only stderr is checked.
"""

import re
from urllib.parse import quote, quote_plus

import pytest

from test_c_api import VALIDATION_CASES, expect_env

PASSWORD = "Canary-PW-7f3a9 & +/="
SK = "Canary-SK-91b2e"
WRONG_SK = "Canary-SK-wrong-91b2e"
SECURITY_TOKEN = "Canary-ST-c4d8e"
AUTH_TOKEN = "Canary-AT-5e6f1"
WRONG_AUTH_TOKEN = "Canary-AT-wrong-5e6f1"
CANARY_AK = "CANARYAK"
SECRETS = [PASSWORD, SK, WRONG_SK, SECURITY_TOKEN, AUTH_TOKEN, WRONG_AUTH_TOKEN]
MARKERS = ["7f3a9", "91b2e", "c4d8e", "5e6f1"]


def forms(secret: str) -> set:
    out = {secret, quote(secret, safe="-_.~"), quote_plus(secret, safe="-_.~")}
    out |= {re.sub(r"%[0-9A-F]{2}", lambda m: m.group(0).lower(), f) for f in out}
    return {f.encode() for f in out}


def assert_clean(output: bytes, what: str):
    for secret in SECRETS:
        for form in forms(secret):
            assert form not in output, "%s reveals %r" % (what, form)
    for marker in MARKERS:
        assert marker.encode() not in output, "%s reveals the marker %s" % (what, marker)


@pytest.fixture(scope="module")
def canary_emulator(make_emulator):
    """An emulator that accepts the canary SK and auth token as the right ones."""
    return make_emulator(credentials={CANARY_AK: SK}, tokens=[AUTH_TOKEN])


def aksk(emu, **extra):
    env = {"HSS_TEST_ENDPOINT": emu.endpoint, "HSS_TEST_AK": CANARY_AK, "HSS_TEST_SK": SK,
           "HSS_TEST_SECURITY_TOKEN": SECURITY_TOKEN, "HSS_TEST_PASSWORD": PASSWORD}
    env.update(extra)
    return env


def token(emu, **extra):
    env = {"HSS_TEST_ENDPOINT": emu.endpoint, "HSS_TEST_AK": None, "HSS_TEST_SK": None,
           "HSS_TEST_AUTH_TOKEN": AUTH_TOKEN, "HSS_TEST_PASSWORD": PASSWORD}
    env.update(extra)
    return env


def run_failure(hss_c, env):
    r = hss_c.run("call", env, timeout=60)
    r.check()  # the expected failure happened (and the C side found no secret either)
    assert r.errors, "no error was printed:\n" + r.describe()
    assert_clean(r.stdout, "stdout")
    assert_clean(r.stderr, "stderr")
    return r


def test_success_stderr_is_clean(hss_c, canary_emulator):
    r = hss_c.run("call", aksk(canary_emulator)).check()
    assert PASSWORD.encode() in r.results["image_command"]  # the emulator did get the canaries
    assert_clean(r.stderr, "stderr")
    r = hss_c.run("call", token(canary_emulator)).check()
    assert_clean(r.stderr, "stderr")


# (project_id, status, http)
EMULATOR_FAILURES = {
    "403": ("emu-status-403", "HSS_E_HTTP_CLIENT", 403),
    "429": ("emu-status-429", "HSS_E_HTTP_CLIENT", 429),
    "500": ("emu-status-500", "HSS_E_HTTP_SERVER", 500),
    "502": ("emu-status-502", "HSS_E_HTTP_SERVER", 502),
    "504": ("emu-status-504", "HSS_E_HTTP_SERVER", 504),
    "errfmt_camel": ("emu-errfmt-camel", "HSS_E_HTTP_CLIENT", 400),
    "errfmt_code": ("emu-errfmt-code", "HSS_E_HTTP_CLIENT", 400),
    "errfmt_text": ("emu-errfmt-text", "HSS_E_HTTP_SERVER", 503),
    "nonjson": ("emu-nonjson", "HSS_E_BAD_RESPONSE", 200),
    "missing_field": ("emu-missing-field", "HSS_E_BAD_RESPONSE", 200),
    "nul_field": ("emu-nul-field", "HSS_E_BAD_RESPONSE", 200),
    "huge": ("emu-huge", "HSS_E_BAD_RESPONSE", None),
    "redirect": ("emu-redirect", "HSS_E_BAD_RESPONSE", 302),
}


@pytest.mark.parametrize("auth", ["aksk", "token"])
@pytest.mark.parametrize("name", list(EMULATOR_FAILURES))
def test_emulator_failures(hss_c, canary_emulator, name, auth):
    project, status, http = EMULATOR_FAILURES[name]
    make = aksk if auth == "aksk" else token
    run_failure(hss_c, make(canary_emulator, HSS_TEST_PROJECT_ID=project, **expect_env(status, http)))


def test_401_wrong_sk_echoing_canonical_request(hss_c, canary_emulator):
    """The gateway echoes the canonical request: encoded password and the security token."""
    r = run_failure(hss_c, aksk(canary_emulator, HSS_TEST_SK=WRONG_SK,
                                **expect_env("HSS_E_HTTP_CLIENT", 401, "APIGW.0301", "canonicalRequest")))
    assert b"x-security-token:" in r.error["msg"], "the emulator no longer echoes the canonical request"


def test_401_unknown_ak(hss_c, canary_emulator):
    run_failure(hss_c, aksk(canary_emulator, HSS_TEST_AK="OTHERAK", **expect_env("HSS_E_HTTP_CLIENT", 401)))


def test_401_wrong_token(hss_c, canary_emulator):
    run_failure(hss_c, token(canary_emulator, HSS_TEST_AUTH_TOKEN=WRONG_AUTH_TOKEN,
                             **expect_env("HSS_E_HTTP_CLIENT", 401, "APIGW.0307")))


def test_404_stub(hss_c, stub_server, canary_emulator):
    run_failure(hss_c, aksk(canary_emulator, HSS_TEST_ENDPOINT=stub_server.endpoint,
                            **expect_env("HSS_E_HTTP_CLIENT", 404)))


def test_timeout(hss_c, canary_emulator):
    run_failure(hss_c, aksk(canary_emulator, HSS_TEST_PROJECT_ID="emu-stall", HSS_TEST_TIMEOUT_MS=500,
                            **expect_env("HSS_E_TIMEOUT")))


def test_network(hss_c, canary_emulator, closed_port):
    run_failure(hss_c, aksk(canary_emulator, HSS_TEST_ENDPOINT="http://127.0.0.1:%d" % closed_port,
                            **expect_env("HSS_E_NETWORK")))


@pytest.mark.parametrize("auth", ["aksk", "token"])
def test_tls(hss_c, canary_emulator, https_emulator, auth):
    make = aksk if auth == "aksk" else token
    run_failure(hss_c, make(canary_emulator, HSS_TEST_ENDPOINT=https_emulator.endpoint,
                            **expect_env("HSS_E_TLS")))


# Validation errors where the offending value is itself the secret.
INVALID_SECRETS = {
    "password_cr": lambda e: aksk(e, HSS_TEST_PASSWORD=PASSWORD + "\r"),
    "password_lf": lambda e: aksk(e, HSS_TEST_PASSWORD="\n" + PASSWORD),
    "password_tab": lambda e: aksk(e, HSS_TEST_PASSWORD=PASSWORD + "\t"),
    "password_too_long": lambda e: aksk(e, HSS_TEST_PASSWORD=PASSWORD + "x" * 120),
    "sk_too_long": lambda e: aksk(e, HSS_TEST_SK=SK + "S" * 1020),
    "security_token_crlf": lambda e: aksk(e, HSS_TEST_SECURITY_TOKEN=SECURITY_TOKEN + "\r\nX: y"),
    "security_token_space": lambda e: aksk(e, HSS_TEST_SECURITY_TOKEN=SECURITY_TOKEN + " x"),
    "security_token_with_auth_token": lambda e: token(e, HSS_TEST_SECURITY_TOKEN=SECURITY_TOKEN),
    "auth_token_crlf": lambda e: token(e, HSS_TEST_AUTH_TOKEN=AUTH_TOKEN + "\r\n"),
    "auth_token_non_ascii": lambda e: token(e, HSS_TEST_AUTH_TOKEN=AUTH_TOKEN + "é"),
    "auth_token_too_long": lambda e: token(e, HSS_TEST_AUTH_TOKEN=AUTH_TOKEN + "T" * 32768),
    "auth_token_and_aksk": lambda e: aksk(e, HSS_TEST_AUTH_TOKEN=AUTH_TOKEN),
    "endpoint_with_sk_as_userinfo": lambda e: aksk(e, HSS_TEST_ENDPOINT="http://u:%s@127.0.0.1:1" % SK),
}


@pytest.mark.parametrize("name", list(INVALID_SECRETS))
def test_invalid_secret_values(hss_c, canary_emulator, name):
    run_failure(hss_c, {**INVALID_SECRETS[name](canary_emulator), **expect_env("HSS_E_INVALID_ARGUMENT", 0)})


def test_from_env_failures(hss_c, canary_emulator):
    base = {"HSS_TEST_FROM_ENV": "null", "HSS_TEST_ENDPOINT": None, "HSS_TEST_PROJECT_ID": None,
            "HSS_TEST_AK": None, "HSS_TEST_SK": None, "HSS_TEST_PASSWORD": PASSWORD,
            "HUAWEICLOUD_SDK_AK": CANARY_AK, "HUAWEICLOUD_SDK_SK": WRONG_SK,
            "HUAWEICLOUD_SDK_SECURITY_TOKEN": SECURITY_TOKEN, "HUAWEICLOUD_SDK_PROJECT_ID": "p",
            "HUAWEICLOUD_SDK_ENDPOINT": canary_emulator.endpoint}
    run_failure(hss_c, {**base, **expect_env("HSS_E_HTTP_CLIENT", 401, "APIGW.0301")})
    run_failure(hss_c, {**base, "HUAWEICLOUD_SDK_ENDPOINT": "ftp://x", **expect_env("HSS_E_INVALID_ARGUMENT")})
    run_failure(hss_c, {**base, "HUAWEICLOUD_SDK_AK": None, "HUAWEICLOUD_SDK_SK": None,
                        "HUAWEICLOUD_SDK_SECURITY_TOKEN": None, "CLOUD_SDK_AK": CANARY_AK, "CLOUD_SDK_SK": SK,
                        "HUAWEICLOUD_SDK_AUTH_TOKEN": WRONG_AUTH_TOKEN, "HUAWEICLOUD_SDK_PROJECT_ID": "emu-status-500",
                        **expect_env("HSS_E_HTTP_SERVER", 500)})


@pytest.mark.parametrize("case", VALIDATION_CASES)
def test_validation_cases_with_secrets(hss_c, canary_emulator, case):
    """Every validation case of test_api.c, run with canary secrets in the options and request."""
    r = hss_c.run(case, aksk(canary_emulator)).check()
    assert r.errors
    assert_clean(r.stdout, "stdout")
    assert_clean(r.stderr, "stderr")
