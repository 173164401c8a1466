"""Secrets that come back from the wire are redacted in every form (include/hss.h's redaction rule).

The canned-answer server (stub_server) answers error bodies and request ids that hold a secret of
the call (the registry password, the SK, the security token, the auth token: the canaries of
Tests/secret_forms.py, shared with the C and shell tests, like the forms) in each form an
encoder, gateway or proxy may produce: raw; percent-encoded as RFC 3986, WHATWG/Java URLEncoder,
Python quote() and quote_plus() write it, in upper, lower or mixed-case hex; '+' for a space;
JSON string escapes (\\/, \\", \\\\, \\uXXXX with a surrogate pair), alone or mixed with raw
bytes. Each form goes into a JSON object's message and code, a JSON array, a truncated object, a
raw text body, the X-Request-Id header and the body's request_id.

No exception text, attribute or traceback may then show any form of any secret, nor one of its
markers: distinctive substrings at both ends of every secret that no encoding changes, which
also catch a partial redaction. What was redacted shows as "***" (redacted, not dropped); a
request id that is otherwise a valid token comes back with "***" where the secret was.

Every case runs with hss.Client and with hss.AsyncClient (make_client).
"""

import asyncio
import functools
import os
import traceback

import pytest
from hss_testsupport import GOOD
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

import hss

PACKAGE_DIR = os.path.dirname(os.path.abspath(hss.__file__)) + os.sep


def exception_texts(e):
    """Every text an exception can show: str, repr, args, each attribute, the traceback (with
    the locals of the binding's own frames)."""
    yield "str", str(e)
    yield "repr", repr(e)
    yield "args", repr(e.args)
    for name, value in vars(e).items():
        yield "attribute %s" % name, "%s %r" % (value, value)
    yield "traceback", "".join(traceback.format_exception(type(e), e, e.__traceback__))
    te = traceback.TracebackException(type(e), e, e.__traceback__, capture_locals=True)
    for frame in te.stack:
        if frame.filename.startswith(PACKAGE_DIR):
            yield "locals of %s" % frame.name, repr(frame.locals)


def assert_no_secret(e):
    for what, text in exception_texts(e):
        assert_clean(text, what)


@pytest.fixture(params=["Client", "AsyncClient"])
def make_client(request, make_client):
    """Every case twice: with hss.Client and with hss.AsyncClient (libhss's engine)."""
    return make_client if request.param == "Client" else functools.partial(make_client, cls=hss.AsyncClient)


def call_failing(client, password):
    with pytest.raises(hss.ServiceError) as info:
        if isinstance(client, hss.AsyncClient):
            asyncio.run(client.get_image_upload_command(**dict(GOOD, password=password)))
        else:
            client.get_image_upload_command(**dict(GOOD, password=password))
    return info.value


@pytest.fixture
def aksk(make_client, stub_server):
    return make_client(endpoint=stub_server.endpoint, sk=SK, security_token=SECURITY_TOKEN)


@pytest.fixture
def token(make_client, stub_server):
    return make_client(endpoint=stub_server.endpoint, auth_token=AUTH_TOKEN)


def check(e, place, status, expected_request_id):
    """No secret anywhere; "***" where one was."""
    assert_no_secret(e)
    assert e.status_code == status
    if place in BODIES:
        field = BODIES[place][2]
        assert "***" in getattr(e, field), "%s was dropped, not redacted: %r" % (field, getattr(e, field))
    if expected_request_id is not None:
        assert e.request_id == expected_request_id
    else:  # not a valid token once redacted or not: redacted or dropped, nothing else
        assert e.request_id in ("req-***-end", ""), e.request_id


@pytest.mark.parametrize("secret, form, place", cases(["password", "sk", "security_token"]))
def test_aksk_secrets_redacted(aksk, stub_server, secret, form, place):
    status, request_id = serve(stub_server, place, ENCODINGS[form](SECRET_VALUES[secret]))
    check(call_failing(aksk, PASSWORD), place, status, request_id)


@pytest.mark.parametrize("secret, form, place", cases(["password", "auth_token"]))
def test_token_secrets_redacted(token, stub_server, secret, form, place):
    status, request_id = serve(stub_server, place, ENCODINGS[form](SECRET_VALUES[secret]))
    check(call_failing(token, PASSWORD), place, status, request_id)


@pytest.mark.parametrize("place", NESTED_PLACES)
@pytest.mark.parametrize("form", NESTED_ENCODINGS)
def test_password_containing_the_sk(aksk, stub_server, form, place):
    status, request_id = serve(stub_server, place, ENCODINGS[form](PASSWORD_WITH_SK))
    check(call_failing(aksk, PASSWORD_WITH_SK), place, status, request_id)


@pytest.mark.parametrize("place", NESTED_PLACES)
@pytest.mark.parametrize("form", NESTED_ENCODINGS)
def test_auth_token_containing_the_password(make_client, stub_server, form, place):
    client = make_client(endpoint=stub_server.endpoint, auth_token=TOKEN_WITH_PASSWORD)
    status, request_id = serve(stub_server, place, ENCODINGS[form](TOKEN_WITH_PASSWORD))
    check(call_failing(client, PASSWORD_IN_TOKEN), place, status, request_id)


def test_every_secret_and_form_at_once(aksk, stub_server):
    """All forms of the call's secrets in one raw body and one header: no fragment survives."""
    texts = [ENCODINGS[form](SECRET_VALUES[name]) for name, form in
             distinct_forms(["password", "sk", "security_token"])]
    stub_server.answer_raw(("upstream: " + " | ".join(texts)).encode(), 502,
                           "req-%s-end" % ENCODINGS["rfc3986"](SECURITY_TOKEN))
    check(call_failing(aksk, PASSWORD), "text", 502, "req-***-end")
