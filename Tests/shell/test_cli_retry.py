"""hss-image-upload-command's retry options and --verbose (issue 13), against the emulator and
its scripted answers (bindings/python/_hss_testing/faults.py: server.script). The exit statuses are those of
test_cli.py, whatever the number of attempts; the error line says how many there were when more
than one; --verbose shows each request as signed and sent, never a secret."""

from __future__ import annotations

import re

import pytest

AK, SK = "EMULATORAK", "EMULATORSK"  # the emulator's defaults
WRONG_SK = "Wrong-Secret-Key-4711"
PASSWORD = "S3cret-Passw0rd!"
REGISTRY = ["--registry-addr", "harbor.example.com:443", "--namespace", "library", "--username", "admin",
            "--password-stdin"]
PREFIX = b"hss-image-upload-command: "
FAST = ["--retry-base", "0.001", "--retry-cap", "0.001"]  # retries without waiting


def assert_one_error_line(proc, code):
    assert proc.returncode == code, proc.stderr
    assert proc.stdout == b""
    assert proc.stderr.startswith(PREFIX) and proc.stderr.count(b"\n") == 1, proc.stderr
    for secret in (PASSWORD, SK, WRONG_SK):
        assert secret.encode() not in proc.stderr


@pytest.mark.parametrize("args, text", [
    (["--max-attempts", "0"], "--max-attempts takes a whole number from 1 (no retries) to 10"),
    (["--max-attempts", "11"], "--max-attempts"),
    (["--max-attempts", "-1"], "--max-attempts"),
    (["--max-attempts", "+2"], "--max-attempts"),
    (["--max-attempts", "2.0"], "--max-attempts"),
    (["--max-attempts", " 2"], "--max-attempts"),
    (["--max-attempts", "9" * 30], "--max-attempts"),
    (["--max-attempts="], "--max-attempts"),
    (["--retry-base", "0"], "--retry-base takes a decimal number of seconds, more than 0 and at most 60 "),
    (["--retry-base", "60.001"], "--retry-base"),
    (["--retry-base", "1e3"], "--retry-base"),
    (["--retry-base", "nan"], "--retry-base"),
    (["--retry-cap", "600.5"], "--retry-cap takes a decimal number of seconds, more than 0 and at most 600 "),
    (["--retry-cap", "-1"], "--retry-cap"),
    (["--retry-base", "2", "--retry-cap", "1"], "--retry-cap (default 20) must be at least --retry-base"),
    (["--retry-base", "30"], "--retry-cap (default 20) must be at least --retry-base"),
    (["--max-attempts"], "missing value for --max-attempts"),
])
def test_invalid_retry_options_exit_2(cli, http_emulator, args, text):
    before = http_emulator.stats()["requests"]
    proc = cli.run([*REGISTRY, *args], stdin=PASSWORD)
    assert_one_error_line(proc, 2)
    assert text.encode() in proc.stderr
    assert http_emulator.stats()["requests"] == before


@pytest.mark.parametrize("args", [
    ["--max-attempts", "10", "--retry-base", "60", "--retry-cap", "600"],
    ["--max-attempts", "01", "--retry-base", "0.0001", "--retry-cap", ".5"],
    ["--retry-base", "20"],  # equal to the default cap
])
def test_valid_retry_options(cli, args):
    proc = cli.run([*REGISTRY, *args, "--field", "images_download_url"], stdin=PASSWORD)
    assert proc.returncode == 0 and proc.stderr == b"", proc.stderr


def test_a_retried_call_succeeds_quietly(cli, http_emulator):
    http_emulator.server.script([{"status": 503}, {"reset": True}, "pass"])
    proc = cli.run([*REGISTRY, *FAST, "--field", "images_download_url"], stdin=PASSWORD, max_attempts=None)
    assert proc.returncode == 0 and proc.stderr == b"", proc.stderr  # retries are info lines: --verbose
    assert len(http_emulator.server.arrival_times()) == 3


@pytest.mark.parametrize("project", ["emu-status-502", "emu-status-429"])
def test_the_error_says_how_many_attempts(cli, http_emulator, project):
    """Exit status 75 (try again later); one line, with the last attempt's request id and the
    count, each said once."""
    before = len(http_emulator.records)
    proc = cli.run([*REGISTRY, *FAST, "--max-attempts", "4"], stdin=PASSWORD, project=project)
    assert_one_error_line(proc, 75)
    assert len(http_emulator.records) - before == 4
    assert proc.stderr.count(b"4 attempts") == 1 and proc.stderr.count(b"request id") == 1, proc.stderr
    assert http_emulator.records[-1]["request_id"].encode() in proc.stderr


def test_one_attempt_is_not_mentioned(cli, http_emulator):
    proc = cli.run([*REGISTRY, "--max-attempts", "1"], stdin=PASSWORD, project="emu-status-502")
    assert_one_error_line(proc, 75)
    assert b"attempt" not in proc.stderr


def test_network_failures_are_retried_and_exit_75(cli, closed_port):
    proc = cli.run([*REGISTRY, *FAST, "--max-attempts", "2", "--endpoint", "http://127.0.0.1:%d" % closed_port],
                   stdin=PASSWORD)
    assert_one_error_line(proc, 75)
    assert b"2 attempts" in proc.stderr


def test_timeout_is_the_deadline_of_the_whole_call(cli, http_emulator):
    """A Retry-After longer than what is left of --timeout: no retry, the 503 at once (exit 75)."""
    http_emulator.server.script([{"status": 503, "retry_after": "5"}, "pass"])
    proc = cli.run([*REGISTRY, "--timeout", "1"], stdin=PASSWORD, timeout=5, max_attempts=None)
    assert_one_error_line(proc, 75)
    assert b"timeout" in proc.stderr and len(http_emulator.server.arrival_times()) == 1


# ----------------------------------------------------------------------------- --verbose

def _lines(stderr: bytes, level: str) -> list:
    prefix = PREFIX + level.encode() + b": "
    return [line[len(prefix):].decode() for line in stderr.splitlines() if line.startswith(prefix)]


@pytest.mark.parametrize("how", ["--verbose", "HSS_DEBUG=1"])
def test_verbose_shows_a_rejected_signature_redacted(cli, http_emulator, how):
    """What APIGW.0301 needs: the canonical request and string to sign (password ***), the
    headers sent (signature shown, AK masked), the status and request id; never a secret."""
    env = {"HUAWEICLOUD_SDK_SK": WRONG_SK}
    args = [*REGISTRY]
    if how == "--verbose":
        args.append("--verbose")
    else:
        env["HSS_DEBUG"] = "1"
    proc = cli.run(args, stdin=PASSWORD, env=env)
    assert proc.returncode == 3 and proc.stdout == b""
    for secret in (PASSWORD, WRONG_SK, SK, "S3cret-Passw0rd%21"):
        assert secret.encode() not in proc.stderr
    debug = _lines(proc.stderr, "debug")
    canonical = [line[len("canonical request: "):] for line in debug if line.startswith("canonical request: ")]
    assert canonical[:2] == ["GET", "/v5/cli-project/image/registries/image-upload-command/"]
    assert "namespace=library&password=***&registry_addr=harbor.example.com%3A443&username=admin" in canonical
    assert any(line.startswith("string to sign: SDK-HMAC-SHA256") for line in debug)
    auth = [line for line in debug if line.startswith("> Authorization: ")]
    assert len(auth) == 1 and re.search(r"Access=EMUL\.\.\.ORAK, .*Signature=[0-9a-f]{64}$", auth[0]), auth
    request_id = http_emulator.records[-1]["request_id"]
    assert any(line.startswith("< HTTP 401") and request_id in line for line in debug), debug
    last = proc.stderr.splitlines()[-1]  # the error itself, after the trace
    assert last.startswith(PREFIX + b"HSS answered HTTP 401 APIGW.0301") and request_id.encode() in last


def test_verbose_shows_each_retry(cli, http_emulator):
    http_emulator.server.script([{"status": 502}, "pass"])
    proc = cli.run([*REGISTRY, *FAST, "--verbose", "--field", "images_download_url"], stdin=PASSWORD,
                   max_attempts=None)
    assert proc.returncode == 0, proc.stderr
    info = _lines(proc.stderr, "info")
    assert any("attempt 1 of 3 failed" in line and "502" in line for line in info), info
    statuses = [line.split()[2] for line in _lines(proc.stderr, "debug") if line.startswith("< HTTP ")]
    assert statuses == ["502", "200"]


def test_without_verbose_no_debug_line(cli):
    proc = cli.run([*REGISTRY], stdin=PASSWORD, env={"HUAWEICLOUD_SDK_SK": WRONG_SK})
    assert_one_error_line(proc, 3)


# ----------------------------------------------------------------------------- docs

def test_help_man_page_and_completion_know_the_options(cli):
    from .test_cli import COMPLETION, MAN_PAGE, _complete

    text = cli.run(["--help"], bare=True).stdout.decode()
    for option in ("--max-attempts N", "--retry-base SECONDS", "--retry-cap SECONDS", "--verbose"):
        assert option in text
    source = MAN_PAGE.read_text()
    for option in ("max\\-attempts", "retry\\-base", "retry\\-cap"):
        assert "\\-\\-" + option in source
    assert COMPLETION.exists()
    for option in ("--max-attempts", "--retry-base", "--retry-cap"):
        assert _complete(option, "") == []
        assert _complete(option[:-2]) == [option]
