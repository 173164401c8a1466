"""hss-image-upload-command's output formats (issue 23): JSON with a schema version, tsv for
scripts, table for people, what --output refuses; --show-config as JSON, and showing what it did
resolve when a later step (IAM) fails, the failing setting marked. The answer's hostile values in
text, json, env and --field are test_cli.py's."""

from __future__ import annotations

import json
import unicodedata

import pytest

from .test_cli import FIELDS, PASSWORD, PREFIX, assert_clean_failure, emulator_answer, registry_args
from .test_cli_chain import AK, MASKED_AK, REGION, chain_env, profile_env, write_profile  # noqa: F401 (fixtures)

# What the canned-answer server returns: every character a format must escape or measure.
AWKWARD = {
    "image_command": "docker login -p 'pw\\x' a\tb\r\nc 日本",
    "images_download_url": "https://example.invalid/a b?x=1",
    "swr_image_pull_command": "",
}


def answer(cli, stub_server, *args):
    stub_server.answer(AWKWARD)
    return cli.run([*registry_args(), "--password-stdin", *args], stdin=PASSWORD,
                   env={"HUAWEICLOUD_SDK_ENDPOINT": stub_server.endpoint})


def test_json_has_a_schema_version(cli):
    proc = cli.run([*registry_args(), "--password-stdin", "--output", "json"], stdin=PASSWORD)
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout) == {"schema_version": 1, **emulator_answer()}
    assert proc.stdout.startswith(b'{"schema_version":1,')


def _tsv_unescape(cell: str) -> str:
    out, chars = [], iter(cell)
    for ch in chars:
        out.append({"t": "\t", "n": "\n", "r": "\r", "\\": "\\"}[next(chars)] if ch == "\\" else ch)
    return "".join(out)


def test_tsv_is_one_line_of_escaped_values(cli, stub_server):
    proc = answer(cli, stub_server, "--output", "tsv")
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.endswith(b"\n") and proc.stdout.count(b"\n") == 1 and b"\r" not in proc.stdout
    cells = proc.stdout.decode()[:-1].split("\t")
    assert [_tsv_unescape(cell) for cell in cells] == [AWKWARD[name] for name in FIELDS]


def _width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def test_table_for_people(cli, stub_server):
    proc = answer(cli, stub_server, "--output", "table")
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.decode().splitlines()
    assert lines[0] == lines[2] == lines[-1] and lines[0].startswith("+-") and lines[0].endswith("-+")
    assert [line.split("|")[1].strip() for line in lines[1:-1] if line.startswith("|")] == ["field", *FIELDS]
    assert len({_width(line) for line in lines}) == 1, lines  # aligned, the wide characters counted twice
    assert "a\\tb\\r\\nc 日本" in lines[3]  # control characters made visible, as in text


def test_yaml_is_refused_with_the_choices(cli, http_emulator):
    before = http_emulator.stats()["requests"]
    proc = cli.run([*registry_args(), "--password-stdin", "--output", "yaml"], stdin=PASSWORD)
    assert_clean_failure(proc, 2)
    assert b"--output must be text, table, json, tsv or env" in proc.stderr
    assert http_emulator.stats()["requests"] == before


# ----------------------------------------------------------------------------- --show-config

def test_show_config_as_json(cli, http_emulator, profile_env):  # noqa: F811 (a fixture)
    proc = cli.run(["--region", REGION, "--show-config", "--output", "json"], env=profile_env, bare=True)
    assert proc.returncode == 0 and proc.stderr == b"", proc.stderr
    out = json.loads(proc.stdout)
    assert out["schema_version"] == 1
    settings = out["settings"]
    assert list(settings) == ["region", "endpoint", "project_id", "iam_endpoint", "credentials", "signing_algorithm"]
    assert settings["region"] == {"value": REGION, "source": "options"}
    assert settings["credentials"] == {"value": MASKED_AK, "source": "profile"}
    assert settings["project_id"]["source"] == "iam"
    assert settings["signing_algorithm"] == {"value": "SDK-HMAC-SHA256", "source": "default"}


def test_show_config_refuses_the_formats_it_has_not(cli):
    proc = cli.run(["--show-config", "--output", "env"], bare=True)
    assert_clean_failure(proc, 2)
    assert b"--show-config prints text or json" in proc.stderr


@pytest.mark.parametrize("output", ["text", "json"])
def test_show_config_shows_what_it_resolved_when_iam_fails(cli, http_emulator, profile_env, tmp_path,  # noqa: F811
                                                           output):
    """IAM refuses the profile's keys: the credentials found, the endpoints and the region are
    still shown, the project id marked as the setting that failed; the error on stderr, exit 3."""
    env = dict(profile_env, HUAWEICLOUD_SDK_CREDENTIALS_FILE=write_profile(tmp_path, ak=AK, sk="WRONG-PROFILE-SK"))
    proc = cli.run(["--region", REGION, "--show-config", "--output", output], env=env, bare=True)
    assert proc.returncode == 3
    error = proc.stderr.decode()
    assert error.startswith(PREFIX.decode()) and error.count("\n") == 1 and "IAM" in error
    assert b"WRONG-PROFILE-SK" not in proc.stdout + proc.stderr
    if output == "json":
        settings = json.loads(proc.stdout)["settings"]
        assert settings["credentials"] == {"value": MASKED_AK, "source": "profile"}
        assert settings["iam_endpoint"] == {"value": http_emulator.endpoint, "source": "environment"}
        assert settings["endpoint"] == {"value": http_emulator.endpoint, "source": "environment"}
        assert settings["project_id"] == {"value": None, "source": None, "error": error[len(PREFIX):-1]}
        assert [name for name, s in settings.items() if "error" in s] == ["project_id"]
    else:
        lines = proc.stdout.decode().splitlines()
        assert "credentials: %s (profile)" % MASKED_AK in lines
        assert "project_id: (failed)" in lines and "region: %s (options)" % REGION in lines


def test_show_config_marks_the_credentials_when_no_source_has_any(cli, http_emulator, chain_env):  # noqa: F811
    proc = cli.run(["--endpoint", http_emulator.endpoint, "--project-id", "p", "--show-config", "--output", "json"],
                   env=chain_env, bare=True)
    assert proc.returncode == 3
    settings = json.loads(proc.stdout)["settings"]
    assert settings["credentials"]["value"] is None and "profile" in settings["credentials"]["error"]
    assert settings["project_id"] == {"value": "p", "source": "options"}
