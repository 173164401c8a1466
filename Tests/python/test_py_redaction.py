"""What the binding shows of an error keeps the library's redaction (include/hss.h's rule).

The grid of every secret in every form and every kind of body is the C API's
(Tests/test_canary.py); the rule itself is Tests/HSSTests/RedactorTests.swift's. Here, one case
per place a secret can come back through the binding (secret_forms.one_case_per_place(): the
error message, the code, a body shown raw, the request id from the header or the body, with the
secrets of a call taking turns, each in another form), then every form of every secret at once,
and the "hss" logger's records of a traced call.

No exception text, attribute, pickle, traceback (with the locals of the binding's own frames)
or log record may show any form of any secret, nor one of its markers: distinctive substrings at
both ends of every secret that no encoding changes, which also catch a partial redaction. What
was redacted shows as "***" (redacted, not dropped); a request id that is otherwise a valid token
comes back with "***" where the secret was.

Every case runs with hss.Client and with hss.AsyncClient (make_client).
"""

import asyncio
import functools
import logging
import os
import pickle
import traceback

import pytest
from hss_testsupport import GOOD
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

import hss

PACKAGE_DIR = os.path.dirname(os.path.abspath(hss.__file__)) + os.sep


def exception_texts(e):
    """Every text an exception can show: str, repr, args, each attribute, its pickle, the
    traceback (with the locals of the binding's own frames)."""
    yield "str", str(e)
    yield "repr", repr(e)
    yield "args", repr(e.args)
    for name, value in vars(e).items():
        yield "attribute %s" % name, "%s %r" % (value, value)
    yield "pickle", pickle.dumps(e)
    yield "traceback", "".join(traceback.format_exception(type(e), e, e.__traceback__))
    te = traceback.TracebackException(type(e), e, e.__traceback__, capture_locals=True)
    for frame in te.stack:
        if frame.filename.startswith(PACKAGE_DIR):
            yield "locals of %s" % frame.name, repr(frame.locals)


@pytest.fixture(params=["Client", "AsyncClient"])
def make_client(request, make_client):
    """Every case twice: with hss.Client and with hss.AsyncClient (libhss's engine)."""
    return make_client if request.param == "Client" else functools.partial(make_client, cls=hss.AsyncClient)


def call_failing(client, password=PASSWORD):
    with pytest.raises(hss.ServiceError) as info:
        if isinstance(client, hss.AsyncClient):
            asyncio.run(client.get_image_upload_command(**dict(GOOD, password=password)))
        else:
            client.get_image_upload_command(**dict(GOOD, password=password))
    for what, text in exception_texts(info.value):
        assert_clean(text, what)
    return info.value


@pytest.fixture
def clients(make_client, stub_server):
    """secret name -> a client of the stub server that holds it (the auth token needs token auth)."""
    aksk = make_client(endpoint=stub_server.endpoint, sk=SK, security_token=SECURITY_TOKEN)
    token = make_client(endpoint=stub_server.endpoint, auth_token=AUTH_TOKEN)
    return {"password": aksk, "sk": aksk, "security_token": aksk, "auth_token": token}


@pytest.mark.parametrize("place, secret, form", one_case_per_place())
def test_each_place_is_redacted(clients, stub_server, place, secret, form):
    status, request_id = serve(stub_server, place, ENCODINGS[form](SECRET_VALUES[secret]))
    e = call_failing(clients[secret])
    assert e.status_code == status
    if place in BODIES:
        field = BODIES[place][2]
        assert "***" in getattr(e, field), "%s was dropped, not redacted: %r" % (field, getattr(e, field))
    if request_id is not None:
        assert e.request_id == request_id
    else:  # not a valid token once redacted or not: redacted or dropped, nothing else
        assert e.request_id in ("req-***-end", ""), e.request_id


def test_every_secret_and_form_at_once(clients, stub_server):
    """All forms of the call's secrets in one raw body and one header: no fragment survives."""
    texts = [ENCODINGS[form](SECRET_VALUES[name]) for name, form in
             distinct_forms(["password", "sk", "security_token"])]
    stub_server.answer_raw(("upstream: " + " | ".join(texts)).encode(), 502,
                           "req-%s-end" % ENCODINGS["rfc3986"](SECURITY_TOKEN))
    e = call_failing(clients["sk"])
    assert e.status_code == 502 and "***" in e.error_msg and e.request_id == "req-***-end"


def test_log_records_are_redacted(make_client, stub_server, caplog):
    """The library's trace, bridged to the "hss" logger at DEBUG when the client is made (the
    canonical request, the headers, the answer's status and request id): no record shows a secret."""
    caplog.set_level(logging.DEBUG, logger="hss")
    client = make_client(endpoint=stub_server.endpoint, sk=SK, security_token=SECURITY_TOKEN)
    stub_server.answer_raw(ENCODINGS["json"](PASSWORD).encode(), 400, "req-%s-end" % ENCODINGS["rfc3986"](SK))
    call_failing(client)
    records = [r.getMessage() for r in caplog.records if r.name == "hss"]
    assert any(line.startswith("canonical request: ") for line in records), records
    assert any(line.startswith("< HTTP 400") for line in records), records
    for line in records:
        assert_clean(line, "a log record")
