"""The shell command hss-image-upload-command, against the local HSS emulator.

Output formats with hostile values (eval-safety proven by evaluating the env output in
real shells and comparing byte for byte, and by values that would create a file if run),
every exit status, secrets never on a command line nor in an error, --help, --version,
the man page and the bash completion.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import time
from pathlib import Path

import pytest

PROGRAM = "hss-image-upload-command"
ROOT = Path(__file__).resolve().parent.parent.parent
SK = "EMULATORSK"           # the emulator's defaults, as in conftest.py (Cli.env)
TOKEN = "EMULATOR-TOKEN"

SHELL_DIR = ROOT / "bindings" / "shell"
MAN_PAGE = SHELL_DIR / "hss-image-upload-command.1"
COMPLETION = SHELL_DIR / "hss-image-upload-command.bash-completion"

REGISTRY = "harbor.example.com:443"
PASSWORD = "S3cret-Passw0rd!"
FIELDS = ("image_command", "images_download_url", "swr_image_pull_command")
ENV_NAMES = ("HSS_IMAGE_COMMAND", "HSS_IMAGES_DOWNLOAD_URL", "HSS_SWR_IMAGE_PULL_COMMAND")
IMAGES_DOWNLOAD_URL = "https://hss-emulator.invalid/images/hss-scanner.zip"
SWR_IMAGE_PULL_COMMAND = "docker pull swr.emulator.invalid/hss/hss-scanner:latest"
PREFIX = PROGRAM.encode() + b": "

# Shells the env output must be safe in; those not installed are skipped.
SHELLS = ("bash", "dash", "sh", "busybox", "zsh", "ksh", "mksh")


def registry_args(namespace="library", username="admin", registry=REGISTRY):
    return ["--registry-addr", registry, "--namespace", namespace, "--username", username]


def emulator_answer(namespace="library", username="admin", password=PASSWORD, registry=REGISTRY):
    """The three fields the emulator answers with (bindings/python/_hss_testing/hss_api.py)."""
    return {
        "image_command": "docker login -u %s -p %s %s && docker load -i hss-scanner.tar && "
                         "docker push %s/%s/hss-scanner" % (username, password, registry, registry, namespace),
        "images_download_url": IMAGES_DOWNLOAD_URL,
        "swr_image_pull_command": SWR_IMAGE_PULL_COMMAND,
    }


def text_render(value: str) -> str:
    """How --output text shows a value: control characters made visible."""
    out = []
    for ch in value:
        if ch == "\n":
            out.append("\\n")
        elif ch == "\r":
            out.append("\\r")
        elif ch == "\t":
            out.append("\\t")
        elif ord(ch) < 0x20 or ord(ch) == 0x7F:
            out.append("\\x%02x" % ord(ch))
        else:
            out.append(ch)
    return "".join(out)


def installed_shells():
    return [s for s in SHELLS if shutil.which(s, path="/usr/bin:/bin")]


def eval_in_shell(shell: str, env_output: bytes, workdir: Path) -> subprocess.CompletedProcess:
    """eval the env output in `shell`, then print the three variables NUL-separated."""
    out_file = workdir / "env-output"
    out_file.write_bytes(env_output)
    script = ('eval "$(cat "$1")" || exit 99; '
              'printf "%s\\0%s\\0%s" "$HSS_IMAGE_COMMAND" "$HSS_IMAGES_DOWNLOAD_URL" '
              '"$HSS_SWR_IMAGE_PULL_COMMAND"')
    argv = [shell, "sh", "-c", script, "sh", str(out_file)] if shell == "busybox" else \
        [shell, "-c", script, "sh", str(out_file)]
    return subprocess.run(argv, cwd=workdir, capture_output=True, timeout=30,
                          env={"PATH": "/usr/bin:/bin", "HOME": str(workdir), "LC_ALL": "C.UTF-8"})


def assert_clean_failure(proc, code: int, secrets=(PASSWORD, SK)):
    """Exit `code`, nothing on stdout, one line on stderr, no secret anywhere."""
    err = proc.stderr
    assert proc.returncode == code, err
    assert proc.stdout == b""
    assert err.startswith(PREFIX) and err.endswith(b"\n") and err.count(b"\n") == 1, err
    for secret in secrets:
        assert secret.encode() not in err, err


# ----------------------------------------------------------------------------- hostile values

# Each case: (namespace, username, password). The emulator echoes all three into
# image_command. The library refuses control characters in inputs, so newlines and the
# like reach the output through the canned-answer server instead (below).
# {m} is a file name, relative to the directory the output is evaluated in; that file must
# never be created.
HOSTILE = {
    "command-substitution": ("ns$(touch {m})", "$(touch {m})", "pw`touch {m}`x"),
    "single-quotes": ("'; touch {m}; '", "'", "it's '\\'' \"q\""),
    "double-quotes-backslashes": ("\"$(touch {m})\"", "a\\b\\\\", "\\'\\\"$'\\x41'\\"),
    "expansions": ("${HOME}$((1+1))$IFS", "~root !! #x", "*?[a]{a,b}$$"),
    "operators": ("x; touch {m} && y || z | w > {m}", "a&b", "<{m} 2>&1"),
    "unicode": ("é a\u0308 日本\u2028\u00a0", "用户😀", "pässwörd€ \u0085 \u200b"),
}


@pytest.fixture(params=sorted(HOSTILE))
def hostile(request, tmp_path):
    """(namespace, username, password, marker path) for one hostile case."""
    marker = tmp_path / "pwned"
    namespace, username, password = (v.replace("{m}", marker.name) for v in HOSTILE[request.param])
    return namespace, username, password, marker


def run_hostile(cli, hostile, *extra):
    namespace, username, password, _ = hostile
    return cli.run([*registry_args(namespace, username), "--password-stdin", *extra],
                   stdin=password + "\n")


def test_text_output(cli, hostile):
    namespace, username, password, marker = hostile
    proc = run_hostile(cli, hostile)
    assert proc.returncode == 0, proc.stderr
    expected = emulator_answer(namespace, username, password)
    assert proc.stdout.decode() == "".join(
        "%-24s%s\n" % (name + ":", expected[name]) for name in FIELDS)
    assert not marker.exists()


def test_json_output(cli, hostile):
    namespace, username, password, marker = hostile
    proc = run_hostile(cli, hostile, "--output", "json")
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.endswith(b"\n") and proc.stdout.count(b"\n") == 1
    assert json.loads(proc.stdout) == {"schema_version": 1, **emulator_answer(namespace, username, password)}
    # non-ASCII passed through as UTF-8, not \u-escaped
    for value in (namespace, username, password):
        for word in value.split():
            if not word.isascii() and "\u2028" not in word and "\u0085" not in word:
                assert word.encode() in proc.stdout


@pytest.mark.parametrize("shell", installed_shells())
def test_env_output_is_eval_safe(cli, hostile, shell, tmp_path):
    namespace, username, password, marker = hostile
    proc = run_hostile(cli, hostile, "--output", "env")
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.decode().split("\n")
    assert [line.split("=", 1)[0] for line in lines[:3]] == list(ENV_NAMES)

    result = eval_in_shell(shell, proc.stdout, tmp_path)
    assert result.returncode == 0 and result.stderr == b"", result.stderr
    expected = emulator_answer(namespace, username, password)
    assert result.stdout.split(b"\0") == [expected[name].encode() for name in FIELDS]
    assert not marker.exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["env-output"]  # nothing else created


@pytest.mark.parametrize("field", FIELDS)
def test_field_prints_one_value_raw(cli, hostile, field):
    namespace, username, password, _ = hostile
    proc = run_hostile(cli, hostile, "--field", field)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == emulator_answer(namespace, username, password)[field].encode() + b"\n"


# Answers with what no input can carry: newlines, tabs, CR, escape sequences, DEL, every
# C0 control character, a lone quote, trailing newlines.
CANNED = {
    "control-characters": {
        "image_command": "line1\nline2\ttab\r\x1b[31mred\x1b[0m 'q' \"dq\" \\ "
                         "$(touch {m}) `touch {m}` \x7f\x01 end\n",
        "images_download_url": "'",
        "swr_image_pull_command": "\n\n",
    },
    "every-c0-character": {
        "image_command": "".join(chr(c) for c in range(1, 0x20)) + "\x7f\"\\'",
        "images_download_url": "'\n'; touch {m}; echo '\n",
        "swr_image_pull_command": "用户😀\u2028\u2029\ufeff \"\\u0041\"",
    },
}


@pytest.fixture(params=sorted(CANNED))
def canned(request, stub_server, tmp_path):
    marker = tmp_path / "pwned"
    fields = {k: v.replace("{m}", marker.name) for k, v in CANNED[request.param].items()}
    stub_server.answer(fields)
    return fields, marker, {"HUAWEICLOUD_SDK_ENDPOINT": stub_server.endpoint}


@pytest.mark.parametrize("shell", installed_shells())
def test_env_output_with_newlines_and_controls(cli, canned, shell, tmp_path):
    fields, marker, env = canned
    proc = cli.run([*registry_args(), "--password-stdin", "--output", "env"], stdin=PASSWORD, env=env)
    assert proc.returncode == 0, proc.stderr
    result = eval_in_shell(shell, proc.stdout, tmp_path)
    assert result.returncode == 0 and result.stderr == b"", result.stderr
    assert result.stdout.split(b"\0") == [fields[name].encode() for name in FIELDS]
    assert not marker.exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["env-output"]


def test_json_output_with_newlines_and_controls(cli, canned):
    fields, _, env = canned
    proc = cli.run([*registry_args(), "--password-stdin", "--output", "json"], stdin=PASSWORD, env=env)
    assert proc.returncode == 0, proc.stderr
    body = proc.stdout[:-1]
    assert proc.stdout.endswith(b"\n") and b"\n" not in body
    assert not any(b < 0x20 or b == 0x7F for b in body)  # every control character escaped
    assert json.loads(proc.stdout) == {"schema_version": 1, **fields}


def test_text_output_shows_controls_visibly(cli, canned):
    fields, _, env = canned
    proc = cli.run([*registry_args(), "--password-stdin"], stdin=PASSWORD, env=env)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.decode() == "".join(
        "%-24s%s\n" % (name + ":", text_render(fields[name])) for name in FIELDS)


@pytest.mark.parametrize("field", FIELDS)
def test_field_with_newlines_and_controls(cli, canned, field):
    fields, _, env = canned
    proc = cli.run([*registry_args(), "--password-stdin", "--field", field], stdin=PASSWORD, env=env)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == fields[field].encode() + b"\n"


# ----------------------------------------------------------------------------- exit status 2

def _required(*without):
    args = registry_args()
    for option in without:
        i = args.index(option)
        del args[i:i + 2]
    return args


USAGE_ERRORS = {
    "no-arguments": ([], "--registry-addr is required"),
    "unknown-option": ([*_required(), "--password-stdin", "--frobnicate"], "--frobnicate"),
    "unknown-short-option": ([*_required(), "--password-stdin", "-x"], "-x"),
    "ambiguous-abbreviation": ([*_required(), "--pass"], "ambiguous"),
    "missing-value": ([*_required(), "--password-stdin", "--region"], "missing value for --region"),
    "value-for-flag": ([*_required(), "--password-stdin=yes"], "--password-stdin"),
    "bad-output": ([*_required(), "--password-stdin", "--output", "yaml"], "--output"),
    "bad-field": ([*_required(), "--password-stdin", "--field", "password"], "--field"),
    "field-and-output": ([*_required(), "--password-stdin", "--field", "image_command", "--output", "json"],
                         "exclude"),
    "negative-timeout": ([*_required(), "--password-stdin", "--timeout", "-1"], "--timeout"),
    "zero-timeout": ([*_required(), "--password-stdin", "--timeout", "0"], "--timeout"),
    "huge-timeout": ([*_required(), "--password-stdin", "--timeout", "3601"], "--timeout"),
    "nan-timeout": ([*_required(), "--password-stdin", "--timeout", "nan"], "--timeout"),
    "word-timeout": ([*_required(), "--password-stdin", "--timeout", "5s"], "--timeout"),
    # decimal only: everything else strtod would take, or an overflow, is refused
    "hex-timeout": ([*_required(), "--password-stdin", "--timeout", "0x10"], "--timeout"),
    "plus-timeout": ([*_required(), "--password-stdin", "--timeout", "+5"], "--timeout"),
    "minus-zero-timeout": ([*_required(), "--password-stdin", "--timeout", "-0"], "--timeout"),
    "leading-space-timeout": ([*_required(), "--password-stdin", "--timeout", " 5"], "--timeout"),
    "trailing-space-timeout": ([*_required(), "--password-stdin", "--timeout", "5 "], "--timeout"),
    "empty-timeout": ([*_required(), "--password-stdin", "--timeout="], "--timeout"),
    "point-timeout": ([*_required(), "--password-stdin", "--timeout", "."], "--timeout"),
    "exponent-timeout": ([*_required(), "--password-stdin", "--timeout", "1e3"], "--timeout"),
    "inf-timeout": ([*_required(), "--password-stdin", "--timeout", "inf"], "--timeout"),
    "comma-timeout": ([*_required(), "--password-stdin", "--timeout", "0,5"], "--timeout"),
    "overflow-timeout": ([*_required(), "--password-stdin", "--timeout", "9" * 40], "--timeout"),
    "just-over-timeout": ([*_required(), "--password-stdin", "--timeout", "3600.0001"], "--timeout"),
    "zero-fraction-timeout": ([*_required(), "--password-stdin", "--timeout", "0.000"], "--timeout"),
    "no-namespace": ([*_required("--namespace"), "--password-stdin"], "--namespace is required"),
    "no-username": ([*_required("--username"), "--password-stdin"], "--username is required"),
    "positional": ([*_required(), "--password-stdin", "extra"], "unexpected argument"),
    "two-password-sources": ([*_required(), "--password-stdin", "--password-file", "/dev/null"], "exclude"),
    "no-password": ([*_required()], "--password-stdin"),
    "missing-password-file": ([*_required(), "--password-file", "/nonexistent/pw"], "/nonexistent/pw"),
    "missing-token-file": ([*_required(), "--password-stdin", "--auth-token-file", "/nonexistent/tok"],
                           "/nonexistent/tok"),
}


@pytest.mark.parametrize("case", sorted(USAGE_ERRORS))
def test_usage_error_exits_2(cli, http_emulator, case):
    args, message = USAGE_ERRORS[case]
    before = http_emulator.stats()["requests"]
    proc = cli.run(args, stdin=PASSWORD + "\n")
    assert_clean_failure(proc, 2)
    assert message.encode() in proc.stderr
    assert http_emulator.stats()["requests"] == before  # nothing was sent


INVALID_INPUT = {
    "username-too-long": ([*registry_args(username="u" * 129)], {}, "username"),
    "registry-addr-too-long": ([*registry_args(registry="r" * 257)], {}, "registry_addr"),
    "enterprise-project-id-too-long": ([*registry_args(), "--enterprise-project-id", "e" * 257], {},
                                       "enterprise_project_id"),
    "bad-endpoint": ([*registry_args(), "--endpoint", "ftp://127.0.0.1"], {}, "endpoint"),
    # --region wins over HUAWEICLOUD_SDK_ENDPOINT (which points at the emulator)
    "unknown-region": ([*registry_args(), "--region", "xx-nowhere-1"], {}, "region"),
    "bad-project-id": ([*registry_args(), "--project-id", "a/b"], {}, "project_id"),
    "unreadable-ca-file": ([*registry_args(), "--ca-file", "/nonexistent/ca.pem"], {}, "ca_file"),
    "no-endpoint": ([*registry_args()], {"HUAWEICLOUD_SDK_ENDPOINT": None}, "region or endpoint"),
    # no credentials at all: the credential chain, exit 3 (test_cli_chain.py)
}


@pytest.mark.parametrize("case", sorted(INVALID_INPUT))
def test_invalid_input_exits_2(cli, http_emulator, case):
    args, env, message = INVALID_INPUT[case]
    before = http_emulator.stats()["requests"]
    proc = cli.run([*args, "--password-stdin"], stdin=PASSWORD + "\n", env=env)
    assert_clean_failure(proc, 2)
    assert message.encode() in proc.stderr
    assert http_emulator.stats()["requests"] == before


@pytest.mark.parametrize("stdin", [b"", b"\n", b"\r\n"])
def test_empty_password_exits_2(cli, http_emulator, stdin):
    before = http_emulator.stats()["requests"]
    proc = cli.run([*registry_args(), "--password-stdin"], stdin=stdin)
    assert_clean_failure(proc, 2)
    assert b"password" in proc.stderr
    assert http_emulator.stats()["requests"] == before


def test_overlong_password_line_exits_2(cli):
    proc = cli.run([*registry_args(), "--password-stdin"], stdin="x" * 5000)
    assert_clean_failure(proc, 2, secrets=("x" * 16,))
    assert b"too long" in proc.stderr


@pytest.mark.parametrize("value", ["010", "0030.5", "1.", ".5", "3600", "3600.000"])
def test_timeout_accepts_decimal(cli, value):
    """Leading zeros are decimal, not octal; a fraction needs no digit before or after the point."""
    proc = cli.run([*registry_args(), "--password-stdin", "--timeout", value, "--field", "images_download_url"],
                   stdin=PASSWORD)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == IMAGES_DOWNLOAD_URL.encode() + b"\n"


# A C string would end at the NUL: the secret would silently be a shorter one.
NUL_LINES = {"inside": b"Nul-Secret-4c1d\0Tail7w\n", "first": b"\0Nul-Secret-4c1d\n",
             "last": b"Nul-Secret-4c1d\0\r\n"}


@pytest.mark.parametrize("line", sorted(NUL_LINES))
@pytest.mark.parametrize("option", ["--password-stdin", "--password-file", "--auth-token-file"])
def test_nul_in_secret_line_exits_2(cli, http_emulator, tmp_path, option, line):
    data = NUL_LINES[line]
    secret_file = tmp_path / "secret"
    secret_file.write_bytes(data)
    if option == "--password-stdin":
        args, stdin = [option], data
    elif option == "--password-file":
        args, stdin = [option, str(secret_file)], None
    else:
        args, stdin = ["--password-stdin", option, str(secret_file)], PASSWORD + "\n"
    before = http_emulator.stats()["requests"]
    proc = cli.run([*registry_args(), *args], stdin=stdin)
    assert_clean_failure(proc, 2, secrets=(PASSWORD, SK, "Nul-Secret", "4c1d", "Tail7w"))
    assert option.encode() in proc.stderr and b"NUL" in proc.stderr
    assert http_emulator.stats()["requests"] == before


def test_nul_after_the_first_line_is_not_the_password(cli):
    proc = cli.run([*registry_args(), "--password-stdin", "--field", "image_command"],
                   stdin=PASSWORD.encode() + b"\nsecond\0line\n")
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == emulator_answer()["image_command"].encode() + b"\n"


# ----------------------------------------------------------------------------- refused secrets

@pytest.mark.parametrize("args, hint", [
    (["--password", "hunter2-secret"], "--password-stdin"),
    (["--password=hunter2-secret"], "--password-stdin"),
    (["--password"], "--password-stdin"),
    (["--auth-token", "hunter2-secret"], "--auth-token-file"),
    (["--auth-token=hunter2-secret"], "--auth-token-file"),
    (["--pasword=hunter2-secret"], "--pasword"),  # a typo: the value is not echoed either
])
def test_secret_on_command_line_is_refused(cli, http_emulator, args, hint):
    before = http_emulator.stats()["requests"]
    proc = cli.run([*registry_args(), *args])
    assert_clean_failure(proc, 2, secrets=("hunter2-secret",))
    assert hint.encode() in proc.stderr
    assert http_emulator.stats()["requests"] == before


def test_password_refusal_explains_the_safe_ways(cli):
    proc = cli.run([*registry_args(), "--password", "hunter2-secret"])
    assert proc.returncode == 2
    for way in (b"--password-stdin", b"--password-file", b"HSS_REGISTRY_PASSWORD"):
        assert way in proc.stderr


# ----------------------------------------------------------------------------- exit status 3, 75, 1

SERVICE_ERRORS = {
    "wrong-sk-401": ({"HUAWEICLOUD_SDK_SK": "WRONG-SECRET-KEY"}, "cli-project", 3, "APIGW.0301"),
    "unknown-ak-401": ({"HUAWEICLOUD_SDK_AK": "NOBODY"}, "cli-project", 3, "APIGW.0301"),
    "forbidden-403": ({}, "emu-status-403", 3, "APIGW.0302"),
    "throttled-429": ({}, "emu-status-429", 75, "APIG.0308"),
    "bad-request-400": ({}, "emu-errfmt-camel", 3, "HSS.1001"),
    "internal-500": ({}, "emu-status-500", 75, "HSS.0000"),
    "bad-gateway-502": ({}, "emu-status-502", 75, "APIGW.0202"),
    "gateway-timeout-504": ({}, "emu-status-504", 75, "APIGW.0203"),
    "unavailable-503-text": ({}, "emu-errfmt-text", 75, "503"),
    "not-json-200": ({}, "emu-nonjson", 1, "JSON"),
    "missing-field": ({}, "emu-missing-field", 1, "swr_image_pull_command"),
    "nul-in-field": ({}, "emu-nul-field", 1, "NUL"),
    "redirect-302": ({}, "emu-redirect", 1, ""),
}


@pytest.mark.parametrize("case", sorted(SERVICE_ERRORS))
def test_service_errors(cli, case):
    env, project, code, text = SERVICE_ERRORS[case]
    proc = cli.run([*registry_args(), "--password-stdin"], stdin=PASSWORD, env=env, project=project)
    assert_clean_failure(proc, code, secrets=(PASSWORD, SK, "WRONG-SECRET-KEY"))
    assert text.encode() in proc.stderr
    if code in (3, 75):
        assert re.search(rb"request id [0-9a-f]{32}", proc.stderr), proc.stderr
        assert proc.stderr.count(b"request id") == 1


def test_rejected_signature_message_has_no_password(cli):
    """APIGW.0301 echoes the canonical request, password included: it must be redacted."""
    proc = cli.run([*registry_args(), "--password-stdin"], stdin=PASSWORD + "\n",
                   env={"HUAWEICLOUD_SDK_SK": "WRONG-SECRET-KEY"})
    assert_clean_failure(proc, 3, secrets=(PASSWORD, "S3cret-Passw0rd%21", SK, "WRONG-SECRET-KEY"))
    assert b"password=***" in proc.stderr


def test_rejected_token_exits_3(cli, tmp_path):
    token_file = tmp_path / "token"
    token_file.write_text("NOT-A-VALID-TOKEN-1234\n")
    token_file.chmod(0o600)
    proc = cli.run([*registry_args(), "--password-stdin", "--auth-token-file", str(token_file)],
                   stdin=PASSWORD)
    assert_clean_failure(proc, 3, secrets=(PASSWORD, "NOT-A-VALID-TOKEN-1234"))
    assert b"APIGW.0307" in proc.stderr


# ----------------------------------------------------------------------------- exit status 75 and 4

def test_closed_port_exits_75(cli, closed_port):
    proc = cli.run([*registry_args(), "--password-stdin", "--endpoint", "http://127.0.0.1:%d" % closed_port],
                   stdin=PASSWORD)
    assert_clean_failure(proc, 75)


def test_tls_without_ca_exits_4(cli, https_emulator):
    proc = cli.run([*registry_args(), "--password-stdin", "--endpoint", https_emulator.endpoint], stdin=PASSWORD)
    assert_clean_failure(proc, 4)


def test_tls_with_ca_file_succeeds(cli, https_emulator):
    proc = cli.run([*registry_args(), "--password-stdin", "--endpoint", https_emulator.endpoint,
                    "--ca-file", https_emulator.ca_file,
                    "--field", "image_command"], stdin=PASSWORD)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == emulator_answer()["image_command"].encode() + b"\n"


def test_timeout_exits_75(cli):
    start = time.monotonic()
    proc = cli.run([*registry_args(), "--password-stdin", "--timeout", "0.5"], stdin=PASSWORD,
                   project="emu-stall")
    elapsed = time.monotonic() - start
    assert_clean_failure(proc, 75)
    assert 0.4 < elapsed < 5, elapsed


# ----------------------------------------------------------------------------- exit status 1 (output)

def test_unwritable_output_exits_1(cli):
    with open("/dev/full", "wb") as full:
        proc = subprocess.run([str(cli.exe), *registry_args(), "--password-stdin"], input=PASSWORD.encode(),
                              stdout=full, stderr=subprocess.PIPE, env=cli.env(), timeout=30)
    assert proc.returncode == 1
    assert proc.stderr.startswith(PREFIX) and b"cannot write" in proc.stderr
    assert PASSWORD.encode() not in proc.stderr


# ----------------------------------------------------------------------------- secrets in, secrets out

@pytest.mark.parametrize("data", [b"%s\n", b"%s\r\n", b"%s", b"%s\nsecond line\n"],
                         ids=["lf", "crlf", "no-newline", "two-lines"])
def test_password_stdin(cli, data):
    proc = cli.run([*registry_args(), "--password-stdin", "--field", "image_command"],
                   stdin=data.replace(b"%s", PASSWORD.encode()))
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == emulator_answer()["image_command"].encode() + b"\n"


@pytest.mark.parametrize("data", [b"%s\n", b"%s\r\n", b"%s", b"%s\nsecond line\n"],
                         ids=["lf", "crlf", "no-newline", "two-lines"])
def test_password_file(cli, tmp_path, data):
    pw_file = tmp_path / "pw"
    pw_file.write_bytes(data.replace(b"%s", PASSWORD.encode()))
    proc = cli.run([*registry_args(), "--password-file", str(pw_file), "--field", "image_command"])
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == emulator_answer()["image_command"].encode() + b"\n"


def test_password_from_environment(cli):
    proc = cli.run([*registry_args(), "--field", "image_command"], env={"HSS_REGISTRY_PASSWORD": PASSWORD})
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == emulator_answer()["image_command"].encode() + b"\n"


def test_password_options_win_over_environment(cli, tmp_path):
    pw_file = tmp_path / "pw"
    pw_file.write_text(PASSWORD + "\n")
    env = {"HSS_REGISTRY_PASSWORD": "from-the-environment"}
    expected = emulator_answer()["image_command"].encode() + b"\n"
    for args, stdin in ((["--password-stdin"], PASSWORD), (["--password-file", str(pw_file)], None)):
        proc = cli.run([*registry_args(), *args, "--field", "image_command"], stdin=stdin, env=env)
        assert proc.returncode == 0, proc.stderr
        assert proc.stdout == expected


def test_longest_password(cli):
    password = "🔑" * 128  # 128 characters, 512 bytes
    proc = cli.run([*registry_args(), "--password-stdin", "--field", "image_command"], stdin=password + "\n")
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == emulator_answer(password=password)["image_command"].encode() + b"\n"


def test_auth_token_file_wins_over_aksk(cli, tmp_path):
    token_file = tmp_path / "token"
    token_file.write_text(TOKEN + "\n")
    # A wrong SK in the environment: success proves the token was used.
    proc = cli.run([*registry_args(), "--password-stdin", "--auth-token-file", str(token_file),
                    "--field", "images_download_url"], stdin=PASSWORD,
                   env={"HUAWEICLOUD_SDK_SK": "WRONG-SECRET-KEY"})
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == IMAGES_DOWNLOAD_URL.encode() + b"\n"


def test_auth_token_from_environment(cli):
    proc = cli.run([*registry_args(), "--password-stdin", "--field", "images_download_url"], stdin=PASSWORD,
                   env={"HUAWEICLOUD_SDK_AK": None, "HUAWEICLOUD_SDK_SK": None,
                        "HUAWEICLOUD_SDK_AUTH_TOKEN": TOKEN})
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == IMAGES_DOWNLOAD_URL.encode() + b"\n"


def test_options_override_environment(cli, http_emulator):
    """--endpoint and --project-id win over HUAWEICLOUD_SDK_ENDPOINT / _PROJECT_ID."""
    proc = cli.run([*registry_args(), "--password-stdin", "--endpoint", http_emulator.endpoint,
                    "--project-id", "emu-status-403", "--enterprise-project-id", "all_granted_eps"],
                   stdin=PASSWORD, env={"HUAWEICLOUD_SDK_ENDPOINT": "http://127.0.0.1:1",
                                        "HUAWEICLOUD_SDK_PROJECT_ID": "cli-project"})
    assert_clean_failure(proc, 3)


def test_enterprise_project_id(cli):
    proc = cli.run([*registry_args(), "--password-stdin", "--enterprise-project-id", "all_granted_eps",
                    "--output", "json"], stdin=PASSWORD)
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout) == {"schema_version": 1, **emulator_answer()}


def _all_cmdlines() -> dict:
    out = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open("/proc/%s/cmdline" % entry, "rb") as f:
                    out[int(entry)] = f.read()
            except OSError:  # gone, or not ours to read
                pass
    return out


@pytest.mark.parametrize("source", ["stdin", "file", "environment"])
def test_no_secret_in_any_command_line(cli, http_emulator, tmp_path, source):
    """While a call is in flight (the emulator holds the answer), no process's
    /proc/PID/cmdline shows the password, the SK or the IAM token."""
    password = "Cmdline-Secret-%s-42" % source
    secrets = [password.encode(), SK.encode()]
    env = cli.env(project="emu-stall")
    args = [*registry_args(), "--timeout", "2"]
    if source == "stdin":
        args.append("--password-stdin")
    elif source == "file":
        (tmp_path / "pw").write_text(password + "\n")
        (tmp_path / "token").write_text(TOKEN + "\n")
        args += ["--password-file", str(tmp_path / "pw"), "--auth-token-file", str(tmp_path / "token")]
        secrets.append(TOKEN.encode())
    else:
        env["HSS_REGISTRY_PASSWORD"] = password

    before = http_emulator.stats()["requests"]
    proc = cli.popen(args, env, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    proc.stdin.write((password + "\n").encode() if source == "stdin" else b"")
    proc.stdin.close()
    scans_in_flight = 0
    seen_self = False
    while proc.poll() is None:
        in_flight = http_emulator.stats()["requests"] > before
        cmdlines = _all_cmdlines()
        for pid, cmdline in cmdlines.items():
            for secret in secrets:
                assert secret not in cmdline, "secret in /proc/%d/cmdline: %r" % (pid, cmdline)
        if proc.poll() is None and in_flight:
            scans_in_flight += 1
            seen_self = seen_self or PROGRAM.encode() in cmdlines.get(proc.pid, b"")
            if source != "environment":  # not even in the environment
                try:
                    environ = Path("/proc/%d/environ" % proc.pid).read_bytes()
                    assert password.encode() not in environ
                except OSError:
                    pass
        time.sleep(0.02)
    stdout, stderr = proc.stdout.read(), proc.stderr.read()
    proc.stdout.close()
    proc.stderr.close()
    assert proc.returncode == 75, stderr  # the stall outlasts --timeout 2
    assert stdout == b""
    assert scans_in_flight >= 10 and seen_self
    for secret in secrets:
        assert secret not in stderr


# ----------------------------------------------------------------------------- help, version, docs

def test_help(cli):
    proc = cli.run(["--help"], bare=True)
    assert proc.returncode == 0 and proc.stderr == b""
    text = proc.stdout.decode()
    assert text.startswith("Usage: %s " % PROGRAM)
    for option in ("--password-stdin", "--password-file", "--auth-token-file", "--output FORMAT",
                   "--field NAME", "--timeout SECONDS", "HSS_REGISTRY_PASSWORD"):
        assert option in text
    status = text[text.index("Exit status"):]
    for code in (0, 1, 2, 3, 4, 5, 75):
        assert re.search(r"^  %d +\S" % code, status, re.M), code
    assert cli.run(["-h"], bare=True).stdout == proc.stdout
    # --help wins even when the rest of the command line is incomplete
    assert cli.run(["--username", "x", "--help"], bare=True).stdout == proc.stdout


def test_version(cli):
    header = (ROOT / "include" / "hss.h").read_text()
    version = re.search(r'#define HSS_VERSION_STRING "([^"]+)"', header).group(1)
    proc = cli.run(["--version"], bare=True)
    assert proc.returncode == 0 and proc.stderr == b""
    # the library is built from the same tree: its version is the header's
    assert proc.stdout == ("%s %s (libhss %s)\n" % (PROGRAM, version, version)).encode()


def _help_options(cli) -> set:
    text = cli.run(["--help"], bare=True).stdout.decode()
    return set(re.findall(r"^  (--[a-z-]+)", text, re.M))


def test_man_page(cli):
    source = MAN_PAGE.read_text()
    for section in ("NAME", "SYNOPSIS", "DESCRIPTION", "OPTIONS", "ENVIRONMENT", "EXIT STATUS",
                    "EXAMPLES", "SECURITY"):
        assert re.search(r"^\.SH %s$" % section, source, re.M), section
    status = source[source.index(".SH EXIT STATUS"):source.index(".SH EXAMPLES")]
    assert re.findall(r"^\.B (\d+)$", status, re.M) == ["0", "1", "2", "3", "4", "5", "75"]
    for option in _help_options(cli):
        assert option.replace("-", "\\-") in source, option


@pytest.mark.man_pages
def test_man_page_renders_without_warnings():
    proc = subprocess.run(["man", "--warnings", "-E", "UTF-8", "-l", "-Tutf8", "-Z", str(MAN_PAGE)],
                          capture_output=True, timeout=60)
    assert proc.returncode == 0 and proc.stderr == b"", proc.stderr


def _complete(*words, cwd=None, program=PROGRAM) -> list:
    """What the completion offers after `program words...` (the last word is the one completed)."""
    script = ('source "$1"; shift; COMP_WORDS=("$@"); COMP_CWORD=$(( $# - 1 )); '
              '_hss_image_upload_command; printf "%s\\n" "${COMPREPLY[@]}"')
    proc = subprocess.run(["bash", "-c", script, "bash", str(COMPLETION), program, *words],
                          capture_output=True, text=True, cwd=cwd, timeout=30)
    assert proc.returncode == 0 and proc.stderr == "", proc.stderr
    return [line for line in proc.stdout.split("\n") if line]


def test_bash_completion(cli, tmp_path):
    offered = set(_complete("--"))
    assert offered == _help_options(cli)  # every option, and the refused ones are not offered
    assert "--password" not in offered and "--auth-token" not in offered
    assert _complete("--out") == ["--output"]
    assert _complete("--output", "") == ["text", "table", "json", "tsv", "env"]
    assert _complete("--output", "j") == ["json"]
    assert _complete("--output", "=", "e") == ["env"]  # "--output=e" with '=' a word break
    assert _complete("--output=e") == ["--output=env"]
    assert _complete("--field", "") == list(FIELDS)
    assert _complete("--field", "swr") == ["swr_image_pull_command"]
    (tmp_path / "pw.txt").write_text("x")
    (tmp_path / "ca.pem").write_text("x")
    for option in ("--password-file", "--ca-file", "--auth-token-file"):
        assert _complete(option, "p", cwd=tmp_path) == ["pw.txt"]
        assert sorted(_complete(option, "", cwd=tmp_path)) == ["ca.pem", "pw.txt"]


def test_ctrl_c_at_the_password_prompt_leaves_the_terminal_echoing(cli):
    """--password-stdin on a terminal turns echo off; a signal at the prompt must turn it back on."""
    import pty
    import signal
    import termios

    master, slave = pty.openpty()
    try:
        proc = subprocess.Popen([str(cli.exe), "--password-stdin", *registry_args()], stdin=slave,
                                stdout=subprocess.DEVNULL, stderr=slave, env=cli.env(), start_new_session=True)
        prompt = b""
        deadline = time.monotonic() + 10
        while b"password" not in prompt.lower() and time.monotonic() < deadline:
            prompt += os.read(master, 1024)
        assert not termios.tcgetattr(slave)[3] & termios.ECHO, "echo should be off at the prompt"
        proc.send_signal(signal.SIGINT)
        assert proc.wait(timeout=10) == -signal.SIGINT
        assert termios.tcgetattr(slave)[3] & termios.ECHO, "echo was left off"
    finally:
        os.close(master)
        os.close(slave)
