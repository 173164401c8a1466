"""Issue 15 in Python: the signing_algorithm and derived_key_service keywords, hss.SigningAlgorithm,
and HUAWEICLOUD_SDK_SIGNING_ALGORITHM with from_env. What each request was signed with is read
from the library's debug trace ("string to sign: ALG", "> Authorization: ALG ..."), against the
canned 404 of stub_server, so it does not depend on who verifies the signature; a call through
each algorithm against the emulator (which verifies all five) comes last."""

import logging
import re
import uuid

import pytest
from hss_testsupport import AK, GOOD, HEADER, SK, expected_image_command

import hss
from hss import _native

NAMES = ["SDK-HMAC-SHA256", "SDK-HMAC-SM3", "SDK-ECDSA-P256-SHA256", "SDK-SM2-SM3", "V11-HMAC-SHA256"]
REGION = "cn-north-4"  # V11 derives its key for a region: every client here names one
ENV_VAR = "HUAWEICLOUD_SDK_SIGNING_ALGORITHM"
MASKED = r"%s\.\.\.%s" % (AK[:4], AK[-4:])


@pytest.fixture
def told(monkeypatch):
    """(signing_algorithm, derived_key_service) of the hss_client_options each client creation
    hands the library (hss_client_new and hss_client_new_from_env wrapped)."""
    seen = []
    for name in ("hss_client_new", "hss_client_new_from_env"):
        real = getattr(_native.lib, name)

        def spy(opts, out, err, real=real):
            seen.append((opts._obj.signing_algorithm, opts._obj.derived_key_service))
            return real(opts, out, err)

        monkeypatch.setattr(_native.lib, name, spy)
    return seen


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
    assert told == [(n, None) for n in [1, 2, 3, 4, 5] * 2] + [(5, b"iotdm"), (0, None)]


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


@pytest.mark.parametrize("kwargs, text", [
    ({"derived_key_service": "hss"}, "derived_key_service goes with V11-HMAC-SHA256 only"),
    ({"signing_algorithm": "SDK-HMAC-SM3", "derived_key_service": "hss"}, "derived_key_service goes with V11"),
    ({"signing_algorithm": "V11-HMAC-SHA256", "derived_key_service": "a b"}, "derived_key_service must be 1-64"),
    ({"signing_algorithm": "V11-HMAC-SHA256", "derived_key_service": ""}, "derived_key_service"),
    ({"signing_algorithm": "V11-HMAC-SHA256", "derived_key_service": "s" * 65}, "derived_key_service"),
    ({"signing_algorithm": "V11-HMAC-SHA256", "region": None}, "V11-HMAC-SHA256 needs the region"),
])
def test_inconsistent_options_are_refused_before_any_traffic(http_emulator, kwargs, text):
    """What only the library can judge (the service's characters, a region for V11) fails at
    creation with InvalidArgumentError, and nothing reaches the emulator."""
    before = http_emulator.stats()["requests"]
    kwargs = dict({"endpoint": http_emulator.endpoint, "region": REGION, "project_id": "p", "ak": AK, "sk": SK},
                  **kwargs)
    with pytest.raises(hss.InvalidArgumentError) as info:
        hss.Client(**kwargs)
    assert text in str(info.value) and info.value.attempts == 0
    assert http_emulator.stats()["requests"] == before


# ----------------------------------------------------------------------------- what is sent

@pytest.mark.parametrize("name", NAMES)
def test_each_algorithm_signs_the_request(stub_server, name):
    algorithm, authorization = signed_with(stub_server.endpoint, signing_algorithm=name)
    assert algorithm == name
    if name == "V11-HMAC-SHA256":  # the derived key's scope: day, region, service
        assert re.fullmatch(r"V11-HMAC-SHA256 Credential=%s/\d{8}/%s/hss, SignedHeaders=\S+, Signature=[0-9a-f]{64}"
                            % (MASKED, REGION), authorization), authorization
    else:
        m = re.fullmatch(r"%s Access=%s, SignedHeaders=\S+, Signature=((?:[0-9a-f]{2})+)" % (name, MASKED),
                         authorization)
        assert m, authorization
        signature = bytes.fromhex(m.group(1))
        if "HMAC" in name:
            assert len(signature) == 32
        else:  # DER SEQUENCE {INTEGER r, INTEGER s}, each at most 33 bytes
            assert signature[0] == 0x30 and signature[1] == len(signature) - 2 <= 70 and signature[2] == 0x02


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

@pytest.mark.parametrize("name", NAMES)
def test_a_call_through_each_algorithm(make_client, http_emulator, name):
    """The acceptance test: the emulator verifies the signature of each algorithm and says which
    one it verified (emulator_echo "algorithm", and V11's credential scope)."""
    result = make_client(region=REGION, signing_algorithm=name).get_image_upload_command(**GOOD)
    assert result.image_command == expected_image_command(**GOOD)
    echo = http_emulator.echoes[-1]
    assert echo["access_key"] == AK
    assert echo.get("algorithm") == name, echo
    if name == "V11-HMAC-SHA256":
        assert re.fullmatch(r"\d{8}/%s/hss" % REGION, echo["scope"]), echo


def test_a_call_with_a_derived_key_service(make_client, http_emulator):
    make_client(region=REGION, signing_algorithm=hss.SigningAlgorithm.V11_HMAC_SHA256,
                derived_key_service="iotdm").get_image_upload_command(**GOOD)
    assert http_emulator.echoes[-1]["scope"].endswith("/%s/iotdm" % REGION)


@pytest.mark.parametrize("name", NAMES)
def test_the_project_lookup_is_signed_alike(make_emulator, name):
    """Without a project id, IAM's lookup is signed with the same algorithm, except under V11
    (SDK-HMAC-SHA256 then, as the official SDKs do). A fresh emulator: libhss caches what IAM
    said per (AK, region, IAM endpoint) for the life of the process."""
    # An AK of its own: an earlier emulator on the same port would otherwise be in libhss's cache.
    ak = "SIGNAK" + uuid.uuid4().hex[:12].upper()
    with make_emulator(credentials={ak: SK}) as emu:
        with hss.Client(region=REGION, endpoint=emu.endpoint, iam_endpoint=emu.endpoint, ak=ak, sk=SK,
                        signing_algorithm=name) as client:
            client.get_image_upload_command(**GOOD)
        assert emu.params[-1]["project_id"] == emu.server.identity.projects_of(REGION)[0]
        iam = "SDK-HMAC-SHA256" if name == "V11-HMAC-SHA256" else name
        assert emu.server.verified == [("iam_projects", iam), ("hss", name)]
