"""Secrets never come back out of libhss.

Every failure path runs with distinctive secrets (registry password, SK, security token, auth
token: Tests/secret_forms.py, shared with the Python and shell tests). The C program prints
every field of every error object it receives (message, code, service message, request id) to
stderr; none of that output may contain a secret in any form of hss.h's redaction rule (raw,
percent-encoded as the usual encoders write it with upper-, lower- or mixed-case hex, '+' for
space, JSON string escapes, and any two of these nested), nor one of the markers at both ends of every secret, which no
encoding changes and which also catch a partial redaction.

A successful call legitimately returns the password inside image_command (stdout), so for
successes only stderr is checked.

Every run traces at the debug level (HSS_DEBUG=1: the canonical request, the string to sign, the
headers, each retry and clock decision, on stderr), so the trace is held to the same rule.

Every test runs twice: with the blocking call and with the one that does not block (call_form).
"""

import json
from types import SimpleNamespace

import pytest
from secret_forms import (
    AUTH_TOKEN,
    ENCODINGS,
    NESTED_ENCODINGS,
    OVERLAP,
    OVERLAP_PASSWORD,
    OVERLAP_SK,
    PASSWORD,
    PASSWORD_WITH_SK,
    SECRET_VALUES,
    SECURITY_TOKEN,
    SECURITY_TOKEN_WITH_PASSWORD_FORM,
    SK,
    SK_WITH_PASSWORD,
    TWO_LAYER_KINDS,
    TWO_LAYERS,
    VECTORS,
    WRONG_AUTH_TOKEN,
    WRONG_SK,
    assert_clean,
    distinct_forms,
    is_token,
    serve,
    vectors,
)
from test_c_api import VALIDATION_CASES, expect_env

CANARY_AK = "CANARYAK"


@pytest.fixture(autouse=True, params=["get", "start"])
def call_form(request, hss_c):
    """Every case twice: through hss_image_upload_command_get, and through
    hss_image_upload_command_start (the engine's path: Tests/c/test_api.c's HSS_TEST_ASYNC)."""
    hss_c.extra_env = {"HSS_TEST_ASYNC": "1"} if request.param == "start" else {}
    yield request.param
    hss_c.extra_env = {}


@pytest.fixture(scope="module")
def canary_emulator(make_emulator):
    """An emulator that accepts the canary SK and auth token as the right ones."""
    return make_emulator(credentials={CANARY_AK: SK}, tokens=[AUTH_TOKEN])


def aksk(emu, **extra):
    env = {"HSS_TEST_ENDPOINT": emu.endpoint, "HSS_TEST_AK": CANARY_AK, "HSS_TEST_SK": SK,
           "HSS_TEST_SECURITY_TOKEN": SECURITY_TOKEN, "HSS_TEST_PASSWORD": PASSWORD, "HSS_DEBUG": "1"}
    env.update(extra)
    return env


def token(emu, **extra):
    env = {"HSS_TEST_ENDPOINT": emu.endpoint, "HSS_TEST_AK": None, "HSS_TEST_SK": None,
           "HSS_TEST_AUTH_TOKEN": AUTH_TOKEN, "HSS_TEST_PASSWORD": PASSWORD, "HSS_DEBUG": "1"}
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
    assert b"libhss: debug: canonical request: " in r.stderr  # the trace ran
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
    # percent-encoded, as a URL carries it
    "endpoint_with_sk_as_userinfo": lambda e: aksk(e, HSS_TEST_ENDPOINT="http://u:%s@127.0.0.1:1"
                                                   % ENCODINGS["rfc3986"](SK)),
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


# ----------------------------------------------------------------------------- secrets in error answers

def stub_env(stub_server, secret_name="password", **extra):
    """A client of the stub server that holds the named secret (the auth token needs token auth)."""
    make = token if secret_name == "auth_token" else aksk
    return make(SimpleNamespace(endpoint=stub_server.endpoint), **extra)


def json_inner(text: str) -> str:
    """text inside a JSON string: as is where that is valid JSON (an escaped form), else escaped."""
    try:
        json.loads('"%s"' % text)
        return text
    except ValueError:
        return json.dumps(text, ensure_ascii=False)[1:-1]


# Where a gateway puts the text: name -> (the body around it, the error field that shows it, what
# that field must hold). A body that is not a flat JSON object is shown raw, in
# hss_error_service_message.
CONTAINERS = {
    "json_array": (lambda t: '[{"error_code": "APIGW.0101", "error_msg": "before %s after"}]' % json_inner(t),
                   "msg", b"before *** after"),
    "json_truncated": (lambda t: '{"error_code": "APIGW.0101", "error_msg": "before %s after' % json_inner(t),
                       "msg", b"before *** after"),
    "raw_text": (lambda t: "before %s after" % t, "msg", b"before *** after"),
    "flat_error_msg": (lambda t: '{"error_code": "APIGW.0101", "error_msg": "before %s after"}' % json_inner(t),
                       "msg", b"before *** after"),
    "flat_error_code": (lambda t: '{"error_code": "E.%s", "error_msg": "m"}' % json_inner(t), "code", b"E.***"),
}


def stub_failure(hss_c, stub_server, env, body: str, request_id=None):
    """A 400 with this body (and X-Request-Id, default the stub's 32 hex digits), checked clean."""
    stub_server.answer_raw(body.encode(), 400, request_id or stub_server.header_request_id)
    return run_failure(hss_c, {**env, **expect_env("HSS_E_HTTP_CLIENT", 400)})


@pytest.mark.parametrize("container", list(CONTAINERS))
@pytest.mark.parametrize("secret,encoding", distinct_forms())
def test_secret_in_error_body(hss_c, stub_server, secret, encoding, container):
    """Each secret, in each form, in each kind of error body, is starred, and only it."""
    make_body, field_name, expected = CONTAINERS[container]
    r = stub_failure(hss_c, stub_server, stub_env(stub_server, secret),
                     make_body(ENCODINGS[encoding](SECRET_VALUES[secret])))
    if field_name == "code":
        assert r.error["code"] == expected
    else:
        assert expected in r.error[field_name]


@pytest.mark.parametrize("container", ["raw_text", "json_array", "flat_error_msg"])
@pytest.mark.parametrize("encoding", TWO_LAYER_KINDS)
def test_two_layer_form_in_error_body(hss_c, stub_server, encoding, container):
    """The password in one form of each kind of two nested layers (the full grid is
    Tests/HSSTests/RedactorTests.swift's) is starred, and only it."""
    form = TWO_LAYERS[encoding](PASSWORD)
    json.loads('"%s"' % form)  # valid in a JSON string as it is: json_inner adds no third layer
    make_body, field_name, expected = CONTAINERS[container]
    r = stub_failure(hss_c, stub_server, stub_env(stub_server), make_body(form))
    assert expected in r.error[field_name]


def test_vectors_are_the_table():
    """The forms RedactorTests.swift and the redactor fuzz target read are secret_forms.py's."""
    assert VECTORS.read_text() == vectors(), "out of date: run python3 Tests/secret_forms.py"


# One secret containing, or overlapping, another: the matches merge, no fragment survives
# (run_failure finds no marker).
NESTED = {
    "password_contains_sk": {"HSS_TEST_PASSWORD": PASSWORD_WITH_SK},
    "sk_contains_password": {"HSS_TEST_SK": SK_WITH_PASSWORD},
    "security_token_contains_password_form": {"HSS_TEST_SECURITY_TOKEN": SECURITY_TOKEN_WITH_PASSWORD_FORM},
}


@pytest.mark.parametrize("encoding", NESTED_ENCODINGS)
@pytest.mark.parametrize("name", list(NESTED) + ["overlap"])
def test_nested_secrets(hss_c, stub_server, name, encoding):
    if name == "overlap":  # the text holds the password's start, the shared middle, the SK's end
        env = stub_env(stub_server, HSS_TEST_PASSWORD=OVERLAP_PASSWORD, HSS_TEST_SK=OVERLAP_SK)
        text = OVERLAP_PASSWORD + OVERLAP_SK[len(OVERLAP):]
    else:
        env = stub_env(stub_server, **NESTED[name])
        text = next(iter(NESTED[name].values()))  # the longer secret
    r = stub_failure(hss_c, stub_server, env, "before %s after" % ENCODINGS[encoding](text))
    assert b"before *** after" in r.error["msg"]


# ----------------------------------------------------------------------------- secrets in request ids

@pytest.mark.parametrize("place", ["header-request-id", "body-request-id"])
@pytest.mark.parametrize("secret,encoding", [(s, e) for s, e in distinct_forms()
                                             if is_token("req-%s-end" % ENCODINGS[e](SECRET_VALUES[s]))])
def test_secret_in_request_id(hss_c, stub_server, secret, encoding, place):
    """X-Request-Id or the body's request_id (read only when there is no X-Request-Id) holding
    a secret comes back with *** in its place; test_api.c checks it too."""
    status, request_id = serve(stub_server, place, ENCODINGS[encoding](SECRET_VALUES[secret]))
    r = run_failure(hss_c, {**stub_env(stub_server, secret), **expect_env("HSS_E_HTTP_CLIENT", status),
                            "HSS_TEST_EXPECT_REQUEST_ID": request_id})
    assert r.error["request_id"] == b"req-***-end"
    assert b"(request id req-***-end)" in r.error["message"]


def test_secret_in_request_id_of_a_bad_response(hss_c, stub_server):
    """A 2xx answer the library cannot use still reports X-Request-Id: redacted too."""
    stub_server.answer_raw(b"not json", 200, "req-%s-end" % ENCODINGS["rfc3986"](SK))  # a token
    r = run_failure(hss_c, {**stub_env(stub_server, "sk"), **expect_env("HSS_E_BAD_RESPONSE", 200),
                            "HSS_TEST_EXPECT_REQUEST_ID": "req-***-end"})
    assert r.error["request_id"] == b"req-***-end"
