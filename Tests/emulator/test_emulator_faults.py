"""Scripted answers and the server's clock."""

import datetime as dt
import http.client
import json
import re
import threading
import time

import pytest
from _hss_testing import identity
from emu_support import (
    AK,
    GOOD,
    REQUEST_ID_RE,
    SK,
    base_url,
    error_of,
    fetch,
    http_date,
    iam_request,
    port_of,
    raw_exchange,
    sdk_call,
    sdk_client,
    sdk_date,
    sdk_exc,
    send,
    send_signed,
    signed_request,
)


def test_fault_script_errors_in_order_then_normal(femu):
    port = port_of(femu)
    femu.script([{"status": 503}, {"status": 429, "retry_after": "1"}, {"status": 429, "error_code": "APIG.0308"},
                 {"status": 502}, {"status": 504}, {"status": 400},
                 {"status": 401, "error_code": "APIGW.0301", "error_msg": "no"}, "pass",
                 {"status": 429, "retry_after": "Wed, 21 Oct 2015 07:28:00 GMT"}])
    answers = [send_signed(port, date=sdk_date()) for _ in range(10)]
    assert [error_of(a)[:2] for a in answers[:7]] == [
        (503, "EMU.0503"), (429, "APIG.0308"), (429, "APIG.0308"), (502, "APIGW.0202"), (504, "APIGW.0203"),
        (400, "HSS.0004"), (401, "APIGW.0301")]
    assert error_of(answers[6])[2] == "no"
    assert [a[1]["Retry-After"] for a in answers] == [None, "1"] + [None] * 6 + [
        "Wed, 21 Oct 2015 07:28:00 GMT", None]
    assert answers[7][0] == answers[9][0] == 200  # "pass", then the script is empty
    times = femu.arrival_times("hss")
    assert len(times) == 10 and times == sorted(times)
    assert femu.stats()["hss"] == 10


def test_fault_script_per_route(femu):
    port, url = port_of(femu), base_url(femu)
    femu.script([{"status": 503}], route="iam_projects")
    femu.script([{"status": 500}], route="metadata_securitykey")
    assert send_signed(port, date=sdk_date())[0] == 200  # hss: no script
    status, headers, _ = send(port, *iam_request(url, AK, SK))
    assert status == 503 and headers["X-IAM-Trace-Id"] is None  # the script answers before the route
    assert send(port, *iam_request(url, AK, SK))[0] == 200
    femu.identity.metadata_token = "optional"
    assert fetch(url + identity.METADATA_SECURITYKEY_PATH)[0] == 500
    assert fetch(url + identity.METADATA_SECURITYKEY_PATH)[0] == 200
    assert [r for r, _ in femu.arrivals] == ["hss", "iam_projects", "iam_projects", "metadata_securitykey",
                                           "metadata_securitykey"]
    femu.faults["hss"] = [{"status": 502}]  # the attribute itself works too
    assert error_of(send_signed(port, date=sdk_date()))[0] == 502


def test_fault_script_refuses_what_it_cannot_do(femu):
    for action in [{}, {"nope": 1}, {"status": 503, "reset": True}, {"truncate": True, "oversize": True}, "fail",
                   None, {"status": "503"}, {"status": 99}, {"status": 200}, {"body": "x"},
                   {"status": 503, "body": {}, "error_code": "X"}, {"error_msg": "x"},
                   {"status": 302, "error_code": "X"}, {"delay": -1}, {"delay": "1"}, {"date": 5}]:
        with pytest.raises(ValueError):
            femu.script([action])
    with pytest.raises(ValueError):
        femu.script(["pass"], route="nope")
    assert femu.faults == {}


def test_scripted_bodies(femu):
    """A dict is sent as JSON, a str or bytes as it is: JSON if it parses, else text/plain."""
    port = port_of(femu)
    femu.script([{"status": 200, "body": {"image_command": "c", "images_download_url": "u",
                                           "swr_image_pull_command": "p", "extra": "é"}},
                 {"status": 503, "body": "busy"}, {"status": 400, "body": b'{"code": "X"}'},
                 {"status": 500, "body": ""}])
    answers = [send_signed(port, date=sdk_date()) for _ in range(4)]
    assert [(a[0], a[1]["Content-Type"]) for a in answers] == [
        (200, "application/json"), (503, "text/plain"), (400, "application/json"), (500, "text/plain")]
    assert json.loads(answers[0][2])["extra"] == "é" and answers[1][2] == b"busy" and answers[3][2] == b""
    assert all(REQUEST_ID_RE.match(a[1]["X-Request-Id"]) for a in answers)


def test_scripted_date_and_retry_after(femu):
    """date and retry_after go on a scripted answer or, alone, on the normal answer."""
    port = port_of(femu)
    when = dt.datetime(2031, 2, 3, 4, 5, 6, tzinfo=dt.timezone.utc)
    femu.script([{"status": 401, "error_code": "APIGW.0303", "date": when}, {"date": "Mon, 01 Jan 2024 00:00:00 GMT",
                                                                             "retry_after": 7}])
    status, headers, body = send_signed(port, date=sdk_date())
    assert (status, headers["Date"], json.loads(body)["error_code"]) == (401, "Mon, 03 Feb 2031 04:05:06 GMT",
                                                                         "APIGW.0303")
    status, headers, body = send_signed(port, date=sdk_date())
    assert (status, headers["Date"], headers["Retry-After"]) == (200, "Mon, 01 Jan 2024 00:00:00 GMT", "7")
    assert "image_command" in json.loads(body)
    status, headers, _ = send_signed(port, date=sdk_date())  # then the server's own clock again
    assert abs(http_date(headers["Date"]) - dt.datetime.now(dt.timezone.utc)) < dt.timedelta(seconds=5)


def test_scripted_delay_then_error(femu):
    femu.script([{"status": 429, "delay": 0.5}])
    started = time.monotonic()
    assert error_of(send_signed(port_of(femu), date=sdk_date()))[:2] == (429, "APIG.0308")
    assert 0.5 <= time.monotonic() - started


def test_repeated_script(femu):
    """repeat=True: the script starts over when it runs out, until clear_faults()."""
    port = port_of(femu)
    femu.script([{"status": 503}, "pass"], repeat=True)
    assert [send_signed(port, date=sdk_date())[0] for _ in range(5)] == [503, 200, 503, 200, 503]
    femu.clear_faults()
    assert send_signed(port, date=sdk_date())[0] == 200


def test_fault_reset(femu):
    port = port_of(femu)
    femu.script([{"reset": True}])
    with pytest.raises((ConnectionResetError, http.client.RemoteDisconnected)):
        send_signed(port, date=sdk_date())
    assert send_signed(port, date=sdk_date())[0] == 200
    assert len(femu.arrival_times()) == 2


def test_fault_truncate(femu):
    target, headers = signed_request(port_of(femu), date=sdk_date())
    femu.script([{"truncate": True}])
    answer = raw_exchange(port_of(femu), target, headers)
    head, _, body = answer.partition(b"\r\n\r\n")
    length = int(re.search(rb"\r\nContent-Length: (\d+)", head).group(1))
    assert head.startswith(b"HTTP/1.1 200 ") and b"\r\nX-Request-Id: " in head
    assert 0 < len(body) < length


def test_fault_oversize(femu):
    femu.script([{"oversize": True}])
    status, headers, body = send_signed(port_of(femu), date=sdk_date())
    assert status == 200 and len(body) == int(headers["Content-Length"]) == (256 << 10) + 1
    assert set(json.loads(body)) == {"image_command", "images_download_url", "swr_image_pull_command"}


def test_fault_stall_then_answer(femu):
    femu.script([{"delay": 0.5}])
    started = time.monotonic()
    assert send_signed(port_of(femu), date=sdk_date())[0] == 200
    assert 0.5 <= time.monotonic() - started < 3


def test_fault_stall_hangs_up_when_cleared(femu):
    """A client that gave up leaves a stalled handler; clearing the script (between tests) ends it
    without an answer, so that a late answer never lands in the next test's records."""
    target, headers = signed_request(port_of(femu), date=sdk_date())
    femu.script([{"delay": 30}])
    threading.Timer(0.3, femu.clear_faults).start()
    started = time.monotonic()
    assert raw_exchange(port_of(femu), target, headers) == b""
    assert time.monotonic() - started < 5


@pytest.mark.parametrize("minutes", [16, -16])
def test_clock_offset(femu, sdk_env, minutes):
    port, url = port_of(femu), base_url(femu)
    femu.clock_offset = minutes * 60
    skew = dt.timedelta(minutes=minutes)
    status, headers, body = send_signed(port, date=sdk_date())
    assert error_of((status, headers, body))[:2] == (401, "APIGW.0303")
    assert "signature expired" in json.loads(body)["error_msg"]
    assert abs(http_date(headers["Date"]) - (dt.datetime.now(dt.timezone.utc) + skew)) < dt.timedelta(seconds=5)
    # Signed with the server's time (what a client that read Date does): accepted.
    server_time = http_date(headers["Date"]).strftime("%Y%m%dT%H%M%SZ")
    assert send_signed(port, date=server_time)[0] == 200
    # 14 minutes apart is within the window; IAM checks the same clock; every answer has the Date.
    assert send_signed(port, date=sdk_date(skew - dt.timedelta(minutes=14 if minutes > 0 else -14)))[0] == 200
    status, headers, body = send(port, *iam_request(url, AK, SK))
    assert (status, json.loads(body)["error_code"]) == (401, "APIGW.0303")
    status, headers, _ = fetch(url + "/nope")
    assert status == 404 and abs(http_date(headers["Date"]) - dt.datetime.now(dt.timezone.utc) - skew) < \
        dt.timedelta(seconds=5)
    # The oracle: the official SDK signs with its own clock and does not correct it.
    with pytest.raises(sdk_exc.ClientRequestException) as e:
        sdk_call(sdk_client(port), **GOOD)
    assert (e.value.status_code, e.value.error_code) == (401, "APIGW.0303")
    femu.clear_faults()
    assert abs(http_date(send_signed(port, date=sdk_date())[1]["Date"]) - dt.datetime.now(dt.timezone.utc)) < \
        dt.timedelta(seconds=5)
