"""What a script can act on (issue 23), through hss-image-upload-command against the emulator: an
exit status that tells "try again later" (75) from the caller's own mistakes, the library's
refusal of a malformed registry_addr, --dry-run, and warnings about a secret file others can read
and a secret too short to redact. The rules are the library's (Tests/test_outcomes.py has their
grid); these tests prove that the command passes them on, one case per class."""

from __future__ import annotations

import json
import re

import pytest

from .test_cli import MAN_PAGE, PASSWORD, PREFIX, SK, assert_clean_failure, registry_args

FAST = ["--retry-base", "0.001", "--retry-cap", "0.001"]  # retries without waiting
WRONG_SK = "Wrong-Secret-Key-4711"


def requests_seen(emulator) -> int:
    return emulator.stats()["requests"]


# ----------------------------------------------------------------------------- 23.1 registry_addr

def test_a_malformed_registry_addr_is_refused_before_any_traffic(cli, http_emulator):
    before = requests_seen(http_emulator)
    proc = cli.run([*registry_args(registry="https://harbor.example.com/"), "--password-stdin"], stdin=PASSWORD)
    assert_clean_failure(proc, 2)
    assert b"registry_addr must be host or host:port: no scheme (such as https://)" in proc.stderr
    assert requests_seen(http_emulator) == before


# ----------------------------------------------------------------------------- 23.2 exit statuses

# name: (extra arguments, environment, project id, answers scripted for the HSS route, exit status)
OUTCOMES = {
    "throttled after retries": (FAST, {}, "emu-status-429", [], 75),
    "5xx after retries": (FAST, {}, "emu-status-502", [], 75),
    "timeout": (["--timeout", "0.5"], {}, "emu-stall", [], 75),
    "bad credentials": ([], {"HUAWEICLOUD_SDK_SK": WRONG_SK}, "cli-project", [], 3),
    "permission": ([], {}, "emu-status-403", [], 3),
    "not implemented": ([], {}, "cli-project", [{"status": 501}], 5),
}


@pytest.mark.parametrize("name", list(OUTCOMES))
def test_the_exit_status_tells_a_later_retry_from_a_mistake(cli, http_emulator, name):
    args, env, project, script, code = OUTCOMES[name]
    http_emulator.server.clear_faults()
    http_emulator.server.script(script)
    proc = cli.run([*registry_args(), "--password-stdin", *args], stdin=PASSWORD, env=env, project=project)
    assert_clean_failure(proc, code, secrets=(PASSWORD, SK, WRONG_SK))


def test_a_broken_connection_is_worth_retrying(cli, closed_port):
    proc = cli.run([*registry_args(), "--password-stdin", *FAST, "--endpoint", "http://127.0.0.1:%d" % closed_port],
                   stdin=PASSWORD)
    assert_clean_failure(proc, 75)


def test_a_tls_failure_is_not(cli, https_emulator):
    proc = cli.run([*registry_args(), "--password-stdin", "--endpoint", https_emulator.endpoint], stdin=PASSWORD)
    assert_clean_failure(proc, 4)


def test_help_and_man_page_say_what_75_means(cli):
    text = cli.run(["--help"], bare=True).stdout.decode()
    status = text[text.index("Exit status"):]
    line = re.search(r"^  75 +(.*)$", status, re.M)
    assert line and "try again later" in line.group(1), status
    source = MAN_PAGE.read_text()
    page = source[source.index(".SH EXIT STATUS"):source.index(".SH EXAMPLES")]
    assert re.search(r"^\.B 75$", page, re.M) and "EX_TEMPFAIL" in page


# ----------------------------------------------------------------------------- 23.5 --dry-run

def test_dry_run_prints_the_signed_request_and_sends_nothing(cli, http_emulator):
    before = requests_seen(http_emulator)
    proc = cli.run([*registry_args(), "--password-stdin", "--dry-run"], stdin=PASSWORD)
    assert proc.returncode == 0 and proc.stderr == b"", proc.stderr
    lines = proc.stdout.decode().splitlines()
    assert lines[0].startswith("GET %s/v5/cli-project/image/registries/image-upload-command?" % http_emulator.endpoint)
    assert "password=***" in lines[0]
    assert any(re.match(r"Authorization: SDK-HMAC-SHA256 Access=EMUL\.\.\.ORAK, .*Signature=[0-9a-f]{64}$", line)
               for line in lines), lines
    for secret in (PASSWORD, "S3cret-Passw0rd%21", SK):
        assert secret.encode() not in proc.stdout
    assert requests_seen(http_emulator) == before


def test_dry_run_as_json(cli, http_emulator):
    proc = cli.run([*registry_args(), "--password-stdin", "--dry-run", "--output", "json"], stdin=PASSWORD)
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout)
    assert out["schema_version"] == 1
    request = out["request"]
    assert request["method"] == "GET" and "password=***" in request["url"]
    names = [name for name, _ in request["headers"]]
    assert names[-1] == "Authorization" and "X-Sdk-Date" in names
    assert PASSWORD.encode() not in proc.stdout


# ----------------------------------------------------------------------------- 23.7 permissions

@pytest.mark.parametrize("option", ["--password-file", "--auth-token-file"])
def test_a_secret_file_others_can_read_is_warned_about(cli, tmp_path, option):
    """As the library warns about a credentials profile: one warning line, the call goes on."""
    secret = tmp_path / "secret"
    secret.write_text((PASSWORD if option == "--password-file" else "EMULATOR-TOKEN") + "\n")
    args = [*registry_args(), "--field", "images_download_url", option, str(secret)]
    if option != "--password-file":
        args.append("--password-stdin")
    for mode, warned in ((0o600, False), (0o644, True), (0o640, True)):
        secret.chmod(mode)
        proc = cli.run(args, stdin=PASSWORD)
        assert proc.returncode == 0, proc.stderr
        if warned:
            assert proc.stderr.decode() == "%swarning: %s '%s' is readable by others (mode %o): chmod 600 it\n" % (
                PREFIX.decode(), option, secret, mode)
        else:
            assert proc.stderr == b""


# ----------------------------------------------------------------------------- 23.10 short secrets

def test_a_password_too_short_to_redact_is_warned_about_once(cli):
    proc = cli.run([*registry_args(), "--password-stdin", "--field", "images_download_url"], stdin="abc")
    assert proc.returncode == 0, proc.stderr
    lines = proc.stderr.decode().splitlines()
    assert len(lines) == 1 and lines[0].startswith(PREFIX.decode() + "warning: the registry password is shorter "
                                                   "than 4 bytes"), lines


def test_help_says_why_a_message_is_withheld(cli):
    text = " ".join(cli.run(["--help"], bare=True).stdout.decode().split())
    assert "withheld" in text and "shorter than 4 characters" in text and "longer test password" in text
