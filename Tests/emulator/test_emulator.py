"""Prove the HSS emulator against the official Huawei Cloud Python SDK (used as an oracle).

Needs a Python with pytest + huaweicloudsdkcore==3.1.219 + huaweicloudsdkhss==3.1.219, e.g.

    python3 -m venv /tmp/testvenv
    /tmp/testvenv/bin/pip install pytest huaweicloudsdkcore==3.1.219 huaweicloudsdkhss==3.1.219
    /tmp/testvenv/bin/python -m pytest -q Tests/emulator/test_emulator.py

and the `openssl` CLI for the HTTPS tests. Runs in a few seconds.
"""

import datetime as dt
import http.client
import json
import os
import re
import signal
import socket
import ssl
import subprocess
import sys
import threading
import time
from urllib.parse import quote

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
VECTORS = os.path.join(HERE, "..", "vectors", "signing.json")
sys.path.insert(0, HERE)
import hss_emulator as emulator  # noqa: E402
from official_sdk import scratch_home  # noqa: E402

with scratch_home():
    from huaweicloudsdkcore.auth.credentials import BasicCredentials
    from huaweicloudsdkcore.exceptions import exceptions as sdk_exc
    from huaweicloudsdkcore.http.http_config import HttpConfig
    from huaweicloudsdkcore.sdk_request import SdkRequest
    from huaweicloudsdkcore.signer.signer import Signer
    from huaweicloudsdkhss.v5 import HssClient, ShowImageUploadCommandRequest

AK, SK = "EMULATORAK", "EMULATORSK"
RESOURCE = "/v5/{project_id}/image/registries/image-upload-command"
REQUEST_ID_RE = re.compile(r"^[0-9a-f]{32}$")
GOOD = {"registry_addr": "myharbor.com:443", "namespace": "library", "username": "admin", "password": "s3cret"}

HOSTILE = [
    {"registry_addr": "myharbor.com:443", "namespace": "ns 1~/é", "username": "admin", "password": "p@ss+w/rd=&"},
    {"registry_addr": "[2001:db8::1]:5000", "namespace": "命名空间", "username": "用户😀",
     "password": "%41%%+ &=/~?#"},
    {"registry_addr": "reg.example.com", "namespace": "e\u0301 a\u0308", "username": " lead & trail ",
     "password": "".join(chr(c) for c in range(0x20, 0x7F))},
    {"registry_addr": "r" * 256, "namespace": "é" * 128, "username": "中" * 128, "password": "🔑" * 128},
]


# ----------------------------------------------------------------------------- fixtures

@pytest.fixture(scope="module")
def emu():
    server, port = emulator.start_emulator()
    yield port
    server.shutdown()


@pytest.fixture(scope="module")
def emu_tls(test_ca):  # test_ca: the shared throw-away CA of Tests/conftest.py
    server, port = emulator.start_emulator(tls_cert=test_ca["server.pem"], tls_key=test_ca["server.key"])
    yield port
    server.shutdown()


# ------------------------------------------------------------------------------ helpers

def sdk_client(port, scheme="http", ca=None, project_id="pid123", token=None, ak=AK, sk=SK, timeout=5):
    creds = BasicCredentials(ak, sk, project_id)
    if token is not None:
        creds = creds.with_security_token(token)
    # user_agent set explicitly: the SDK's default one embeds OS details and the tracking id.
    cfg = HttpConfig(ssl_ca_cert=ca, timeout=timeout, user_agent="libhss-emulator-test")
    return (HssClient.new_builder().with_credentials(creds).with_http_config(cfg)
            .with_endpoints(["%s://127.0.0.1:%d" % (scheme, port)]).build())


def sdk_call(client, **params):
    return client.show_image_upload_command(ShowImageUploadCommandRequest(**params))


def echo_of(resp):
    return json.loads(resp.raw_content)["emulator_echo"]


def path_for(project_id):
    return RESOURCE.replace("{project_id}", quote(project_id, safe=""))


def signed_request(port, project_id="pid123", query=None, ak=AK, sk=SK, date=None, token=None,
                   user_agent="libhss-test/1.0"):
    """Sign with the official signer; returns (request_target, headers dict)."""
    query = GOOD if query is None else query
    query = list(query.items()) if isinstance(query, dict) else list(query)
    headers = {"Content-Type": "application/json", "User-Agent": user_agent, "X-Project-Id": project_id}
    if date:
        headers["X-Sdk-Date"] = date
    if token:
        headers["X-Security-Token"] = token
    req = SdkRequest(method="GET", schema="http", host="127.0.0.1:%d" % port,
                     resource_path=path_for(project_id), query_params=query, header_params=headers)
    Signer(BasicCredentials(ak, sk)).sign(req)
    return req.uri, dict(req.header_params)


def sdk_canonical_request(port, project_id, query, headers):
    """The canonical request the official signer computes for exactly these inputs."""
    req = SdkRequest(method="GET", schema="http", host="127.0.0.1:%d" % port,
                     resource_path=path_for(project_id), query_params=list(query),
                     header_params={k: v for k, v in headers.items() if k != "Authorization"})
    signer = Signer(BasicCredentials(AK, SK))
    return signer._process_canonical_request(req, signer._process_signed_headers(req))


def send(port, target, headers, method="GET", timeout=5, conn=None):
    """Send exactly these bytes-ish; returns (status, headers, body)."""
    own = conn is None
    conn = conn or http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    conn.putrequest(method, target, skip_host=True, skip_accept_encoding=True)
    for k, v in headers.items():
        conn.putheader(k, v)
    conn.endheaders()
    resp = conn.getresponse()
    body = resp.read()
    if own:
        conn.close()
    return resp.status, resp.headers, body


def send_signed(port, **kw):
    target, headers = signed_request(port, **kw)
    return send(port, target, headers)


def error_of(status_headers_body):
    status, headers, body = status_headers_body
    assert REQUEST_ID_RE.match(headers["X-Request-Id"])
    assert headers["Content-Type"].startswith("application/json")
    err = json.loads(body)
    assert err["request_id"] == headers["X-Request-Id"]
    return status, err["error_code"], err["error_msg"]


def sdk_date(delta=dt.timedelta()):
    return (dt.datetime.now(dt.timezone.utc) + delta).strftime("%Y%m%dT%H%M%SZ")


def stats(port, reset=False):
    status, _, body = send(port, "/_emulator/stats" + ("?reset=1" if reset else ""), {"Host": "x"})
    assert status == 200
    return json.loads(body)


# --------------------------------------------------------- the emulator's own signer

def _load_vectors():
    with open(VECTORS, encoding="utf-8") as f:
        return json.load(f)


@pytest.mark.parametrize("vec", _load_vectors(), ids=lambda v: v["name"])
def test_vectors_match_emulator_canonicalisation(vec):
    """The emulator's verifier reproduces every official-signer stage from what is sent."""
    ex = vec["expected"]
    path, _, raw_query = ex["request_target"].partition("?")
    values = {k.lower(): v.encode("utf-8") for k, v in ex["sent_headers"]}
    creq = emulator.build_canonical_request("GET", path.encode(), raw_query.encode(), ex["signed_headers"],
                                            values, emulator.EMPTY_BODY_SHA256)
    assert emulator.canonical_uri(path.encode()) == ex["canonical_uri"]
    assert emulator.canonical_query(emulator.parse_query(raw_query.encode())) == ex["canonical_query"]
    assert creq.decode("utf-8") == ex["canonical_request"]
    sts = emulator.string_to_sign(vec["sdk_date"], creq)
    assert sts.decode() == ex["string_to_sign"]
    assert emulator.compute_signature(vec["sk"], sts) == ex["signature"]
    assert emulator.parse_authorization(ex["authorization"]) == {
        "Access": vec["ak"], "SignedHeaders": ex["signed_headers"], "Signature": ex["signature"]}


def test_api_doc_vector_present():
    vec = _load_vectors()[0]
    assert vec["name"] == "api-doc-example"
    assert vec["expected"]["signature"] == "4bab213d0a1b1d70487443d4b5c7494d1727e97432835f9f147e7208bf47779b"


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
    assert echo["enterprise_project_id"] is None
    assert echo["signed_headers"] == "content-type;host;user-agent;x-project-id;x-sdk-date"
    assert echo["user_agent"] == "huaweicloud-usdk-python/3.0; libhss-emulator-test"
    assert resp.image_command == (
        "docker login -u {username} -p {password} {registry_addr} && docker load -i hss-scanner.tar"
        " && docker push {registry_addr}/{namespace}/hss-scanner".format(**params))
    assert resp.images_download_url == emulator.IMAGES_DOWNLOAD_URL
    assert resp.swr_image_pull_command == emulator.SWR_IMAGE_PULL_COMMAND


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
    server, port = emulator.start_emulator(credentials=["MYAK:my/sk+é"], tokens=["T1"])
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


# ------------------------------------------------------------------- tampered requests

@pytest.fixture()
def signed(emu):
    query = dict(GOOD, password="p@ss+w/rd=&")
    target, headers = signed_request(emu, query=query, date=sdk_date())
    return emu, query, target, headers


def test_untampered_signed_request_ok(signed):
    port, _, target, headers = signed
    assert send(port, target, headers)[0] == 200


def test_tampered_query_value(signed):
    port, query, target, headers = signed
    tampered = dict(query, username="root")
    target2 = target.replace("username=admin", "username=root")
    status, code, msg = error_of(send(port, target2, headers))
    assert (status, code) == (401, "APIGW.0301")
    # The gateway-like message echoes the canonical request, encoded password included.
    expected = sdk_canonical_request(port, "pid123", tampered.items(), headers)
    assert msg == "Verify aksk signature fail, canonicalRequest: " + expected
    assert "password=p%40ss%2Bw%2Frd%3D%26" in msg


def test_tampered_signed_header(signed):
    port, query, target, headers = signed
    headers = dict(headers, **{"User-Agent": "evil/1.0"})
    status, code, msg = error_of(send(port, target, headers))
    assert (status, code) == (401, "APIGW.0301")
    assert "\nuser-agent:evil/1.0\n" in msg


def test_unsigned_extra_header_is_fine(signed):
    port, _, target, headers = signed
    assert send(port, target, dict(headers, **{"X-Whatever": "1"}))[0] == 200


def test_tampered_date_beyond_15_minutes(signed):
    port, _, target, headers = signed
    headers = dict(headers, **{"X-Sdk-Date": sdk_date(dt.timedelta(minutes=-16))})
    assert error_of(send(port, target, headers))[:2] == (401, "APIGW.0303")


@pytest.mark.parametrize("minutes", [-16, 16])
def test_correctly_signed_but_stale_date(emu, minutes):
    res = send_signed(emu, date=sdk_date(dt.timedelta(minutes=minutes)))
    assert error_of(res)[:2] == (401, "APIGW.0303")


def test_date_within_window_ok(emu):
    assert send_signed(emu, date=sdk_date(dt.timedelta(minutes=-14)))[0] == 200


def test_missing_date(signed):
    port, _, target, headers = signed
    headers = {k: v for k, v in headers.items() if k != "X-Sdk-Date"}
    assert error_of(send(port, target, headers))[:2] == (401, "APIGW.0303")


def test_tampered_ak(signed):
    port, _, target, headers = signed
    headers = dict(headers, Authorization=headers["Authorization"].replace("Access=EMULATORAK", "Access=OTHERAK"))
    assert error_of(send(port, target, headers))[:2] == (401, "APIGW.0301")


def test_wrong_sk(emu):
    assert error_of(send_signed(emu, sk="WRONG", date=sdk_date()))[:2] == (401, "APIGW.0301")


def test_security_token_must_be_signed(signed):
    port, _, target, headers = signed
    headers = dict(headers, **{"X-Security-Token": "added-after-signing"})
    status, code, msg = error_of(send(port, target, headers))
    assert (status, code) == (401, "APIGW.0301") and "x-security-token" in msg


@pytest.mark.parametrize("drop", ["host", "x-sdk-date"])
def test_host_and_date_must_be_signed(signed, drop):
    port, _, target, headers = signed
    names = "content-type;host;user-agent;x-project-id;x-sdk-date"
    fewer = ";".join(n for n in names.split(";") if n != drop)
    headers = dict(headers, Authorization=headers["Authorization"].replace(names, fewer))
    status, code, msg = error_of(send(port, target, headers))
    assert (status, code) == (401, "APIGW.0301") and drop in msg


def test_malformed_authorization(signed):
    port, _, target, headers = signed
    headers = dict(headers, Authorization="SDK-HMAC-SM3 Access=EMULATORAK, SignedHeaders=host, Signature=00")
    assert error_of(send(port, target, headers))[:2] == (401, "APIGW.0301")


def test_non_ascii_signature(signed):
    port, _, target, headers = signed
    headers = dict(headers, Authorization=headers["Authorization"][:-1] + "\u00e9")
    assert error_of(send(port, target, headers))[:2] == (401, "APIGW.0301")


def test_no_auth(emu):
    target, _ = signed_request(emu)
    assert error_of(send(emu, target, {"Host": "127.0.0.1"}))[:2] == (401, "APIGW.0301")


def test_token_auth(emu):
    target, _ = signed_request(emu, query=HOSTILE[1])
    status, _, body = send(emu, target, {"Host": "127.0.0.1", "X-Auth-Token": "EMULATOR-TOKEN"})
    assert status == 200
    echo = json.loads(body)["emulator_echo"]
    assert echo["auth"] == "token" and echo["signed_headers"] is None
    assert {k: echo[k] for k in HOSTILE[1]} == HOSTILE[1]


def test_wrong_token(emu):
    target, _ = signed_request(emu)
    res = send(emu, target, {"Host": "127.0.0.1", "X-Auth-Token": "nope"})
    assert error_of(res)[:2] == (401, "APIGW.0307")


# ------------------------------------------------------------------------------ limits

@pytest.mark.parametrize("name,limit", [("registry_addr", 256), ("namespace", 128),
                                        ("username", 128), ("password", 128)])
def test_limits_via_sdk(emu, name, limit):
    client = sdk_client(emu)
    too_long = "😀" * (limit + 1)
    for bad in (too_long, ""):
        with pytest.raises(sdk_exc.ClientRequestException) as e:
            sdk_call(client, **dict(GOOD, **{name: bad}))
        assert (e.value.status_code, e.value.error_code) == (400, "HSS.0004")
        assert name in e.value.error_msg and "😀" not in e.value.error_msg
        assert REQUEST_ID_RE.match(e.value.request_id)
    assert sdk_call(client, **dict(GOOD, **{name: "😀" * limit})).status_code == 200


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
    server, port = emulator.start_emulator()
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


def test_cli_quiet_port_file_and_sigterm(tmp_path):
    port_file = tmp_path / "port"
    proc = subprocess.Popen([sys.executable, os.path.join(HERE, "hss_emulator.py"), "--port-file", str(port_file),
                             "--credentials", "AK1:SK1", "AK2:SK2", "--token", "TOK"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        line = proc.stdout.readline()
        m = re.fullmatch(r"HSS_EMULATOR_PORT=(\d+)\n", line)
        assert m, line
        port = int(m.group(1))
        assert int(port_file.read_text()) == port
        assert send_signed(port, ak="AK2", sk="SK2", date=sdk_date(), query=HOSTILE[1])[0] == 200
        assert send_signed(port, date=sdk_date())[0] == 401  # defaults replaced
        target, _ = signed_request(port)
        assert send(port, target, {"Host": "x", "X-Auth-Token": "TOK"})[0] == 200
        proc.send_signal(signal.SIGTERM)
        out, err = proc.communicate(timeout=5)
        assert proc.returncode == 0
        assert out == "" and err == ""  # quiet: nothing logged, certainly not the query
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


def test_cli_verbose_logs_path_only(tmp_path):
    proc = subprocess.Popen([sys.executable, os.path.join(HERE, "hss_emulator.py"), "--verbose"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        port = int(proc.stdout.readline().strip().split("=")[1])
        assert send_signed(port, date=sdk_date(), query=dict(GOOD, password="TOPSECRET"))[0] == 200
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=5)
        assert proc.returncode == 0
        assert "GET /v5/pid123/image/registries/image-upload-command" in err
        assert "TOPSECRET" not in err and "?" not in err and "Signature" not in err
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


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
