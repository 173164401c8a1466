"""What a Python caller can act on (issue 23), against the emulator: the library's refusal of a
malformed registry_addr, e.retryable (try again later, or fix something first), a dry run that
raises DryRunError with the request, a level of the "hss" logger set after the client is made,
and the warning about a secret too short to redact. The rules are the library's
(Tests/test_outcomes.py has their grid); here one case per class, through the binding."""

import logging

import pytest
from hss_testsupport import GOOD

import hss

FAST = {"retry_base": 0.001, "retry_cap": 0.001}  # retries without waiting


def _fail(client, **params):
    with pytest.raises(hss.HSSError) as info:
        client.get_image_upload_command(**dict(GOOD, **params))
    return info.value


def _hss_records(caplog, level):
    return [r.getMessage() for r in caplog.records if r.name == "hss" and r.levelno == level]


def test_a_malformed_registry_addr_is_refused_before_any_traffic(client, http_emulator):
    before = http_emulator.stats()["requests"]
    e = _fail(client, registry_addr="https://harbor.example.com/")
    assert type(e) is hss.InvalidArgumentError
    assert str(e) == "registry_addr must be host or host:port: no scheme (such as https://)"
    assert e.attempts == 0 and not e.retryable
    assert http_emulator.stats()["requests"] == before


@pytest.mark.parametrize("kwargs, error, retryable", [
    ({"project_id": "emu-status-429", **FAST}, hss.ClientRequestError, True),  # throttled after retries
    ({"sk": "Wrong-Secret-Key-4711"}, hss.ClientRequestError, False),          # the caller's mistake
])
def test_retryable_tells_a_later_retry_from_a_mistake(make_client, kwargs, error, retryable):
    e = _fail(make_client(**kwargs))
    assert type(e) is error and e.retryable is retryable


def test_an_error_of_the_binding_is_not_retryable(make_client):
    client = make_client()
    client.close()
    e = _fail(client)
    assert type(e) is hss.ClientClosedError and e.retryable is False


def test_a_dry_run_raises_with_the_request_and_sends_nothing(make_client, http_emulator):
    before = http_emulator.stats()["requests"]
    e = _fail(make_client(dry_run=True))
    assert type(e) is hss.DryRunError and e.status is hss.Status.DRY_RUN
    lines = e.request.split("\n")
    assert lines[0].startswith("GET %s/v5/proj-python/image/registries/image-upload-command?" % http_emulator.endpoint)
    assert "password=***" in lines[0]
    assert any(line.startswith("Authorization: SDK-HMAC-SHA256 Access=EMUL...ORAK, ") for line in lines), lines
    assert GOOD["password"] not in e.request + str(e) + repr(e)
    assert e.attempts == 0 and not e.retryable
    assert http_emulator.stats()["requests"] == before


def test_dry_run_is_a_bool(http_emulator):
    with pytest.raises(TypeError, match="dry_run must be a bool"):
        hss.Client(endpoint=http_emulator.endpoint, dry_run="yes")


def test_a_logger_level_set_after_the_client_is_made_takes_effect(make_client, caplog, monkeypatch):
    """Issue 23.8: DEBUG on the "hss" logger after creation brings the debug lines on the next
    call, and a quieter level later has the library stop building them again."""
    logger = logging.getLogger("hss")
    sent = []  # the levels of what the library hands the logger, before the logger filters
    log = logger.log
    monkeypatch.setattr(logger, "log", lambda level, *args: (sent.append(level), log(level, *args)))
    caplog.set_level(logging.WARNING, logger="hss")
    client = make_client(project_id="emu-status-502", max_attempts=2, **FAST)  # info lines: the retry
    _fail(client)
    assert logging.DEBUG not in sent
    caplog.set_level(logging.DEBUG, logger="hss")
    _fail(client)
    assert any(line.startswith("canonical request: ") for line in _hss_records(caplog, logging.DEBUG))
    caplog.set_level(logging.INFO, logger="hss")
    sent.clear()
    _fail(client)
    assert sent and logging.DEBUG not in sent


def test_a_password_too_short_to_redact_is_warned_about_once(client, caplog):
    caplog.set_level(logging.WARNING, logger="hss")
    for _ in range(2):
        client.get_image_upload_command(**dict(GOOD, password="abc"))
    (warning,) = _hss_records(caplog, logging.WARNING)
    assert warning.startswith("the registry password is shorter than 4 bytes")
