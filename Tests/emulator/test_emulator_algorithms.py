"""Every signing algorithm against the official SDK's signers and its recorded vectors, with
OpenSSL's verdicts (Tests/vectors/algorithms/), SM2's leading-zero key included."""

import base64
import datetime as dt
import json
import os
import re

import pytest
from _hss_testing import canonical, identity, routes, signing, start_emulator
from emu_support import (
    AK,
    ALGORITHM_VECTORS,
    GOOD,
    HOSTILE,
    REGION,
    SDK_SIGNERS,
    SK,
    BasicCredentials,
    Credentials,
    HssClient,
    HttpConfig,
    Region,
    SigningAlgorithm,
    SM2SigningKey,
    base_url,
    echo_of,
    error_of,
    port_of,
    sdk_call,
    sdk_canonical_request,
    sdk_client,
    sdk_date,
    sdk_exc,
    sdk_hss_call,
    send,
    send_signed,
    signed_request,
)

# ============================================================ every signing algorithm (issue 15)
# The oracles: the official SDK's signers (live requests), and its recorded vectors with
# OpenSSL's verdicts (Tests/vectors/algorithms/, described in its README.md).

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
            if not api_only or (vec["inputs"]["method"] == "GET" and _hss_route(vec["wire_uri"]))]


def _hss_route(target):
    route, _ = routes.find("GET", target.partition("?")[0].encode())
    return route is not None and route.name == "hss"


def wire_of(vec):
    """What the official signer sent: (method, request target, headers, body bytes)."""
    i = vec["inputs"]
    body = bytes.fromhex(i["body_hex"]) if i["body_hex"] else (i["body_utf8"] or "").encode("utf-8")
    return i["method"], vec["wire_uri"], vec["headers_out"], body


@pytest.fixture(scope="module")
def vemu():
    """An emulator that knows the vectors' AK/SKs and whose clock reads their X-Sdk-Date."""
    server, _ = start_emulator(credentials=VECTOR_CREDENTIALS)
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
    creq = canonical.build_canonical_request(method, path.encode(), query.encode(), fields["SignedHeaders"],
                                            values, canonical.payload_hash(alg, body, declared))
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
        expected = expected.rsplit("\n", 1)[0] + "\n" + canonical.EMPTY_BODY_HASH[algorithm]
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
    server, port = start_emulator(credentials=VECTOR_CREDENTIALS)
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
    assert canonical.EMPTY_BODY_HASH == {alg: signing.hash_hex(alg, b"") for alg in signing.ALGORITHMS}

