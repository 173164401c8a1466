"""hss-image-upload-command's --signing-algorithm and --derived-key-service (issue 15): parsing,
what each name makes the library sign with (read from --verbose's debug lines, against the
canned 404 of stub_server), HUAWEICLOUD_SDK_SIGNING_ALGORITHM, --show-config, and one call the
emulator verifies. The algorithms themselves, their checks and the IAM lookup's signature are
the C API's (Tests/test_signing_algorithms.py) and the Swift unit tests'."""

from __future__ import annotations

import re

import pytest

AK, SK = "EMULATORAK", "EMULATORSK"  # the emulator's defaults
MASKED_AK = AK[:4] + "..." + AK[-4:]
NAMES = ["SDK-HMAC-SHA256", "SDK-HMAC-SM3", "SDK-ECDSA-P256-SHA256", "SDK-SM2-SM3", "V11-HMAC-SHA256"]
REGION = "cn-north-4"
ENV_VAR = "HUAWEICLOUD_SDK_SIGNING_ALGORITHM"
PASSWORD = "S3cret-Passw0rd!"
REGISTRY = ["--registry-addr", "harbor.example.com:443", "--namespace", "library", "--username", "admin",
            "--password-stdin"]
PREFIX = b"hss-image-upload-command: "
DEBUG = "hss-image-upload-command: debug: "


def image_command():
    return ("docker login -u admin -p %s harbor.example.com:443 && docker load -i hss-scanner.tar && "
            "docker push harbor.example.com:443/library/hss-scanner" % PASSWORD)


def signed_with(cli, endpoint, args=(), env=None):
    """Run one call against `endpoint` (the stub's 404) with --verbose; return (the algorithm
    of the string to sign, the Authorization sent), as the debug lines show them."""
    proc = cli.run([*REGISTRY, "--endpoint", endpoint, "--region", REGION, "--max-attempts", "1", "--verbose",
                    *args], stdin=PASSWORD, env=env)
    assert proc.returncode == 3, proc.stderr  # the 404 APIGW.0101
    lines = proc.stderr.decode().splitlines()
    first = [line for line in lines if line.startswith(DEBUG + "string to sign: ")][0]
    (authorization,) = [line for line in lines if line.startswith(DEBUG + "> Authorization: ")]
    assert SK.encode() not in proc.stderr and PASSWORD.encode() not in proc.stderr
    return first[len(DEBUG + "string to sign: "):], authorization[len(DEBUG + "> Authorization: "):]


# ----------------------------------------------------------------------------- parsing

@pytest.mark.parametrize("args, text", [
    (["--signing-algorithm", "sdk-hmac-sm3"], "--signing-algorithm must be SDK-HMAC-SHA256, SDK-HMAC-SM3, "
                                              "SDK-ECDSA-P256-SHA256, SDK-SM2-SM3 or V11-HMAC-SHA256 (see --help)"),
    (["--signing-algorithm", "SM3"], "--signing-algorithm must be"),
    (["--signing-algorithm", "SDK-HMAC-SM3 "], "--signing-algorithm must be"),
    (["--signing-algorithm", "2"], "--signing-algorithm must be"),
    (["--signing-algorithm="], "--signing-algorithm must be"),
    (["--signing-algorithm"], "missing value for --signing-algorithm"),
    (["--derived-key-service"], "missing value for --derived-key-service"),
    # one of the library's checks at creation (the others are Tests/test_signing_algorithms.py's)
    (["--signing-algorithm", "V11-HMAC-SHA256"], "V11-HMAC-SHA256 needs the region"),  # 127.0.0.1 names none
])
def test_invalid_values_exit_2_before_any_traffic(cli, http_emulator, args, text):
    before = http_emulator.stats()["requests"]
    proc = cli.run([*REGISTRY, "--endpoint", http_emulator.endpoint, *args], stdin=PASSWORD)
    assert proc.returncode == 2 and proc.stdout == b"", proc.stderr
    assert proc.stderr.startswith(PREFIX) and proc.stderr.count(b"\n") == 1, proc.stderr
    assert text.encode() in proc.stderr
    assert http_emulator.stats()["requests"] == before


def test_a_bad_variable_exits_2(cli, http_emulator):
    before = http_emulator.stats()["requests"]
    proc = cli.run(REGISTRY, stdin=PASSWORD, env={ENV_VAR: "SM2"})
    assert proc.returncode == 2 and ENV_VAR.encode() in proc.stderr, proc.stderr
    assert http_emulator.stats()["requests"] == before


# ----------------------------------------------------------------------------- what is sent

@pytest.mark.parametrize("name", NAMES)
def test_each_algorithm_signs_the_request(cli, stub_server, name):
    algorithm, authorization = signed_with(cli, stub_server.endpoint, ["--signing-algorithm", name])
    assert algorithm == name
    if name == "V11-HMAC-SHA256":
        credential = r"Credential=%s/\d{8}/%s/hss" % (re.escape(MASKED_AK), REGION)
    else:
        credential = "Access=" + re.escape(MASKED_AK)
    assert re.fullmatch(r"%s %s, SignedHeaders=\S+, Signature=[0-9a-f]+" % (name, credential), authorization)


def test_the_option_the_variable_and_the_default(cli, stub_server):
    endpoint = stub_server.endpoint
    assert signed_with(cli, endpoint)[0] == "SDK-HMAC-SHA256"
    assert signed_with(cli, endpoint, env={ENV_VAR: "SDK-HMAC-SM3"})[0] == "SDK-HMAC-SM3"
    assert signed_with(cli, endpoint, ["--signing-algorithm", "SDK-SM2-SM3"], {ENV_VAR: "SDK-HMAC-SM3"})[0] == \
        "SDK-SM2-SM3"
    assert signed_with(cli, endpoint, env={ENV_VAR: ""})[0] == "SDK-HMAC-SHA256"  # empty: unset
    _, authorization = signed_with(cli, endpoint, ["--derived-key-service", "iotdm"], {ENV_VAR: "V11-HMAC-SHA256"})
    assert "/%s/iotdm, " % REGION in authorization


@pytest.mark.parametrize("args, env, expected", [
    ([], {}, ("SDK-HMAC-SHA256", "default")),
    ([], {ENV_VAR: "SDK-SM2-SM3"}, ("SDK-SM2-SM3", "environment")),
    (["--signing-algorithm", "SDK-HMAC-SM3"], {ENV_VAR: "SDK-SM2-SM3"}, ("SDK-HMAC-SM3", "options")),
    (["--signing-algorithm", "V11-HMAC-SHA256", "--region", REGION], {}, ("V11-HMAC-SHA256", "options")),
])
def test_show_config(cli, http_emulator, args, env, expected):
    before = http_emulator.stats()["requests"]
    proc = cli.run(["--show-config", *args], env=env)
    assert proc.returncode == 0 and proc.stderr == b"", proc.stderr
    assert proc.stdout.decode().splitlines()[-1] == "signing_algorithm: %s (%s)" % expected
    assert http_emulator.stats()["requests"] == before  # project id given: nothing to look up


# ----------------------------------------------------------------------------- against the emulator

def test_a_call_the_emulator_verifies(cli, http_emulator):
    """One call end to end: the emulator verifies the signature (each algorithm's is
    Tests/test_signing_algorithms.py's)."""
    name = "SDK-SM2-SM3"
    proc = cli.run([*REGISTRY, "--endpoint", http_emulator.endpoint, "--region", REGION, "--signing-algorithm", name,
                    "--field", "image_command"], stdin=PASSWORD)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == image_command().encode() + b"\n"
    assert http_emulator.echoes[-1]["algorithm"] == name
    assert http_emulator.server.verified[-1] == ("hss", name)

