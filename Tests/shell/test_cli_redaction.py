"""hss-image-upload-command never prints a secret that came back from the wire, in any form
(include/hss.h's redaction rule).

The canned-answer server (stub_server) answers error bodies and request ids that hold a secret of
the call (the registry password from --password-stdin, the SK, the security token, the auth token:
the canaries of Tests/secret_forms.py, shared with the C and Python tests, like the forms) in each
form an encoder, gateway or proxy may produce: raw; percent-encoded as RFC 3986,
WHATWG/Java URLEncoder, Python quote() and quote_plus() write it, in upper, lower or mixed-case
hex; '+' for a space; JSON string escapes (\\/, \\", \\\\, \\uXXXX with a surrogate pair), alone or
mixed with raw bytes. Each form goes into a JSON object's message and code, a JSON array, a
truncated object, a raw text body, the X-Request-Id header and the body's request_id.

Neither stdout nor stderr may then show any form of any secret, nor one of its markers
(distinctive substrings at both ends of every secret that no encoding changes, which also catch
a partial redaction). What was redacted shows as "***"; a request id that is otherwise a valid
token is printed with "***" where the secret was. The same cases run against the Python binding
in Tests/python/test_py_redaction.py.
"""

from __future__ import annotations

import pytest
from secret_forms import (
    AUTH_TOKEN,
    BODIES,
    ENCODINGS,
    NESTED_ENCODINGS,
    NESTED_PLACES,
    PASSWORD,
    PASSWORD_IN_TOKEN,
    PASSWORD_WITH_SK,
    SECRET_VALUES,
    SECURITY_TOKEN,
    SK,
    TOKEN_WITH_PASSWORD,
    assert_clean,
    cases,
    distinct_forms,
    serve,
)

PREFIX = b"hss-image-upload-command: "
EXIT_STATUS = {400: 3, 502: 75}  # HTTP status -> the command's (see its man page)


def run(cli, stub_server, password, env):
    args = ["--registry-addr", "harbor.example.com:443", "--namespace", "library", "--username", "admin",
            "--password-stdin", "--endpoint", stub_server.endpoint]
    return cli.run(args, stdin=password.encode() + b"\n", env=env)


AKSK = {"HUAWEICLOUD_SDK_SK": SK, "HUAWEICLOUD_SDK_SECURITY_TOKEN": SECURITY_TOKEN}
TOKEN = {"HUAWEICLOUD_SDK_AK": None, "HUAWEICLOUD_SDK_SK": None, "HUAWEICLOUD_SDK_AUTH_TOKEN": AUTH_TOKEN}


def check(proc, place, status, expected_request_id):
    """The expected exit status, one line on stderr, no secret anywhere; "***" where one was."""
    out, err = proc.stdout, proc.stderr
    assert proc.returncode == EXIT_STATUS[status], err
    assert out == b""
    assert err.startswith(PREFIX) and err.endswith(b"\n") and err.count(b"\n") == 1, err
    assert_clean(out, "stdout")
    assert_clean(err, "stderr")
    if place in BODIES:
        assert b"***" in err, "dropped, not redacted: %r" % err
    if expected_request_id is not None:
        assert b"request id %s)" % expected_request_id.encode() in err, err
    else:  # not a valid token once redacted or not: redacted or dropped, nothing else
        assert b"request id req-***-end)" in err or b"request id" not in err, err


@pytest.mark.parametrize("secret, form, place", cases(["password", "sk", "security_token"]))
def test_aksk_secrets_redacted(cli, stub_server, secret, form, place):
    status, request_id = serve(stub_server, place, ENCODINGS[form](SECRET_VALUES[secret]))
    check(run(cli, stub_server, PASSWORD, AKSK), place, status, request_id)


@pytest.mark.parametrize("secret, form, place", cases(["password", "auth_token"]))
def test_token_secrets_redacted(cli, stub_server, secret, form, place):
    status, request_id = serve(stub_server, place, ENCODINGS[form](SECRET_VALUES[secret]))
    check(run(cli, stub_server, PASSWORD, TOKEN), place, status, request_id)


@pytest.mark.parametrize("place", NESTED_PLACES)
@pytest.mark.parametrize("form", NESTED_ENCODINGS)
def test_password_containing_the_sk(cli, stub_server, form, place):
    status, request_id = serve(stub_server, place, ENCODINGS[form](PASSWORD_WITH_SK))
    check(run(cli, stub_server, PASSWORD_WITH_SK, AKSK), place, status, request_id)


@pytest.mark.parametrize("place", NESTED_PLACES)
@pytest.mark.parametrize("form", NESTED_ENCODINGS)
def test_auth_token_containing_the_password(cli, stub_server, form, place):
    status, request_id = serve(stub_server, place, ENCODINGS[form](TOKEN_WITH_PASSWORD))
    check(run(cli, stub_server, PASSWORD_IN_TOKEN, dict(TOKEN, HUAWEICLOUD_SDK_AUTH_TOKEN=TOKEN_WITH_PASSWORD)),
          place, status, request_id)


def test_every_secret_and_form_at_once(cli, stub_server):
    """All forms of the call's secrets in one raw body and one header: no fragment survives."""
    texts = [ENCODINGS[form](SECRET_VALUES[name]) for name, form in
             distinct_forms(["password", "sk", "security_token"])]
    stub_server.answer_raw(("upstream: " + " | ".join(texts)).encode(), 502,
                           "req-%s-end" % ENCODINGS["rfc3986"](SECURITY_TOKEN))
    check(run(cli, stub_server, PASSWORD, AKSK), "text", 502, "req-***-end")
