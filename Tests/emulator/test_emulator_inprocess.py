"""hss.testing.Emulator (the emulator in the test's own process) and the pytest plugin's fixture,
hss_emulator: what they give a test, what they record, how answers are scripted, and that none of
it loads libhss.so.1."""

import subprocess
import sys
import textwrap

import pytest
from _hss_testing import Emulator, identity
from emu_support import (
    BINDING_DIR,
    GOOD,
    HOSTILE,
    REQUEST_ID_RE,
    BasicCredentials,
    HssClient,
    HttpConfig,
    ShowImageUploadCommandRequest,
    error_of,
    sdk_date,
    sdk_exc,
    send,
    send_signed,
    signed_request,
)


def official_client(emu, sk=None, **config):
    creds = BasicCredentials(emu.ak, sk or emu.sk, emu.project_id).with_security_token("TOKEN-as-sent")
    return (HssClient.new_builder().with_credentials(creds).with_http_config(HttpConfig(timeout=5, **config))
            .with_endpoints([emu.endpoint]).build())


def test_what_a_test_gets():
    with Emulator() as emu:
        assert emu.endpoint == "http://127.0.0.1:%d" % emu.port and emu.scheme == "http"
        assert (emu.ak, emu.sk, emu.token, emu.region) == ("EMULATORAK", "EMULATORSK", "EMULATOR-TOKEN", "cn-north-4")
        assert emu.project_id == identity.default_project_id("cn-north-4")
        assert repr(emu) == "<hss.testing.Emulator %s>" % emu.endpoint  # no key in it
        resp = official_client(emu).show_image_upload_command(ShowImageUploadCommandRequest(**HOSTILE[1]))
        assert resp.image_command.startswith("docker login -u 用户😀 -p %41%%+ &=/~?# [2001:db8::1]:5000 ")
    assert repr(emu).endswith(" closed>")
    emu.close()  # idempotent


def test_records_hold_what_the_server_saw():
    """Every request, secrets included (for the test's own assertions): the decoded query with the
    password, the headers with the signature and the security token, and what it was answered."""
    with Emulator() as emu:
        official_client(emu).show_image_upload_command(ShowImageUploadCommandRequest(**HOSTILE[0]))
        with pytest.raises(sdk_exc.ClientRequestException):
            official_client(emu, sk="WRONG").show_image_upload_command(ShowImageUploadCommandRequest(**GOOD))
        ok, refused = emu.records
        assert (ok["method"], ok["route"], ok["status"], refused["status"]) == ("GET", "hss", 200, 401)
        assert ok["path"] == "/v5/%s/image/registries/image-upload-command" % emu.project_id
        assert dict(ok["query"]) == HOSTILE[0] and ok["params"] == dict(HOSTILE[0], project_id=emu.project_id,
                                                                          enterprise_project_id=None)
        headers = dict(ok["headers"])
        assert headers["X-Security-Token"] == "TOKEN-as-sent" and "Signature=" in headers["Authorization"]
        assert ok["auth"]["access_key"] == emu.ak and ok["auth"]["algorithm"] == "SDK-HMAC-SHA256"
        assert refused["auth"] is None and refused["params"] is None and refused["echo"] is None
        assert REQUEST_ID_RE.match(ok["request_id"]) and ok["body"] == b""
        assert emu.echoes == [ok["echo"]] and emu.params == [ok["params"]]
        assert emu.stats()["hss"] == 2
        emu.reset()
        assert emu.records == [] and emu.stats()["hss"] == 2  # the counters are not records


def test_scripted_answers_reach_the_official_sdk():
    """A scripted 429 as the SDK reports it: urllib3, under the SDK, retries a 429 retry_times
    times (none by default) and the SDK then raises without reading the body (error_code "429");
    with retry_times=1 it is answered normally the second time."""
    with Emulator() as emu:
        emu.script([{"status": 429}])
        with pytest.raises(sdk_exc.ClientRequestException) as e:
            official_client(emu).show_image_upload_command(ShowImageUploadCommandRequest(**GOOD))
        assert (e.value.status_code, e.value.error_code) == (429, "429")
        emu.script([{"status": 429}, "pass"])
        client = official_client(emu, retry_times=1)
        assert client.show_image_upload_command(ShowImageUploadCommandRequest(**GOOD)).status_code == 200
        assert [r["status"] for r in emu.records] == [429, 429, 200]


def test_options():
    with Emulator(credentials={"MYAK": "my/sk"}, tokens=["T1"], region="eu-west-101",
                  identity={"projects": {"eu-west-101": ["p-eu"]}}, clock_offset=-960) as emu:
        assert (emu.ak, emu.sk, emu.token, emu.project_id) == ("MYAK", "my/sk", "T1", "p-eu")
        assert error_of(send_signed(emu.port, ak="MYAK", sk="my/sk", date=sdk_date()))[:2] == (401, "APIGW.0303")
        emu.clock_offset = 0
        assert send_signed(emu.port, ak="MYAK", sk="my/sk", date=sdk_date())[0] == 200
        target, _ = signed_request(emu.port)
        assert send(emu.port, target, {"Host": "x", "X-Auth-Token": "T1"})[0] == 200


def test_tls(test_ca):
    with Emulator(tls_cert=test_ca["server.pem"], tls_key=test_ca["server.key"], ca_file=test_ca["ca.pem"]) as emu:
        assert emu.endpoint.startswith("https://127.0.0.1:") and emu.ca_file == test_ca["ca.pem"]
        cfg = HttpConfig(timeout=5, ssl_ca_cert=emu.ca_file)
        client = (HssClient.new_builder().with_credentials(BasicCredentials(emu.ak, emu.sk, emu.project_id))
                  .with_http_config(cfg).with_endpoints([emu.endpoint]).build())
        assert client.show_image_upload_command(ShowImageUploadCommandRequest(**GOOD)).status_code == 200


def test_env_points_a_client_here():
    with Emulator() as emu:
        keys, metadata = emu.env(), emu.env("metadata")
        assert keys == {"HUAWEICLOUD_SDK_ENDPOINT": emu.endpoint, "HUAWEICLOUD_SDK_REGION": "cn-north-4",
                        "HUAWEICLOUD_SDK_REGION_HSS_CN_NORTH_4": emu.endpoint,
                        "HUAWEICLOUD_SDK_IAM_ENDPOINT": emu.endpoint, "HUAWEICLOUD_SDK_PROJECT_ID": emu.project_id,
                        "HUAWEICLOUD_SDK_AK": emu.ak, "HUAWEICLOUD_SDK_SK": emu.sk}
        assert metadata == dict({k: v for k, v in keys.items() if k.endswith(("ENDPOINT", "REGION", "_4"))},
                                HUAWEICLOUD_SDK_METADATA_ENDPOINT=emu.endpoint)
        with pytest.raises(ValueError):
            emu.env("nope")


USER_TESTS = '''
import json, urllib.request
import pytest

def test_fixture(hss_emulator):
    assert hss_emulator.endpoint.startswith("http://127.0.0.1:") and hss_emulator.records == []
    hss_emulator.script([{"status": 429, "retry_after": "1", "body": {"error_code": "X"}}])
    try:
        urllib.request.urlopen(hss_emulator.endpoint + "/v5/p/image/registries/image-upload-command")
    except urllib.error.HTTPError as e:
        assert (e.code, e.headers["Retry-After"], json.load(e)) == (429, "1", {"error_code": "X"})
    assert [r["status"] for r in hss_emulator.records] == [429]

def test_a_fresh_one_each_time(hss_emulator):
    assert hss_emulator.records == [] and hss_emulator.stats()["requests"] == 0

@pytest.mark.hss_emulator(credentials={"AK1": "SK1"}, region="ap-southeast-3")
def test_marker_options(hss_emulator):
    assert (hss_emulator.ak, hss_emulator.sk, hss_emulator.region) == ("AK1", "SK1", "ap-southeast-3")

def test_no_libhss_loaded(hss_emulator):
    with open("/proc/self/maps") as maps:
        assert "libhss" not in maps.read()
'''


def test_pytest_plugin_fixture(tmp_path):
    """The plugin module the pytest11 entry point names, loaded the way pytest loads it (-p, as the
    source tree has no installed entry point; the installed wheel's and .deb's are proven by
    Tests/test_wheel.py and Tests/test_deb.py): a fresh emulator per test, marker options, and no
    libhss.so.1 in the process."""
    (tmp_path / "test_user.py").write_text(textwrap.dedent(USER_TESTS))
    run = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "_hss_testing.pytest_plugin", "-p",
                          "no:cacheprovider", "test_user.py"], cwd=str(tmp_path), capture_output=True, text=True,
                         env={"PYTHONPATH": str(BINDING_DIR), "PATH": "/usr/bin:/bin", "HOME": str(tmp_path)},
                         timeout=120)
    assert run.returncode == 0, run.stdout + run.stderr
    assert "4 passed" in run.stdout


def test_importing_it_loads_no_libhss():
    code = ("import _hss_testing, _hss_testing.cli, _hss_testing.pytest_plugin, sys\n"
            "with _hss_testing.Emulator() as emu: pass\n"
            "assert 'hss' not in sys.modules and 'libhss' not in open('/proc/self/maps').read()\n")
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60,
                         env={"PYTHONPATH": str(BINDING_DIR), "PATH": "/usr/bin:/bin"})
    assert run.returncode == 0, run.stderr
    assert run.stdout == ""
