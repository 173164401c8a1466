"""The installed-package proof (issue 5): install the built .debs, then use libhss from C (via
pkg-config), Python and the shell with no Swift toolchain anywhere in reach, and check that
removing the packages leaves nothing behind. Needs root and `make deb` (make test does both).

hss-emulator (issue 22): /usr/bin/hss-emulator answers a libhss call from the system's Python,
the official SDK the same way and curl with a wrong signature (Tests/installed_emulator.py); a
user's pytest file with only the hss_emulator fixture passes with the system's packages and pytest;
its manual page renders; and it stands alone: with libhss1 and python3-hss removed it still runs,
`import hss.testing` included."""

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import installed_emulator
import pytest

ROOT = Path(__file__).resolve().parent.parent
DEB_DIR = Path(os.environ.get("HSS_DEB_DIR", ROOT / "build" / "deb"))
PACKAGES = ["hss-emulator", "hss-image-upload-command", "python3-hss", "libhss-dev", "libhss1"]
PASSWORD = "deb Pr00f &=+%/~ é"
CLEAN_PATH = "/usr/sbin:/usr/bin:/sbin:/bin"

APP_C = r"""
#include <hss.h>
#include <stdio.h>
#include <stdlib.h>
int main(void)
{
    hss_client *client = NULL;
    hss_image_upload_command *result = NULL;
    hss_error *err = NULL;
    hss_image_upload_command_request request = HSS_IMAGE_UPLOAD_COMMAND_REQUEST_INIT;
    request.registry_addr = "harbor.deb.test:443";
    request.namespace_name = "ns";
    request.username = "deb-user";
    request.password = getenv("HSS_REGISTRY_PASSWORD");
    hss_status status = hss_client_new_from_env(NULL, &client, &err);
    if (status == HSS_OK)
        status = hss_image_upload_command_get(client, &request, &result, &err);
    if (status == HSS_OK)
        printf("%s\n", hss_image_upload_command_image_command(result));
    else
        fprintf(stderr, "%s\n", hss_error_message(err));
    hss_image_upload_command_free(result);
    hss_error_free(err);
    hss_client_free(client);
    return status == HSS_OK ? 0 : 1;
}
"""

PY_CALL = """
import os, hss
with hss.Client.from_env() as client:
    result = client.get_image_upload_command(registry_addr="harbor.deb.test:443", namespace="ns",
                                             username="deb-user", password=os.environ["HSS_REGISTRY_PASSWORD"])
print(result.image_command)
"""

pytestmark = [pytest.mark.packaging,
              pytest.mark.skipif(os.geteuid() != 0, reason="installing .debs needs root (as make test runs in CI)")]


def run(cmd, env, cwd, **kwargs):
    return subprocess.run(cmd, env=env, cwd=cwd, capture_output=True, timeout=120, **kwargs)


@pytest.fixture(scope="module")
def installed():
    debs = sorted(str(p) for p in DEB_DIR.glob("*.deb") if "-dbgsym_" not in p.name)
    assert len(debs) == len(PACKAGES), "run `make deb` first; found %s" % debs
    for name in PACKAGES:
        assert subprocess.run(["dpkg", "-s", name], capture_output=True).returncode != 0, \
            "%s is already installed; remove it before running this test" % name
    subprocess.run(["dpkg", "-i", *debs], check=True, capture_output=True)
    files = subprocess.run(["dpkg", "-L", *PACKAGES], check=True, capture_output=True, text=True).stdout.split()
    try:
        yield [f for f in files if os.path.isfile(f) or os.path.islink(f)]
    finally:
        subprocess.run(["dpkg", "--purge", *PACKAGES], check=True, capture_output=True)


@pytest.fixture
def clean_env(http_emulator, tmp_path, loopback_env):
    """No Swift on PATH or LD_LIBRARY_PATH, an empty working directory, the emulator's settings."""
    env = {**loopback_env, "PATH": CLEAN_PATH, "HOME": str(tmp_path), "LANG": "C.UTF-8",
           "HUAWEICLOUD_SDK_AK": "EMULATORAK", "HUAWEICLOUD_SDK_SK": "EMULATORSK",
           "HUAWEICLOUD_SDK_PROJECT_ID": "deb-proof", "HUAWEICLOUD_SDK_ENDPOINT": http_emulator.endpoint,
           "HSS_REGISTRY_PASSWORD": PASSWORD}
    assert shutil.which("swift", path=CLEAN_PATH) is None
    work = tmp_path / "empty"
    work.mkdir()
    return env, work


EXPECTED = "docker login -u deb-user -p %s harbor.deb.test:443" % PASSWORD


def test_c_program_builds_with_pkg_config_and_runs(installed, clean_env):
    env, work = clean_env
    (work / "app.c").write_text(APP_C)
    flags = run(["pkg-config", "--cflags", "--libs", "hss"], env, work, text=True)
    assert flags.returncode == 0, flags.stderr
    assert "-lhss" in flags.stdout
    build = run(["sh", "-c", "cc -std=c99 -Wall -Wextra -Werror app.c -o app $(pkg-config --cflags --libs hss)"],
                env, work)
    assert build.returncode == 0, build.stderr.decode()
    app = run(["./app"], env, work)
    assert app.returncode == 0, app.stderr.decode()
    assert app.stdout.decode().startswith(EXPECTED)


def test_system_python_imports_and_calls(installed, clean_env):
    env, work = clean_env
    r = run(["/usr/bin/python3", "-c", PY_CALL], env, work)
    assert r.returncode == 0, r.stderr.decode()
    assert r.stdout.decode().startswith(EXPECTED)


def test_installed_shell_command(installed, clean_env):
    env, work = clean_env
    r = run(["hss-image-upload-command", "--password-stdin", "--field", "image_command",
             "--registry-addr", "harbor.deb.test:443", "--namespace", "ns", "--username", "deb-user"],
            env, work, input=(PASSWORD + "\n").encode())
    assert r.returncode == 0, r.stderr.decode()
    assert r.stdout.decode().startswith(EXPECTED)
    assert run(["man", "-w", "hss-image-upload-command"], env, work).returncode == 0


def test_installed_manual_pages(installed, clean_env):
    # libhss-dev ships every section-3 page of man/man3, and man finds and renders them.
    env, work = clean_env
    dev = run(["dpkg", "-L", "libhss-dev"], env, work, text=True).stdout.split()
    shipped = sorted(Path(f).name for f in dev if f.startswith("/usr/share/man/man3/"))
    assert shipped == sorted(p.name + ".gz" for p in (ROOT / "man" / "man3").glob("*.3"))
    where = run(["man", "-w", "hss_image_upload_command_get"], env, work, text=True)
    assert where.returncode == 0, where.stderr
    assert where.stdout.strip() == "/usr/share/man/man3/hss_image_upload_command_get.3.gz"
    page = run(["man", "--warnings", "-l", where.stdout.strip()], env, work, text=True)
    assert page.returncode == 0 and page.stderr == "", page.stderr
    assert "hss_image_upload_command_get(3)" in page.stdout and "RETURN VALUE" in page.stdout
    assert run(["man", "-w", "3", "hss"], env, work).returncode == 0


def test_installed_library_needs_no_swift_runtime(installed, clean_env):
    env, work = clean_env
    lib = next(f for f in installed if f.endswith("/libhss.so.1"))
    ldd = run(["ldd", lib], env, work, text=True).stdout
    assert "libcurl.so.4" in ldd
    for runtime in ("swift", "Foundation", "dispatch", "BlocksRuntime", "/opt/"):
        assert runtime not in ldd


def test_installed_emulator(installed, clean_env):
    env, work = clean_env
    env = {k: v for k, v in env.items() if not k.startswith("HUAWEICLOUD_SDK_")}  # the emulator's, below
    installed_emulator.acceptance(["hss-emulator"], "/usr/bin/python3", env, work)
    page = run(["man", "--warnings", "-l", "/usr/share/man/man1/hss-emulator.1.gz"], env, work, text=True)
    assert page.returncode == 0 and page.stderr == "", page.stderr
    assert run(["man", "-w", "hss-emulator"], env, work, text=True).stdout.strip() == \
        "/usr/share/man/man1/hss-emulator.1.gz"


def test_installed_emulator_fixture(installed, clean_env, tmp_path):
    """The system's Python with the system's packages (a venv that sees them) and pytest: the
    fixture comes from hss-emulator's entry point, libhss from python3-hss."""
    env, _ = clean_env
    venv = tmp_path / "venv"
    run(["/usr/bin/python3", "-m", "venv", "--without-pip", "--system-site-packages", str(venv)], env, tmp_path,
        check=True)
    pip = run([sys.executable, "-m", "pip", "--python", str(venv / "bin" / "python"), "install", "-q", "--no-index",
               "--find-links", str(ROOT / ".venv" / "wheels"), "--disable-pip-version-check", "pytest"],
              env, tmp_path, text=True)
    assert pip.returncode == 0, pip.stdout + pip.stderr
    installed_emulator.fixture_acceptance(str(venv / "bin" / "python"), env, tmp_path, "hss-emulator-")


STANDALONE = r"""
import hss, hss.testing
assert hss.__file__ is None  # no python3-hss: a namespace package holding only testing
with hss.testing.Emulator() as emu:
    print(emu.endpoint)
"""


def test_emulator_package_stands_alone(installed, clean_env):
    """hss-emulator depends on no package of libhss: with them removed, the command serves the
    official SDK and `import hss.testing` works; then they are installed again."""
    env, work = clean_env
    assert "libhss" not in subprocess.run(["dpkg-query", "-W", "-f", "${Depends}", "hss-emulator"],
                                          capture_output=True, text=True, check=True).stdout
    others = [name for name in PACKAGES if name != "hss-emulator"]
    subprocess.run(["dpkg", "-r", *others], check=True, capture_output=True)
    try:
        assert not os.path.exists("/usr/lib/python3/dist-packages/hss/__init__.py")
        r = run(["/usr/bin/python3", "-c", STANDALONE], env, work, text=True)
        assert r.returncode == 0 and r.stdout.startswith("http://127.0.0.1:"), r.stderr
        proc, printed = installed_emulator.start_command(["hss-emulator"], env)
        try:
            sdk = run([sys.executable, "-c", installed_emulator.SDK_CALL], dict(env, **printed), work, text=True)
            assert sdk.returncode == 0, sdk.stderr
            assert json.loads(sdk.stdout)[1] == [401, "APIGW.0301"]
        finally:
            installed_emulator.stop_command(proc)
    finally:
        debs = sorted(str(p) for p in DEB_DIR.glob("*.deb") if p.name.split("_")[0] in others)
        subprocess.run(["dpkg", "-i", *debs], check=True, capture_output=True)


def test_removal_leaves_nothing_behind(installed):
    # Runs last in this module: purge now and check every file the packages owned is gone.
    subprocess.run(["dpkg", "--purge", *PACKAGES], check=True, capture_output=True)
    left = [f for f in installed if os.path.lexists(f)]
    assert left == []
    assert not Path("/usr/lib/python3/dist-packages/hss").exists()
    assert not Path("/usr/lib/python3/dist-packages/_hss_testing").exists()
