"""The public C API of libhss, exercised by Tests/c/test_api.c against the local emulator.

Each test runs one case of the C program (see the top of test_api.c for the environment it
reads). The C side checks what it can see through hss.h; this side compares with the
emulator's own view (the decoded parameters it received, the X-Request-Id it sent, its
request/connection counters).
"""

import json
import os
import socket
import subprocess
import time
from pathlib import Path

import pytest
import secret_forms
from _hss_testing import hss_api  # the shipped emulator (conftest.py puts it on sys.path)

# The emulator's defaults (bindings/python/_hss_testing).
EMULATOR_AK, EMULATOR_SK = "EMULATORAK", "EMULATORSK"
EMULATOR_TOKEN = "EMULATOR-TOKEN"
IMAGES_DOWNLOAD_URL = hss_api.IMAGES_DOWNLOAD_URL.encode()
SWR_IMAGE_PULL_COMMAND = hss_api.SWR_IMAGE_PULL_COMMAND.encode()


def image_command(registry_addr, namespace, username, password):
    return ("docker login -u %s -p %s %s && docker load -i hss-scanner.tar && docker push %s/%s/hss-scanner"
            % (username, password, registry_addr, registry_addr, namespace)).encode("utf-8")


def request_env(params):
    env = {"HSS_TEST_REGISTRY_ADDR": params["registry_addr"], "HSS_TEST_NAMESPACE": params["namespace"],
           "HSS_TEST_USERNAME": params["username"], "HSS_TEST_PASSWORD": params["password"]}
    if params.get("enterprise_project_id") is not None:
        env["HSS_TEST_EPID"] = params["enterprise_project_id"]
    return env


def tls_env(emu):
    return {"HSS_TEST_ENDPOINT": emu.endpoint, "HSS_TEST_CA_FILE": emu.ca_file}


def expect_env(status, http=None, code=None, msg=None, message=None):
    env = {"HSS_TEST_EXPECT": status}
    if http is not None:
        env["HSS_TEST_EXPECT_HTTP"] = http
    if code is not None:
        env["HSS_TEST_EXPECT_CODE"] = code
    if msg is not None:
        env["HSS_TEST_EXPECT_MSG"] = msg
    if message is not None:
        env["HSS_TEST_EXPECT_MESSAGE"] = message
    return env


def call_ok(hss_c, emu, env):
    """Run a successful call and return (result, the emulator's echo of it)."""
    before = len(emu.echoes)
    r = hss_c.run("call", env).check()
    assert len(emu.echoes) == before + 1, r.describe()
    return r, emu.echoes[-1]


# ----------------------------------------------------------------------------- the case list

OPTION_CASES = [
    "options_null", "out_null", "from_env_out_null", "version_0", "version_2", "from_env_version_0",
    "from_env_version_2",
    "endpoint_ftp", "endpoint_no_scheme", "endpoint_empty", "endpoint_no_host", "endpoint_path",
    "endpoint_query", "endpoint_fragment", "endpoint_user", "endpoint_user_password", "endpoint_crlf",
    "endpoint_lf", "endpoint_cr", "endpoint_space", "endpoint_bad_utf8", "endpoint_too_long",
    "endpoint_port_not_numeric", "endpoint_port_out_of_range", "endpoint_two_ports", "endpoint_port_without_host",
    "endpoint_unbalanced_bracket", "endpoint_bad_ipv6",
    "region_unknown", "region_empty", "region_crlf", "no_region_no_endpoint",
    "iam_endpoint_path", "iam_endpoint_scheme", "proxy_scheme", "proxy_credentials", "proxy_path",
    "proxy_username_crlf", "no_proxy_crlf", "cleartext_proxy", "cleartext_proxy_no_proxy_other",
    "project_id_empty", "project_id_slash", "project_id_dot", "project_id_dotdot",
    "project_id_space", "project_id_percent", "project_id_query", "project_id_non_ascii",
    "project_id_bad_utf8", "project_id_crlf", "project_id_too_long",
    "token_without_aksk", "ak_without_sk", "sk_without_ak", "aksk_and_auth_token", "ak_empty", "ak_crlf",
    "ak_comma", "ak_non_ascii", "ak_too_long", "sk_empty", "sk_too_long", "security_token_crlf",
    "security_token_empty", "auth_token_crlf", "auth_token_empty", "auth_token_too_long",
    "auth_token_with_security_token",
    "connect_timeout_negative", "timeout_negative", "connect_timeout_too_large", "timeout_too_large",
    "ca_file_unreadable", "ca_file_empty", "user_agent_suffix_crlf", "user_agent_suffix_non_ascii",
]
TEXT_SUFFIXES = ["_empty", "_bad_utf8", "_truncated_utf8", "_overlong_utf8", "_surrogate_utf8", "_cr", "_lf",
                 "_crlf_header", "_tab", "_del", "_esc"]
REQUEST_CASES = ["client_null", "request_null", "out_null", "version_0", "version_2"]
for _field in ("registry_addr", "namespace", "username", "password"):
    REQUEST_CASES += ["%s_missing" % _field, "%s_too_long" % _field] + [_field + s for s in TEXT_SUFFIXES]
REQUEST_CASES += ["registry_addr_" + rule for rule in ("scheme", "path", "space", "port", "ipv6")]
REQUEST_CASES += ["enterprise_project_id_too_long"] + ["enterprise_project_id" + s for s in TEXT_SUFFIXES]

VALIDATION_CASES = ["opt:" + n for n in OPTION_CASES] + ["req:" + n for n in REQUEST_CASES]

MISC_CASES = ["free_null", "accessors_null", "status_str", "version", "regions", "init", "init_refused"]
TRAFFIC_CASES = ["call", "keepalive", "threads", "err_null", "v1_structs", "gerror"]


def test_case_list_matches_the_program(hss_c):
    assert sorted(hss_c.list_cases()) == sorted(TRAFFIC_CASES + MISC_CASES + VALIDATION_CASES)


# ----------------------------------------------------------------------------- success

HOSTILE = {
    "plain": {"registry_addr": "myharbor.com:443", "namespace": "library", "username": "admin",
              "password": "s3cret"},
    "api_doc_vector": {"registry_addr": "myharbor.com:443", "namespace": "ns 1~/é", "username": "admin",
                       "password": "p@ss+w/rd=&"},
    "reserved_chars": {"registry_addr": "reg.example.com:5000", "namespace": "a&b=c+d%e/f~g",
                       "username": "u&=+%/~", "password": "%41%%+ &=/~?#"},
    "quotes_spaces": {"registry_addr": "reg.example.com", "namespace": "it's \"quoted\"",
                      "username": " lead & trail ", "password": "a b  c\"'`\\$(x);|<>"},
    "hash_question": {"registry_addr": "host:5000", "namespace": "#?#?", "username": "a=b&c=d",
                      "password": "+ +%20%2B#frag?q=1"},
    "all_printable_ascii": {"registry_addr": "reg.example.com", "namespace": "e\u0301 a\u0308",
                            "username": "x", "password": "".join(chr(c) for c in range(0x20, 0x7F))},
    "unicode": {"registry_addr": "[2001:db8::1]:5000", "namespace": "命名空间", "username": "用户😀",
                "password": "pässwörd €😀 Ünïcødé ñ"},
    "emoji_zwj": {"registry_addr": "реестр.пример:443", "namespace": "Zoë-👩‍👩‍👧",
                  "username": "Ελληνικά", "password": "🔑🗝️ & 密码"},
    "max_ascii": {"registry_addr": "r" * 256, "namespace": "n" * 128, "username": "u" * 128,
                  "password": "%" * 128},
    "max_multibyte": {"registry_addr": "中" * 256, "namespace": "é" * 128, "username": "中" * 128,
                      "password": "🔑" * 128},
}


@pytest.mark.parametrize("scheme", ["http", "https"])
@pytest.mark.parametrize("name", list(HOSTILE))
def test_success_hostile_values(hss_c, http_emulator, https_emulator, scheme, name):
    params = HOSTILE[name]
    emu = http_emulator if scheme == "http" else https_emulator
    env = request_env(params)
    if scheme == "https":
        env.update(tls_env(emu))
    r, echo = call_ok(hss_c, emu, env)
    # What the C API returned, byte for byte...
    assert r.results["image_command"] == image_command(**params)
    assert r.results["images_download_url"] == IMAGES_DOWNLOAD_URL
    assert r.results["swr_image_pull_command"] == SWR_IMAGE_PULL_COMMAND
    # ...and what the emulator decoded from the request.
    for key in ("registry_addr", "namespace", "username", "password"):
        assert echo[key] == params[key], key
    assert echo["project_id"] == hss_c.project_id
    assert echo["enterprise_project_id"] is None
    assert echo["auth"] == "aksk"
    assert echo["security_token"] is False
    assert r.stderr == b""


@pytest.mark.parametrize("epid", ["all_granted_eps", "0", "企业项目 & =/+", "e" * 256])
def test_success_enterprise_project_id(hss_c, http_emulator, epid):
    r, echo = call_ok(hss_c, http_emulator, {"HSS_TEST_EPID": epid})
    assert echo["enterprise_project_id"] == epid


def test_success_project_id_max_length(hss_c, http_emulator):
    project = "p-_9" * 64  # 256 characters
    r, echo = call_ok(hss_c, http_emulator, {"HSS_TEST_PROJECT_ID": project})
    assert echo["project_id"] == project


@pytest.mark.parametrize("scheme", ["http", "https"])
def test_success_security_token(hss_c, http_emulator, https_emulator, scheme):
    emu = http_emulator if scheme == "http" else https_emulator
    env = {"HSS_TEST_SECURITY_TOKEN": "temporary-security-token/+=" + "x" * 2000}
    if scheme == "https":
        env.update(tls_env(emu))
    r, echo = call_ok(hss_c, emu, env)
    assert echo["auth"] == "aksk"
    assert echo["security_token"] is True
    assert "x-security-token" in echo["signed_headers"].split(";")


def test_success_token_auth(hss_c, http_emulator):
    r, echo = call_ok(hss_c, http_emulator, {"HSS_TEST_AK": None, "HSS_TEST_SK": None,
                                             "HSS_TEST_AUTH_TOKEN": EMULATOR_TOKEN})
    assert echo["auth"] == "token"
    assert echo["signed_headers"] is None


def test_success_user_agent(hss_c, http_emulator):
    r, echo = call_ok(hss_c, http_emulator, {"HSS_TEST_USER_AGENT_SUFFIX": "my-tool/2.1 (ci)"})
    assert echo["user_agent"] == "libhss/1.2.0 my-tool/2.1 (ci)"
    r, echo = call_ok(hss_c, http_emulator, {})
    assert echo["user_agent"] == "libhss/1.2.0"


def test_success_headers_sent(hss_c, http_emulator):
    """The headers on the wire: the signed set of the official SDK, and nothing unsigned
    but the Authorization itself (no curl default Accept)."""
    r, echo = call_ok(hss_c, http_emulator, {"HSS_TEST_PROJECT_ID": "emu-echo-headers"})
    names = {n.lower() for n in echo["headers"]}
    assert names == {"content-type", "host", "user-agent", "x-project-id", "x-sdk-date", "authorization"}
    assert echo["signed_headers"] == "content-type;host;user-agent;x-project-id;x-sdk-date"
    assert echo["headers"]["Host"] == "127.0.0.1:%d" % http_emulator.port


def test_success_endpoint_wins_over_region(hss_c, http_emulator):
    """The call goes to the endpoint given (call_ok: the emulator answered it), not to the
    region's; the region is still the one given."""
    r, _ = call_ok(hss_c, http_emulator, {"HSS_TEST_REGION": "cn-north-4", "HSS_TEST_PRINT_SETTINGS": "1"})
    assert r.results["setting.endpoint"] == ("%s (options)" % http_emulator.endpoint).encode()
    assert r.results["setting.region"] == b"cn-north-4 (options)"


def test_success_endpoint_trailing_slash_and_case(hss_c, http_emulator):
    call_ok(hss_c, http_emulator, {"HSS_TEST_ENDPOINT": http_emulator.endpoint + "/"})
    call_ok(hss_c, http_emulator, {"HSS_TEST_ENDPOINT": http_emulator.endpoint.replace("http", "HTTP")})


def test_success_https_localhost(hss_c, https_emulator):
    env = tls_env(https_emulator)
    env["HSS_TEST_ENDPOINT"] = "https://localhost:%d" % https_emulator.port
    call_ok(hss_c, https_emulator, env)


# ----------------------------------------------------------------------------- validation

@pytest.mark.parametrize("case", VALIDATION_CASES)
def test_validation_error(hss_c, http_emulator, case):
    """INVALID_ARGUMENT naming the field, never echoing the value, and nothing sent."""
    before = http_emulator.stats()
    r = hss_c.run(case)
    after = http_emulator.stats()
    r.check()
    assert r.error["status"] == b"1", r.describe()
    assert after["requests"] == before["requests"], "a validation error sent a request"
    assert after["connections"] == before["connections"]


@pytest.mark.parametrize("case", ["req:%s_missing" % f for f in ("registry_addr", "namespace", "username", "password")]
                         + ["req:enterprise_project_id_too_long"])
def test_get_fields_passes_each_argument_as_its_field(hss_c, http_emulator, case):
    """hss_image_upload_command_get_fields: a refused value is named as the request's field it
    stands for (the rules themselves are the grid above, through the request struct)."""
    before = http_emulator.stats()
    r = hss_c.run(case, {"HSS_TEST_INTO": "fields"}).check()
    assert r.error["status"] == b"1", r.describe()
    assert http_emulator.stats()["requests"] == before["requests"]


@pytest.mark.parametrize("case", MISC_CASES)
def test_no_traffic_case(hss_c, http_emulator, case):
    before = http_emulator.stats()
    hss_c.run(case).check()
    assert http_emulator.stats() == before


def test_status_str_texts(hss_c):
    r = hss_c.run("status_str").check()
    assert r.results["HSS_OK"] == b"ok"
    assert r.results["HSS_E_INVALID_ARGUMENT"] == b"invalid argument"
    assert r.results["HSS_E_CREDENTIALS"] == b"no usable credentials or project id"
    assert r.results["HSS_E_DRY_RUN"] == b"dry run: nothing was sent"
    assert r.results["HSS_E_CANCELLED"] == b"cancelled"
    assert len(r.results) == 13


def test_version(hss_c):
    r = hss_c.run("version").check()
    assert r.results["version"] == b"1.2.0 0x010200"


def test_err_null(hss_c, http_emulator):
    before = http_emulator.stats()
    hss_c.run("err_null").check()
    assert http_emulator.stats()["requests"] == before["requests"] + 1  # only the good call


# ----------------------------------------------------------------------------- versioned structs, GError rule

# (Version 0 and HSS_CLIENT_OPTIONS_VERSION + 1 refused by hss_client_new, hss_client_new_from_env
# and hss_image_upload_command_get, nothing sent: the opt:*version_* and req:version_* validation
# cases above. By the _init functions: init_refused, a no-traffic case.)

# Each of these runs twice: plainly in make check (what it returns and sends), and under valgrind
# memcheck in make check-all (what it writes, reads, leaks). make sanitize runs the cases under
# its sanitizers instead (test_sanitize.py's test_valgrind_cases).
UNDER_VALGRIND = [pytest.param(False, id="plain"), pytest.param(True, marks=pytest.mark.valgrind, id="valgrind")]


def run_checked(hss_c, case, valgrind):
    """Run the case, which must pass; under valgrind, without a memory error or a definite leak
    (exit 99)."""
    r = hss_c.run(case, valgrind=valgrind).check()
    if valgrind:
        assert "Memcheck" in r.valgrind_log, "valgrind did not run:\n" + r.describe()
    return r


@pytest.mark.parametrize("valgrind", UNDER_VALGRIND)
def test_init(hss_c, valgrind):
    """The _init functions fill a version-1 struct in a block of exactly that size and no more
    (valgrind would report an invalid write)."""
    run_checked(hss_c, "init", valgrind)


@pytest.mark.parametrize("valgrind", UNDER_VALGRIND)
def test_v1_structs(hss_c, http_emulator, valgrind):
    """Options and a request of version 1, laid out by hand as a program built against the
    1.0.0 header lays them out, work with hss_client_new and as hss_client_new_from_env's
    overrides; under valgrind, a read beyond version 1's fields is an error."""
    before = len(http_emulator.echoes)
    r = run_checked(hss_c, "v1_structs", valgrind)
    assert r.results["image_command"] == image_command("myharbor.com:443", "library", "admin", "s3cret-PW")
    echoes = http_emulator.echoes[before:]
    assert len(echoes) == 2, r.describe()
    for echo in echoes:
        assert (echo["registry_addr"], echo["namespace"], echo["username"], echo["password"]) == \
            ("myharbor.com:443", "library", "admin", "s3cret-PW")
        assert echo["enterprise_project_id"] is None and echo["project_id"] == hss_c.project_id
        assert echo["auth"] == "aksk"


@pytest.mark.parametrize("valgrind", UNDER_VALGRIND)
def test_gerror_rule(hss_c, http_emulator, valgrind):
    """A non-NULL *err on entry: every function with an err parameter returns
    HSS_E_INVALID_ARGUMENT, keeps *err and that error object as they were, sends nothing, and
    (valgrind) neither leaks nor touches freed memory."""
    before = http_emulator.stats()
    r = run_checked(hss_c, "gerror", valgrind)
    assert http_emulator.stats() == before, "a call with a non-NULL *err sent something"
    assert r.error["begin"] == b"first" and r.error["status"] == b"1", r.describe()


# ----------------------------------------------------------------------------- service errors

SERVICE_ERRORS = {
    # id: (project_id (None: the default), extra env, status, http, code, msg substring)
    "403": ("emu-status-403", {}, "HSS_E_HTTP_CLIENT", 403, "APIGW.0302", "not authorized"),
    "429": ("emu-status-429", {}, "HSS_E_HTTP_CLIENT", 429, "APIG.0308", "throttling"),
    "500": ("emu-status-500", {}, "HSS_E_HTTP_SERVER", 500, "HSS.0000", "internal error"),
    "502": ("emu-status-502", {}, "HSS_E_HTTP_SERVER", 502, "APIGW.0202", "Backend unavailable"),
    "504": ("emu-status-504", {}, "HSS_E_HTTP_SERVER", 504, "APIGW.0203", "Backend timeout"),
    "errfmt_camel": ("emu-errfmt-camel", {}, "HSS_E_HTTP_CLIENT", 400, "HSS.1001", "camel error"),
    "errfmt_code": ("emu-errfmt-code", {}, "HSS_E_HTTP_CLIENT", 400, "HSS.1002", "code error"),
    "errfmt_text": ("emu-errfmt-text", {}, "HSS_E_HTTP_SERVER", 503, "", "service unavailable"),
    "401_bad_sk": (None, {"HSS_TEST_SK": "wrong-secret-key"}, "HSS_E_HTTP_CLIENT", 401,
                   "APIGW.0301", "Verify aksk signature fail"),
    "401_unknown_ak": (None, {"HSS_TEST_AK": "UNKNOWNAK"}, "HSS_E_HTTP_CLIENT", 401, "APIGW.0301",
                       "access key not found"),
    "401_wrong_token": (None, {"HSS_TEST_AK": None, "HSS_TEST_SK": None,
                                          "HSS_TEST_AUTH_TOKEN": "not-the-token"},
                        "HSS_E_HTTP_CLIENT", 401, "APIGW.0307", "token"),
}


@pytest.mark.parametrize("name", list(SERVICE_ERRORS))
def test_service_error(hss_c, http_emulator, name):
    project, extra, status, http, code, msg = SERVICE_ERRORS[name]
    env = {**extra, **expect_env(status, http, code, msg)}
    if project is not None:
        env["HSS_TEST_PROJECT_ID"] = project
    r = hss_c.run("call", env).check()
    err = r.error
    sent = http_emulator.records[-1]
    assert sent["status"] == http
    assert err["request_id"] == sent["request_id"].encode(), "hss_error_request_id is not the X-Request-Id"
    assert err["http_status"] == str(http).encode()
    message = err["message"].decode()
    assert str(http) in message and code in message and sent["request_id"] in message


@pytest.mark.parametrize("password", [
    "Pw with space/+&=%é", "pässwörd 😀 ñ", "&=&=&", "password=x&y", "****", "%2B%20+", "x" * 128, "🔑" * 128,
    "zq",  # shorter than the redaction floor: the message is withheld (not hex: request ids are)
], ids=["mixed", "unicode", "separators", "looks_like_query", "stars", "encoded_looking", "max_ascii",
        "max_emoji", "short"])
def test_401_does_not_reveal_password_or_sk(hss_c, http_emulator, password):
    """APIGW.0301 echoes the canonical request, which holds the encoded password."""
    sk = "wrong-secret-key-4711"
    env = {"HSS_TEST_SK": sk, "HSS_TEST_PASSWORD": password, "HSS_TEST_SECURITY_TOKEN": "sts-token-0815",
           **expect_env("HSS_E_HTTP_CLIENT", 401, "APIGW.0301")}
    r = hss_c.run("call", env).check()  # the C side checks every encoding of every secret of >= 4 bytes
    err = r.error
    secrets = [sk, "sts-token-0815"] + ([password] if len(password) >= 4 else [])
    for secret in secrets:
        for form in secret_forms.forms(secret):
            assert form not in r.stderr, form
    if len(password) >= 4:
        assert b"canonicalRequest" in err["msg"]
        assert b"password=***&" in err["msg"]
        assert b"registry_addr=myharbor.com%3A443" in err["msg"], "redaction removed more than the secrets"
    else:
        assert b"password=" + password.encode() not in r.stderr


def test_404_unknown_api(hss_c, stub_server):
    """404 APIGW.0101: the emulator answers it for unknown paths, which the C API cannot
    produce (the path is fixed and project_id is validated), so a stub gateway answers."""
    hits = stub_server.hits
    env = {"HSS_TEST_ENDPOINT": stub_server.endpoint,
           **expect_env("HSS_E_HTTP_CLIENT", 404, "APIGW.0101", "does not exist")}
    r = hss_c.run("call", env).check()
    assert stub_server.hits == hits + 1
    # The X-Request-Id header wins over the body's request_id.
    assert r.error["request_id"] == stub_server.header_request_id.encode()


def test_request_id_from_body_without_header(hss_c, stub_server):
    stub_server.answer_unknown_api(header=False)
    env = {"HSS_TEST_ENDPOINT": stub_server.endpoint,
           **expect_env("HSS_E_HTTP_CLIENT", 404, "APIGW.0101")}
    r = hss_c.run("call", env).check()
    assert r.error["request_id"] == stub_server.body_request_id.encode()


# Error answers a hostile or broken gateway could send: whatever the body holds, no form of the
# password reaches any error string, and the summary stays one line.
HOSTILE_PASSWORD = "Hostile-PW \"/\u00e9\\ 9c4e"
_PAD = "x" * 505
HOSTILE_ERRORS = {
    # The password in the error code, in the request id, and in a message of several lines.
    "secret_in_code": json.dumps({"error_code": "X-" + HOSTILE_PASSWORD, "error_msg": "m"}).encode(),
    "secret_in_request_id": json.dumps({"error_code": "E", "request_id": HOSTILE_PASSWORD + "\n\x1b[2J"}).encode(),
    # A raw (non-JSON) body whose secret straddles the message length limit.
    "secret_across_the_cut": (_PAD + HOSTILE_PASSWORD + "y" * 2000).encode(),
    # A JSON body with a field of an unexpected type, the secret JSON-escaped in another one.
    "non_string_error_msg": ('{"error_msg": 5, "message": "%s", "code": 7}'
                             % json.dumps(HOSTILE_PASSWORD)[1:-1]).encode(),
    "control_characters": json.dumps({"error_code": "E\x07", "error_msg": "a\x1b[31mb\nc"}).encode(),
}


@pytest.mark.parametrize("case", sorted(HOSTILE_ERRORS))
def test_hostile_error_bodies_leak_nothing(hss_c, stub_server, case):
    env = {"HSS_TEST_ENDPOINT": stub_server.endpoint, "HSS_TEST_PASSWORD": HOSTILE_PASSWORD,
           **expect_env("HSS_E_HTTP_CLIENT", 400)}
    if case == "secret_in_request_id":  # no X-Request-Id header, so the body's id is read (and refused)
        stub_server.answer_raw(HOSTILE_ERRORS[case], 400)
        env["HSS_TEST_EXPECT_NO_REQUEST_ID"] = "1"
    else:
        stub_server.answer_raw(HOSTILE_ERRORS[case], 400, stub_server.header_request_id)
    r = hss_c.run("call", env).check()
    output = r.stdout + r.stderr
    for form in secret_forms.forms(HOSTILE_PASSWORD) | {json.dumps(HOSTILE_PASSWORD)[1:-1].encode()}:
        assert form not in output
    assert b"Hostile-PW" not in output and b"9c4e" not in output
    assert b"\n" not in r.error["message"] and b"\x1b" not in r.error["message"]
    assert b"\x1b" not in r.error["msg"] and b"\x07" not in r.error["code"]
    assert all(0x20 < b < 0x7F for b in r.error["request_id"])


# ----------------------------------------------------------------------------- bad responses

BAD_RESPONSES = {
    "nonjson": ("emu-nonjson", 200, "JSON"),
    "missing_field": ("emu-missing-field", 200, "swr_image_pull_command"),
    "nul_field": ("emu-nul-field", 200, "image_command"),
    "huge": ("emu-huge", None, None),
    "redirect": ("emu-redirect", 302, "302"),
}


@pytest.mark.parametrize("name", list(BAD_RESPONSES))
def test_bad_response(hss_c, http_emulator, name):
    project, http, message = BAD_RESPONSES[name]
    before = http_emulator.stats()
    env = {"HSS_TEST_PROJECT_ID": project, **expect_env("HSS_E_BAD_RESPONSE", http, message=message)}
    r = hss_c.run("call", env).check()
    # Exactly one request: a redirect is not followed (its Location is a closed port anyway).
    assert http_emulator.stats()["requests"] == before["requests"] + 1
    if http is not None:
        assert r.error["request_id"] == http_emulator.records[-1]["request_id"].encode()


# ----------------------------------------------------------------------------- TLS, network, timeout

def test_tls_without_ca_file(hss_c, https_emulator):
    env = {"HSS_TEST_ENDPOINT": https_emulator.endpoint, **expect_env("HSS_E_TLS", 0)}
    hss_c.run("call", env).check()


@pytest.fixture(scope="module")
def other_ca(make_ca):
    return make_ca()["ca.pem"]


def test_tls_wrong_ca_file(hss_c, https_emulator, other_ca):
    env = {"HSS_TEST_ENDPOINT": https_emulator.endpoint, "HSS_TEST_CA_FILE": other_ca,
           **expect_env("HSS_E_TLS", 0)}
    hss_c.run("call", env).check()


def test_tls_ca_file_not_pem(hss_c, https_emulator, tmp_path):
    """A ca_file without a PEM certificate is refused when the client is made, not at the call."""
    junk = tmp_path / "junk.pem"
    junk.write_text("this is not a certificate\n")
    sent = len(https_emulator.records)
    env = {"HSS_TEST_ENDPOINT": https_emulator.endpoint, "HSS_TEST_CA_FILE": str(junk),
           **expect_env("HSS_E_INVALID_ARGUMENT", 0, message="ca_file holds no PEM certificate")}
    r = hss_c.run("call", env).check()
    assert r.error["begin"] == b"client", r.describe()
    assert len(https_emulator.records) == sent, "a request was sent"


def test_tls_hostname_mismatch(hss_c, test_ca, make_emulator, tmp_path):
    """A certificate from the trusted CA, but for another name: host verification must refuse it."""
    key, csr, cert = (str(tmp_path / n) for n in ("other.key", "other.csr", "other.pem"))
    (tmp_path / "san.ext").write_text("subjectAltName=DNS:other.invalid\n")
    openssl = lambda *args: subprocess.run(["openssl", *args], check=True, capture_output=True)
    openssl("req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
            "-keyout", key, "-subj", "/CN=other.invalid", "-out", csr)
    openssl("x509", "-req", "-in", csr, "-CA", test_ca["ca.pem"], "-CAkey", test_ca["ca.key"],
            "-CAcreateserial", "-days", "1", "-extfile", str(tmp_path / "san.ext"), "-out", cert)
    emu = make_emulator(ca_file=test_ca["ca.pem"], tls_cert=cert, tls_key=key)
    env = {"HSS_TEST_ENDPOINT": emu.endpoint, "HSS_TEST_CA_FILE": test_ca["ca.pem"], **expect_env("HSS_E_TLS", 0)}
    hss_c.run("call", env).check()
    assert emu.stats()["requests"] == 0


def test_https_to_plain_http_port(hss_c, http_emulator):
    env = {"HSS_TEST_ENDPOINT": "https://127.0.0.1:%d" % http_emulator.port, **expect_env("HSS_E_TLS", 0)}
    hss_c.run("call", env).check()


def test_timeout(hss_c, http_emulator):
    env = {"HSS_TEST_PROJECT_ID": "emu-stall", "HSS_TEST_TIMEOUT_MS": 500, **expect_env("HSS_E_TIMEOUT", 0)}
    r = hss_c.run("call", env, timeout=60).check()
    assert r.elapsed < 15, "the 500 ms timeout took %.1f s" % r.elapsed


def test_connect_timeout(hss_c):
    """A listener whose accept queue is full drops new SYNs, so only connect_timeout_ms can end
    the call: with a 30 s total timeout, returning HSS_E_TIMEOUT quickly proves it is honoured."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(0)
    port = listener.getsockname()[1]
    fillers = []
    try:
        for _ in range(4):
            filler = socket.socket()
            filler.setblocking(False)
            filler.connect_ex(("127.0.0.1", port))
            fillers.append(filler)
        time.sleep(0.2)
        env = {"HSS_TEST_ENDPOINT": "http://127.0.0.1:%d" % port, "HSS_TEST_CONNECT_TIMEOUT_MS": 500,
               "HSS_TEST_TIMEOUT_MS": 30000, **expect_env("HSS_E_TIMEOUT", 0)}
        r = hss_c.run("call", env, timeout=60).check()
        assert r.elapsed < 15, "the 500 ms connect timeout took %.1f s" % r.elapsed
    finally:
        for sock in fillers + [listener]:
            sock.close()


def test_closed_port(hss_c, closed_port):
    env = {"HSS_TEST_ENDPOINT": "http://127.0.0.1:%d" % closed_port, **expect_env("HSS_E_NETWORK", 0)}
    hss_c.run("call", env).check()


def test_unresolvable_host(hss_c):
    env = {"HSS_TEST_ENDPOINT": "http://libhss-test.invalid", "HSS_TEST_TIMEOUT_MS": 20000,
           **expect_env("HSS_E_NETWORK", 0)}
    hss_c.run("call", env, timeout=60).check()


# ----------------------------------------------------------------------------- connections, threads

@pytest.mark.parametrize("scheme", ["http", "https"])
def test_keep_alive(hss_c, http_emulator, https_emulator, scheme):
    emu = http_emulator if scheme == "http" else https_emulator
    env = tls_env(emu) if scheme == "https" else {}
    before = emu.stats()
    hss_c.run("keepalive", {**env, "HSS_TEST_CALLS": 20}).check()
    after = emu.stats()
    assert after["requests"] - before["requests"] == 20
    assert 1 <= after["connections"] - before["connections"] <= 2, (before, after)


def test_threads_share_one_client(hss_c, http_emulator):
    before = http_emulator.stats()
    r = hss_c.run("threads", {"HSS_TEST_THREADS": 8, "HSS_TEST_CALLS": 50}, timeout=300).check()
    after = http_emulator.stats()
    assert r.results["threads_ok"] == b"400"
    assert after["requests"] - before["requests"] == 400
    # One pooled connection per concurrently busy handle at most, and one more for each the emulator
    # closed idle (Tests/test_sanitize.py's 64-thread case says when).
    dropped = after["dropped_idle"] - before["dropped_idle"]
    assert after["connections"] - before["connections"] <= 8 + dropped, (before, after)


def test_threads_each_with_own_client(hss_c, http_emulator):
    """hss_client_new in 8 threads at once, in a fresh process (libcurl's one-time init)."""
    before = http_emulator.stats()
    r = hss_c.run("threads", {"HSS_TEST_THREADS": 8, "HSS_TEST_CALLS": 5, "HSS_TEST_CLIENT_PER_THREAD": 1},
                  timeout=300).check()
    after = http_emulator.stats()
    assert r.results["threads_ok"] == b"40"
    assert after["requests"] - before["requests"] == 40
    assert after["connections"] - before["connections"] == 8, (before, after)


def test_threads_https(hss_c, https_emulator):
    r = hss_c.run("threads", {**tls_env(https_emulator), "HSS_TEST_THREADS": 4, "HSS_TEST_CALLS": 10},
                  timeout=300).check()
    assert r.results["threads_ok"] == b"40"


# ----------------------------------------------------------------------------- hss_client_new_from_env

def env_client(env, overrides=None):
    """Run `call` with hss_client_new_from_env: `env` are the process variables, `overrides`
    the fields of the overrides struct (None: pass NULL)."""
    full = {"HSS_TEST_FROM_ENV": "null" if overrides is None else "1"}
    for k in ("HSS_TEST_ENDPOINT", "HSS_TEST_PROJECT_ID", "HSS_TEST_AK", "HSS_TEST_SK"):
        full[k] = None
    full.update(overrides or {})
    full.update(env)
    return full


SDK_ENV = {"HUAWEICLOUD_SDK_AK": EMULATOR_AK, "HUAWEICLOUD_SDK_SK": EMULATOR_SK,
           "HUAWEICLOUD_SDK_PROJECT_ID": "env-project"}


def test_from_env_huaweicloud_vars(hss_c, http_emulator):
    env = {**SDK_ENV, "HUAWEICLOUD_SDK_ENDPOINT": http_emulator.endpoint}
    r, echo = call_ok(hss_c, http_emulator, env_client(env))
    assert echo["project_id"] == "env-project" and echo["auth"] == "aksk" and not echo["security_token"]


def test_from_env_cloud_sdk_fallback(hss_c, http_emulator):
    env = {"CLOUD_SDK_AK": EMULATOR_AK, "CLOUD_SDK_SK": EMULATOR_SK, "HUAWEICLOUD_SDK_PROJECT_ID": "env-project",
           "HUAWEICLOUD_SDK_ENDPOINT": http_emulator.endpoint}
    r, echo = call_ok(hss_c, http_emulator, env_client(env))
    assert echo["auth"] == "aksk"


def test_from_env_huaweicloud_wins_over_cloud_sdk(hss_c, http_emulator):
    env = {**SDK_ENV, "HUAWEICLOUD_SDK_ENDPOINT": http_emulator.endpoint,
           "CLOUD_SDK_AK": "OTHERAK", "CLOUD_SDK_SK": "other-sk"}
    call_ok(hss_c, http_emulator, env_client(env))


def test_from_env_security_token(hss_c, http_emulator):
    env = {**SDK_ENV, "HUAWEICLOUD_SDK_ENDPOINT": http_emulator.endpoint,
           "HUAWEICLOUD_SDK_SECURITY_TOKEN": "env-sts-token"}
    r, echo = call_ok(hss_c, http_emulator, env_client(env))
    assert echo["security_token"] is True


def test_from_env_auth_token(hss_c, http_emulator):
    env = {"HUAWEICLOUD_SDK_AUTH_TOKEN": EMULATOR_TOKEN, "HUAWEICLOUD_SDK_PROJECT_ID": "env-project",
           "HUAWEICLOUD_SDK_ENDPOINT": http_emulator.endpoint}
    r, echo = call_ok(hss_c, http_emulator, env_client(env))
    assert echo["auth"] == "token"


def test_from_env_auth_token_only_without_aksk(hss_c, http_emulator):
    env = {**SDK_ENV, "HUAWEICLOUD_SDK_AUTH_TOKEN": "ignored-token",
           "HUAWEICLOUD_SDK_ENDPOINT": http_emulator.endpoint}
    r, echo = call_ok(hss_c, http_emulator, env_client(env))
    assert echo["auth"] == "aksk"


def test_from_env_endpoint_wins_over_region(hss_c, http_emulator):
    env = {**SDK_ENV, "HUAWEICLOUD_SDK_REGION": "cn-north-4", "HUAWEICLOUD_SDK_ENDPOINT": http_emulator.endpoint}
    call_ok(hss_c, http_emulator, env_client(env))


def test_from_env_overrides_win(hss_c, http_emulator, closed_port):
    env = {"HUAWEICLOUD_SDK_AK": "ENVAK", "HUAWEICLOUD_SDK_SK": "env-sk-wrong",
           "HUAWEICLOUD_SDK_PROJECT_ID": "env-project",
           "HUAWEICLOUD_SDK_ENDPOINT": "http://127.0.0.1:%d" % closed_port}
    overrides = {"HSS_TEST_ENDPOINT": http_emulator.endpoint, "HSS_TEST_PROJECT_ID": "override-project",
                 "HSS_TEST_AK": EMULATOR_AK, "HSS_TEST_SK": EMULATOR_SK}
    r, echo = call_ok(hss_c, http_emulator, env_client(env, overrides))
    assert echo["project_id"] == "override-project" and echo["auth"] == "aksk"


def test_from_env_override_token_replaces_env_aksk(hss_c, http_emulator):
    env = {**SDK_ENV, "HUAWEICLOUD_SDK_ENDPOINT": http_emulator.endpoint}
    overrides = {"HSS_TEST_AUTH_TOKEN": EMULATOR_TOKEN}
    r, echo = call_ok(hss_c, http_emulator, env_client(env, overrides))
    assert echo["auth"] == "token" and echo["project_id"] == "env-project"


def test_from_env_partial_override_keeps_env(hss_c, http_emulator):
    env = {**SDK_ENV, "HUAWEICLOUD_SDK_ENDPOINT": http_emulator.endpoint}
    overrides = {"HSS_TEST_PROJECT_ID": "override-project", "HSS_TEST_TIMEOUT_MS": 7000}
    r, echo = call_ok(hss_c, http_emulator, env_client(env, overrides))
    assert echo["project_id"] == "override-project" and echo["auth"] == "aksk"


@pytest.mark.parametrize("env, field", [
    ({}, "region"),
    ({**SDK_ENV}, "region"),
    ({**SDK_ENV, "HUAWEICLOUD_SDK_REGION": "xx-nowhere-1"}, "region"),
    ({**SDK_ENV, "HUAWEICLOUD_SDK_ENDPOINT": "ftp://127.0.0.1"}, "endpoint"),
    ({"HUAWEICLOUD_SDK_AK": EMULATOR_AK, "HUAWEICLOUD_SDK_PROJECT_ID": "p",
      "HUAWEICLOUD_SDK_ENDPOINT": "http://127.0.0.1:1"}, "sk"),
], ids=["nothing", "no_endpoint", "unknown_region", "bad_endpoint", "no_sk"])
def test_from_env_invalid(hss_c, http_emulator, env, field):
    before = http_emulator.stats()
    r = hss_c.run("call", {**env_client(env),
                           **expect_env("HSS_E_INVALID_ARGUMENT", 0, message=field)}).check()
    assert http_emulator.stats() == before
    assert r.error["status"] == b"1"


# ----------------------------------------------------------------------------- ca_file: regular files only (issue 9)


CA_FILE_MAX = 4 * 1024 * 1024  # hss.h: a regular file of at most 4 MiB
# Seconds: a ca_file that blocks (a FIFO, forever) must fail the test, never hang the suite. Only a
# hang guard: a call with the 4 MiB bundle takes 0.3 s under TSan, a refusal a few ms.
CA_FILE_DEADLINE = 30


def padded_ca(ca_file, path, size):
    """The CA's PEM followed by comment lines, `size` bytes in all (PEM readers skip text
    outside the BEGIN/END markers, so the bundle stays valid whatever its size)."""
    data = Path(ca_file).read_bytes()
    line = b"# padding " + b"x" * 53 + b"\n"
    data += line * ((size - len(data)) // len(line))
    path.write_bytes(data + b"#" * (size - len(data) - 1) + b"\n")
    assert path.stat().st_size == size
    return path


def run_ca_file(hss_c, emu, ca_file, expect):
    env = {**tls_env(emu), "HSS_TEST_CA_FILE": ca_file, "HSS_TEST_TIMEOUT_MS": 3000, **expect}
    try:
        return hss_c.run("call", env, timeout=CA_FILE_DEADLINE)
    except subprocess.TimeoutExpired:
        pytest.fail("ca_file %s: the program was still blocked after %d s" % (ca_file, CA_FILE_DEADLINE))


def bad_ca_file(kind, ca_file, tmp_path):
    if kind in ("fifo", "symlink_to_fifo"):  # nobody ever opens the writing end
        os.mkfifo(tmp_path / "ca.fifo")
        if kind == "fifo":
            return tmp_path / "ca.fifo"
        (tmp_path / "ca.pem").symlink_to(tmp_path / "ca.fifo")
        return tmp_path / "ca.pem"
    if kind == "directory":
        return tmp_path
    if kind == "over_4mib":
        return padded_ca(ca_file, tmp_path / "big.pem", CA_FILE_MAX + 1)
    return "/dev/" + kind.split("_")[1]  # dev_zero, dev_null


@pytest.mark.parametrize("kind", ["fifo", "symlink_to_fifo", "directory", "dev_zero", "dev_null", "over_4mib"])
def test_ca_file_not_a_small_regular_file(hss_c, https_emulator, tmp_path_factory, kind):
    """Refused at client creation, naming ca_file, without blocking (CA_FILE_DEADLINE); nothing
    sent. (A FIFO used to block the first call in open() forever, beyond timeout_ms.)"""
    tmp_path = tmp_path_factory.mktemp("scratch")  # a path without "ca_file" in it, for the message check
    ca_file = bad_ca_file(kind, https_emulator.ca_file, tmp_path)
    before = https_emulator.stats()
    r = run_ca_file(hss_c, https_emulator, ca_file, expect_env("HSS_E_INVALID_ARGUMENT", 0, message="ca_file"))
    r.check()
    assert r.error["begin"] == b"client", "refused by the call, not by client creation:\n" + r.describe()
    assert https_emulator.stats() == before


@pytest.mark.parametrize("kind", ["regular", "symlink", "exactly_4mib"])
def test_ca_file_regular_file_works(hss_c, https_emulator, tmp_path, kind):
    if kind == "regular":
        ca_file = tmp_path / "ca.pem"
        ca_file.write_bytes(Path(https_emulator.ca_file).read_bytes())
    elif kind == "symlink":  # like the entries of /etc/ssl/certs
        ca_file = tmp_path / "link.pem"
        ca_file.symlink_to(https_emulator.ca_file)
    else:
        ca_file = padded_ca(https_emulator.ca_file, tmp_path / "ca.pem", CA_FILE_MAX)
    before = len(https_emulator.echoes)
    run_ca_file(hss_c, https_emulator, ca_file, {}).check()
    assert len(https_emulator.echoes) == before + 1
