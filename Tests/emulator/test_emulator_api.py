"""HSS ShowImageUploadCommand through the official SDK and plain HTTP: round trips, the API page's
limits, the misbehaving project ids, routing, request ids, keep-alive, TLS."""

import http.client
import json
import socket
import ssl
import threading
import time

import pytest
from _hss_testing import hss_api, start_emulator
from emu_support import (
    AK,
    GOOD,
    HOSTILE,
    REQUEST_ID_RE,
    SK,
    BasicCredentials,
    SdkRequest,
    Signer,
    echo_of,
    error_of,
    path_for,
    sdk_call,
    sdk_client,
    sdk_date,
    sdk_exc,
    send,
    send_signed,
    signed_request,
    stats,
)

# ------------------------------------------------------------ real SDK calls succeed

@pytest.mark.parametrize("params", HOSTILE, ids=["doc", "cjk-emoji-reserved", "combining-ascii", "max-len"])
def test_sdk_roundtrip_http(emu, params):
    resp = sdk_call(sdk_client(emu), **params)
    assert resp.status_code == 200
    echo = echo_of(resp)
    for k, v in params.items():
        assert echo[k] == v  # byte-for-byte round trip
    assert echo["project_id"] == "pid123"
    assert echo["auth"] == "aksk" and echo["security_token"] is False
    assert echo["algorithm"] == "SDK-HMAC-SHA256" and echo["scope"] is None
    assert echo["enterprise_project_id"] is None
    assert echo["signed_headers"] == "content-type;host;user-agent;x-project-id;x-sdk-date"
    assert echo["user_agent"] == "huaweicloud-usdk-python/3.0; libhss-emulator-test"
    assert resp.image_command == (
        "docker login -u {username} -p {password} {registry_addr} && docker load -i hss-scanner.tar"
        " && docker push {registry_addr}/{namespace}/hss-scanner".format(**params))
    assert resp.images_download_url == hss_api.IMAGES_DOWNLOAD_URL
    assert resp.swr_image_pull_command == hss_api.SWR_IMAGE_PULL_COMMAND


def test_sdk_roundtrip_https(emu_tls, test_ca):
    params = HOSTILE[1]
    resp = sdk_call(sdk_client(emu_tls, scheme="https", ca=test_ca["ca.pem"]), **params)
    assert resp.status_code == 200
    assert {k: echo_of(resp)[k] for k in params} == params


def test_https_untrusted_ca_fails(emu_tls):
    with pytest.raises(sdk_exc.SslHandShakeException):
        sdk_call(sdk_client(emu_tls, scheme="https"), **GOOD)


def test_sdk_unicode_project_id(emu):
    # X-Project-Id then carries UTF-8 bytes; 'à' ends in byte 0xA0, which must not be trimmed.
    resp = sdk_call(sdk_client(emu, project_id="项目/à"), **GOOD)
    assert echo_of(resp)["project_id"] == "项目/à"


def test_sdk_security_token(emu):
    token = "tok+/=" * 300 + "=="
    resp = sdk_call(sdk_client(emu, token=token), **GOOD)
    echo = echo_of(resp)
    assert echo["security_token"] is True
    assert echo["signed_headers"] == "content-type;host;user-agent;x-project-id;x-sdk-date;x-security-token"


def test_sdk_custom_credentials():
    server, port = start_emulator(credentials=["MYAK:my/sk+é"], tokens=["T1"])
    try:
        assert sdk_call(sdk_client(port, ak="MYAK", sk="my/sk+é"), **GOOD).status_code == 200
        with pytest.raises(sdk_exc.ClientRequestException) as e:
            sdk_call(sdk_client(port), **GOOD)  # default AK no longer accepted
        assert e.value.error_code == "APIGW.0301"
    finally:
        server.shutdown()


def test_enterprise_project_id_echoed(emu):
    q = dict(GOOD, enterprise_project_id="all_granted_eps")
    status, _, body = send_signed(emu, query=q, date=sdk_date())
    assert status == 200
    assert json.loads(body)["emulator_echo"]["enterprise_project_id"] == "all_granted_eps"


# ------------------------------------------------------------------------------ limits

@pytest.mark.parametrize("name,limit", [("registry_addr", 256), ("namespace", 128),
                                        ("username", 128), ("password", 128)])
def test_limits_via_sdk(emu, name, limit):
    client = sdk_client(emu)
    char = "中" if name == "registry_addr" else "😀"  # a registry address is a host name
    for bad in (char * (limit + 1), ""):
        with pytest.raises(sdk_exc.ClientRequestException) as e:
            sdk_call(client, **dict(GOOD, **{name: bad}))
        assert (e.value.status_code, e.value.error_code) == (400, "HSS.0004")
        assert name in e.value.error_msg and char not in e.value.error_msg
        assert REQUEST_ID_RE.match(e.value.request_id)
    assert sdk_call(client, **dict(GOOD, **{name: char * limit})).status_code == 200


@pytest.mark.parametrize("registry_addr", ["myharbor.com", "myharbor.com:443", "10.0.0.1:5000", "[2001:db8::1]:5000",
                                           "реестр.пример:443", "harbor_1.corp-x", "h:1", "h:65535"])
def test_registry_addr_host_and_port(emu, registry_addr):
    assert send_signed(emu, query=dict(GOOD, registry_addr=registry_addr), date=sdk_date())[0] == 200


@pytest.mark.parametrize("registry_addr", ["https://myharbor.com", "myharbor.com/ns", "myharbor.com:", "h:0",
                                           "h:65536", "h:443x", "my harbor.com", "a..b", ".a", "a.", "user@h",
                                           "[2001:db8::1", "h:1:2", "😀.com"])
def test_registry_addr_not_host_and_port(emu, registry_addr):
    """The API page: registry_addr is `host` or `host:port` (the emulator's reading in hss_api.py)."""
    status, code, msg = error_of(send_signed(emu, query=dict(GOOD, registry_addr=registry_addr), date=sdk_date()))
    assert (status, code, msg) == (400, "HSS.0004", "invalid parameter: registry_addr (must be host or host:port)")


def test_project_id_limit(emu):
    assert sdk_call(sdk_client(emu, project_id="p" * 256), **GOOD).status_code == 200
    with pytest.raises(sdk_exc.ClientRequestException) as e:
        sdk_call(sdk_client(emu, project_id="p" * 257), **GOOD)
    assert (e.value.status_code, e.value.error_code) == (400, "HSS.0004")


@pytest.mark.parametrize("query", [
    [("registry_addr", "r"), ("namespace", "n"), ("username", "u")],                       # missing
    [("registry_addr", "r"), ("namespace", "n"), ("username", "u"), ("password", "p"), ("extra", "x")],
    [("registry_addr", "r"), ("namespace", "n"), ("username", "u"), ("password", "p"), ("password", "q")],
    [("registry_addr", "r"), ("namespace", "n"), ("username", "u"), ("password", "p"),
     ("enterprise_project_id", "")],
    [("registry_addr", "r"), ("namespace", "n"), ("username", "u"), ("password", "\udcff")],  # not UTF-8
], ids=["missing", "unknown", "duplicate", "empty-eps", "bad-utf8"])
def test_bad_query(emu, query):
    if query[-1][1] == "\udcff":  # the signer cannot encode a lone surrogate: send raw bytes
        target, headers = signed_request(emu, query=query[:-1] + [("password", "p")], date=sdk_date())
        target = target.replace("password=p", "password=%FF")
        status, code, msg = error_of(send(emu, target, {"Host": "x", "X-Auth-Token": "EMULATOR-TOKEN"}))
    else:
        status, code, msg = error_of(send_signed(emu, query=query, date=sdk_date()))
    assert (status, code) == (400, "HSS.0004")


# --------------------------------------------------------------------- test behaviours

def call_behaviour(port, project_id, timeout=5):
    target, headers = signed_request(port, project_id=project_id, date=sdk_date())
    return send(port, target, headers, timeout=timeout)


@pytest.mark.parametrize("pid,status,code", [
    ("emu-status-429", 429, "APIG.0308"), ("emu-status-500", 500, "HSS.0000"),
    ("emu-status-502", 502, "APIGW.0202"), ("emu-status-504", 504, "APIGW.0203"),
    ("emu-status-403", 403, "APIGW.0302"),
])
def test_status_behaviours(emu, pid, status, code):
    assert error_of(call_behaviour(emu, pid))[:2] == (status, code)


def test_status_behaviours_need_auth(emu):
    target, _ = signed_request(emu, project_id="emu-status-500")
    assert error_of(send(emu, target, {"Host": "x"}))[:2] == (401, "APIGW.0301")


def test_errfmt_camel_and_code_via_sdk(emu):
    for pid, code, msg in [("emu-errfmt-camel", "HSS.1001", "camel error"),
                           ("emu-errfmt-code", "HSS.1002", "code error")]:
        with pytest.raises(sdk_exc.ClientRequestException) as e:
            sdk_call(sdk_client(emu, project_id=pid), **GOOD)
        assert (e.value.status_code, e.value.error_code, e.value.error_msg) == (400, code, msg)
    status, headers, body = call_behaviour(emu, "emu-errfmt-camel")
    assert json.loads(body) == {"errorCode": "HSS.1001", "errorMsg": "camel error"}
    status, headers, body = call_behaviour(emu, "emu-errfmt-code")
    assert json.loads(body) == {"code": "HSS.1002", "message": "code error"}


def test_errfmt_text(emu):
    status, headers, body = call_behaviour(emu, "emu-errfmt-text")
    assert (status, headers["Content-Type"], body) == (503, "text/plain", b"service unavailable")
    assert REQUEST_ID_RE.match(headers["X-Request-Id"])


def test_nonjson(emu):
    status, headers, body = call_behaviour(emu, "emu-nonjson")
    assert (status, body) == (200, b"<html>oops</html>")


def test_missing_field(emu):
    status, _, body = call_behaviour(emu, "emu-missing-field")
    obj = json.loads(body)
    assert status == 200 and "swr_image_pull_command" not in obj and "image_command" in obj


def test_nul_field(emu):
    status, _, body = call_behaviour(emu, "emu-nul-field")
    assert status == 200 and b"\\u0000" in body and "\0" in json.loads(body)["image_command"]


def test_huge(emu):
    status, headers, body = call_behaviour(emu, "emu-huge")
    assert status == 200 and int(headers["Content-Length"]) == len(body) == 8 << 20
    assert set(json.loads(body)) == {"image_command", "images_download_url", "swr_image_pull_command"}


def test_huge_client_hangs_up_early(emu):
    # A client that caps the body and closes must not disturb the server.
    target, headers = signed_request(emu, project_id="emu-huge", date=sdk_date())
    conn = http.client.HTTPConnection("127.0.0.1", emu, timeout=5)
    conn.putrequest("GET", target, skip_host=True, skip_accept_encoding=True)
    for k, v in headers.items():
        conn.putheader(k, v)
    conn.endheaders()
    conn.getresponse().read(1024)
    conn.close()
    assert send_signed(emu, date=sdk_date())[0] == 200


def test_stall_times_out_without_blocking_others(emu):
    started = time.monotonic()
    with pytest.raises((socket.timeout, TimeoutError)):
        call_behaviour(emu, "emu-stall", timeout=0.5)
    # While that handler sleeps, other connections are served promptly.
    assert send_signed(emu, date=sdk_date())[0] == 200
    assert time.monotonic() - started < 3


def test_redirect(emu):
    status, headers, body = call_behaviour(emu, "emu-redirect")
    assert (status, headers["Location"], body) == (302, "http://127.0.0.1:1/elsewhere", b"")
    assert REQUEST_ID_RE.match(headers["X-Request-Id"])


def test_echo_headers_redacted(emu):
    target, headers = signed_request(emu, project_id="emu-echo-headers", date=sdk_date(), token="SECRET-STS")
    headers["X-Auth-Token"] = "SECRET-TOKEN"
    status, _, body = send(emu, target, headers)
    assert status == 200
    echoed = json.loads(body)["emulator_echo"]["headers"]
    assert echoed["Authorization"] == echoed["X-Security-Token"] == echoed["X-Auth-Token"] == "<redacted>"
    assert echoed["User-Agent"] == "libhss-test/1.0"
    assert echoed["Host"] == "127.0.0.1:%d" % emu
    assert b"SECRET" not in body and b"Signature=" not in body


# --------------------------------------------------------------------- routing & misc

@pytest.mark.parametrize("method,path", [
    ("GET", "/v5/pid123/image/registries/image-upload-command/"),
    ("GET", "/v5/pid123/image/registries"),
    ("GET", "/"),
    ("POST", "/v5/pid123/image/registries/image-upload-command"),
    ("DELETE", "/v5/pid123/image/registries/image-upload-command"),
])
def test_404(emu, method, path):
    status, code, msg = error_of(send(emu, path + "?password=x", {"Host": "x", "Content-Length": "0"},
                                      method=method))
    assert (status, code) == (404, "APIGW.0101")
    assert msg == "The API does not exist or has not been published in the environment"


def test_request_ids_unique(emu):
    ids = {send(emu, "/nope", {"Host": "x"})[1]["X-Request-Id"] for _ in range(5)}
    assert len(ids) == 5 and all(REQUEST_ID_RE.match(i) for i in ids)


def test_keep_alive_stats():
    server, port = start_emulator()
    try:
        assert stats(port, reset=True) == {"requests": 0, "connections": 0}
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
        for _ in range(3):
            target, headers = signed_request(port, date=sdk_date())
            assert send(port, target, headers, conn=conn)[0] == 200
        conn.close()
        assert stats(port) == {"requests": 3, "connections": 1}
        # The official SDK (requests session) reuses its connection as well.
        client = sdk_client(port)
        for _ in range(3):
            sdk_call(client, **GOOD)
        assert stats(port, reset=True) == {"requests": 6, "connections": 2}
        assert stats(port) == {"requests": 0, "connections": 0}
    finally:
        server.shutdown()


def test_idle_connections_are_dropped_and_counted():
    """A kept-alive connection left idle for idle_timeout is closed and counted in dropped_idle
    (a test of libhss's connection pool needs both: Tests/test_sanitize.py); one its client closes
    is not counted, nor one that never carried a request."""
    server, port = start_emulator()
    server.idle_timeout = 0.2
    try:
        kept, closed, silent = (http.client.HTTPConnection("127.0.0.1", port, timeout=10) for _ in range(3))
        for conn in (kept, closed):
            target, headers = signed_request(port, date=sdk_date())
            assert send(port, target, headers, conn=conn)[0] == 200
        closed.close()
        silent.connect()
        # EOF means the server has closed it, and so has counted it (it counts before closing);
        # the 10 s socket timeout only ends a hang.
        assert kept.sock.recv(1) == b"" and silent.sock.recv(1) == b""
        assert server.stats()["dropped_idle"] == 1
        assert server.stats(reset=True)["connections"] == 2 and server.stats()["dropped_idle"] == 0
    finally:
        server.shutdown()


def test_tls_stalled_handshake_does_not_block(emu_tls, test_ca):
    # A client that connects and never speaks TLS must not hold up other connections.
    idle = socket.create_connection(("127.0.0.1", emu_tls))
    try:
        ctx = ssl.create_default_context(cafile=test_ca["ca.pem"])
        conn = http.client.HTTPSConnection("127.0.0.1", emu_tls, context=ctx, timeout=3)
        target, headers = signed_request(emu_tls, date=sdk_date())
        assert send(emu_tls, target, headers, conn=conn)[0] == 200
        conn.close()
    finally:
        idle.close()


def test_concurrent_requests(emu):
    results = []

    def worker():
        results.append(send_signed(emu, date=sdk_date(), query=HOSTILE[0])[0])

    threads = [threading.Thread(target=worker) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(10)
    assert results == [200] * 8


def test_hss_checks_x_project_id(emu):
    target, headers = signed_request(emu, project_id="pid123", date=sdk_date())
    assert send(emu, target, headers)[0] == 200
    req = SdkRequest(method="GET", schema="http", host="127.0.0.1:%d" % emu, resource_path=path_for("pid123"),
                     query_params=list(GOOD.items()),
                     header_params={"User-Agent": "t", "X-Project-Id": "other", "X-Sdk-Date": sdk_date()})
    Signer(BasicCredentials(AK, SK)).sign(req)
    status, code, msg = error_of(send(emu, req.uri, dict(req.header_params)))
    assert (status, code) == (400, "HSS.0004") and "X-Project-Id" in msg
