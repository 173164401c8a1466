"""The identity services (IAM, ECS metadata, CCE pod identity, STS, IAM federation) against the
official SDK's providers and parsers, every endpoint pointed at 127.0.0.1 first. The SDK's metadata
provider is never run (its URL is hard-coded to 169.254.169.254): the metadata routes are checked
with plain urllib against the SDK's shapes."""

import datetime as dt
import json
import re

import pytest
from _hss_testing import identity, routes
from emu_support import (
    AK,
    ISO_RE,
    REGION,
    SK,
    BasicCredentials,
    EnvCredentialProvider,
    OidcStsCredentialProvider,
    PodIdentityCredentialProvider,
    SdkRequest,
    Signer,
    assert_minted_and_used,
    base_url,
    error_of,
    fetch,
    iam_request,
    metadata_credential,
    oidc_env,
    pod_env,
    regional_client,
    sdk_date,
    sdk_exc,
    sdk_hss_call,
    sdk_internal,
    send,
    send_signed,
    stats,
    time_utils,
)

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


def test_identity_routes_scripted_failures(idemu):
    """The identity routes' failures are scripted like the HSS route's: a text body as the metadata
    service writes one, the default JSON error, over and over (repeat=True) until cleared."""
    url = base_url(idemu)
    key = url + identity.METADATA_SECURITYKEY_PATH
    token = fetch(url + identity.METADATA_TOKEN_PATH, "PUT", {"X-Metadata-Token-Ttl-Seconds": "60"})[2].decode()
    idemu.script([{"status": 401, "body": "token expired"}], route="metadata_securitykey")
    status, headers, body = fetch(key, headers={"X-Metadata-Token": token})
    assert (status, headers["Content-Type"], body) == (401, "text/plain", b"token expired")
    assert fetch(key, headers={"X-Metadata-Token": token})[0] == 200  # once only
    idemu.script([{"status": 500}], route="metadata_securitykey", repeat=True)
    for _ in range(3):
        status, headers, body = fetch(key, headers={"X-Metadata-Token": token})
        assert status == 500 and json.loads(body)["error_code"] == "HSS.0000"
    idemu.clear_faults()
    assert fetch(key, headers={"X-Metadata-Token": token})[0] == 200


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
    assert set(full) == {"requests", "connections", "dropped_idle", *routes.ROUTE_NAMES}
    assert {k: v for k, v in full.items() if v} == {
        "requests": 4, "connections": 4, "metadata_token": 1, "metadata_securitykey": 1, "not_found": 1, "hss": 1}
    assert stats(port) == {"requests": 4, "connections": 4}  # the HTTP answer keeps its old shape ...
    status, _, body = send(port, "/_emulator/stats?routes=1&reset=1", {"Host": "x"})
    assert json.loads(body) == full  # ... unless asked
    assert set(idemu.stats().values()) == {0}
