"""Every signing algorithm through the C API (issue 15): Tests/c/test_api.c's `call` case with
HSS_TEST_SIGNING_ALGORITHM (an hss_signing_algorithm number) and HSS_TEST_DERIVED_KEY_SERVICE,
against the emulator, which verifies all five (bindings/python/_hss_testing/signing.py) and names
the one it verified in its echo ("algorithm", and V11's credential "scope") and in server.verified, IAM's
project lookup included.
"""

from __future__ import annotations

import re

import pytest
from _hss_testing import DEFAULT_AK as EMULATOR_AK
from _hss_testing import DEFAULT_SK as EMULATOR_SK
from _hss_testing import default_project_id

REGION = "cn-north-4"
# hss.h's hss_signing_algorithm values and the scheme each puts in the Authorization header.
ALGORITHMS = {1: "SDK-HMAC-SHA256", 2: "SDK-HMAC-SM3", 3: "SDK-ECDSA-P256-SHA256", 4: "SDK-SM2-SM3",
              5: "V11-HMAC-SHA256"}
V11 = 5
# The recorded key whose SM2 public x starts with a zero byte (Tests/vectors/algorithms/ec_vectors.json,
# SM2_leading_zero_case): there the official Python SDK's Z_A is not the standard's.
LEADING_ZERO_AK, LEADING_ZERO_SK = "AKEXAMPLE298", "SKEXAMPLE"
HOSTILE = {"HSS_TEST_REGISTRY_ADDR": "reg.example.com:5000", "HSS_TEST_NAMESPACE": "命名空间 a+b",
           "HSS_TEST_USERNAME": "u&=+%/~", "HSS_TEST_PASSWORD": "%41%%+ &=/~?#é"}


@pytest.fixture(scope="module")
def emu(make_emulator):
    """An emulator that also knows the leading-zero key."""
    return make_emulator(credentials={EMULATOR_AK: EMULATOR_SK, LEADING_ZERO_AK: LEADING_ZERO_SK})


def client_env(emu, number, **extra):
    """A client of `emu` signing with algorithm `number` (V11: with the region it needs)."""
    env = {"HSS_TEST_ENDPOINT": emu.endpoint, "HSS_TEST_SIGNING_ALGORITHM": number}
    if number == V11:
        env["HSS_TEST_REGION"] = REGION
    env.update(extra)
    return env


def call(hss_c, emu, env, calls=1):
    """Run the call case, which must succeed; the emulator's echoes of its calls."""
    before = len(emu.echoes)
    r = hss_c.run("call", dict(env, HSS_TEST_CALLS=calls)).check()
    assert len(emu.echoes) == before + calls, r.describe()
    return emu.echoes[before:]


def expect_invalid(hss_c, emu, env, message):
    before = emu.stats()["requests"]
    hss_c.run("call", dict(env, HSS_TEST_EXPECT="HSS_E_INVALID_ARGUMENT", HSS_TEST_EXPECT_MESSAGE=message)).check()
    assert emu.stats()["requests"] == before  # refused at creation: nothing sent


@pytest.mark.parametrize("number", list(ALGORITHMS), ids=list(ALGORITHMS.values()))
def test_a_call_through_each_algorithm(hss_c, emu, number):
    """The acceptance test: the emulator verifies the signature, hostile parameters included, and
    the Authorization's scheme is the algorithm's; V11's scope is the day, the region and "hss"."""
    r = hss_c.run("call", dict(client_env(emu, number), **HOSTILE)).check()
    echo = emu.echoes[-1]
    assert echo["algorithm"] == ALGORITHMS[number] and echo["access_key"] == EMULATOR_AK
    assert echo["namespace"] == HOSTILE["HSS_TEST_NAMESPACE"] and echo["password"] == HOSTILE["HSS_TEST_PASSWORD"]
    assert echo["signed_headers"] == "content-type;host;user-agent;x-project-id;x-sdk-date"
    assert r.results["image_command"].decode("utf-8").startswith(
        "docker login -u %(HSS_TEST_USERNAME)s -p %(HSS_TEST_PASSWORD)s " % HOSTILE)
    if number == V11:
        assert re.fullmatch(r"\d{8}/%s/hss" % REGION, echo["scope"]), echo
    else:
        assert echo["scope"] is None
    assert emu.server.verified == [("hss", ALGORITHMS[number])]


def test_the_default_is_sdk_hmac_sha256(hss_c, emu):
    assert call(hss_c, emu, client_env(emu, 0))[0]["algorithm"] == "SDK-HMAC-SHA256"


@pytest.mark.parametrize("number", [2, 3, 4])
def test_repeated_calls_on_one_client(hss_c, emu, number):
    """The key is prepared once per client and signs every call (EC signatures are random)."""
    echoes = call(hss_c, emu, client_env(emu, number), calls=3)
    assert [e["algorithm"] for e in echoes] == [ALGORITHMS[number]] * 3


def test_v11_derived_key_service(hss_c, emu):
    echo = call(hss_c, emu, client_env(emu, V11, HSS_TEST_DERIVED_KEY_SERVICE="iotdm"))[0]
    assert echo["algorithm"] == "V11-HMAC-SHA256" and echo["scope"].endswith("/%s/iotdm" % REGION)


def test_v11_needs_a_region(hss_c, emu):
    """An endpoint alone (127.0.0.1 names no region) cannot scope V11's key; an endpoint of the
    hss.<region>.myhuaweicloud.com form names one (no call made: loopback only)."""
    env = {"HSS_TEST_ENDPOINT": emu.endpoint, "HSS_TEST_SIGNING_ALGORITHM": V11}
    expect_invalid(hss_c, emu, env, "V11-HMAC-SHA256 needs the region")
    hss_c.run("call", dict(env, HSS_TEST_ENDPOINT="https://hss.%s.myhuaweicloud.com" % REGION,
                           HSS_TEST_CALLS=0)).check()


@pytest.mark.parametrize("extra,message", [
    ({"HSS_TEST_SIGNING_ALGORITHM": 6}, "signing_algorithm must be an hss_signing_algorithm"),
    ({"HSS_TEST_SIGNING_ALGORITHM": -1}, "signing_algorithm must be an hss_signing_algorithm"),
    ({"HSS_TEST_SIGNING_ALGORITHM": 2, "HSS_TEST_DERIVED_KEY_SERVICE": "hss"}, "derived_key_service goes with V11"),
    ({"HSS_TEST_DERIVED_KEY_SERVICE": "hss"}, "derived_key_service goes with V11"),
    ({"HSS_TEST_SIGNING_ALGORITHM": V11, "HSS_TEST_REGION": REGION, "HSS_TEST_DERIVED_KEY_SERVICE": "a b"},
     "derived_key_service must be 1-64"),
    ({"HSS_TEST_SIGNING_ALGORITHM": V11, "HSS_TEST_REGION": REGION, "HSS_TEST_DERIVED_KEY_SERVICE": ""},
     "derived_key_service must be 1-64"),
])
def test_invalid_options(hss_c, emu, extra, message):
    expect_invalid(hss_c, emu, dict({"HSS_TEST_ENDPOINT": emu.endpoint}, **extra), message)


@pytest.mark.parametrize("number", list(ALGORITHMS), ids=list(ALGORITHMS.values()))
def test_iam_discovery_with_each_algorithm(hss_c, emu, number):
    """No project id: IAM's lookup is signed with the same algorithm, except V11's client, whose
    lookup is SDK-HMAC-SHA256 (as the official SDK does)."""
    env = client_env(emu, number, HSS_TEST_REGION=REGION, HSS_TEST_PROJECT_ID=None,
                     HSS_TEST_IAM_ENDPOINT=emu.endpoint)
    echo = call(hss_c, emu, env)[0]
    assert echo["project_id"] == default_project_id(REGION) and echo["algorithm"] == ALGORITHMS[number]
    iam = "SDK-HMAC-SHA256" if number == V11 else ALGORITHMS[number]
    assert emu.server.verified == [("iam_projects", iam), ("hss", ALGORITHMS[number])]


@pytest.mark.parametrize("number", [4, 3])
def test_sm2_key_with_a_leading_zero(hss_c, emu, number):
    """The key the official Python SDK gets wrong (its SM2 signatures for it are refused by the
    emulator and OpenSSL, Tests/emulator/test_emulator.py) works: libhss uses the standard Z_A."""
    env = client_env(emu, number, HSS_TEST_AK=LEADING_ZERO_AK, HSS_TEST_SK=LEADING_ZERO_SK)
    echo = call(hss_c, emu, env, calls=2)[-1]
    assert (echo["algorithm"], echo["access_key"]) == (ALGORITHMS[number], LEADING_ZERO_AK)


def test_from_env_reads_the_signing_algorithm(hss_c, emu):
    """HUAWEICLOUD_SDK_SIGNING_ALGORITHM (libhss's own variable) names the scheme; an option given
    in code wins over it; an unknown name is refused."""
    env = client_env(emu, 0, HSS_TEST_FROM_ENV="1", HUAWEICLOUD_SDK_SIGNING_ALGORITHM="SDK-HMAC-SM3")
    assert call(hss_c, emu, env)[0]["algorithm"] == "SDK-HMAC-SM3"
    assert call(hss_c, emu, dict(env, HSS_TEST_SIGNING_ALGORITHM=4))[0]["algorithm"] == "SDK-SM2-SM3"
    expect_invalid(hss_c, emu, dict(env, HUAWEICLOUD_SDK_SIGNING_ALGORITHM="sdk-hmac-sm3"),
                   "HUAWEICLOUD_SDK_SIGNING_ALGORITHM must be one of")
