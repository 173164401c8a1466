"""The gateway's checks: the emulator's canonical request against the recorded vectors, and
requests signed by the official SDK's signer, then tampered with (APIGW.0301, APIGW.0303, APIGW.0307)."""

import datetime as dt
import json

import pytest
from _hss_testing import canonical, signing
from emu_support import HOSTILE, VECTORS, error_of, sdk_canonical_request, sdk_date, send, send_signed, signed_request

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
    creq = canonical.build_canonical_request("GET", path.encode(), raw_query.encode(), ex["signed_headers"],
                                            values, canonical.payload_hash(signing.HMAC_SHA256, b"", []))
    assert canonical.canonical_uri(path.encode()) == ex["canonical_uri"]
    assert canonical.canonical_query(canonical.parse_query(raw_query.encode())) == ex["canonical_query"]
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
