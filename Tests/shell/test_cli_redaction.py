"""hss-image-upload-command never prints a secret that came back from the wire (include/hss.h's
redaction rule).

The grid of every secret in every form and every kind of body is the C API's
(Tests/test_canary.py); the rule itself is Tests/HSSTests/RedactorTests.swift's. Here, one case
per place a secret can come back through the command (secret_forms.one_case_per_place(): the
error message, the code, a body shown raw, the request id from the header or the body, with the
registry password from --password-stdin, the SK, the security token and the auth token taking
turns, each in another form), then every form of every secret at once, and the --verbose trace.

Neither stdout nor stderr may show any form of any secret, nor one of its markers (distinctive
substrings at both ends of every secret that no encoding changes, which also catch a partial
redaction). What was redacted shows as "***"; a request id that is otherwise a valid token is
printed with "***" where the secret was.
"""

from __future__ import annotations

import pytest
from secret_forms import (
    AUTH_TOKEN,
    BODIES,
    ENCODINGS,
    PASSWORD,
    SECRET_VALUES,
    SECURITY_TOKEN,
    SK,
    assert_clean,
    distinct_forms,
    one_case_per_place,
    serve,
)

PREFIX = b"hss-image-upload-command: "
EXIT_STATUS = {400: 3, 502: 75}  # HTTP status -> the command's (see its man page)
AKSK = {"HUAWEICLOUD_SDK_SK": SK, "HUAWEICLOUD_SDK_SECURITY_TOKEN": SECURITY_TOKEN}
TOKEN = {"HUAWEICLOUD_SDK_AK": None, "HUAWEICLOUD_SDK_SK": None, "HUAWEICLOUD_SDK_AUTH_TOKEN": AUTH_TOKEN}


def run(cli, stub_server, secret="sk", extra=()):
    """The command against the stub server, holding the named secret (the auth token needs token
    auth), the password from --password-stdin."""
    args = ["--registry-addr", "harbor.example.com:443", "--namespace", "library", "--username", "admin",
            "--password-stdin", "--endpoint", stub_server.endpoint, *extra]
    proc = cli.run(args, stdin=PASSWORD.encode() + b"\n", env=TOKEN if secret == "auth_token" else AKSK)
    assert_clean(proc.stdout, "stdout")
    assert_clean(proc.stderr, "stderr")
    return proc


def check(proc, status, expected_request_id):
    """The expected exit status, nothing on stdout, and the error as one line on stderr, with the
    request id that must come back."""
    assert proc.returncode == EXIT_STATUS[status], proc.stderr
    assert proc.stdout == b""
    err = proc.stderr
    assert err.startswith(PREFIX) and err.endswith(b"\n") and err.count(b"\n") == 1, err
    if expected_request_id is not None:
        assert b"request id %s)" % expected_request_id.encode() in err, err
    else:  # not a valid token once redacted or not: redacted or dropped, nothing else
        assert b"request id req-***-end)" in err or b"request id" not in err, err
    return err


@pytest.mark.parametrize("place, secret, form", one_case_per_place())
def test_each_place_is_redacted(cli, stub_server, place, secret, form):
    status, request_id = serve(stub_server, place, ENCODINGS[form](SECRET_VALUES[secret]))
    err = check(run(cli, stub_server, secret), status, request_id)
    if place in BODIES:
        assert b"***" in err, "dropped, not redacted: %r" % err


def test_every_secret_and_form_at_once(cli, stub_server):
    """All forms of the call's secrets in one raw body and one header: no fragment survives."""
    texts = [ENCODINGS[form](SECRET_VALUES[name]) for name, form in
             distinct_forms(["password", "sk", "security_token"])]
    stub_server.answer_raw(("upstream: " + " | ".join(texts)).encode(), 502,
                           "req-%s-end" % ENCODINGS["rfc3986"](SECURITY_TOKEN))
    assert b"***" in check(run(cli, stub_server), 502, "req-***-end")


def test_verbose_trace_is_redacted(cli, stub_server):
    """--verbose: the library's debug trace on stderr (the canonical request, the headers, the
    answer's status and request id), then the error line; no line shows a secret."""
    stub_server.answer_raw(ENCODINGS["json"](PASSWORD).encode(), 400, "req-%s-end" % ENCODINGS["rfc3986"](SK))
    proc = run(cli, stub_server, extra=["--verbose"])
    assert proc.returncode == 3 and proc.stdout == b""
    assert PREFIX + b"debug: canonical request: " in proc.stderr, proc.stderr
    assert PREFIX + b"debug: < HTTP 400" in proc.stderr, proc.stderr
