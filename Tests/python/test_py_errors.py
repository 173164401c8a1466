"""Every exception class, with its fields, provoked against the emulator."""

import pickle
import re
import time

import pytest
from hss_testsupport import AK, GOOD, SK, TOKEN, header_statuses

import hss
from hss import errors

REQUEST_ID = re.compile(r"^[0-9a-f]{32}$")


def _fail(client, **params):
    with pytest.raises(hss.HSSError) as info:
        client.get_image_upload_command(**dict(GOOD, **params))
    return info.value


def test_every_c_status_has_a_class():
    statuses = header_statuses()
    assert {s.name for s in hss.Status} == {n[len("HSS_E_"):] if n != "HSS_OK" else "OK" for n in statuses}
    assert {s.value for s in hss.Status} == set(statuses.values())
    expected = {
        "HSS_E_INVALID_ARGUMENT": hss.InvalidArgumentError,
        "HSS_E_OUT_OF_MEMORY": hss.OutOfMemoryError,
        "HSS_E_NETWORK": hss.NetworkError,
        "HSS_E_TLS": hss.TLSError,
        "HSS_E_TIMEOUT": hss.RequestTimeoutError,
        "HSS_E_HTTP_CLIENT": hss.ClientRequestError,
        "HSS_E_HTTP_SERVER": hss.ServerResponseError,
        "HSS_E_BAD_RESPONSE": hss.BadResponseError,
        "HSS_E_INTERNAL": hss.InternalError,
        "HSS_E_CREDENTIALS": hss.CredentialsError,
        "HSS_E_DRY_RUN": hss.DryRunError,
        "HSS_E_CANCELLED": hss.CancelledError,
    }
    for name, value in statuses.items():
        if name == "HSS_OK":
            continue
        assert errors.error_class_for(value) is expected[name], name
    assert errors.error_class_for(99) is hss.HSSError  # a status newer than the binding


def test_hierarchy_matches_builtins():
    for cls in (hss.InvalidArgumentError, hss.OutOfMemoryError, hss.NetworkError, hss.TLSError,
                hss.RequestTimeoutError, hss.ServiceError, hss.ClientRequestError, hss.ServerResponseError,
                hss.BadResponseError, hss.InternalError, hss.CredentialsError, hss.DryRunError, hss.CancelledError,
                hss.ClientClosedError):
        assert issubclass(cls, hss.HSSError)
    assert issubclass(hss.InvalidArgumentError, ValueError)
    assert issubclass(hss.OutOfMemoryError, MemoryError)
    assert issubclass(hss.NetworkError, ConnectionError)
    assert issubclass(hss.TLSError, hss.NetworkError)
    assert issubclass(hss.RequestTimeoutError, TimeoutError)
    assert issubclass(hss.ClientRequestError, hss.ServiceError)
    assert issubclass(hss.ServerResponseError, hss.ServiceError)


def test_exceptions_pickle_with_their_fields():
    e = hss.ClientRequestError("msg", status=6, status_code=429, error_code="APIG.0308", error_msg="slow down",
                               request_id="abc")
    back = pickle.loads(pickle.dumps(e))
    assert type(back) is hss.ClientRequestError and str(back) == "msg"
    assert (back.status, back.status_code, back.error_code, back.error_msg, back.request_id) == \
        (hss.Status.HTTP_CLIENT, 429, "APIG.0308", "slow down", "abc")


@pytest.mark.parametrize("project_id, status_code, error_code, error_msg", [
    ("emu-status-403", 403, "APIGW.0302", "The IAM user is not authorized to access the API."),
    ("emu-status-429", 429, "APIG.0308", "The throttling threshold has been reached"),
    ("emu-errfmt-camel", 400, "HSS.1001", "camel error"),
    ("emu-errfmt-code", 400, "HSS.1002", "code error"),
])
def test_client_request_error(make_client, project_id, status_code, error_code, error_msg):
    e = _fail(make_client(project_id=project_id))
    assert type(e) is hss.ClientRequestError
    assert e.status is hss.Status.HTTP_CLIENT
    assert e.status_code == status_code
    assert e.error_code == error_code
    assert e.error_msg.startswith(error_msg)
    assert REQUEST_ID.match(e.request_id)
    assert str(e) == e.message
    assert str(status_code) in str(e) and error_code in str(e) and e.request_id in str(e)


def test_bad_sk_is_a_401_with_the_password_redacted(make_client):
    e = _fail(make_client(sk="not-the-right-sk"), password="Pw-that-must-not-leak")
    assert type(e) is hss.ClientRequestError
    assert (e.status_code, e.error_code) == (401, "APIGW.0301")
    assert "canonicalRequest" in e.error_msg and "password=***" in e.error_msg
    assert "Pw-that-must-not-leak" not in e.error_msg + str(e)
    assert REQUEST_ID.match(e.request_id)


def test_bad_token_is_a_401(make_client):
    e = _fail(make_client(auth_token="not-the-token"))
    assert type(e) is hss.ClientRequestError
    assert (e.status_code, e.error_code) == (401, "APIGW.0307")


@pytest.mark.parametrize("project_id, status_code, error_code, error_msg", [
    ("emu-status-500", 500, "HSS.0000", "internal error"),
    ("emu-status-502", 502, "APIGW.0202", "Backend unavailable."),
    ("emu-status-504", 504, "APIGW.0203", "Backend timeout."),
    ("emu-errfmt-text", 503, "", "service unavailable"),  # not JSON: the raw text
])
def test_server_response_error(make_client, project_id, status_code, error_code, error_msg):
    e = _fail(make_client(project_id=project_id))
    assert type(e) is hss.ServerResponseError
    assert e.status is hss.Status.HTTP_SERVER
    assert (e.status_code, e.error_code, e.error_msg) == (status_code, error_code, error_msg)
    assert REQUEST_ID.match(e.request_id)
    assert isinstance(e, hss.ServiceError)


@pytest.mark.parametrize("project_id, message", [
    ("emu-nonjson", "not a JSON object"),
    ("emu-huge", "larger than"),
    ("emu-redirect", "302"),
    ("emu-missing-field", "swr_image_pull_command"),
    ("emu-nul-field", "NUL"),
])
def test_bad_response_error(make_client, project_id, message):
    e = _fail(make_client(project_id=project_id))
    assert type(e) is hss.BadResponseError
    assert e.status is hss.Status.BAD_RESPONSE
    assert message in str(e)
    assert e.error_code == "" and e.error_msg == ""


def test_timeout_error(make_emulator):
    with make_emulator() as emu:  # its own: the stalled handler must not outlive the test
        client = hss.Client(endpoint=emu.endpoint, project_id="emu-stall", auth_token=TOKEN, timeout=0.5)
        start = time.monotonic()
        e = _fail(client)
        elapsed = time.monotonic() - start
        client.close()
    assert type(e) is hss.RequestTimeoutError
    assert isinstance(e, TimeoutError)
    assert e.status is hss.Status.TIMEOUT
    assert 0.4 <= elapsed < 5
    assert e.status_code == 0 and e.request_id == ""


def test_tls_error_without_ca_file(https_emulator):
    with hss.Client(endpoint=https_emulator.endpoint, project_id="p", ak=AK, sk=SK) as client:
        e = _fail(client)
    assert type(e) is hss.TLSError
    assert isinstance(e, ConnectionError) and isinstance(e, hss.NetworkError)
    assert e.status is hss.Status.TLS
    assert e.status_code == 0
    assert "SSL" in str(e)  # libcurl's words; the status is the exception's type, not repeated in the message


def test_tls_error_plain_http_client_to_https_server(https_emulator):
    endpoint = https_emulator.endpoint.replace("https://", "http://")
    with hss.Client(endpoint=endpoint, project_id="p", ak=AK, sk=SK) as client:
        e = _fail(client)
    # An HTTP request to a TLS port: the server hangs up or answers garbage.
    assert isinstance(e, (hss.NetworkError, hss.BadResponseError))


def test_network_error_closed_port(closed_port):
    with hss.Client(endpoint="http://127.0.0.1:%d" % closed_port, project_id="p", ak=AK, sk=SK) as client:
        e = _fail(client)
    assert type(e) is hss.NetworkError
    assert isinstance(e, ConnectionError) and not isinstance(e, hss.TLSError)
    assert e.status is hss.Status.NETWORK
    assert e.status_code == 0 and e.error_code == "" and e.request_id == ""


def test_invalid_argument_error(client):
    e = _fail(client, registry_addr="x" * 257)
    assert type(e) is hss.InvalidArgumentError
    assert isinstance(e, ValueError)
    assert e.status is hss.Status.INVALID_ARGUMENT
    assert "registry_addr" in str(e)
    assert (e.status_code, e.error_code, e.error_msg, e.request_id) == (0, "", "", "")


def test_client_closed_error(client):
    client.close()
    e = _fail(client)
    assert type(e) is hss.ClientClosedError
    assert e.status is None and e.status_code == 0


def test_a_failure_does_not_break_the_client(make_client, http_emulator):
    client = make_client()
    with pytest.raises(hss.InvalidArgumentError):
        client.get_image_upload_command(**dict(GOOD, password=""))
    assert client.get_image_upload_command(**GOOD)
