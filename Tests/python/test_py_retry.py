"""Issue 13 in Python: the retry options, HSSError.attempts, and the library's trace in the
"hss" logger (no secret in any record). The fault matrix itself is Tests/test_resilience.py's;
here, what the binding adds: validation in seconds, the attempts it reports, the levels it asks
for. Waits are kept short with a tiny retry_base."""

import logging
import pickle
import time

import pytest
from hss_testsupport import AK, GOOD, SK

import hss

WRONG_SK = "Wrong-Secret-Key-4711"
FAST = {"retry_base": 0.001, "retry_cap": 0.001}  # retries without waiting


def _fail(client, **params):
    with pytest.raises(hss.HSSError) as info:
        client.get_image_upload_command(**dict(GOOD, **params))
    return info.value


# ----------------------------------------------------------------------------- options

def test_retry_options_reach_the_library_in_milliseconds(http_emulator, told):
    with hss.Client(endpoint=http_emulator.endpoint, project_id="p", ak=AK, sk=SK, max_attempts=5,
                    retry_base=0.0001, retry_cap=1.5):
        pass
    with hss.Client.from_env(endpoint=http_emulator.endpoint, project_id="p", ak=AK, sk=SK, max_attempts=1,
                             retry_base=60, retry_cap=600):
        pass
    with hss.Client(endpoint=http_emulator.endpoint, project_id="p", ak=AK, sk=SK):
        pass
    assert [(t["max_attempts"], t["retry_base_ms"], t["retry_cap_ms"]) for t in told] == [
        (5, 1, 1500), (1, 60000, 600000), (0, 0, 0)]  # fractions of a ms round up; 0: the defaults


@pytest.mark.parametrize("kwargs, error, text", [
    ({"max_attempts": 0}, hss.InvalidArgumentError, "max_attempts must be from 1"),
    ({"max_attempts": 11}, hss.InvalidArgumentError, "max_attempts"),
    ({"max_attempts": -1}, hss.InvalidArgumentError, "max_attempts"),
    ({"max_attempts": 2**70}, hss.InvalidArgumentError, "max_attempts"),
    ({"max_attempts": 3.0}, TypeError, "max_attempts must be an int"),
    ({"max_attempts": True}, TypeError, "max_attempts"),
    ({"max_attempts": "3"}, TypeError, "max_attempts"),
    ({"retry_base": 0}, hss.InvalidArgumentError, "retry_base must be more than 0 and at most 60 seconds"),
    ({"retry_base": 60.001}, hss.InvalidArgumentError, "retry_base"),
    ({"retry_base": float("nan")}, hss.InvalidArgumentError, "retry_base"),
    ({"retry_base": -1}, hss.InvalidArgumentError, "retry_base"),
    ({"retry_base": "0.2"}, TypeError, "retry_base must be a number of seconds"),
    ({"retry_cap": 600.5}, hss.InvalidArgumentError, "retry_cap must be more than 0 and at most 600 seconds"),
    ({"retry_cap": float("inf")}, hss.InvalidArgumentError, "retry_cap"),
    ({"retry_cap": False}, TypeError, "retry_cap"),
    ({"retry_base": 2, "retry_cap": 1}, hss.InvalidArgumentError, "retry_cap (default 20 seconds) must be at least"),
    ({"retry_base": 30}, hss.InvalidArgumentError, "retry_cap (default 20 seconds) must be at least retry_base"),
    ({"trace_level": "DEBUG"}, TypeError, "trace_level must be a logging level"),
    ({"trace_level": 10.0}, TypeError, "trace_level"),
])
@pytest.mark.parametrize("factory", ["Client", "from_env"])
def test_invalid_retry_options(http_emulator, told, kwargs, error, text, factory):
    make = hss.Client if factory == "Client" else hss.Client.from_env
    with pytest.raises(error) as info:
        make(endpoint=http_emulator.endpoint, project_id="p", ak=AK, sk=SK, **kwargs)
    assert text in str(info.value)
    assert told == []  # refused by the binding, in seconds, before the library saw it


def test_retry_cap_may_equal_retry_base(make_client):
    client = make_client(retry_base=20, retry_cap=20, max_attempts=10)
    assert client.get_image_upload_command(**GOOD).image_command


# ----------------------------------------------------------------------------- attempts

def test_attempts_after_retries_that_run_out(make_client, http_emulator):
    client = make_client(project_id="emu-status-502", max_attempts=4, **FAST)
    before = len(http_emulator.records)
    e = _fail(client)
    assert type(e) is hss.ServerResponseError and e.status_code == 502 and e.error_code == "APIGW.0202"
    assert e.attempts == 4
    assert [r["status"] for r in http_emulator.records[before:]] == [502] * 4
    assert str(e).count("4 attempts") == 1, str(e)  # said once, by the library or the binding
    assert e.request_id == http_emulator.records[-1]["request_id"]  # the last attempt's
    back = pickle.loads(pickle.dumps(e))
    assert back.attempts == 4 and str(back) == str(e)


def test_attempts_when_a_retry_succeeds(make_client, http_emulator):
    http_emulator.server.script([{"status": 503}, {"status": 429, "error_code": "APIG.0308"}, "pass"])
    result = make_client(max_attempts=3, **FAST).get_image_upload_command(**GOOD)
    assert result.image_command
    assert [r["status"] for r in http_emulator.records[-3:]] == [503, 429, 200]


def test_one_attempt(make_client, http_emulator):
    """Retries turned off (which answers are retried is Tests/test_resilience.py's)."""
    before = len(http_emulator.records)
    e = _fail(make_client(project_id="emu-status-502", max_attempts=1))
    assert e.attempts == 1
    assert "attempt" not in str(e)
    assert len(http_emulator.records) - before == 1


def test_no_attempt_when_nothing_was_sent(client, make_client, closed_port):
    assert _fail(client, username="").attempts == 0  # invalid input
    client.close()
    assert _fail(client).attempts == 0  # ClientClosedError, the binding's own
    assert hss.HSSError("x").attempts == 0
    # A transport failure is retried: every attempt is counted.
    e = _fail(make_client(endpoint="http://127.0.0.1:%d" % closed_port, max_attempts=2, **FAST))
    assert isinstance(e, hss.NetworkError) and e.attempts == 2


def test_a_retry_that_cannot_fit_the_deadline_is_not_made(make_client, http_emulator):
    """timeout bounds the whole call: a 503 asking for Retry-After: 5 within a 1 s timeout fails
    at once, after one attempt, and says why."""
    http_emulator.server.script([{"status": 503, "retry_after": "5"}, "pass"])
    start = time.monotonic()
    e = _fail(make_client(timeout=1, max_attempts=3))
    assert time.monotonic() - start < 1
    assert type(e) is hss.ServerResponseError and e.status_code == 503 and e.attempts == 1
    assert "timeout" in str(e) and len(http_emulator.server.arrival_times()) == 1


# ----------------------------------------------------------------------------- the trace in logging

def _hss_records(caplog, level=None):
    return [r for r in caplog.records if r.name == "hss" and (level is None or r.levelno == level)]


def _assert_no_secret(records):
    for r in records:
        text = r.getMessage()
        for secret in (SK, WRONG_SK, GOOD["password"]):
            assert secret not in text, text


def test_a_debug_logger_gets_each_request_redacted(make_client, caplog, told):
    """DEBUG on the "hss" logger when the client is made: the library is told HSS_TRACE_DEBUG and
    the records show what an APIGW.0301 needs: the canonical request (password ***), the string
    to sign, the Authorization header (signature shown, AK masked), the status and request id;
    never the SK or the password."""
    caplog.set_level(logging.DEBUG, logger="hss")
    e = _fail(make_client(sk=WRONG_SK))
    assert e.error_code == "APIGW.0301"
    assert told[-1]["trace_level"] == 3 and told[-1]["trace"]
    debug = [r.getMessage() for r in _hss_records(caplog, logging.DEBUG)]
    canonical = [line for line in debug if line.startswith("canonical request: ")]
    assert "canonical request: GET" in canonical
    assert any("password=***" in line and "username=admin" in line for line in canonical), canonical
    assert any(line.startswith("string to sign: SDK-HMAC-SHA256") for line in debug), debug
    auth = [line for line in debug if line.startswith("> Authorization: ")]
    assert len(auth) == 1 and "Access=%s...%s," % (AK[:4], AK[-4:]) in auth[0] and "Signature=" in auth[0]
    assert AK not in auth[0]
    assert any(line.startswith("< HTTP 401") and e.request_id in line for line in debug), debug
    _assert_no_secret(caplog.records)


def test_a_quiet_logger_costs_no_debug_lines(make_client, caplog, told, http_emulator):
    """WARNING on the "hss" logger (the default of an unconfigured program): the library is told
    HSS_TRACE_INFO, so it builds no debug line; info lines (sources, retries) still come, for a
    logger turned up to INFO (a level changed later applies from the next call on:
    test_py_outcomes.py)."""
    caplog.set_level(logging.WARNING, logger="hss")
    client = make_client(project_id="emu-status-502", max_attempts=2, **FAST)
    assert told[-1]["trace_level"] == 2 and told[-1]["trace"]
    caplog.set_level(logging.INFO, logger="hss")
    _fail(client)
    info = [r.getMessage() for r in _hss_records(caplog, logging.INFO)]
    assert any("attempt 1 of 2 failed" in line and "502" in line for line in info), info
    _assert_no_secret(caplog.records)


def test_trace_overrides_the_logger(make_client, caplog, told):
    caplog.set_level(logging.DEBUG, logger="hss")
    lines = []
    _fail(make_client(sk=WRONG_SK, trace=lambda level, line: lines.append((level, line))))
    assert told[-1]["trace_level"] == 0  # the library's default for a trace function: INFO
    assert _hss_records(caplog) == []
    assert lines and {level for level, _ in lines} == {logging.INFO}
    lines.clear()
    _fail(make_client(sk=WRONG_SK, trace=lambda level, line: lines.append((level, line)),
                      trace_level=logging.DEBUG))
    assert told[-1]["trace_level"] == 3
    assert any(level == logging.DEBUG and line.startswith("canonical request: ") for level, line in lines)
    assert all(WRONG_SK not in line and GOOD["password"] not in line for _, line in lines)


@pytest.mark.parametrize("level, expected", [(logging.DEBUG, 3), (5, 3), (logging.INFO, 2), (15, 2),
                                             (logging.WARNING, 1), (logging.CRITICAL, 1)])
def test_trace_level_is_a_logging_level(http_emulator, told, level, expected):
    with hss.Client(endpoint=http_emulator.endpoint, project_id="p", ak=AK, sk=SK, trace_level=level):
        pass
    assert told[-1]["trace_level"] == expected


def test_hss_debug_prints_everything_to_stderr(make_client, caplog, capfd, monkeypatch, told):
    """HSS_DEBUG=1 without trace=: the library's own stderr lines, as for C programs; the logger
    gets nothing."""
    caplog.set_level(logging.DEBUG, logger="hss")
    monkeypatch.setenv("HSS_DEBUG", "1")
    _fail(make_client(sk=WRONG_SK))
    assert not told[-1]["trace"]
    err = capfd.readouterr().err
    assert "libhss: debug: canonical request: GET" in err
    assert "password=***" in err and WRONG_SK not in err and GOOD["password"] not in err
    assert _hss_records(caplog) == []
