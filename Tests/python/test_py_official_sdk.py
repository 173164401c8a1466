"""The emulator answers the official Huawei Cloud Python SDK (huaweicloudsdkhss 3.1.219) as it
answers libhss (issue 22): the same call, a wrong SK and a scripted 429, through the shipped
pytest fixture hss_emulator, the SDK pointed at the emulator's 127.0.0.1 endpoint only.

The session's HOME is an empty scratch folder (Tests/conftest.py), so the SDK's tracking-id file
lands there."""

import _hss_testing
import pytest
from hss_testsupport import GOOD
from huaweicloudsdkcore.auth.credentials import BasicCredentials
from huaweicloudsdkcore.exceptions.exceptions import ClientRequestException
from huaweicloudsdkcore.http.http_config import HttpConfig
from huaweicloudsdkhss.v5 import HssClient, ShowImageUploadCommandRequest

import hss
import hss.testing

HOSTILE = {"registry_addr": "[2001:db8::1]:5000", "namespace": "命名空间 ~/é", "username": "用户😀",
           "password": "%41%%+ &=/~?#"}
FIELDS = ("image_command", "images_download_url", "swr_image_pull_command")


def sdk(emu, sk=None):
    creds = BasicCredentials(emu.ak, sk or emu.sk, emu.project_id)
    return (HssClient.new_builder().with_credentials(creds).with_http_config(HttpConfig(timeout=5))
            .with_endpoints([emu.endpoint]).build())


def libhss(emu, sk=None):
    return hss.Client(endpoint=emu.endpoint, project_id=emu.project_id, ak=emu.ak, sk=sk or emu.sk, max_attempts=1)


def test_hss_testing_is_the_shipped_emulator():
    assert hss.testing.Emulator is _hss_testing.Emulator and hss.testing.__all__ == _hss_testing.__all__


@pytest.mark.parametrize("params", [GOOD, HOSTILE], ids=["plain", "hostile"])
def test_the_same_answer(hss_emulator, params):
    answer = sdk(hss_emulator).show_image_upload_command(ShowImageUploadCommandRequest(**params))
    with libhss(hss_emulator) as client:
        result = client.get_image_upload_command(**params)
    assert [getattr(answer, f) for f in FIELDS] == [getattr(result, f) for f in FIELDS]
    sdk_call, libhss_call = hss_emulator.records
    assert sdk_call["params"] == libhss_call["params"] == dict(params, project_id=hss_emulator.project_id,
                                                               enterprise_project_id=None)
    assert sdk_call["auth"]["algorithm"] == libhss_call["auth"]["algorithm"] == "SDK-HMAC-SHA256"


def test_a_wrong_sk(hss_emulator):
    with pytest.raises(ClientRequestException) as official:
        sdk(hss_emulator, sk="WRONG").show_image_upload_command(ShowImageUploadCommandRequest(**GOOD))
    with libhss(hss_emulator, sk="WRONG") as client, pytest.raises(hss.HSSError) as ours:
        client.get_image_upload_command(**GOOD)
    assert (official.value.status_code, official.value.error_code) == (401, "APIGW.0301")
    assert (ours.value.status_code, ours.value.error_code) == (401, "APIGW.0301")
    assert [r["status"] for r in hss_emulator.records] == [401, 401]
    assert official.value.request_id == hss_emulator.records[0]["request_id"]
    assert ours.value.request_id == hss_emulator.records[1]["request_id"]


def test_a_scripted_429(hss_emulator):
    """Each gets the 429. libhss reports the gateway's APIG.0308 from the body; the SDK, under
    which urllib3 treats a 429 as a retry decision (retry_times, none by default), raises its own
    error code "429" without reading the body."""
    hss_emulator.script([{"status": 429}] * 2)
    with pytest.raises(ClientRequestException) as official:
        sdk(hss_emulator).show_image_upload_command(ShowImageUploadCommandRequest(**GOOD))
    with libhss(hss_emulator) as client, pytest.raises(hss.HSSError) as ours:
        client.get_image_upload_command(**GOOD)
    assert (official.value.status_code, official.value.error_code) == (429, "429")
    assert (ours.value.status_code, ours.value.error_code) == (429, "APIG.0308")
    assert [r["status"] for r in hss_emulator.records] == [429, 429]
