"""The command line of hss-image-upload-command (issue 23): the nearest option suggested for a typo
or a habit from KooCLI and other tools, --debug for --verbose, a value given to a flag, and region
names: --list-regions and the bash completion of --region."""

from __future__ import annotations

import pytest

from .test_cli import PASSWORD, _complete, assert_clean_failure, registry_args

VALUE = "Value-Canary-93"  # what follows '=': never echoed


@pytest.mark.parametrize("typed, meant", [
    ("--regoin", "--region"),
    ("--registry_addr", "--registry-addr"),
    ("--cli-region", "--region"),
    ("--cli-output", "--output"),
    ("--dryrun", "--dry-run"),
    ("--Region", "--region"),
    ("--namepsace", "--namespace"),
])
def test_a_near_miss_suggests_the_option(cli, http_emulator, typed, meant):
    before = http_emulator.stats()["requests"]
    proc = cli.run([*registry_args(), "--password-stdin", "%s=%s" % (typed, VALUE)], stdin=PASSWORD)
    assert_clean_failure(proc, 2, secrets=(PASSWORD, VALUE))
    assert ("unknown option %s; did you mean %s? (see --help)" % (typed, meant)).encode() in proc.stderr
    assert http_emulator.stats()["requests"] == before


@pytest.mark.parametrize("typed", ["--frobnicate", "--pasword", "--cli-secret-key", "--x"])
def test_nothing_close_suggests_nothing(cli, typed):
    """Far from every option, or close only to a refused one (--password): no suggestion."""
    proc = cli.run([*registry_args(), "--password-stdin", "%s=%s" % (typed, VALUE)], stdin=PASSWORD)
    assert_clean_failure(proc, 2, secrets=(PASSWORD, VALUE))
    assert b"did you mean" not in proc.stderr and typed.encode() in proc.stderr


def test_an_ambiguous_abbreviation_names_the_options(cli):
    proc = cli.run([*registry_args(), "--pass"], stdin=PASSWORD)
    assert_clean_failure(proc, 2)
    assert b"--pass is ambiguous: --password-stdin or --password-file" in proc.stderr


def test_a_value_for_a_flag_is_refused_without_echoing_it(cli):
    proc = cli.run([*registry_args(), "--password-stdin=%s" % VALUE], stdin=PASSWORD)
    assert_clean_failure(proc, 2, secrets=(PASSWORD, VALUE))
    assert b"--password-stdin takes no value" in proc.stderr


def test_debug_is_verbose(cli):
    proc = cli.run([*registry_args(), "--password-stdin", "--debug", "--field", "images_download_url"],
                   stdin=PASSWORD)
    assert proc.returncode == 0, proc.stderr
    assert b"hss-image-upload-command: debug: canonical request: GET" in proc.stderr
    assert PASSWORD.encode() not in proc.stderr


# ----------------------------------------------------------------------------- regions

def test_list_regions_prints_the_regions_the_library_knows(cli, loopback_env):
    proc = cli.run(["--list-regions"], bare=True)
    assert proc.returncode == 0 and proc.stderr == b"", proc.stderr
    regions = proc.stdout.decode().splitlines()
    assert "cn-north-4" in regions and "eu-west-101" in regions and len(regions) == len(set(regions))
    # each one is a region of the library's built-in table (nothing is resolved over the network:
    # credentials and project id are given)
    env = {"HUAWEICLOUD_SDK_AK": "EMULATORAK", "HUAWEICLOUD_SDK_SK": "EMULATORSK"}
    for region in regions:
        proc = cli.run(["--region", region, "--project-id", "p", "--show-config", "--output", "json"], env=env,
                       bare=True)
        assert proc.returncode == 0, (region, proc.stderr)
        assert b'"endpoint":{"value":"https://hss.%s.' % region.encode() in proc.stdout
        assert b'"source":"built-in"' in proc.stdout


def test_bash_completion_completes_regions(cli, tmp_path, monkeypatch):
    """--region's values: the built-in table (from the command itself, as typed) and the regions
    file's HSS ids."""
    regions_file = tmp_path / "regions.yaml"
    regions_file.write_text("ECS:\n  - id: ecs-only-1\n    endpoint: https://ecs.example\n"
                            "HSS:\n  - id: my-private-1\n    endpoint: https://hss.example\n"
                            "  - endpoint: https://hss2.example\n    id: 'my-private-2'\n")
    monkeypatch.setenv("HUAWEICLOUD_SDK_REGIONS_FILE", str(regions_file))
    monkeypatch.setenv("LD_LIBRARY_PATH", str(cli.lib_dir))
    exe = str(cli.exe)
    offered = _complete("--region", "", program=exe)
    assert {"cn-north-4", "eu-west-101", "my-private-1", "my-private-2"} <= set(offered)
    assert "ecs-only-1" not in offered and len(offered) == len(set(offered))
    assert _complete("--region", "my-p", program=exe) == ["my-private-1", "my-private-2"]
    assert _complete("--region=cn-north-1", program=exe) == ["--region=cn-north-1", "--region=cn-north-11",
                                                             "--region=cn-north-12"]
    assert "--dry-run" in _complete("--dr", program=exe) and _complete("--deb", program=exe) == ["--debug"]
    assert _complete("--output", "t", program=exe) == ["text", "table", "tsv"]
