"""Helpers of the emulator's own tests (Tests/emulator): the official Huawei Cloud Python SDK, used
as the oracle, and plain HTTP clients. The emulator is the one libhss ships, bindings/python/_hss_testing
(Tests/conftest.py puts bindings/python on sys.path); the fixtures are in conftest.py here.

Importing huaweicloudsdkcore.auth writes a tracking id to ~/.huaweicloud/application_id; the SDK is
imported under official_sdk.scratch_home() so that the caller's home stays untouched.
"""

import datetime as dt
import email.utils
import http.client
import json
import os
import re
import socket
import subprocess
import sys
import urllib.error
import urllib.request
from pathlib import Path
from urllib.parse import quote

from _hss_testing import identity, signing
from official_sdk import scratch_home

with scratch_home():  # the SDK's names the tests use, all imported here, where HOME is a scratch one
    from huaweicloudsdkcore.auth import internal as sdk_internal
    from huaweicloudsdkcore.auth.credentials import BasicCredentials, Credentials  # noqa: F401
    from huaweicloudsdkcore.auth.provider import (  # noqa: F401
        EnvCredentialProvider,
        OidcStsCredentialProvider,
        PodIdentityCredentialProvider,
    )
    from huaweicloudsdkcore.exceptions import exceptions as sdk_exc  # noqa: F401
    from huaweicloudsdkcore.http.http_config import HttpConfig
    from huaweicloudsdkcore.region.region import Region
    from huaweicloudsdkcore.sdk_request import SdkRequest
    from huaweicloudsdkcore.signer.algorithm import SigningAlgorithm
    from huaweicloudsdkcore.signer.signer import DerivationAKSKSigner, P256SHA256Signer, Signer, SM2SM3Signer, SM3Signer
    from huaweicloudsdkcore.signer.utils import SM2SigningKey  # noqa: F401
    from huaweicloudsdkcore.utils import time_utils  # noqa: F401
    from huaweicloudsdkhss.v5 import HssClient, ShowImageUploadCommandRequest

HERE = Path(__file__).resolve().parent
BINDING_DIR = HERE.parent.parent / "bindings" / "python"
VECTORS = HERE.parent / "vectors" / "signing.json"
ALGORITHM_VECTORS = HERE.parent / "vectors" / "algorithms"

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

REGION = "cn-north-4"
ISO_RE = {"micro": r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.000000Z", "milli": r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.000Z",
          "none": r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ"}


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


def base_url(server):
    return "http://127.0.0.1:%d" % server.server_address[1]


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


def pod_env(env, server, tmp_path, token=identity.POD_TOKEN):
    token_file = tmp_path / "pod_token"
    token_file.write_text(token + "\n")
    env.setenv("HC_CONTAINER_CREDENTIALS_FULL_URI", base_url(server) + identity.POD_IDENTITY_PATH)
    env.setenv("HC_CONTAINER_AUTHORIZATION_TOKEN_FILE", str(token_file))


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


def http_date(header):
    assert re.fullmatch(r"(Mon|Tue|Wed|Thu|Fri|Sat|Sun), \d\d (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) "
                        r"\d{4} \d\d:\d\d:\d\d GMT", header), header  # RFC 7231 IMF-fixdate
    return email.utils.parsedate_to_datetime(header)


def cli(*args, stderr=subprocess.PIPE):
    """The hss-emulator command (python -m _hss_testing, from the source tree) in a child process."""
    return subprocess.Popen([sys.executable, "-m", "_hss_testing", *args], stdout=subprocess.PIPE, stderr=stderr,
                            text=True, env=dict(os.environ, PYTHONPATH=str(BINDING_DIR)))


def cli_port(proc) -> int:
    """The port of the command's first line, HSS_EMULATOR_ENDPOINT=http://127.0.0.1:<port>."""
    line = proc.stdout.readline()
    m = re.fullmatch(r"HSS_EMULATOR_ENDPOINT=http://127\.0\.0\.1:(\d+)\n", line)
    assert m, line + (proc.stderr.read() if proc.stderr and proc.poll() is not None else "")
    return int(m.group(1))
