"""Prove the HSS emulator against the official Huawei Cloud Python SDK (used as an oracle).

Every signing algorithm (signing.py, issue 15) is proven against the SDK's signers and its recorded
vectors with OpenSSL's verdicts (Tests/vectors/algorithms/), SM2's leading-zero key included.

The identity routes (identity.py) are proven the same way: the SDK's IAM project discovery, OIDC
STS provider, pod identity provider and IAM federation run against the emulator, every endpoint
pointed at 127.0.0.1 first. The SDK's metadata provider is never run (its URL is hard-coded to
169.254.169.254); the metadata routes are checked with plain urllib against the documented shapes.

Needs a Python with pytest + huaweicloudsdkcore==3.1.219 + huaweicloudsdkhss==3.1.219, e.g.

    python3 -m venv /tmp/testvenv
    /tmp/testvenv/bin/pip install pytest huaweicloudsdkcore==3.1.219 huaweicloudsdkhss==3.1.219
    /tmp/testvenv/bin/python -m pytest -q Tests/emulator/test_emulator.py

and the `openssl` CLI for the HTTPS tests. Runs in a few seconds.
"""

import base64
import datetime as dt
import email.utils
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
import urllib.error
import urllib.request
from urllib.parse import quote

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
VECTORS = os.path.join(HERE, "..", "vectors", "signing.json")
ALGORITHM_VECTORS = os.path.join(HERE, "..", "vectors", "algorithms")
sys.path.insert(0, HERE)
import hss_emulator as emulator  # noqa: E402
import identity  # noqa: E402
import signing  # noqa: E402
from official_sdk import scratch_home  # noqa: E402

with scratch_home():
    from huaweicloudsdkcore.auth import internal as sdk_internal
    from huaweicloudsdkcore.auth.credentials import BasicCredentials, Credentials
    from huaweicloudsdkcore.auth.provider import (
        EnvCredentialProvider,
        OidcStsCredentialProvider,
        PodIdentityCredentialProvider,
    )
    from huaweicloudsdkcore.exceptions import exceptions as sdk_exc
    from huaweicloudsdkcore.http.http_config import HttpConfig
    from huaweicloudsdkcore.region.region import Region
    from huaweicloudsdkcore.sdk_request import SdkRequest
    from huaweicloudsdkcore.signer.algorithm import SigningAlgorithm
    from huaweicloudsdkcore.signer.signer import DerivationAKSKSigner, P256SHA256Signer, Signer, SM2SM3Signer, SM3Signer
    from huaweicloudsdkcore.signer.utils import SM2SigningKey
    from huaweicloudsdkcore.utils import time_utils
    from huaweicloudsdkhss.v5 import HssClient, ShowImageUploadCommandRequest

AK, SK = "EMULATORAK", "EMULATORSK"
SDK_SIGNERS = {  # the official SDK's enum value and signer class of each algorithm (but V11)
    signing.HMAC_SHA256: (SigningAlgorithm.HMAC_SHA256, Signer),
    signing.HMAC_SM3: (SigningAlgorithm.HMAC_SM3, SM3Signer),
    signing.ECDSA_P256: (SigningAlgorithm.ECDSA_P256_SHA256, P256SHA256Signer),
    signing.SM2_SM3: (SigningAlgorithm.SM2_SM3, SM2SM3Signer),
}
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

def sdk_client(port, scheme="http", ca=None, project_id="pid123", token=None, ak=AK, sk=SK, timeout=5,
               algorithm=None):
    creds = BasicCredentials(ak, sk, project_id)
    if token is not None:
        creds = creds.with_security_token(token)
    # user_agent set explicitly: the SDK's default one embeds OS details and the tracking id.
    cfg = HttpConfig(ssl_ca_cert=ca, timeout=timeout, user_agent="libhss-emulator-test",
                     signing_algorithm=SigningAlgorithm.get_default() if algorithm is None else algorithm)
    return (HssClient.new_builder().with_credentials(creds).with_http_config(cfg)
            .with_endpoints(["%s://127.0.0.1:%d" % (scheme, port)]).build())


def sdk_call(client, **params):
    return client.show_image_upload_command(ShowImageUploadCommandRequest(**params))


def echo_of(resp):
    return json.loads(resp.raw_content)["emulator_echo"]


def path_for(project_id):
    return RESOURCE.replace("{project_id}", quote(project_id, safe=""))


def signed_request(port, project_id="pid123", query=None, ak=AK, sk=SK, date=None, token=None,
                   user_agent="libhss-test/1.0", algorithm="SDK-HMAC-SHA256"):
    """Sign with the official signer of `algorithm` (V11: scope today/REGION/hss); returns
    (request_target, headers dict)."""
    query = GOOD if query is None else query
    query = list(query.items()) if isinstance(query, dict) else list(query)
    headers = {"Content-Type": "application/json", "User-Agent": user_agent, "X-Project-Id": project_id}
    if date:
        headers["X-Sdk-Date"] = date
    if token:
        headers["X-Security-Token"] = token
    req = SdkRequest(method="GET", schema="http", host="127.0.0.1:%d" % port,
                     resource_path=path_for(project_id), query_params=query, header_params=headers)
    if algorithm == signing.V11:
        DerivationAKSKSigner(BasicCredentials(ak, sk)).sign(req, "hss", REGION)
    else:
        SDK_SIGNERS[algorithm][1](BasicCredentials(ak, sk)).sign(req)
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
                                            values, emulator.payload_hash(signing.HMAC_SHA256, b"", []))
    assert emulator.canonical_uri(path.encode()) == ex["canonical_uri"]
    assert emulator.canonical_query(emulator.parse_query(raw_query.encode())) == ex["canonical_query"]
    assert creq.decode("utf-8") == ex["canonical_request"]
    sts = signing.string_to_sign(vec["sdk_date"], creq)
    assert sts.decode() == ex["string_to_sign"]
    assert signing.hmac_signature(signing.HMAC_SHA256, vec["ak"], vec["sk"], sts) == ex["signature"]
    assert signing.parse_authorization(ex["authorization"]) == {
        "algorithm": "SDK-HMAC-SHA256", "Access": vec["ak"], "SignedHeaders": ex["signed_headers"],
        "Signature": ex["signature"]}


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
    assert echo["algorithm"] == "SDK-HMAC-SHA256" and echo["scope"] is None
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


@pytest.mark.parametrize("authorization", [
    "SDK-HMAC-MD5 Access=EMULATORAK, SignedHeaders=host;x-sdk-date, Signature=00",  # no such algorithm
    "SDK-HMAC-SHA256 Access=EMULATORAK, SignedHeaders=host;x-sdk-date",              # no signature
    "SDK-HMAC-SHA256 Credential=EMULATORAK/20240607/r/s, SignedHeaders=host;x-sdk-date, Signature=00",
    "V11-HMAC-SHA256 Access=EMULATORAK, SignedHeaders=host;x-sdk-date, Signature=00",
    "V11-HMAC-SHA256 Credential=EMULATORAK/20240607/r, SignedHeaders=host;x-sdk-date, Signature=00",
])
def test_malformed_authorization(signed, authorization):
    port, _, target, headers = signed
    status, code, msg = error_of(send(port, target, dict(headers, Authorization=authorization)))
    assert (status, code) == (401, "APIGW.0301") and "malformed Authorization" in msg


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
    assert echo["auth"] == "token" and echo["signed_headers"] is None and echo["algorithm"] is None
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


# ==================================================================== identity routes (issue 12)

REGION = "cn-north-4"
ISO_RE = {"micro": r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.000000Z", "milli": r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.000Z",
          "none": r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ"}


@pytest.fixture(scope="module")
def _idserver():
    server, _ = emulator.start_emulator()
    yield server
    server.shutdown()


@pytest.fixture()
def idemu(_idserver):
    """The emulator server with default identity settings and zeroed counters for each test."""
    _idserver.identity = identity.Identity()
    _idserver.snapshot_stats(reset=True)
    return _idserver


def base_url(server):
    return "http://127.0.0.1:%d" % server.server_address[1]


@pytest.fixture()
def sdk_env(monkeypatch, idemu):
    """The official SDK confined to the emulator: no inherited HUAWEICLOUD_*/HC_CONTAINER_*/proxy
    variables, IAM and STS at the emulator, an empty project-id cache, and (should anything reach
    for it) the metadata service at a loopback port nobody listens on."""
    for name in list(os.environ):
        if name.startswith(("HUAWEICLOUD_", "HC_CONTAINER_")) or name.lower().endswith("_proxy"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("NO_PROXY", "*")
    monkeypatch.setenv("HUAWEICLOUD_SDK_IAM_ENDPOINT", base_url(idemu))
    monkeypatch.setenv("HUAWEICLOUD_SDK_STS_ENDPOINT", base_url(idemu))
    monkeypatch.setattr(Credentials, "_CACHE", {})
    monkeypatch.setattr(sdk_internal.MetadataAccessor, "_METADATA_ENDPOINT", "http://127.0.0.1:9")
    return monkeypatch


def regional_client(server, creds):
    cfg = HttpConfig(timeout=5, user_agent="libhss-emulator-test")
    return (HssClient.new_builder().with_credentials(creds).with_http_config(cfg)
            .with_region(Region(REGION, base_url(server))).build())


def fetch(url, method="GET", headers=None, body=None):
    """Plain urllib, no proxy: (status, headers, body bytes), 4xx/5xx included."""
    data = json.dumps(body).encode() if isinstance(body, dict) else body
    req = urllib.request.Request(url, data=data, method=method, headers=headers or {})
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    try:
        with opener.open(req, timeout=5) as resp:
            return resp.status, resp.headers, resp.read()
    except urllib.error.HTTPError as e:
        with e:
            return e.code, e.headers, e.read()


def metadata_credential(server):
    """The IMDSv2 sequence the SDK uses: token PUT, then securitykey GET with it."""
    status, _, token = fetch(base_url(server) + identity.METADATA_TOKEN_PATH, "PUT",
                             {"X-Metadata-Token-Ttl-Seconds": "21600"})
    assert status == 200
    status, headers, body = fetch(base_url(server) + identity.METADATA_SECURITYKEY_PATH,
                                  headers={"X-Metadata-Token": token.decode()})
    assert status == 200 and headers["Content-Type"] == "application/json"
    return json.loads(body)["credential"]


def iam_request(url, ak, sk, token=None, region=REGION, extra=None):
    """GET /v3/projects built by the SDK's own IamHelper and signed by its Signer: (target, headers)."""
    req = sdk_internal.IamHelper.get_keystone_list_projects_request(HttpConfig.get_default_config(), url, region)
    req.header_params["User-Agent"] = "libhss-emulator-test"  # the SDK's default embeds the OS
    if token is not None:
        req.header_params["X-Security-Token"] = token
    req.header_params.update(extra or {})
    Signer(BasicCredentials(ak, sk)).sign(req)
    return req.uri, dict(req.header_params)


def sdk_hss_call(client):
    resp = sdk_call(client, **GOOD)
    assert resp.status_code == 200
    return echo_of(resp)


# ------------------------------------------------------------ official SDK: IAM discovery

def test_sdk_discovers_project_id_through_iam(sdk_env, idemu):
    echo = sdk_hss_call(regional_client(idemu, BasicCredentials(AK, SK)))
    assert echo["project_id"] == identity.default_project_id(REGION)
    assert echo["temporary"] is False and echo["access_key"] == AK
    stats = idemu.stats()
    assert (stats["iam_projects"], stats["hss"], stats["not_found"]) == (1, 1, 0)


def test_sdk_iam_zero_and_several_projects(sdk_env, idemu):
    idemu.identity.configure(trace_id="emu-trace-0123", projects={REGION: []})
    with pytest.raises(sdk_exc.SdkException) as e:
        regional_client(idemu, BasicCredentials(AK, SK))
    assert str(e.value.error_msg) == (
        "Failed to get project id of region 'cn-north-4', X-IAM-Trace-Id=emu-trace-0123. Confirm that the "
        "project exists in your account, or set project id manually: BasicCredentials(ak, sk, project_id)")
    idemu.identity.projects[REGION] = ["pid-a", "pid-b"]
    with pytest.raises(sdk_exc.SdkException) as e:
        regional_client(idemu, BasicCredentials(AK, SK))
    assert str(e.value.error_msg) == (
        "Multiple project ids found: [pid-a,pid-b], X-IAM-Trace-Id=emu-trace-0123. Please select one when "
        "initializing the credentials: BasicCredentials(ak, sk, project_id)")
    assert idemu.stats()["iam_projects"] == 2 and idemu.stats()["hss"] == 0


def test_sdk_iam_refuses_a_wrong_secret(sdk_env, idemu):
    with pytest.raises(sdk_exc.SdkException) as e:
        regional_client(idemu, BasicCredentials(AK, "WRONG"))
    assert "Failed to get project id of region 'cn-north-4', ClientRequestException" in str(e.value.error_msg)
    assert "status_code:401" in str(e.value.error_msg) and "APIGW.0301" in str(e.value.error_msg)


# ---------------------------------------------- official SDK: OIDC STS, pod identity, federation

def oidc_env(env, **extra):
    env.setenv("HUAWEICLOUD_OIDC_PROVIDER_URN", identity.DEFAULT_OIDC["provider_urn"])
    env.setenv("HUAWEICLOUD_OIDC_AGENCY_URN", identity.DEFAULT_OIDC["agency_urn"])
    env.setenv("HUAWEICLOUD_OIDC_ID_TOKEN", identity.ID_TOKEN)
    for name, value in extra.items():
        env.setenv("HUAWEICLOUD_OIDC_" + name, value)


def assert_minted_and_used(server, echo, route):
    issued = server.identity.issued
    assert [c.route for c in issued] == [route]
    assert echo["temporary"] is True and echo["access_key"] == issued[0].ak
    assert echo["signed_headers"].endswith(";x-security-token")


def test_sdk_oidc_sts_provider(sdk_env, idemu):
    oidc_env(sdk_env)
    creds = OidcStsCredentialProvider.get_basic().get_credentials()
    # Building discovers the project id: STS first, then IAM signed with the STS credential.
    echo = sdk_hss_call(regional_client(idemu, creds))
    assert echo["project_id"] == identity.default_project_id(REGION)
    assert_minted_and_used(idemu, echo, "sts_oidc")
    stats = idemu.stats()
    assert (stats["sts_oidc"], stats["iam_projects"], stats["hss"]) == (1, 1, 1)


def test_sdk_oidc_sts_every_field(sdk_env, idemu, tmp_path):
    token_file = tmp_path / "id_token"
    token_file.write_text("  other-id-token\n")
    oidc_env(sdk_env, SESSION_NAME="ci-run-7", DURATION_SECONDS="7200", POLICY='{"Version":"5.0"}',
             POLICY_IDS=" p1, p2 ,,", TOKEN_FILE=str(token_file))
    sdk_env.delenv("HUAWEICLOUD_OIDC_ID_TOKEN")
    idemu.identity.oidc.update(agency_session_name="ci-run-7", duration_seconds=7200, id_token="other-id-token",
                               policy='{"Version":"5.0"}', policy_ids=["p1", "p2"])
    echo = sdk_hss_call(regional_client(idemu, OidcStsCredentialProvider.get_basic().get_credentials()))
    assert_minted_and_used(idemu, echo, "sts_oidc")
    # duration_seconds sets the expiry
    left = (idemu.identity.issued[0].expires_at - identity.utcnow()).total_seconds()
    assert 7190 < left <= 7200


def test_sdk_oidc_sts_wrong_id_token(sdk_env, idemu):
    oidc_env(sdk_env)
    idemu.identity.oidc["id_token"] = "another"
    with pytest.raises(sdk_exc.SdkException) as e:
        regional_client(idemu, OidcStsCredentialProvider.get_basic().get_credentials())
    assert "failed to get credential from oidc sts, detail: ClientRequestException" in str(e.value.error_msg)
    assert "status_code:401" in str(e.value.error_msg) and identity.ID_TOKEN not in str(e.value.error_msg)
    assert idemu.identity.issued == [] and idemu.stats()["iam_projects"] == 0


@pytest.mark.parametrize("minutes,fetches", [(41, 1), (39, 3)])
def test_sdk_refreshes_when_less_than_40_minutes_remain(sdk_env, idemu, minutes, fetches):
    """expires_in drives the SDK's refresh rule: with 39 minutes left it fetches before every request
    (the IAM call and two HSS calls), with 41 only once."""
    idemu.identity.expires_in = minutes * 60
    oidc_env(sdk_env)
    client = regional_client(idemu, OidcStsCredentialProvider.get_basic().get_credentials())
    for _ in range(2):
        sdk_hss_call(client)
    assert idemu.stats()["sts_oidc"] == fetches and len({c.ak for c in idemu.identity.issued}) == fetches


def pod_env(env, server, tmp_path, token=identity.POD_TOKEN):
    token_file = tmp_path / "pod_token"
    token_file.write_text(token + "\n")
    env.setenv("HC_CONTAINER_CREDENTIALS_FULL_URI", base_url(server) + identity.POD_IDENTITY_PATH)
    env.setenv("HC_CONTAINER_AUTHORIZATION_TOKEN_FILE", str(token_file))


def test_sdk_pod_identity_provider(sdk_env, idemu, tmp_path):
    pod_env(sdk_env, idemu, tmp_path)
    creds = PodIdentityCredentialProvider.get_basic().get_credentials()  # fetches at once
    assert idemu.stats()["pod_identity"] == 1
    echo = sdk_hss_call(regional_client(idemu, creds))
    assert echo["project_id"] == identity.default_project_id(REGION)
    assert_minted_and_used(idemu, echo, "pod_identity")
    assert idemu.stats()["pod_identity"] == 1  # an hour of validity: no refresh


def test_sdk_pod_identity_wrong_token(sdk_env, idemu, tmp_path):
    pod_env(sdk_env, idemu, tmp_path, token="not-the-pod-token")
    with pytest.raises(sdk_exc.SdkException) as e:
        PodIdentityCredentialProvider.get_basic().get_credentials()
    assert str(e.value.error_msg).startswith("failed to get credential from pod identity, detail: 401 Client Error")


def test_sdk_iam_federation(sdk_env, idemu, tmp_path):
    token_file = tmp_path / "id_token"
    token_file.write_text(identity.ID_TOKEN + "\n")
    sdk_env.setenv("HUAWEICLOUD_SDK_IDP_ID", identity.IDP_ID)
    sdk_env.setenv("HUAWEICLOUD_SDK_ID_TOKEN_FILE", str(token_file))
    echo = sdk_hss_call(regional_client(idemu, EnvCredentialProvider.get_basic().get_credentials()))
    assert_minted_and_used(idemu, echo, "iam_securitytokens")
    stats = idemu.stats()
    assert (stats["iam_id_token"], stats["iam_securitytokens"], stats["iam_projects"]) == (1, 1, 1)
    left = (idemu.identity.issued[0].expires_at - identity.utcnow()).total_seconds()
    assert 21590 < left <= 21600  # the SDK asks for 6 h


@pytest.mark.parametrize("shape", sorted(identity.SHAPES))
@pytest.mark.parametrize("fmt", ["micro", "milli"])
def test_sdk_parser_reads_every_shape(idemu, shape, fmt):
    idemu.identity.configure(expiry_format=fmt, shapes={"pod_identity": shape})
    status, _, body = fetch(base_url(idemu) + identity.POD_IDENTITY_PATH, "POST",
                            {"Authorization": identity.POD_TOKEN, "Content-Type": "application/json"}, {})
    assert status == 200
    parsed = sdk_internal.StsAccessor._process_credential(body)
    cred = idemu.identity.issued[0]
    assert (parsed.access, parsed.secret, parsed.security_token) == (cred.ak, cred.sk, cred.token)
    assert 3590 < parsed.expire_at - time_utils.get_timestamp_utc() <= 3600  # the SDK's own arithmetic


def test_sdk_parser_refuses_expiry_without_fraction(idemu):
    """The SDK bug libhss fixes (credentials.md §3.2): no fraction -> ValueError."""
    idemu.identity.expiry_format = "none"
    status, _, body = fetch(base_url(idemu) + identity.POD_IDENTITY_PATH, "POST",
                            {"Authorization": identity.POD_TOKEN, "Content-Type": "application/json"}, {})
    assert status == 200 and re.fullmatch(ISO_RE["none"], json.loads(body)["expiration"])
    with pytest.raises(ValueError):
        sdk_internal.StsAccessor._process_credential(body)


# ---------------------------------------------------------------- metadata, with plain urllib

def test_metadata_imdsv2_credential_signs_hss_calls(idemu):
    cred = metadata_credential(idemu)
    assert set(cred) == {"access", "secret", "securitytoken", "expires_at"}
    assert re.fullmatch(ISO_RE["micro"], cred["expires_at"])
    expires = dt.datetime.strptime(cred["expires_at"], "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=dt.timezone.utc)
    assert 3590 < (expires - identity.utcnow()).total_seconds() <= 3600
    port = idemu.server_address[1]
    status, _, body = send_signed(port, ak=cred["access"], sk=cred["secret"], token=cred["securitytoken"],
                                  date=sdk_date())
    assert status == 200
    echo = json.loads(body)["emulator_echo"]
    assert echo["temporary"] is True and echo["access_key"] == cred["access"]
    stats = idemu.stats()
    assert (stats["metadata_token"], stats["metadata_securitykey"], stats["hss"]) == (1, 1, 1)


def test_metadata_mints_fresh_credentials(idemu):
    a, b = metadata_credential(idemu), metadata_credential(idemu)
    assert a["access"] != b["access"] and a["secret"] != b["secret"] and a["securitytoken"] != b["securitytoken"]
    assert len(idemu.identity.issued) == 2


def test_metadata_token_rules(idemu):
    url = base_url(idemu)
    for ttl in (None, "0", "21601", "abc"):
        headers = {} if ttl is None else {"X-Metadata-Token-Ttl-Seconds": ttl}
        assert fetch(url + identity.METADATA_TOKEN_PATH, "PUT", headers)[0] == 400
    key = url + identity.METADATA_SECURITYKEY_PATH
    assert fetch(key)[0] == 401  # token mode: required
    assert fetch(key, headers={"X-Metadata-Token": "made-up"})[0] == 401
    token = fetch(url + identity.METADATA_TOKEN_PATH, "PUT", {"X-Metadata-Token-Ttl-Seconds": "60"})[2].decode()
    assert fetch(key, headers={"X-Metadata-Token": token})[0] == 200
    idemu.identity.expire_metadata_tokens()  # "token expired": the client must PUT again
    status, headers, body = fetch(key, headers={"X-Metadata-Token": token})
    assert status == 401 and headers["Content-Type"] == "text/plain"
    assert identity.AGENCY_ERROR.encode() not in body  # so the SDK would fetch a new token
    assert fetch(url + identity.METADATA_TOKEN_PATH, "GET")[0] == 404  # only PUT


def test_metadata_imdsv1_and_optional_token(idemu):
    url = base_url(idemu)
    idemu.identity.metadata_token = "unsupported"
    assert fetch(url + identity.METADATA_TOKEN_PATH, "PUT", {"X-Metadata-Token-Ttl-Seconds": "60"})[0] == 404
    assert fetch(url + identity.METADATA_SECURITYKEY_PATH)[0] == 200
    idemu.identity.metadata_token = "optional"
    assert fetch(url + identity.METADATA_SECURITYKEY_PATH)[0] == 200
    assert fetch(url + identity.METADATA_SECURITYKEY_PATH, headers={"X-Metadata-Token": "made-up"})[0] == 401


@pytest.mark.parametrize("fmt", sorted(identity.EXPIRY_FORMATS))
def test_metadata_expiry_formats(idemu, fmt):
    idemu.identity.configure(expiry_format=fmt, expires_in=-60)
    cred = metadata_credential(idemu)
    assert re.fullmatch(ISO_RE[fmt], cred["expires_at"])
    assert idemu.identity.issued[0].expired()
    assert identity.EXPIRY_FORMATS[fmt](idemu.identity.issued[0].expires_at) == cred["expires_at"]


def test_forced_failures(idemu):
    url = base_url(idemu)
    key = url + identity.METADATA_SECURITYKEY_PATH
    token = fetch(url + identity.METADATA_TOKEN_PATH, "PUT", {"X-Metadata-Token-Ttl-Seconds": "60"})[2].decode()
    idemu.identity.fail("metadata_securitykey", 401, "token expired", times=1)
    assert fetch(key, headers={"X-Metadata-Token": token})[:3:2] == (401, b"token expired")
    assert fetch(key, headers={"X-Metadata-Token": token})[0] == 200  # once only
    idemu.identity.fail("metadata_securitykey", 500)
    for _ in range(2):
        status, headers, body = fetch(key, headers={"X-Metadata-Token": token})
        assert status == 500 and json.loads(body)["error_code"] == "EMU.0500"
    idemu.identity.fail("metadata_token", 404)
    assert fetch(url + identity.METADATA_TOKEN_PATH, "PUT", {"X-Metadata-Token-Ttl-Seconds": "60"})[0] == 404
    idemu.identity.clear_failures()
    assert fetch(key, headers={"X-Metadata-Token": token})[0] == 200
    idemu.identity.fail("iam_projects", 503)
    status, headers, _ = fetch(url + "/v3/projects?name=cn-north-4")
    assert status == 503 and headers["X-IAM-Trace-Id"]
    with pytest.raises(ValueError):
        idemu.identity.fail("nope", 500)


def test_credential_shape_override(idemu):
    idemu.identity.shapes["metadata_securitykey"] = "top-snake"
    url = base_url(idemu)
    token = fetch(url + identity.METADATA_TOKEN_PATH, "PUT", {"X-Metadata-Token-Ttl-Seconds": "60"})[2].decode()
    body = json.loads(fetch(url + identity.METADATA_SECURITYKEY_PATH, headers={"X-Metadata-Token": token})[2])
    assert set(body) == {"access_key_id", "secret_access_key", "security_token", "expiration"}


# ------------------------------------------------ temporary credentials at the HSS and IAM routes

def test_temporary_credentials_need_their_token_and_expire(idemu):
    cred = metadata_credential(idemu)
    port = idemu.server_address[1]
    ak, sk = cred["access"], cred["secret"]

    def call(token):
        return error_of(send_signed(port, ak=ak, sk=sk, token=token, date=sdk_date()))

    status, code, msg = call(None)
    assert (status, code) == (401, "APIGW.0301") and "security token" in msg
    assert call(metadata_credential(idemu)["securitytoken"])[:2] == (401, "APIGW.0301")  # another AK's
    assert send_signed(port, ak=ak, sk=sk, token=cred["securitytoken"], date=sdk_date())[0] == 200
    idemu.identity.expire(ak)
    status, code, msg = call(cred["securitytoken"])
    assert (status, code) == (401, "APIGW.0301") and msg.endswith("the temporary access key has expired")
    assert cred["securitytoken"] not in msg


def test_iam_projects_route(idemu):
    idemu.identity.projects["eu-west-101"] = ["p1", "p2"]
    for region, ids in ((REGION, [identity.default_project_id(REGION)]), ("eu-west-101", ["p1", "p2"])):
        target, headers = iam_request(base_url(idemu), AK, SK, region=region)
        assert headers["Authorization"].count("SignedHeaders=host;user-agent;x-sdk-date,") == 1
        status, resp_headers, body = send(idemu.server_address[1], target, headers)
        assert status == 200 and re.fullmatch(r"[0-9a-f]{32}", resp_headers["X-IAM-Trace-Id"])
        doc = json.loads(body)
        assert [p["id"] for p in doc["projects"]] == ids and "self" in doc["links"]
        assert all(p["name"] == region and p["domain_id"] == identity.DOMAIN_ID for p in doc["projects"])
    assert idemu.identity.last_trace_id == resp_headers["X-IAM-Trace-Id"]
    assert re.fullmatch(r"[0-9a-f]{32}", identity.default_project_id(REGION))
    assert identity.default_project_id(REGION) != identity.default_project_id("eu-west-101")


def test_iam_projects_with_temporary_credentials(idemu):
    cred = metadata_credential(idemu)
    target, headers = iam_request(base_url(idemu), cred["access"], cred["secret"], token=cred["securitytoken"])
    assert "SignedHeaders=host;user-agent;x-sdk-date;x-security-token," in headers["Authorization"]
    assert send(idemu.server_address[1], target, headers)[0] == 200
    idemu.identity.expire()
    status, headers, body = send(idemu.server_address[1], target, headers)
    assert status == 401 and json.loads(body)["error_code"] == "APIGW.0301" and headers["X-IAM-Trace-Id"]


@pytest.mark.parametrize("extra", [{"Content-Type": "application/json"}, {"X-Project-Id": "p"}])
def test_iam_projects_needs_exactly_the_sdk_signed_headers(idemu, extra):
    target, headers = iam_request(base_url(idemu), AK, SK, extra=extra)
    status, code, msg = error_of(send(idemu.server_address[1], target, headers))
    assert (status, code) == (401, "APIGW.0301") and "SignedHeaders must be host;user-agent;x-sdk-date" in msg


def test_iam_projects_errors(idemu):
    port = idemu.server_address[1]
    target, headers = iam_request(base_url(idemu), AK, "WRONG")
    status, resp_headers, body = send(port, target, headers)
    assert status == 401 and json.loads(body)["error_code"] == "APIGW.0301"
    traces = {send(port, "/v3/projects?name=x", {"Host": "x"})[1]["X-IAM-Trace-Id"] for _ in range(3)}
    assert len(traces) == 3  # a fresh one every time, errors included
    target, headers = iam_request(base_url(idemu), AK, SK)
    assert send(port, target.replace("name=cn-north-4", "name=cn-north-1"), headers)[0] == 401  # query signed
    req = SdkRequest(method="GET", schema="http", host="127.0.0.1:%d" % port, resource_path="/v3/projects",
                     query_params=[], header_params={"User-Agent": "t"})
    Signer(BasicCredentials(AK, SK)).sign(req)
    assert error_of(send(port, req.uri, dict(req.header_params)))[:2] == (400, "EMU.1400")


def test_hss_checks_x_project_id(emu):
    target, headers = signed_request(emu, project_id="pid123", date=sdk_date())
    assert send(emu, target, headers)[0] == 200
    req = SdkRequest(method="GET", schema="http", host="127.0.0.1:%d" % emu, resource_path=path_for("pid123"),
                     query_params=list(GOOD.items()),
                     header_params={"User-Agent": "t", "X-Project-Id": "other", "X-Sdk-Date": sdk_date()})
    Signer(BasicCredentials(AK, SK)).sign(req)
    status, code, msg = error_of(send(emu, req.uri, dict(req.header_params)))
    assert (status, code) == (400, "HSS.0004") and "X-Project-Id" in msg


# ----------------------------------------------------- the unsigned routes' own checks

def test_sts_oidc_route_checks(idemu):
    url = base_url(idemu) + identity.STS_OIDC_PATH
    good = dict(identity.DEFAULT_OIDC)
    json_ct = {"Content-Type": "application/json;charset=UTF-8"}
    status, _, body = fetch(url, "POST", json_ct, good)
    assert status == 200 and set(json.loads(body)["credentials"]) == {
        "accessKeyId", "secretAccessKey", "securityToken", "expiration"}
    cases = [({"Content-Type": "text/plain"}, good, 400, "Content-Type"),
             (json_ct, b"[1]", 400, "JSON object"),
             (json_ct, dict(good, extra=1), 400, "unknown field(s): extra"),
             (json_ct, dict(good, duration_seconds="3600"), 400, "duration_seconds"),
             (json_ct, {k: v for k, v in good.items() if k != "agency_urn"}, 400, "agency_urn is missing"),
             (json_ct, dict(good, policy="p"), 400, "policy"),
             (json_ct, dict(good, id_token="wrong"), 401, "id_token")]
    for headers, body, want_status, text in cases:
        status, code, msg = error_of(fetch(url, "POST", headers, body))
        assert status == want_status and text in msg, (body, msg)
        assert identity.ID_TOKEN not in msg and "wrong" not in msg
    assert fetch(url, "GET")[0] == 404


def test_pod_identity_route_checks(idemu):
    url = base_url(idemu) + identity.POD_IDENTITY_PATH
    json_ct = {"Content-Type": "application/json"}
    assert fetch(url, "POST", json_ct, {})[0] == 401
    assert fetch(url, "POST", dict(json_ct, Authorization="nope"), {})[0] == 401
    assert fetch(url, "POST", dict(json_ct, Authorization=identity.POD_TOKEN), b"not json")[0] == 400
    idemu.identity.pod_token = "rotated"
    assert fetch(url, "POST", dict(json_ct, Authorization="rotated"), {})[0] == 200
    assert idemu.stats()["pod_identity"] == 4


def test_iam_federation_routes(idemu):
    url = base_url(idemu)
    hdrs = {"Content-Type": "application/json;charset=UTF-8", "X-Idp-Id": identity.IDP_ID}
    id_body = {"auth": {"id_token": {"id": identity.ID_TOKEN}}}
    assert fetch(url + identity.IAM_ID_TOKEN_PATH, "POST", dict(hdrs, **{"X-Idp-Id": "x"}), id_body)[0] == 401
    assert fetch(url + identity.IAM_ID_TOKEN_PATH, "POST", hdrs, {"auth": {"id_token": {"id": "x"}}})[0] == 401
    status, headers, body = fetch(url + identity.IAM_ID_TOKEN_PATH, "POST", hdrs, id_body)
    assert status == 201 and json.loads(body)["token"]["methods"] == ["mapped"]
    unscoped = headers["X-Subject-Token"]

    def securitytokens(token, duration=21600):
        return fetch(url + identity.IAM_SECURITYTOKENS_PATH, "POST", hdrs, {"auth": {"identity": {
            "methods": ["token"], "token": {"id": token, "duration_seconds": duration}}}})

    assert securitytokens("EMU-UNSCOPED-made-up")[0] == 401
    assert securitytokens(unscoped, 60)[0] == 400
    status, _, body = securitytokens(unscoped)
    assert status == 201 and set(json.loads(body)["credential"]) == {"access", "secret", "securitytoken",
                                                                     "expires_at"}


# ------------------------------------------------------------------ counters and standalone mode

def test_route_counters(idemu):
    port = idemu.server_address[1]
    metadata_credential(idemu)
    send(port, "/nope", {"Host": "x"})
    assert send_signed(port, date=sdk_date())[0] == 200
    full = idemu.stats()
    assert set(full) == {"requests", "connections", *emulator.ROUTE_NAMES}
    assert {k: v for k, v in full.items() if v} == {
        "requests": 4, "connections": 4, "metadata_token": 1, "metadata_securitykey": 1, "not_found": 1, "hss": 1}
    assert stats(port) == {"requests": 4, "connections": 4}  # the HTTP answer keeps its old shape ...
    status, _, body = send(port, "/_emulator/stats?routes=1&reset=1", {"Host": "x"})
    assert json.loads(body) == full  # ... unless asked
    assert set(idemu.stats().values()) == {0}


def test_cli_identity_settings(tmp_path):
    settings = {"projects": {REGION: ["p1", "p2"]}, "metadata_token": "unsupported"}
    proc = subprocess.Popen([sys.executable, os.path.join(HERE, "hss_emulator.py"), "--port", "0",
                             "--identity", json.dumps(settings)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        port = int(proc.stdout.readline().strip().split("=")[1])
        url = "http://127.0.0.1:%d" % port
        status, _, body = send(port, *iam_request(url, AK, SK))
        assert status == 200 and [p["id"] for p in json.loads(body)["projects"]] == ["p1", "p2"]
        assert fetch(url + identity.METADATA_SECURITYKEY_PATH)[0] == 200  # IMDSv1
        proc.send_signal(signal.SIGTERM)
        out, err = proc.communicate(timeout=5)
        assert proc.returncode == 0 and out == "" and err == ""
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    bad = subprocess.run([sys.executable, os.path.join(HERE, "hss_emulator.py"), "--identity", '{"nope": 1}'],
                         capture_output=True, text=True, timeout=10)
    assert bad.returncode == 2 and "unknown identity setting: nope" in bad.stderr


# ================================================================ fault script and clock (issue 13)

@pytest.fixture()
def femu(_idserver):
    """The emulator server with no fault script, no arrivals and a true clock, before and after."""
    _idserver.clear_faults()
    yield _idserver
    _idserver.clear_faults()


def port_of(server):
    return server.server_address[1]


def raw_exchange(port, target, headers, timeout=5):
    """Send one request on a fresh socket and read until the server closes: the raw answer bytes."""
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as sock:
        sock.sendall(("GET %s HTTP/1.1\r\n%s\r\n" % (target, "".join("%s: %s\r\n" % h for h in headers.items())))
                     .encode("utf-8"))
        chunks = []
        while True:
            chunk = sock.recv(65536)
            if not chunk:
                return b"".join(chunks)
            chunks.append(chunk)


def test_fault_script_errors_in_order_then_normal(femu):
    port = port_of(femu)
    femu.script([{"status": 503}, {"status": 429, "retry_after": "1"}, {"status": 429, "code": "APIG.0308"},
                 {"status": 502}, {"status": 504}, {"status": 400},
                 {"status": 401, "code": "APIGW.0301", "msg": "no"}, "pass",
                 {"status": 429, "retry_after": "Wed, 21 Oct 2015 07:28:00 GMT"}])
    answers = [send_signed(port, date=sdk_date()) for _ in range(10)]
    assert [error_of(a)[:2] for a in answers[:7]] == [
        (503, "EMU.0503"), (429, "APIG.0308"), (429, "APIG.0308"), (502, "APIGW.0202"), (504, "APIGW.0203"),
        (400, "HSS.0004"), (401, "APIGW.0301")]
    assert error_of(answers[6])[2] == "no"
    assert [a[1]["Retry-After"] for a in answers] == [None, "1"] + [None] * 6 + [
        "Wed, 21 Oct 2015 07:28:00 GMT", None]
    assert answers[7][0] == answers[9][0] == 200  # "pass", then the script is empty
    times = femu.arrival_times("hss")
    assert len(times) == 10 and times == sorted(times)
    assert femu.stats()["hss"] == 10


def test_fault_script_per_route(femu):
    port, url = port_of(femu), base_url(femu)
    femu.script([{"status": 503}], route="iam_projects")
    femu.script([{"status": 500}], route="metadata_securitykey")
    assert send_signed(port, date=sdk_date())[0] == 200  # hss: no script
    status, headers, _ = send(port, *iam_request(url, AK, SK))
    assert status == 503 and headers["X-IAM-Trace-Id"] is None  # the script answers before the route
    assert send(port, *iam_request(url, AK, SK))[0] == 200
    femu.identity.metadata_token = "optional"
    assert fetch(url + identity.METADATA_SECURITYKEY_PATH)[0] == 500
    assert fetch(url + identity.METADATA_SECURITYKEY_PATH)[0] == 200
    assert [r for r, _ in femu.arrivals] == ["hss", "iam_projects", "iam_projects", "metadata_securitykey",
                                           "metadata_securitykey"]
    femu.faults["hss"] = [{"status": 502}]  # the attribute itself works too
    assert error_of(send_signed(port, date=sdk_date()))[0] == 502


def test_fault_script_refuses_what_it_cannot_do(femu):
    for action in [{}, {"nope": 1}, {"status": 503, "reset": True}, {"retry_after": "1"}, "fail", None]:
        with pytest.raises(ValueError):
            femu.script([action])
    with pytest.raises(ValueError):
        femu.script(["pass"], route="nope")
    assert femu.faults == {}


def test_fault_reset(femu):
    port = port_of(femu)
    femu.script([{"reset": True}])
    with pytest.raises((ConnectionResetError, http.client.RemoteDisconnected)):
        send_signed(port, date=sdk_date())
    assert send_signed(port, date=sdk_date())[0] == 200
    assert len(femu.arrival_times()) == 2


def test_fault_truncate(femu):
    target, headers = signed_request(port_of(femu), date=sdk_date())
    femu.script([{"truncate": True}])
    answer = raw_exchange(port_of(femu), target, headers)
    head, _, body = answer.partition(b"\r\n\r\n")
    length = int(re.search(rb"\r\nContent-Length: (\d+)", head).group(1))
    assert head.startswith(b"HTTP/1.1 200 ") and b"\r\nX-Request-Id: " in head
    assert 0 < len(body) < length


def test_fault_oversize(femu):
    femu.script([{"oversize": True}])
    status, headers, body = send_signed(port_of(femu), date=sdk_date())
    assert status == 200 and len(body) == int(headers["Content-Length"]) == (256 << 10) + 1
    assert set(json.loads(body)) == {"image_command", "images_download_url", "swr_image_pull_command"}


def test_fault_stall_then_answer(femu):
    femu.script([{"stall": 0.5}])
    started = time.monotonic()
    assert send_signed(port_of(femu), date=sdk_date())[0] == 200
    assert 0.5 <= time.monotonic() - started < 3


def test_fault_stall_hangs_up_when_cleared(femu):
    """A client that gave up leaves a stalled handler; clearing the script (between tests) ends it
    without an answer, so that a late answer never lands in the next test's records."""
    target, headers = signed_request(port_of(femu), date=sdk_date())
    femu.script([{"stall": 30}])
    threading.Timer(0.3, femu.clear_faults).start()
    started = time.monotonic()
    assert raw_exchange(port_of(femu), target, headers) == b""
    assert time.monotonic() - started < 5


def http_date(header):
    assert re.fullmatch(r"(Mon|Tue|Wed|Thu|Fri|Sat|Sun), \d\d (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) "
                        r"\d{4} \d\d:\d\d:\d\d GMT", header), header  # RFC 7231 IMF-fixdate
    return email.utils.parsedate_to_datetime(header)


@pytest.mark.parametrize("minutes", [16, -16])
def test_clock_offset(femu, sdk_env, minutes):
    port, url = port_of(femu), base_url(femu)
    femu.clock_offset = minutes * 60
    skew = dt.timedelta(minutes=minutes)
    status, headers, body = send_signed(port, date=sdk_date())
    assert error_of((status, headers, body))[:2] == (401, "APIGW.0303")
    assert "signature expired" in json.loads(body)["error_msg"]
    assert abs(http_date(headers["Date"]) - (dt.datetime.now(dt.timezone.utc) + skew)) < dt.timedelta(seconds=5)
    # Signed with the server's time (what a client that read Date does): accepted.
    server_time = http_date(headers["Date"]).strftime("%Y%m%dT%H%M%SZ")
    assert send_signed(port, date=server_time)[0] == 200
    # 14 minutes apart is within the window; IAM checks the same clock; every answer has the Date.
    assert send_signed(port, date=sdk_date(skew - dt.timedelta(minutes=14 if minutes > 0 else -14)))[0] == 200
    status, headers, body = send(port, *iam_request(url, AK, SK))
    assert (status, json.loads(body)["error_code"]) == (401, "APIGW.0303")
    status, headers, _ = fetch(url + "/nope")
    assert status == 404 and abs(http_date(headers["Date"]) - dt.datetime.now(dt.timezone.utc) - skew) < \
        dt.timedelta(seconds=5)
    # The oracle: the official SDK signs with its own clock and does not correct it.
    with pytest.raises(sdk_exc.ClientRequestException) as e:
        sdk_call(sdk_client(port), **GOOD)
    assert (e.value.status_code, e.value.error_code) == (401, "APIGW.0303")
    femu.clear_faults()
    assert abs(http_date(send_signed(port, date=sdk_date())[1]["Date"]) - dt.datetime.now(dt.timezone.utc)) < \
        dt.timedelta(seconds=5)


def test_cli_clock_offset(tmp_path):
    proc = subprocess.Popen([sys.executable, os.path.join(HERE, "hss_emulator.py"), "--port", "0",
                             "--clock-offset", "-960"], stdout=subprocess.PIPE, text=True)
    try:
        port = int(proc.stdout.readline().strip().split("=")[1])
        status, headers, _ = send_signed(port, date=sdk_date())
        assert status == 401
        expected = dt.datetime.now(dt.timezone.utc) - dt.timedelta(minutes=16)
        assert abs(http_date(headers["Date"]) - expected) < dt.timedelta(seconds=5)
    finally:
        proc.terminate()
        proc.wait(10)
        proc.stdout.close()


# ============================================================ every signing algorithm (issue 15)
# The oracles: the official SDK's signers (live requests), and its recorded vectors with
# OpenSSL's verdicts (Tests/vectors/algorithms/, official-sdk/signers.md).

VECTOR_DATE = "20240607T080910Z"  # the X-Sdk-Date of every recorded vector
VECTOR_CREDENTIALS = {"AKEXAMPLE": "SKEXAMPLE", "AKEXAMPLE298": "SKEXAMPLE"}


def _vector_file(name):
    with open(os.path.join(ALGORITHM_VECTORS, name), encoding="utf-8") as f:
        return json.load(f)


EC_VECTORS = _vector_file("ec_vectors.json")  # P256, SM2 and SM2_leading_zero_case (AK AKEXAMPLE298)


def algorithm_vectors(api_only=False):
    """pytest params (algorithm, vector) of vectors.json; api_only: those a GET to the HSS route sent."""
    return [pytest.param(alg, vec, id="%s-%s" % (alg, vec["id"]))
            for alg, vecs in _vector_file("vectors.json")["vectors"].items() for vec in vecs
            if not api_only or (vec["inputs"]["method"] == "GET"
                                and emulator.API_PATH_RE.match(vec["wire_uri"].partition("?")[0]))]


def wire_of(vec):
    """What the official signer sent: (method, request target, headers, body bytes)."""
    i = vec["inputs"]
    body = bytes.fromhex(i["body_hex"]) if i["body_hex"] else (i["body_utf8"] or "").encode("utf-8")
    return i["method"], vec["wire_uri"], vec["headers_out"], body


@pytest.fixture(scope="module")
def vemu():
    """An emulator that knows the vectors' AK/SKs and whose clock reads their X-Sdk-Date."""
    server, _ = emulator.start_emulator(credentials=VECTOR_CREDENTIALS)
    when = dt.datetime.strptime(VECTOR_DATE, "%Y%m%dT%H%M%SZ").replace(tzinfo=dt.timezone.utc)
    server.clock_offset = (when - dt.datetime.now(dt.timezone.utc)).total_seconds()
    yield server
    server.shutdown()


@pytest.mark.parametrize("alg,vec", algorithm_vectors())
def test_algorithm_vectors_every_stage(alg, vec):
    """From what the official signer sent, the emulator rebuilds every stage byte for byte."""
    method, target, headers, body = wire_of(vec)
    ak, sk = vec["inputs"]["ak"], vec["inputs"]["sk"]
    fields = signing.parse_authorization(headers["Authorization"])
    assert (fields["algorithm"], fields["Access"]) == (alg, ak)
    scope = fields.get("scope")
    if alg == signing.V11:
        assert scope == "20240607/%(region_id)s/%(derived_auth_service_name)s" % vec["inputs"]
        assert signing.derived_key(ak, sk, scope) == vec["derived_key_hex"].encode()
    else:
        assert scope is None and "derived_key_hex" not in vec
    values = {k.lower(): v.encode("utf-8") for k, v in headers.items()}
    declared = [values[h] for h in [signing.content_header(alg).lower()] if h in values]
    path, _, query = target.partition("?")
    creq = emulator.build_canonical_request(method, path.encode(), query.encode(), fields["SignedHeaders"],
                                            values, emulator.payload_hash(alg, body, declared))
    assert creq.decode("utf-8") == vec["canonical_request"]
    sts = signing.string_to_sign(headers["X-Sdk-Date"], creq, alg, scope)
    assert sts.decode("utf-8") == vec["string_to_sign"]
    assert signing.hmac_signature(alg, ak, sk, sts, scope) == fields["Signature"]
    assert signing.verify(alg, ak, sk, sts, fields["Signature"], scope)
    assert not signing.verify(alg, ak, sk + "x", sts, fields["Signature"], scope)


@pytest.mark.parametrize("alg,vec", algorithm_vectors(api_only=True))
def test_algorithm_vectors_through_the_emulator(vemu, alg, vec):
    """The recorded requests, sent as they were (the emulator's clock set to their date): the
    signature passes (the answer is 200, or 400 HSS.0004 for a query that is not the API's),
    and the echo names the algorithm; a changed signature is refused."""
    _, target, headers, _ = wire_of(vec)
    status, _, body = send(port_of(vemu), target, headers)
    answer = json.loads(body)
    if status == 400:
        assert answer["error_code"] == "HSS.0004", answer
    else:
        assert status == 200, answer
        echo = answer["emulator_echo"]
        assert echo["algorithm"] == alg and echo["access_key"] == "AKEXAMPLE"
        assert echo["scope"] == signing.parse_authorization(headers["Authorization"]).get("scope")
    assert vemu.verified[-1] == ("hss", alg)
    authorization = headers["Authorization"]
    tampered = authorization[:-1] + ("0" if authorization[-1] != "0" else "1")
    assert error_of(send(port_of(vemu), target, dict(headers, Authorization=tampered)))[:2] == (401, "APIGW.0301")


def public_key_of(case):
    return bytes.fromhex(EC_VECTORS[case]["public_key_uncompressed_hex"])


@pytest.mark.parametrize("case", list(EC_VECTORS))
def test_ec_keys_derived_from_ak_sk(case):
    """d and d*G from AK/SK are the recorded ones; the SPKI is the recorded PEM; SM2's Z_A is the
    recorded standard one, and the installed SDK computes the recorded non-standard one."""
    v = EC_VECTORS[case]
    alg, pub = v["algorithm"], public_key_of(case)
    assert signing.ec_private_key(alg, v["ak"], v["sk"]) == int(v["private_key_d_hex"], 16)
    assert signing.ec_public_key(alg, v["ak"], v["sk"]) == pub
    with open(os.path.join(ALGORITHM_VECTORS, v["public_key_pem_file"]), encoding="ascii") as f:
        pem = "".join(line for line in f.read().splitlines() if not line.startswith("-----"))
    assert base64.b64decode(pem) == signing.SPKI_PREFIX[alg] + pub
    if alg == signing.SM2_SM3:
        assert signing.sm2_za(pub).hex() == v["ZA_hex_standard_fixed_32_byte_fields"]
        point = (int.from_bytes(pub[1:33], "big"), int.from_bytes(pub[33:], "big"))
        assert SM2SigningKey._za(point).hex() == v["ZA_hex_as_sdk_computes"]
    # Only the leading-zero key's Z_A differ (its public x starts with a zero byte).
    assert (v.get("ZA_hex_as_sdk_computes") != v.get("ZA_hex_standard_fixed_32_byte_fields")) == (pub[1] == 0)


@pytest.mark.parametrize("case", list(EC_VECTORS))
def test_recorded_ec_signatures(case):
    """The emulator's verdict on each official signature is OpenSSL's; the leading-zero key's
    signatures verify only with the SDK's own Z_A, so the Z_A alone is why they are refused."""
    v = EC_VECTORS[case]
    alg, sts = v["algorithm"], v["string_to_sign"].encode()
    for recorded in v["signatures"]:
        fields = signing.parse_authorization(recorded["authorization"])
        assert (fields["algorithm"], fields["Access"]) == (alg, v["ak"])
        verdict = signing.verify(alg, v["ak"], v["sk"], sts, fields["Signature"])
        assert verdict is (recorded["openssl_verify"] == "Verified OK") and recorded["sdk_self_verify"]
        assert not signing.verify(alg, v["ak"], v["sk"], sts + b"x", fields["Signature"])
        if alg == signing.SM2_SM3:
            assert signing.ec_verify(alg, public_key_of(case), sts, bytes.fromhex(fields["Signature"]),
                                     za=bytes.fromhex(v["ZA_hex_as_sdk_computes"]))
    assert [c for c in EC_VECTORS if any(s["openssl_verify"] != "Verified OK" for s in EC_VECTORS[c]["signatures"])] \
        == ["SM2_leading_zero_case"]


def ec_vector_request(case, signature):
    """The recorded EC request (vector ascii-specials) with this signature: (target, headers)."""
    v = EC_VECTORS[case]
    host = re.search(r"\nhost:(.*)\n", v["canonical_request"]).group(1)
    authorization = "%s Access=%s, SignedHeaders=content-type;host;x-sdk-date, Signature=%s" % (
        v["algorithm"], v["ak"], signature)
    return v["wire_uri"], {"Content-Type": "application/json", "X-Sdk-Date": VECTOR_DATE, "Host": host,
                           "Authorization": authorization}


@pytest.mark.parametrize("case", list(EC_VECTORS))
def test_recorded_ec_signatures_through_the_emulator(vemu, case):
    v = EC_VECTORS[case]
    for recorded in v["signatures"]:
        target, headers = ec_vector_request(case, signing.parse_authorization(recorded["authorization"])["Signature"])
        assert headers["Authorization"] == recorded["authorization"]
        status, _, body = send(port_of(vemu), target, headers)
        if recorded["openssl_verify"] == "Verified OK":
            assert status == 200 and json.loads(body)["emulator_echo"]["algorithm"] == v["algorithm"]
            assert vemu.verified[-1] == ("hss", v["algorithm"])
        else:
            status, code, msg = error_of((status, _, body))
            assert (status, code) == (401, "APIGW.0301") and msg.startswith("Verify aksk signature fail")


def test_sm2_leading_zero_key_with_the_standard_za(vemu):
    """The SDK's SM2 arithmetic with the standard Z_A signs what the emulator accepts for that key."""
    v = EC_VECTORS["SM2_leading_zero_case"]
    key = SM2SigningKey(int(v["private_key_d_hex"], 16))
    key._z = signing.sm2_za(public_key_of("SM2_leading_zero_case"))
    signature = key.sign(v["string_to_sign"].encode()).hex()
    status, _, body = send(port_of(vemu), *ec_vector_request("SM2_leading_zero_case", signature))
    assert status == 200 and json.loads(body)["emulator_echo"]["access_key"] == "AKEXAMPLE298"


@pytest.mark.parametrize("algorithm", list(SDK_SIGNERS))
def test_sdk_client_each_algorithm(emu, algorithm):
    """HssClient with HttpConfig(signing_algorithm=...) works, hostile parameters included."""
    params = HOSTILE[1]
    echo = echo_of(sdk_call(sdk_client(emu, algorithm=SDK_SIGNERS[algorithm][0]), **params))
    assert {k: echo[k] for k in params} == params
    assert (echo["algorithm"], echo["scope"], echo["access_key"]) == (algorithm, None, AK)
    assert echo["signed_headers"] == "content-type;host;user-agent;x-project-id;x-sdk-date"


def v11_builder(creds, endpoint):
    """HssClient's builder set up for V11 as the SDK allows: a derived predicate (the SDK's default
    one picks V11 for 127.0.0.1) and a service name, which HSS's own client never sets."""
    creds.with_derived_predicate(Credentials.get_default_derived_predicate())
    cfg = HttpConfig(timeout=5, user_agent="libhss-emulator-test")
    builder = (HssClient.new_builder().with_credentials(creds).with_http_config(cfg)
               .with_region(Region(REGION, endpoint)))
    builder._with_derived_auth_service_name("hss")
    return builder


def utc_day():
    return dt.datetime.now(dt.timezone.utc).strftime("%Y%m%d")


def test_sdk_client_v11(emu):
    before = utc_day()
    echo = echo_of(sdk_call(v11_builder(BasicCredentials(AK, SK, "pid123"), "http://127.0.0.1:%d" % emu).build(),
                            **GOOD))
    assert echo["algorithm"] == signing.V11 and echo["access_key"] == AK
    assert echo["scope"] in {"%s/%s/hss" % (day, REGION) for day in (before, utc_day())}


@pytest.mark.parametrize("algorithm", signing.ALGORITHMS)
def test_each_algorithm_refuses_what_was_not_signed(emu, algorithm):
    """Signed by the official signer: accepted; a changed query, another SK, another algorithm's
    name on the same signature, a malformed signature: 401 APIGW.0301."""
    query = dict(GOOD, password="p@ss+w/rd=&")
    target, headers = signed_request(emu, query=query, date=sdk_date(), algorithm=algorithm)
    status, _, body = send(emu, target, headers)
    assert status == 200 and json.loads(body)["emulator_echo"]["algorithm"] == algorithm
    expected = sdk_canonical_request(emu, "pid123", dict(query, username="root").items(), headers)
    if algorithm in (signing.HMAC_SM3, signing.SM2_SM3):  # the SM3 family hashes the empty body with SM3
        expected = expected.rsplit("\n", 1)[0] + "\n" + emulator.EMPTY_BODY_HASH[algorithm]
    status, code, msg = error_of(send(emu, target.replace("username=admin", "username=root"), headers))
    assert (status, code, msg) == (401, "APIGW.0301", "Verify aksk signature fail, canonicalRequest: " + expected)
    assert error_of(send_signed(emu, sk="WRONG", date=sdk_date(), algorithm=algorithm))[:2] == (401, "APIGW.0301")
    authorization = headers["Authorization"]
    for other in signing.ALGORITHMS:
        if other != algorithm and (other == signing.V11) == (algorithm == signing.V11):
            forged = dict(headers, Authorization=authorization.replace(algorithm, other, 1))
            assert error_of(send(emu, target, forged))[:2] == (401, "APIGW.0301"), other
    for signature in ("", "zz", "3006020101020101", "ABCDEF" * 12):
        forged = dict(headers, Authorization=authorization.rsplit("=", 1)[0] + "=" + signature)
        assert error_of(send(emu, target, forged))[:2] == (401, "APIGW.0301"), signature


def test_v11_scope_date_must_be_x_sdk_date(emu):
    target, headers = signed_request(emu, date=sdk_date(), algorithm=signing.V11)
    day = headers["X-Sdk-Date"][:8]
    other = (dt.datetime.strptime(day, "%Y%m%d") - dt.timedelta(days=1)).strftime("%Y%m%d")
    forged = dict(headers, Authorization=headers["Authorization"].replace("/%s/" % day, "/%s/" % other))
    status, code, msg = error_of(send(emu, target, forged))
    assert (status, code) == (401, "APIGW.0301") and "scope's date" in msg
    # Any region and service: the emulator does not know which one it is (the signature covers them).
    target, headers = signed_request(emu, date=sdk_date(), algorithm=signing.V11)
    assert send(emu, target, headers)[0] == 200


@pytest.mark.parametrize("algorithm", signing.ALGORITHMS)
def test_sdk_iam_discovery_each_algorithm(sdk_env, idemu, algorithm):
    """The SDK discovers the project id through IAM with the configured algorithm, and with
    SDK-HMAC-SHA256 when the HSS calls use V11 (its predicate is off for IAM)."""
    idemu.clear_faults()
    if algorithm == signing.V11:
        client = v11_builder(BasicCredentials(AK, SK), base_url(idemu)).build()
    else:
        cfg = HttpConfig(timeout=5, user_agent="libhss-emulator-test", signing_algorithm=SDK_SIGNERS[algorithm][0])
        client = (HssClient.new_builder().with_credentials(BasicCredentials(AK, SK)).with_http_config(cfg)
                  .with_region(Region(REGION, base_url(idemu))).build())
    echo = sdk_hss_call(client)
    assert echo["project_id"] == identity.default_project_id(REGION) and echo["algorithm"] == algorithm
    iam_algorithm = signing.HMAC_SHA256 if algorithm == signing.V11 else algorithm
    assert idemu.verified == [("iam_projects", iam_algorithm), ("hss", algorithm)]


def test_sdk_sm2_leading_zero_key_is_refused():
    """The documented disagreement: the official SDK's SM2 signatures for AKEXAMPLE298 use its
    non-standard Z_A, which the emulator (like OpenSSL) refuses; the same key's other algorithms work."""
    server, port = emulator.start_emulator(credentials=VECTOR_CREDENTIALS)
    try:
        ak, sk = "AKEXAMPLE298", VECTOR_CREDENTIALS["AKEXAMPLE298"]
        with pytest.raises(sdk_exc.ClientRequestException) as e:
            sdk_call(sdk_client(port, ak=ak, sk=sk, algorithm=SigningAlgorithm.SM2_SM3), **GOOD)
        assert (e.value.status_code, e.value.error_code) == (401, "APIGW.0301")
        echo = echo_of(sdk_call(sdk_client(port, ak=ak, sk=sk, algorithm=SigningAlgorithm.ECDSA_P256_SHA256), **GOOD))
        assert (echo["algorithm"], echo["access_key"]) == (signing.ECDSA_P256, ak)
    finally:
        server.shutdown()


def test_empty_body_hashes():
    assert emulator.EMPTY_BODY_HASH == {alg: signing.hash_hex(alg, b"") for alg in signing.ALGORITHMS}
