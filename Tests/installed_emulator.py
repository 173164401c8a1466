"""The acceptance of issue 22 against an installed HSS emulator, shared by Tests/test_wheel.py (the
wheel in a fresh venv) and Tests/test_deb.py (the .debs): the hss-emulator command started with
--print-env; a libhss call with the environment it printed; the official Python SDK (this test
venv's) with the same answers; curl with a wrong signature; and a user's pytest file that asks only
for the hss_emulator fixture.
"""

import json
import re
import shlex
import signal
import subprocess
import sys

# Run by the Python of the installed binding: a call with the environment --print-env gave, one with a wrong SK.
LIBHSS_CALL = r"""
import json, os, hss
out = {}
for sk in (os.environ["HUAWEICLOUD_SDK_SK"], "WRONG"):
    try:
        with hss.Client.from_env(ak=os.environ["HUAWEICLOUD_SDK_AK"], sk=sk) as client:
            out[sk] = client.get_image_upload_command(registry_addr="harbor.test:443", namespace="ns",
                                                      username="ci-user", password="pw").image_command
    except hss.HSSError as e:
        out[sk] = [e.status_code, e.error_code]
print(json.dumps([out[os.environ["HUAWEICLOUD_SDK_SK"]], out["WRONG"]]))
"""

# Run by the test venv's Python, which has the official SDK: the same two calls.
SDK_CALL = r"""
import json, os
from huaweicloudsdkcore.auth.credentials import BasicCredentials
from huaweicloudsdkcore.exceptions.exceptions import ClientRequestException
from huaweicloudsdkcore.http.http_config import HttpConfig
from huaweicloudsdkhss.v5 import HssClient, ShowImageUploadCommandRequest
out = []
for sk in (os.environ["HUAWEICLOUD_SDK_SK"], "WRONG"):
    creds = BasicCredentials(os.environ["HUAWEICLOUD_SDK_AK"], sk, os.environ["HUAWEICLOUD_SDK_PROJECT_ID"])
    client = (HssClient.new_builder().with_credentials(creds).with_http_config(HttpConfig(timeout=5))
              .with_endpoints([os.environ["HUAWEICLOUD_SDK_ENDPOINT"]]).build())
    try:
        out.append(client.show_image_upload_command(ShowImageUploadCommandRequest(
            registry_addr="harbor.test:443", namespace="ns", username="ci-user", password="pw")).image_command)
    except ClientRequestException as e:
        out.append([e.status_code, e.error_code])
print(json.dumps(out))
"""

# What a user writes: only the fixture, no conftest.
USER_TEST = r"""
import hss
import pytest


def call(emu, **options):
    with hss.Client(endpoint=emu.endpoint, project_id=emu.project_id, ak=emu.ak, sk=emu.sk, **options) as client:
        return client.get_image_upload_command(registry_addr="harbor.example.com:443", namespace="ns",
                                               username="ci", password="s3cret")


def test_a_call(hss_emulator):
    assert call(hss_emulator).image_command.startswith("docker login -u ci -p s3cret harbor.example.com:443 ")
    assert dict(hss_emulator.records[-1]["query"])["password"] == "s3cret"


def test_throttled(hss_emulator):
    hss_emulator.script([{"status": 429, "retry_after": "0"}], repeat=True)
    with pytest.raises(hss.HSSError) as e:
        call(hss_emulator, max_attempts=2)
    assert (e.value.status_code, e.value.error_code) == (429, "APIG.0308")
    assert [r["status"] for r in hss_emulator.records] == [429, 429]
"""


def start_command(cmd, env):
    """Start the emulator command with --print-env: (process, the environment it printed)."""
    proc = subprocess.Popen([*cmd, "--port", "0", "--print-env"], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, env=env)
    first = proc.stdout.readline()
    assert re.fullmatch(r"HSS_EMULATOR_ENDPOINT=http://127\.0\.0\.1:\d+\n", first), first + proc.stderr.read()
    printed = dict(shlex.split(proc.stdout.readline())[1].split("=", 1) for _ in range(7))
    assert printed["HUAWEICLOUD_SDK_ENDPOINT"] == first.strip().split("=", 1)[1]
    return proc, printed


def stop_command(proc):
    proc.send_signal(signal.SIGTERM)
    out, err = proc.communicate(timeout=10)
    assert (proc.returncode, out, err) == (0, "", "")


def acceptance(cmd, python, env, tmp_path):
    """The installed command `cmd`, then a libhss call from `python` (an interpreter with the
    binding installed), the official SDK, and curl with a wrong signature."""
    proc, printed = start_command(cmd, env)
    try:
        client_env = dict(env, **printed)
        libhss = subprocess.run([python, "-c", LIBHSS_CALL], env=client_env, cwd=str(tmp_path), capture_output=True,
                                text=True, timeout=60)
        assert libhss.returncode == 0, libhss.stderr
        sdk = subprocess.run([sys.executable, "-c", SDK_CALL], env=dict(client_env, HOME=str(tmp_path)),
                             cwd=str(tmp_path), capture_output=True, text=True, timeout=60)
        assert sdk.returncode == 0, sdk.stderr
        answers = json.loads(libhss.stdout)
        assert answers[0].startswith("docker login -u ci-user -p pw harbor.test:443 ")
        assert answers[1] == [401, "APIGW.0301"]
        assert json.loads(sdk.stdout) == answers  # the same answers for the official SDK
        url = "%s/v5/%s/image/registries/image-upload-command?%s" % (
            printed["HUAWEICLOUD_SDK_ENDPOINT"], printed["HUAWEICLOUD_SDK_PROJECT_ID"],
            "namespace=ns&password=pw&registry_addr=h&username=u")
        curl = subprocess.run(["curl", "-sS", "-i", url, "-H", "X-Sdk-Date: 20000101T000000Z", "-H",
                               "Authorization: SDK-HMAC-SHA256 Access=EMULATORAK, SignedHeaders=host;x-sdk-date, "
                               "Signature=" + "0" * 64], env=env, capture_output=True, text=True, timeout=30)
        head, _, body = curl.stdout.partition("\n\n")  # text=True: CRLF read as LF
        assert head.startswith("HTTP/1.1 401 ") and re.search(r"\nX-Request-Id: [0-9a-f]{32}\n", head), head
        assert json.loads(body)["error_code"] == "APIGW.0303"  # that date is stale: the gateway checks it first
        date = subprocess.run(["date", "-u", "+%Y%m%dT%H%M%SZ"], capture_output=True, text=True).stdout.strip()
        curl = subprocess.run(["curl", "-sS", url, "-H", "X-Sdk-Date: " + date, "-H",
                               "Authorization: SDK-HMAC-SHA256 Access=EMULATORAK, SignedHeaders=host;x-sdk-date, "
                               "Signature=" + "0" * 64], env=env, capture_output=True, text=True, timeout=30)
        error = json.loads(curl.stdout)
        assert error["error_code"] == "APIGW.0301" and error["error_msg"].startswith("Verify aksk signature fail")
    finally:
        stop_command(proc)


def fixture_acceptance(python, env, tmp_path, plugin):
    """pytest run by `python` on a user's file that only asks for the fixture (no conftest): both
    tests pass, and pytest lists `plugin` (the distribution whose pytest11 entry point it loaded)."""
    (tmp_path / "user").mkdir()
    (tmp_path / "user" / "test_user.py").write_text(USER_TEST)
    run = subprocess.run([python, "-m", "pytest", "-v", "-p", "no:cacheprovider"], cwd=str(tmp_path / "user"),
                         env=env, capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stdout + run.stderr
    assert "plugins: %s" % plugin in run.stdout, run.stdout
    assert re.search(r"^2 passed", run.stdout.splitlines()[-1].strip("= ")), run.stdout
