"""The hss-emulator command: what it prints, its options, its quiet (a request's query holds the
registry password), --help listing every mode, and stopping on SIGTERM/SIGINT."""

import datetime as dt
import json
import re
import shlex
import signal
import subprocess
import sys

from _hss_testing import cli as command
from _hss_testing import faults, hss_api, identity, routes
from emu_support import (
    AK,
    BINDING_DIR,
    GOOD,
    HOSTILE,
    REGION,
    SK,
    cli,
    cli_port,
    fetch,
    http_date,
    iam_request,
    sdk_date,
    send,
    send_signed,
    signed_request,
)


def stop(proc, sig=signal.SIGTERM):
    """Stop the command; (stdout, stderr) after its first line."""
    try:
        proc.send_signal(sig)
        out, err = proc.communicate(timeout=10)
        assert proc.returncode == 0, err
        return out, err
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


def test_quiet_port_file_credentials_and_sigterm(tmp_path):
    port_file = tmp_path / "port"
    proc = cli("--port-file", str(port_file), "--credentials", "AK1:SK1", "AK2:SK2", "--token", "TOK")
    port = cli_port(proc)
    assert int(port_file.read_text()) == port
    assert send_signed(port, ak="AK2", sk="SK2", date=sdk_date(), query=HOSTILE[1])[0] == 200
    assert send_signed(port, date=sdk_date())[0] == 401  # defaults replaced
    target, _ = signed_request(port)
    assert send(port, target, {"Host": "x", "X-Auth-Token": "TOK"})[0] == 200
    assert stop(proc) == ("", "")  # quiet: nothing logged, certainly not the query


def test_print_env_keys_is_what_a_client_needs(tmp_path):
    """--print-env: `export` lines a shell can source; with them the official SDK's and libhss's
    settings point at the emulator, with its keys and the project IAM lists for the region."""
    proc = cli("--print-env", "--region", "ap-southeast-1")
    port = cli_port(proc)
    endpoint = "http://127.0.0.1:%d" % port
    lines = [proc.stdout.readline() for _ in range(7)]
    env = dict(shlex.split(line)[1].split("=", 1) for line in lines)
    assert all(line.startswith("export ") for line in lines)
    assert env == {"HUAWEICLOUD_SDK_ENDPOINT": endpoint, "HUAWEICLOUD_SDK_REGION": "ap-southeast-1",
                   "HUAWEICLOUD_SDK_REGION_HSS_AP_SOUTHEAST_1": endpoint, "HUAWEICLOUD_SDK_IAM_ENDPOINT": endpoint,
                   "HUAWEICLOUD_SDK_PROJECT_ID": identity.default_project_id("ap-southeast-1"),
                   "HUAWEICLOUD_SDK_AK": AK, "HUAWEICLOUD_SDK_SK": SK}
    # The project id is the one IAM lists for the region.
    status, _, body = send(port, *iam_request(endpoint, AK, SK, region="ap-southeast-1"))
    assert status == 200 and [p["id"] for p in json.loads(body)["projects"]] == [env["HUAWEICLOUD_SDK_PROJECT_ID"]]
    assert stop(proc, signal.SIGINT) == ("", "")


def test_print_env_metadata_gives_no_keys():
    proc = cli("--print-env", "metadata")
    port = cli_port(proc)
    endpoint = "http://127.0.0.1:%d" % port
    env = dict(shlex.split(proc.stdout.readline())[1].split("=", 1) for _ in range(5))
    assert env == {"HUAWEICLOUD_SDK_ENDPOINT": endpoint, "HUAWEICLOUD_SDK_REGION": REGION,
                   "HUAWEICLOUD_SDK_REGION_HSS_CN_NORTH_4": endpoint, "HUAWEICLOUD_SDK_IAM_ENDPOINT": endpoint,
                   "HUAWEICLOUD_SDK_METADATA_ENDPOINT": endpoint}
    # The metadata service there gives a temporary credential the HSS route accepts.
    token = fetch(endpoint + identity.METADATA_TOKEN_PATH, "PUT", {"X-Metadata-Token-Ttl-Seconds": "60"})[2]
    cred = json.loads(fetch(endpoint + identity.METADATA_SECURITYKEY_PATH,
                            headers={"X-Metadata-Token": token.decode()})[2])["credential"]
    assert send_signed(port, ak=cred["access"], sk=cred["secret"], token=cred["securitytoken"],
                       date=sdk_date())[0] == 200
    assert stop(proc) == ("", "")


def test_help_lists_every_mode():
    """--help: every option, every route of the table, every misbehaving project id, the keys."""
    out = subprocess.run([sys.executable, "-m", "_hss_testing", "--help"], capture_output=True, text=True,
                         env={"PYTHONPATH": str(BINDING_DIR), "PATH": "/usr/bin:/bin"}, timeout=30)
    assert out.returncode == 0 and out.stderr == ""
    text = out.stdout
    assert text.startswith("usage: hss-emulator ")
    for option in ("--host", "--port", "--print-env", "--region", "--port-file", "--credentials", "--token",
                   "--identity", "--tls-cert", "--tls-key", "--clock-offset", "--verbose"):
        assert option in text, option
    for route in routes.ROUTES:
        assert "%-22s %-6s %s" % (route.name, route.method, route.template) in text
    for project_id in hss_api.BEHAVIOURS:
        assert "\n  %s " % project_id in text
    assert "EMULATORAK:EMULATORSK" in text and "EMULATOR-TOKEN" in text and "man hss-emulator" in text


def test_verbose_logs_path_only():
    proc = cli("--verbose")
    port = cli_port(proc)
    assert send_signed(port, date=sdk_date(), query=dict(GOOD, password="TOPSECRET"))[0] == 200
    out, err = stop(proc, signal.SIGINT)
    assert "GET /v5/pid123/image/registries/image-upload-command" in err
    assert "TOPSECRET" not in err and "?" not in err and "Signature" not in err


def test_identity_settings():
    settings = {"projects": {REGION: ["p1", "p2"]}, "metadata_token": "unsupported"}
    proc = cli("--port", "0", "--identity", json.dumps(settings))
    port = cli_port(proc)
    url = "http://127.0.0.1:%d" % port
    status, _, body = send(port, *iam_request(url, AK, SK))
    assert status == 200 and [p["id"] for p in json.loads(body)["projects"]] == ["p1", "p2"]
    assert fetch(url + identity.METADATA_SECURITYKEY_PATH)[0] == 200  # IMDSv1
    assert stop(proc) == ("", "")


def test_bad_options_exit_2():
    for args, message in ((["--identity", '{"nope": 1}'], "hss-emulator: unknown identity setting: nope"),
                          (["--credentials", "no-colon"], "hss-emulator: credentials must look like AK:SK"),
                          (["--tls-cert", "/nonexistent"], "hss-emulator: --tls-cert and --tls-key go together"),
                          (["--print-env", "nope"], "argument --print-env: invalid choice: 'nope'")):
        bad = subprocess.run([sys.executable, "-m", "_hss_testing", *args], capture_output=True, text=True,
                             env={"PYTHONPATH": str(BINDING_DIR), "PATH": "/usr/bin:/bin"}, timeout=30)
        assert bad.returncode == 2 and message in bad.stderr and bad.stdout == "", (args, bad.stderr)


def test_clock_offset():
    proc = cli("--port", "0", "--clock-offset", "-960")
    port = cli_port(proc)
    status, headers, _ = send_signed(port, date=sdk_date())
    assert status == 401
    expected = dt.datetime.now(dt.timezone.utc) - dt.timedelta(minutes=16)
    assert abs(http_date(headers["Date"]) - expected) < dt.timedelta(seconds=5)
    stop(proc)


def test_manual_page_documents_everything():
    """hss-emulator(1) names every option, route, misbehaving project id, scripted answer key,
    --print-env mode and default code of a scripted error, as the code has them."""
    source = (BINDING_DIR.parent.parent / "man" / "man1" / "hss-emulator.1").read_text()
    text = re.sub(r"\\f[BIRP]|\\&", "", source).replace("\\-", "-").replace("\\(dq", '"')
    options = [o for a in command.parser()._actions for o in a.option_strings if o.startswith("--")]
    assert len(options) == 13
    for name in (*options, *(r.name for r in routes.ROUTES), *(r.template.split("{")[0] for r in routes.ROUTES),
                 *hss_api.BEHAVIOURS, *faults.KEYS, "keys", "metadata", "EMULATORAK", "EMULATORSK", "EMULATOR-TOKEN"):
        assert name.replace("emu-status-", "-") in text, name  # "emu-status-403, -429, -500..."
    for status, (code, _) in faults.ERRORS.items():
        assert "%d\n.BR %s" % (status, code) in source, (status, code)
