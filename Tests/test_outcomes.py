"""What a caller can act on (issue 23), through the C API against the emulator: whether an error is
worth retrying later (hss_error_retryable), a dry run that builds and signs but sends nothing
(options.dry_run, HSS_E_DRY_RUN), the trace level changed after the client is made
(hss_client_set_trace_level), a warning for secrets too short to redact, and messages that do not
repeat hss_status_str's text. The rules are include/hss.h's; the retry matrix itself is
Tests/test_resilience.py's."""

import pytest
from test_c_api import expect_env

FAST = {"HSS_TEST_RETRY_BASE_MS": "1", "HSS_TEST_RETRY_CAP_MS": "1"}


@pytest.fixture
def emu(http_emulator):
    http_emulator.server.clear_faults()
    return http_emulator


# name: (answers scripted for the HSS route, env, expected status, expected hss_error_retryable)
OUTCOMES = {
    "throttled after retries": ([{"status": 429}] * 3, FAST, "HSS_E_HTTP_CLIENT", b"1"),
    "5xx after retries": ([{"status": 503}] * 3, FAST, "HSS_E_HTTP_SERVER", b"1"),
    "not implemented": ([{"status": 501}], {}, "HSS_E_HTTP_SERVER", b"0"),
    "network": ([{"reset": True}] * 3, FAST, "HSS_E_NETWORK", b"1"),
    "timeout": ([{"delay": 5}], {"HSS_TEST_TIMEOUT_MS": "300"}, "HSS_E_TIMEOUT", b"1"),
    "bad credentials": ([], {"HSS_TEST_SK": "wrong-sk"}, "HSS_E_HTTP_CLIENT", b"0"),
    "permission": ([{"status": 403}], {}, "HSS_E_HTTP_CLIENT", b"0"),
    "bad input": ([], {"HSS_TEST_REGISTRY_ADDR": "https://harbor.example.com/"}, "HSS_E_INVALID_ARGUMENT", b"0"),
    "unusable answer": ([{"oversize": True}], {}, "HSS_E_BAD_RESPONSE", b"0"),
}


@pytest.mark.parametrize("name", list(OUTCOMES))
def test_retryable_tells_a_later_retry_from_a_mistake(hss_c, emu, name):
    script, env, status, retryable = OUTCOMES[name]
    emu.server.script(script)
    r = hss_c.run("call", {**env, **expect_env(status)}).check()
    assert r.error["retryable"] == retryable, r.describe()


def test_registry_addr_shape_is_checked_before_any_traffic(hss_c, emu):
    before = len(emu.records)
    r = hss_c.run("call", {"HSS_TEST_REGISTRY_ADDR": "myharbor.com:99999",
                           **expect_env("HSS_E_INVALID_ARGUMENT", message="registry_addr must be host or host:port: "
                                                                           "a port from 1 to 65535")}).check()
    assert len(emu.records) == before and r.error["attempts"] == b"0"


def test_a_dry_run_builds_and_signs_and_sends_nothing(hss_c, emu):
    before = len(emu.records)
    r = hss_c.run("call", {"HSS_TEST_DRY_RUN": "1", "HSS_TEST_PASSWORD": "dry-Run-Pw&=",
                           "HSS_TEST_EXPECT_NO_REQUEST_ID": "1", **expect_env("HSS_E_DRY_RUN")}).check()
    assert len(emu.records) == before, "a dry run reached the service"
    request = r.error["msg"].decode().split("\n")
    assert request[0].startswith("GET %s/v5/%s/image/registries/image-upload-command?" % (emu.endpoint,
                                                                                          hss_c.project_id))
    assert "password=***" in request[0] and "dry-Run-Pw" not in r.error["msg"].decode()
    assert any(line.startswith("X-Sdk-Date: ") for line in request)
    (authorization,) = [line for line in request if line.startswith("Authorization: ")]
    assert "Access=EMUL...ORAK, SignedHeaders=content-type;host;user-agent;x-project-id;x-sdk-date, " \
           "Signature=" in authorization
    assert r.error["attempts"] == b"0" and r.error["retryable"] == b"0"


@pytest.mark.parametrize("level, debug_lines", [("1", False), ("3", True)])
def test_the_trace_level_can_change_after_the_client_is_made(hss_c, emu, level, debug_lines):
    r = hss_c.run("call", {"HSS_DEBUG": "1", "HSS_TEST_SET_TRACE_LEVEL": level}).check()
    assert (b"libhss: debug: " in r.stderr) == debug_lines, r.describe()


def test_a_password_too_short_to_redact_is_reported_once(hss_c, emu):
    r = hss_c.run("call", {"HSS_DEBUG": "1", "HSS_TEST_PASSWORD": "abc", "HSS_TEST_CALLS": "2"}).check()
    warning = b"libhss: warning: the registry password is shorter than 4 bytes: any message that holds it will " \
              b"be withheld whole instead of starred"
    assert r.stderr.count(warning) == 1, r.describe()


def test_a_message_does_not_repeat_the_status_text(hss_c, closed_port):
    """hss_status_str then hss_error_message, as the README's C sample prints them, says the
    status once (issue 23.3)."""
    r = hss_c.run("call", {"HSS_TEST_ENDPOINT": "http://127.0.0.1:%d" % closed_port, "HSS_TEST_MAX_ATTEMPTS": "1",
                           **expect_env("HSS_E_NETWORK")}).check()
    assert not r.error["message"].startswith(b"network error"), r.error["message"]


# The calls into a buffer (one crossing for bindings): hss_image_upload_command_get_into, and
# hss_image_upload_command_get_fields (the request's strings as arguments).
INTO = pytest.mark.parametrize("into", ["1", "fields"])


@INTO
def test_the_call_into_a_buffer_answers_as_the_call(hss_c, emu, into):
    """The same three strings, byte for byte, as hss_image_upload_command_get; and the same
    request on the wire, every field included."""
    params = {"HSS_TEST_PASSWORD": "pässwörd €😀 &=+%/~", "HSS_TEST_NAMESPACE": "ns 1~/é",
              "HSS_TEST_USERNAME": "user +&=", "HSS_TEST_REGISTRY_ADDR": "harbor.example.com:8443",
              "HSS_TEST_EPID": "all_granted_eps"}
    plain = hss_c.run("call", params).check()
    sent = emu.records[-1]["query"]
    into = hss_c.run("call", {**params, "HSS_TEST_INTO": into}).check()
    assert emu.records[-1]["query"] == sent
    for field in ("image_command", "images_download_url", "swr_image_pull_command"):
        assert into.results[field] == plain.results[field] and into.results[field]


@INTO
def test_a_buffer_smaller_than_the_documented_size_is_refused_before_any_traffic(hss_c, emu, into):
    before = len(emu.records)
    hss_c.run("call", {"HSS_TEST_INTO": into, "HSS_TEST_INTO_SIZE": "262146",
                       **expect_env("HSS_E_INVALID_ARGUMENT", message="size is 262146 bytes; the buffer needs "
                                    "HSS_IMAGE_UPLOAD_COMMAND_BUFFER_SIZE (262147)")}).check()
    assert len(emu.records) == before


@INTO
def test_a_failed_call_into_a_buffer_writes_nothing(hss_c, emu, into):
    # test_api.c's one_call_into fills the buffer with 'Z' and checks every byte is left.
    emu.server.script([{"status": 403}])
    hss_c.run("call", {"HSS_TEST_INTO": into, **expect_env("HSS_E_HTTP_CLIENT")}).check()
