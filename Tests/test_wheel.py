"""The self-contained wheel and the sdist (issue 16; packaging/wheel/build.sh).

The wheel under test is the one `make wheel` wrote: $HSS_WHEEL_DIR (default dist/)
libhss-<version>-py3-none-manylinux_*.whl, which must be newer than $HSS_LIB_DIR/libhss.so.1.
It is installed with pip --no-index into a fresh venv, then used where the system's libraries
are out of view: a mount namespace (unshare) in which an empty file is bind-mounted over every
file of the Debian packages libhss1, libhss-dev, libcurl4, libcurl4-openssl-dev (and, for the
call test, libssl3 and libssl-dev) and over every libhss*, libcurl*, libssl*, libcrypto* in the
library directories and in $HSS_LIB_DIR. There, loading those sonames by name fails.

What each test proves:
- the wheel's name, tag and contents; `auditwheel show` finds it consistent with its tag.
- with HSS_LIBRARY and LD_LIBRARY_PATH unset and the system's libhss, libcurl and OpenSSL out
  of view, `import hss` loads the wheel's libhss.so.1 and makes real calls to the emulator over
  HTTP and HTTPS; /proc/self/maps then shows every libhss, libcurl, libssl and libcrypto mapped
  coming from the venv's site-packages (the vendored copies). The same with the system's
  libraries in view, after Python's ssl module loaded the system's OpenSSL: the calls work,
  libhss and libcurl still come only from the venv, and the vendored OpenSSL is mapped beside
  the system's (their unique names keep them apart).
- the Python binding suite (Tests/python) passes on the wheel's library (HSS_LIB_DIR = the
  installed hss folder, so the suite's HSS_LIBRARY names it) with libhss and libcurl out of view;
  OpenSSL stays in view there because the suite's own TLS servers use Python's ssl module. Left
  out: test_py_packaging (the source distribution) and the test that copies libhss.so.1 away
  from its vendored libraries (test_library_next_to_the_package).
- the sdist builds libhss.so.1 from source with Swift and the wheel it makes works; without
  Swift it stops with a message saying what to install.
- the HSS emulator the wheel ships (hss.testing, issue 22), as a user has it after `pip install`:
  the `hss-emulator` command prints its endpoint and the client's environment, and answers a
  libhss call from the venv, the official Python SDK (the test venv's) the same way, and curl with
  a wrong signature with 401 APIGW.0301; pytest in a fresh venv with only the wheel and pytest
  runs a user's file that uses the `hss_emulator` fixture (its pytest11 entry point), with no
  conftest; with the system's OpenSSL out of view the emulator verifies ECDSA signatures through
  the libcrypto the wheel carries.

Nothing is fetched: the wheel and the tools' venv (build/wheel-tools) come from `make wheel`.
"""

import json
import os
import re
import shutil
import subprocess
import sys
import sysconfig
import zipfile
from pathlib import Path
from types import SimpleNamespace

import installed_emulator
import pytest
from _hss_testing import DEFAULT_AK, DEFAULT_SK

pytestmark = pytest.mark.packaging

ROOT = Path(__file__).resolve().parent.parent
WHEEL_DIR = Path(os.environ.get("HSS_WHEEL_DIR") or ROOT / "dist")
TOOLS = ROOT / "build" / "wheel-tools" / "bin"
VERSION = re.search(r'^#define HSS_VERSION_STRING "(.+)"', (ROOT / "include" / "hss.h").read_text(), re.M).group(1)
AK, SK = DEFAULT_AK, DEFAULT_SK
PASSWORD = "wheel Pr00f &=+%/~"

# What "not installed" hides: these packages' files, and these names in the library directories.
HIDDEN_PACKAGES = ("libhss1", "libhss-dev", "libcurl4", "libcurl4-openssl-dev")
HIDDEN_NAMES = r"lib(hss|curl)"
OPENSSL_PACKAGES = ("libssl3", "libssl-dev")
OPENSSL_NAMES = r"lib(ssl|crypto)"
LIBRARY_DIRS = ("/lib", "/lib64", "/usr/lib", "/usr/lib64", "/usr/local/lib", "/lib/x86_64-linux-gnu",
                "/usr/lib/x86_64-linux-gnu", "/usr/local/lib/x86_64-linux-gnu")
VENDORED = ("libhss", "libcurl", "libssl", "libcrypto")

# Run in the fresh venv: argv = mode (hidden|visible), http endpoint, https endpoint, CA file.
CALL = r"""
import ctypes, json, os, sys, sysconfig
assert not {"HSS_LIBRARY", "LD_LIBRARY_PATH", "PYTHONPATH"} & set(os.environ)
unloadable = []
if sys.argv[1] == "hidden":  # before hss loads anything
    for name in ("libhss.so.1", "libcurl.so.4", "libssl.so.3", "libcrypto.so.3"):
        try:
            ctypes.CDLL(name)
        except OSError:
            unloadable.append(name)
else:  # Python's own OpenSSL (the system's) first, as in any program that uses ssl or hashlib
    import ssl
    assert ssl.OPENSSL_VERSION
import hss
commands = []
for endpoint, ca_file in ((sys.argv[2], None), (sys.argv[3], sys.argv[4])):
    with hss.Client(endpoint=endpoint, project_id="proj-wheel", ak=os.environ["AK"], sk=os.environ["SK"],
                    ca_file=ca_file) as client:
        result = client.get_image_upload_command(registry_addr="harbor.wheel.test:443", namespace="ns",
                                                 username="wheel-user", password=os.environ["REGISTRY_PASSWORD"])
    commands.append(result.image_command)
with open("/proc/self/maps") as f:
    mapped = sorted({line.split(None, 5)[5].strip() for line in f if len(line.split(None, 5)) == 6})
print(json.dumps({"site": sysconfig.get_paths()["platlib"], "library": hss.library_path(),
                  "version": hss.__version__, "unloadable": unloadable, "commands": commands,
                  "mapped": [p for p in mapped if p.startswith("/")]}))
"""

# Bind-mounts $1 (an empty file) over each argument up to "--", then runs the rest.
HIDE = 'empty=$1; shift; while [ "$1" != -- ]; do mount --bind "$empty" "$1" || exit 97; shift; done; shift; exec "$@"'


def expected_command(password):
    return ("docker login -u wheel-user -p %s harbor.wheel.test:443 && docker load -i hss-scanner.tar && "
            "docker push harbor.wheel.test:443/ns/hss-scanner" % password)


@pytest.fixture(scope="module")
def wheel(lib_dir) -> Path:
    found = sorted(WHEEL_DIR.glob("libhss-%s-py3-none-manylinux_*.whl" % VERSION))
    assert len(found) == 1, "run `make wheel` first: want one dist wheel of %s in %s, found %s" % (
        VERSION, WHEEL_DIR, [p.name for p in found])
    library = (lib_dir / "libhss.so.1").resolve()
    assert found[0].stat().st_mtime >= library.stat().st_mtime, \
        "%s is older than %s: run `make wheel`" % (found[0], library)
    return found[0]


@pytest.fixture(scope="module")
def venv(wheel, tmp_path_factory, loopback_env) -> SimpleNamespace:
    """A fresh venv with only the wheel installed (no index: nothing else can come in)."""
    path = tmp_path_factory.mktemp("wheel") / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(path)], check=True)
    python = str(path / "bin" / "python")
    # This interpreter's pip installs into the venv: faster than bootstrapping pip there.
    pip = subprocess.run([sys.executable, "-m", "pip", "--python", python, "install", "-q", "--no-index",
                          "--disable-pip-version-check", str(wheel)], capture_output=True, text=True, timeout=120)
    assert pip.returncode == 0, pip.stdout + pip.stderr
    site = subprocess.run([python, "-c", "import sysconfig; print(sysconfig.get_paths()['platlib'])"],
                          capture_output=True, text=True, check=True).stdout.strip()
    return SimpleNamespace(python=python, site=site, env={"PATH": "/usr/bin:/bin", "LANG": "C.UTF-8", **loopback_env})


def _files_to_hide(lib_dir, packages, names):
    """The real files behind the packages' file lists and the matching names, each once."""
    files = set()
    listed = []
    if shutil.which("dpkg-query"):
        listed = subprocess.run(["dpkg-query", "-L", *packages], capture_output=True, text=True).stdout.split("\n")
    pattern = re.compile(r"^%s[.-]" % names)
    for d in (*LIBRARY_DIRS, str(lib_dir)):
        if os.path.isdir(d):
            listed += [os.path.join(d, n) for n in os.listdir(d) if pattern.match(n)]
    for path in listed:
        if path and not path.startswith("/usr/share/") and os.path.isfile(path):  # the file behind a link
            files.add(os.path.realpath(path))
    return sorted(files)


@pytest.fixture(scope="module")
def hidden(lib_dir, tmp_path_factory):
    """hidden(cmd, env, openssl=True, **run_kwargs): run cmd in a mount namespace where the system's
    libhss and libcurl (and OpenSSL, unless openssl=False) are out of view."""
    empty = tmp_path_factory.mktemp("hide") / "empty"
    empty.write_bytes(b"")
    unshare = ["unshare", "--mount"] + (["--map-root-user"] if os.geteuid() != 0 else [])
    probe = subprocess.run([*unshare, "sh", "-c", HIDE, "hide", str(empty), str(empty), "--", "true"],
                           capture_output=True, text=True)
    if probe.returncode != 0:
        pytest.skip("no mount namespace here (%s): the maps-only test still runs" % probe.stderr.strip())

    def run(cmd, env, openssl=True, **kwargs):
        packages, names = HIDDEN_PACKAGES, HIDDEN_NAMES
        if openssl:
            packages, names = packages + OPENSSL_PACKAGES, r"(%s|%s)" % (names, OPENSSL_NAMES)
        files = _files_to_hide(lib_dir, packages, names)
        assert any("/libcurl" in f for f in files), "nothing to hide? %s" % files
        return subprocess.run([*unshare, "sh", "-c", HIDE, "hide", str(empty), *files, "--", *cmd],
                              env=env, capture_output=True, text=True, **kwargs)

    return run


def test_wheel_name_tag_and_contents(wheel):
    tag = re.fullmatch(r"libhss-%s-py3-none-(manylinux_2_\d+_x86_64)\.whl" % re.escape(VERSION), wheel.name).group(1)
    with zipfile.ZipFile(wheel) as zf:
        names = zf.namelist()
        meta = zf.read("libhss-%s.dist-info/WHEEL" % VERSION).decode()
    assert "Tag: py3-none-%s" % tag in meta.splitlines()
    assert "Root-Is-Purelib: false" in meta.splitlines()
    for name in ("__init__.py", "_native.py", "_client.py", "_options.py", "_results.py", "_async.py",
                 "errors.py", "py.typed", "libhss.so.1", "testing/__init__.py"):
        assert "hss/" + name in names
    emulator = sorted(p.name for p in (ROOT / "bindings" / "python" / "_hss_testing").glob("*.py"))
    assert sorted(n.split("/", 1)[1] for n in names if n.startswith("_hss_testing/") and n.endswith(".py")) == emulator
    with zipfile.ZipFile(wheel) as zf:
        entry_points = zf.read("libhss-%s.dist-info/entry_points.txt" % VERSION).decode()
    assert entry_points.split() == ["[console_scripts]", "hss-emulator", "=", "_hss_testing.cli:main",
                                    "[pytest11]", "hss_emulator", "=", "_hss_testing.pytest_plugin"]
    vendored = [n for n in names if n.startswith("libhss.libs/")]
    for lib in ("libcurl", "libssl", "libcrypto"):  # unique names: libcurl-<hash>.so.4...
        assert any(re.match(r"libhss\.libs/%s-[0-9a-f]{8}\.so" % lib, n) for n in vendored), (lib, vendored)
    # libyaml, which libhss loads itself for regions.yaml, under the name it asks dlopen for.
    assert "libhss.libs/libyaml-0.so.2" in vendored


def test_auditwheel_show_finds_it_consistent_with_its_tag(wheel):
    assert (TOOLS / "auditwheel").exists(), "run `make wheel` first (it installs build/wheel-tools)"
    env = dict(os.environ, PATH="%s:%s" % (TOOLS, os.environ["PATH"]))
    show = subprocess.run([str(TOOLS / "auditwheel"), "show", str(wheel)], capture_output=True, text=True, env=env)
    assert show.returncode == 0, show.stderr
    tag = wheel.name.rsplit("-", 1)[1][: -len(".whl")]
    assert re.search(r'is consistent with the\s+following platform tag:\s+"%s"' % tag, show.stdout), show.stdout


@pytest.mark.parametrize("mode", ["hidden", "visible"])
def test_fresh_venv_call_uses_only_the_vendored_libraries(mode, venv, http_emulator, https_emulator, tmp_path,
                                                          request):
    cmd = [venv.python, "-c", CALL, mode, http_emulator.endpoint, https_emulator.endpoint, https_emulator.ca_file]
    env = dict(venv.env, AK=AK, SK=SK, REGISTRY_PASSWORD=PASSWORD)
    if mode == "hidden":
        run = request.getfixturevalue("hidden")(cmd, env, cwd=str(tmp_path), timeout=60)
    else:
        run = subprocess.run(cmd, env=env, cwd=str(tmp_path), capture_output=True, text=True, timeout=60)
    assert run.returncode == 0, run.stderr
    out = json.loads(run.stdout)
    site = out["site"]
    assert out["library"] == os.path.join(site, "hss", "libhss.so.1")
    assert out["version"] == VERSION
    assert out["commands"] == [expected_command(PASSWORD)] * 2  # HTTP, then HTTPS through the vendored OpenSSL
    if mode == "hidden":
        assert out["unloadable"] == ["libhss.so.1", "libcurl.so.4", "libssl.so.3", "libcrypto.so.3"]
    ours = [p for p in out["mapped"] if os.path.basename(p).startswith(VENDORED)]
    # With the system's OpenSSL in view, Python's ssl module has it mapped too.
    only_ours = VENDORED if mode == "hidden" else ("libhss", "libcurl")
    outside = [p for p in ours if os.path.basename(p).startswith(only_ours) and not p.startswith(site + "/")]
    assert not outside, "mapped from outside the venv: %s" % outside
    for lib in ("libcurl", "libssl", "libcrypto"):
        assert any(os.path.basename(p).startswith(lib + "-") and "/libhss.libs/" in p for p in ours), (lib, ours)


def test_binding_suite_passes_on_the_wheels_library(venv, hidden):
    env = {k: v for k, v in os.environ.items() if k not in ("HSS_LIBRARY", "LD_LIBRARY_PATH", "PYTHONPATH")}
    env["HSS_LIB_DIR"] = os.path.join(venv.site, "hss")
    cmd = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(ROOT / "Tests" / "python"),
           "--ignore", str(ROOT / "Tests" / "python" / "test_py_packaging.py"),
           "--deselect", "Tests/python/test_py_loading.py::test_library_next_to_the_package"]
    run = hidden(cmd, env, openssl=False, cwd=str(ROOT), timeout=300)
    tail = "\n".join(run.stdout.splitlines()[-30:])
    assert run.returncode == 0, tail + run.stderr[-3000:]
    assert re.search(r"^\d+ passed", run.stdout.splitlines()[-1]), tail


@pytest.fixture(scope="module")
def sdist(tmp_path_factory) -> Path:
    assert (TOOLS / "python").exists(), "run `make wheel` first (it installs build/wheel-tools)"
    out = tmp_path_factory.mktemp("sdist")
    made = subprocess.run([str(ROOT / "packaging" / "wheel" / "build.sh"), "sdist", str(out)],
                          capture_output=True, text=True, timeout=120)
    assert made.returncode == 0, made.stdout + made.stderr
    return out / ("libhss-%s.tar.gz" % VERSION)


def _pip_wheel(sdist, out, env):
    # The tools' venv has setuptools: no build isolation, so nothing is fetched.
    return subprocess.run([str(TOOLS / "python"), "-m", "pip", "wheel", "-q", "--no-deps", "--no-index",
                           "--no-build-isolation", "--disable-pip-version-check", "-w", str(out), str(sdist)],
                          env=env, capture_output=True, text=True, timeout=900)


def test_sdist_without_swift_says_what_to_install(sdist, tmp_path):
    env = dict(os.environ, SWIFT="/nonexistent/swift")
    run = _pip_wheel(sdist, tmp_path, env)
    assert run.returncode != 0
    assert "libhss: cannot build libhss.so.1 from source: SWIFT=/nonexistent/swift is not a program" in run.stderr
    needs = re.search(r"^BUILD_PACKAGES := (.*)$", (ROOT / "Makefile").read_text(), re.M).group(1).strip()
    assert "(Debian/Ubuntu: apt install %s)" % needs in run.stderr
    assert "pip install libhss-*-manylinux_*.whl" in run.stderr
    assert not list(tmp_path.glob("*.whl"))


@pytest.mark.long_build
def test_sdist_builds_the_library_with_swift(sdist, tmp_path, http_emulator, https_emulator, loopback_env):
    env = {k: v for k, v in os.environ.items() if k != "SWIFT"}
    run = _pip_wheel(sdist, tmp_path, env)
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    built = tmp_path / ("libhss-%s-py3-none-%s.whl" % (VERSION, sysconfig.get_platform().replace("-", "_")))
    with zipfile.ZipFile(built) as zf:
        assert "hss/libhss.so.1" in zf.namelist()
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    subprocess.run([sys.executable, "-m", "pip", "--python", str(venv / "bin" / "python"), "install", "-q",
                    "--no-index", "--disable-pip-version-check", str(built)], check=True, capture_output=True)
    # Not repaired: this one links the system's libcurl, so only libhss is checked to come from the venv.
    env = {"PATH": "/usr/bin:/bin", "LANG": "C.UTF-8", **loopback_env, "AK": AK, "SK": SK,
           "REGISTRY_PASSWORD": PASSWORD}
    call = subprocess.run([str(venv / "bin" / "python"), "-c", CALL, "visible", http_emulator.endpoint,
                           https_emulator.endpoint, https_emulator.ca_file], env=env, cwd=str(tmp_path),
                          capture_output=True, text=True, timeout=60)
    assert call.returncode == 0, call.stderr
    out = json.loads(call.stdout)
    assert out["library"] == os.path.join(out["site"], "hss", "libhss.so.1")
    assert out["commands"] == [expected_command(PASSWORD)] * 2


# ----------------------------------------------------------------------------- the emulator (issue 22)

def test_emulator_command_from_the_wheel(venv, tmp_path):
    installed_emulator.acceptance([str(Path(venv.python).parent / "hss-emulator")], venv.python, venv.env, tmp_path)


def test_fixture_from_the_wheel_with_no_conftest(wheel, tmp_path, loopback_env):
    """A fresh venv with the wheel and pytest (from make venv's local wheels): a user's test file
    that only asks for the hss_emulator fixture passes; the plugin is listed."""
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    pip = subprocess.run([sys.executable, "-m", "pip", "--python", str(venv / "bin" / "python"), "install", "-q",
                          "--no-index", "--find-links", str(ROOT / ".venv" / "wheels"), "--disable-pip-version-check",
                          str(wheel), "pytest"], capture_output=True, text=True, timeout=120)
    assert pip.returncode == 0, pip.stdout + pip.stderr
    env = {"PATH": "/usr/bin:/bin", "LANG": "C.UTF-8", **loopback_env}
    installed_emulator.fixture_acceptance(str(venv / "bin" / "python"), env, tmp_path, "libhss-%s" % VERSION)


ECDSA_WITH_THE_WHEELS_LIBCRYPTO = r"""
import hss, hss.testing
from _hss_testing import signing
with hss.testing.Emulator() as emu:
    with hss.Client(endpoint=emu.endpoint, project_id=emu.project_id, ak=emu.ak, sk=emu.sk,
                    signing_algorithm=hss.SigningAlgorithm.ECDSA_P256_SHA256) as client:
        client.get_image_upload_command(registry_addr="h", namespace="n", username="u", password="p")
    assert emu.records[-1]["auth"]["algorithm"] == "SDK-ECDSA-P256-SHA256"
print(signing._libcrypto()._name)
"""


def test_emulator_uses_the_wheels_libcrypto_when_the_system_has_none(venv, hidden, tmp_path):
    run = hidden([venv.python, "-c", ECDSA_WITH_THE_WHEELS_LIBCRYPTO], venv.env, cwd=str(tmp_path), timeout=60)
    assert run.returncode == 0, run.stderr
    assert re.fullmatch(re.escape(venv.site) + r"/libhss\.libs/libcrypto-[0-9a-f]{8}\.so\.3\n", run.stdout), run.stdout
