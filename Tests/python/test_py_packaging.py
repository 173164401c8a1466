"""The distribution: metadata, and `pip install ./bindings/python` in a fresh venv making the call.

The venv test builds the package the way a user does (pip, setuptools in an isolated build
environment) from a copy of bindings/python, so the source tree stays clean; setuptools comes from
the wheel `make venv` keeps in .venv/wheels (pip --no-index: tests reach only 127.0.0.1). The
library is not copied anywhere: HSS_LIBRARY points at the built one.
"""

import ast
import os
import shutil
import subprocess
import sys

import pytest
from hss_testsupport import AK, BINDING_DIR, GOOD, LIBRARY, ROOT, SK, clean_env, expected_image_command, header_define

import hss

try:
    import tomllib
except ImportError:  # Python < 3.11
    tomllib = None


def _pyproject():
    path = os.path.join(BINDING_DIR, "pyproject.toml")
    if tomllib is None:
        pytest.skip("tomllib needs Python 3.11")
    with open(path, "rb") as f:
        return tomllib.load(f)


def test_metadata_matches_the_header():
    project = _pyproject()["project"]
    assert project["name"] == "libhss"  # `hss` on PyPI is an unrelated project
    assert project["version"] == header_define("HSS_VERSION_STRING").strip('"') == hss.__version__
    assert project["requires-python"] == ">=3.9"
    assert project.get("dependencies", []) == []


def test_package_files():
    pkg = os.path.join(BINDING_DIR, "hss")
    for name in ("__init__.py", "_native.py", "_client.py", "_options.py", "_results.py", "_async.py",
                 "errors.py", "py.typed"):
        assert os.path.isfile(os.path.join(pkg, name)), name
    assert not os.path.exists(os.path.join(pkg, "libhss.so.1")), "no library in the source tree"
    assert "py.typed" in str(_pyproject()["tool"]["setuptools"]["package-data"])


def test_standard_library_only():
    """The binding and the emulator (hss.testing, _hss_testing) import only the standard library and
    each other; the pytest plugin also pytest, which only pytest itself loads."""
    if not hasattr(sys, "stdlib_module_names"):
        pytest.skip("needs Python 3.10")
    for package in ("hss", os.path.join("hss", "testing"), "_hss_testing"):
        pkg = os.path.join(BINDING_DIR, package)
        for name in sorted(os.listdir(pkg)):
            if not name.endswith(".py"):
                continue
            with open(os.path.join(pkg, name)) as f:
                tree = ast.parse(f.read())
            allowed = {"_hss_testing"} | ({"pytest"} if name == "pytest_plugin.py" else set())
            for node in ast.walk(tree):
                if isinstance(node, ast.Import):
                    mods = [a.name for a in node.names]
                elif isinstance(node, ast.ImportFrom) and node.level == 0:
                    mods = [node.module]
                else:
                    continue
                for mod in mods:
                    top = mod.split(".")[0]
                    assert top in sys.stdlib_module_names or top in allowed, "%s/%s imports %s" % (package, name, mod)


SCRIPT = r"""
import os, sys
import hss
assert hss.__file__.startswith(sys.prefix), hss.__file__
assert os.path.isfile(os.path.join(os.path.dirname(hss.__file__), "py.typed"))
with hss.Client(endpoint=sys.argv[1], project_id="proj-venv", ak=sys.argv[2], sk=sys.argv[3]) as client:
    result = client.get_image_upload_command(registry_addr="myharbor.example.com:443", namespace="library",
                                             username="admin", password=os.environ["REGISTRY_PASSWORD"])
print(hss.__version__, hss.library_path())
print(result.image_command)
"""


@pytest.mark.packaging
def test_fresh_venv_pip_install_and_call(tmp_path, http_emulator):
    src = tmp_path / "src"
    shutil.copytree(BINDING_DIR, src, ignore=shutil.ignore_patterns("__pycache__", "build", "*.egg-info", "*.so*"))
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    py = str(venv / "bin" / "python")
    wheels = os.path.join(ROOT, ".venv", "wheels")
    if not os.path.isdir(wheels):
        pytest.fail("%s is missing: run `make venv`" % wheels)
    pip = subprocess.run([py, "-m", "pip", "install", "-q", "--disable-pip-version-check", "--no-index",
                          "--find-links", wheels, str(src)],
                         capture_output=True, text=True, timeout=600, cwd=str(tmp_path))
    assert pip.returncode == 0, "pip install failed:\n" + pip.stdout + pip.stderr

    show = subprocess.run([py, "-m", "pip", "show", "libhss"], capture_output=True, text=True, cwd=str(tmp_path))
    assert "Version: 1.2.0" in show.stdout

    env = clean_env(HSS_LIBRARY=LIBRARY, REGISTRY_PASSWORD=GOOD["password"])
    run = subprocess.run([py, "-c", SCRIPT, http_emulator.endpoint, AK, SK], env=env, capture_output=True, text=True,
                         timeout=60, cwd=str(tmp_path))
    assert run.returncode == 0, run.stderr
    first, second = run.stdout.splitlines()
    assert first == "1.2.0 " + LIBRARY
    assert second == expected_image_command(**GOOD)
