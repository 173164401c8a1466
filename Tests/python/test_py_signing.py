"""Issue 15 in Python: the signing_algorithm and derived_key_service keywords, hss.SigningAlgorithm,
and HUAWEICLOUD_SDK_SIGNING_ALGORITHM with from_env. What the binding hands the library is read
from hss_client_options (`told`); what a request was signed with, from the library's debug trace
("string to sign: ALG", "> Authorization: ALG ..."), against the canned 404 of stub_server; one
call the emulator verifies comes last. The algorithms themselves and the IAM lookup's signature
are the C API's (Tests/test_signing_algorithms.py) and the Swift unit tests'."""

import logging
import re

import pytest
from hss_testsupport import AK, GOOD, HEADER, SK, expected_image_command

import hss

NAMES = ["SDK-HMAC-SHA256", "SDK-HMAC-SM3", "SDK-ECDSA-P256-SHA256", "SDK-SM2-SM3", "V11-HMAC-SHA256"]
REGION = "cn-north-4"  # V11 derives its key for a region: every client here names one
ENV_VAR = "HUAWEICLOUD_SDK_SIGNING_ALGORITHM"
MASKED = r"%s\.\.\.%s" % (AK[:4], AK[-4:])


def signed_with(endpoint, factory=hss.Client, **kwargs):
    """Make a client (AK/SK, REGION, debug trace), make one call to `endpoint` and return
    (algorithm of the string to sign, Authorization as traced)."""
    lines = []
    kwargs = dict({"endpoint": endpoint, "region": REGION, "project_id": "p", "ak": AK, "sk": SK,
                   "max_attempts": 1, "trace": lambda level, line: lines.append(line),
                   "trace_level": logging.DEBUG}, **kwargs)
    with factory(**kwargs) as client:
        with pytest.raises(hss.ClientRequestError):  # the stub's 404 APIGW.0101
            client.get_image_upload_command(**GOOD)
    (first,) = [line for line in lines if line.startswith("string to sign: ")][:1]
    (authorization,) = [line for line in lines if line.startswith("> Authorization: ")]
    assert SK not in "".join(lines)
    return first[len("string to sign: "):], authorization[len("> Authorization: "):]


# ----------------------------------------------------------------------------- the names

def test_the_enum_is_the_headers():
    """hss.SigningAlgorithm has the C enum's members, by the same names, in its order (so that
    the binding hands the library the right number), and each value is the scheme name."""
    with open(HEADER) as f:
        body = re.search(r"typedef enum hss_signing_algorithm \{(.*?)\}", f.read(), re.S).group(1)
    header = {m.group(1): int(m.group(2)) for m in re.finditer(r"\bHSS_SIGNING_(\w+)\s*=\s*(\d+)", body)}
    assert header.pop("DEFAULT") == 0
    assert header == {member.name: number for number, member in enumerate(hss.SigningAlgorithm, 1)}
    assert [member.value for member in hss.SigningAlgorithm] == NAMES
    assert hss.SigningAlgorithm("SDK-SM2-SM3") is hss.SigningAlgorithm.SM2_SM3
    assert hss.SigningAlgorithm.HMAC_SM3 == "SDK-HMAC-SM3" and str(hss.SigningAlgorithm.HMAC_SM3) == "SDK-HMAC-SM3"
    assert "SigningAlgorithm" in hss.__all__


def test_the_option_reaches_the_library(http_emulator, told):
    endpoint = http_emulator.endpoint
    for value in [*NAMES, *hss.SigningAlgorithm]:
        hss.Client(endpoint=endpoint, region=REGION, project_id="p", ak=AK, sk=SK, signing_algorithm=value).close()
    hss.Client.from_env(endpoint=endpoint, region=REGION, project_id="p", ak=AK, sk=SK,
                        signing_algorithm="V11-HMAC-SHA256", derived_key_service="iotdm").close()
    hss.Client(endpoint=endpoint, project_id="p", ak=AK, sk=SK).close()
    assert [(t["signing_algorithm"], t["derived_key_service"]) for t in told] == \
        [(n, None) for n in [1, 2, 3, 4, 5] * 2] + [(5, b"iotdm"), (0, None)]


@pytest.mark.parametrize("kwargs, error, text", [
    ({"signing_algorithm": "sdk-hmac-sm3"}, hss.InvalidArgumentError,
     "signing_algorithm must be one of SDK-HMAC-SHA256, SDK-HMAC-SM3, SDK-ECDSA-P256-SHA256, SDK-SM2-SM3, "
     "V11-HMAC-SHA256"),
    ({"signing_algorithm": "HMAC_SM3"}, hss.InvalidArgumentError, "signing_algorithm must be one of"),
    ({"signing_algorithm": "SDK-HMAC-SHA1"}, hss.InvalidArgumentError, "signing_algorithm must be one of"),
    ({"signing_algorithm": " SDK-HMAC-SM3"}, hss.InvalidArgumentError, "signing_algorithm must be one of"),
    ({"signing_algorithm": ""}, hss.InvalidArgumentError, "signing_algorithm must be one of"),
    ({"signing_algorithm": 2}, TypeError, "signing_algorithm must be a str"),
    ({"signing_algorithm": b"SDK-HMAC-SM3"}, TypeError, "signing_algorithm must be a str"),
    ({"signing_algorithm": True}, TypeError, "signing_algorithm must be a str"),
    ({"signing_algorithm": "V11-HMAC-SHA256", "derived_key_service": b"hss"}, TypeError,
     "derived_key_service must be a str"),
    ({"signing_algorithm": "V11-HMAC-SHA256", "derived_key_service": "h\x00ss"}, hss.InvalidArgumentError,
     "derived_key_service must not contain NUL"),
])
@pytest.mark.parametrize("factory", ["Client", "from_env"])
def test_invalid_values_are_refused_by_the_binding(http_emulator, told, kwargs, error, text, factory):
    make = hss.Client if factory == "Client" else hss.Client.from_env
    with pytest.raises(error) as info:
        make(endpoint=http_emulator.endpoint, region=REGION, project_id="p", ak=AK, sk=SK, **kwargs)
    assert text in str(info.value)
    assert told == []  # before the library saw them


def test_inconsistent_options_are_refused_before_any_traffic(http_emulator):
    """What only the library can judge (here a region for V11; its other checks are
    Tests/test_signing_algorithms.py's) fails at creation with InvalidArgumentError, and nothing
    reaches the emulator."""
    before = http_emulator.stats()["requests"]
    text = "V11-HMAC-SHA256 needs the region"
    kwargs = {"endpoint": http_emulator.endpoint, "project_id": "p", "ak": AK, "sk": SK,
              "signing_algorithm": "V11-HMAC-SHA256"}
    with pytest.raises(hss.InvalidArgumentError) as info:
        hss.Client(**kwargs)
    assert text in str(info.value) and info.value.attempts == 0
    assert http_emulator.stats()["requests"] == before


# ----------------------------------------------------------------------------- what is sent

def test_the_default_and_the_enum(stub_server):
    assert signed_with(stub_server.endpoint)[0] == "SDK-HMAC-SHA256"
    assert signed_with(stub_server.endpoint, signing_algorithm=hss.SigningAlgorithm.SM2_SM3)[0] == "SDK-SM2-SM3"


def test_derived_key_service(stub_server):
    _, authorization = signed_with(stub_server.endpoint, signing_algorithm="V11-HMAC-SHA256",
                                   derived_key_service="iotdm")
    assert re.match(r"V11-HMAC-SHA256 Credential=%s/\d{8}/%s/iotdm, " % (MASKED, REGION), authorization)


def test_from_env_reads_the_variable(stub_server, monkeypatch):
    """from_env takes HUAWEICLOUD_SDK_SIGNING_ALGORITHM (a keyword wins over it); Client does not
    read it; a name the library does not know is refused, naming the variable."""
    monkeypatch.setenv(ENV_VAR, "SDK-HMAC-SM3")
    assert signed_with(stub_server.endpoint, hss.Client.from_env)[0] == "SDK-HMAC-SM3"
    assert signed_with(stub_server.endpoint, hss.Client.from_env, signing_algorithm="SDK-SM2-SM3")[0] == "SDK-SM2-SM3"
    assert signed_with(stub_server.endpoint)[0] == "SDK-HMAC-SHA256"
    monkeypatch.setenv(ENV_VAR, "V11-HMAC-SHA256")
    _, authorization = signed_with(stub_server.endpoint, hss.Client.from_env, derived_key_service="iotdm")
    assert "/%s/iotdm, " % REGION in authorization
    monkeypatch.setenv(ENV_VAR, "sm3")
    hits = stub_server.hits
    with pytest.raises(hss.InvalidArgumentError) as info:
        hss.Client.from_env(endpoint=stub_server.endpoint, project_id="p", ak=AK, sk=SK)
    assert ENV_VAR in str(info.value)
    assert stub_server.hits == hits


# ----------------------------------------------------------------------------- against the emulator

def test_a_call_the_emulator_verifies(make_client, http_emulator):
    """One call end to end: the emulator verifies the signature and says which algorithm it
    verified (each algorithm's is Tests/test_signing_algorithms.py's)."""
    name = "SDK-ECDSA-P256-SHA256"
    result = make_client(region=REGION, signing_algorithm=name).get_image_upload_command(**GOOD)
    assert result.image_command == expected_image_command(**GOOD)
    echo = http_emulator.echoes[-1]
    assert echo["access_key"] == AK
    assert echo.get("algorithm") == name, echo


def test_a_call_with_a_derived_key_service(make_client, http_emulator):
    make_client(region=REGION, signing_algorithm=hss.SigningAlgorithm.V11_HMAC_SHA256,
                derived_key_service="iotdm").get_image_upload_command(**GOOD)
    assert http_emulator.echoes[-1]["scope"].endswith("/%s/iotdm" % REGION)

