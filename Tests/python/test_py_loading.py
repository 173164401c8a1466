"""Finding libhss.so.1: lookup order, and the ImportError when it is missing or the wrong version.

Each case imports `hss` in a child Python with a controlled environment (no HSS_LIBRARY,
LD_LIBRARY_PATH or PYTHONPATH unless the test sets one) and from a copy of the package, so a
library next to the source tree's package cannot interfere.
"""

import os
import shutil
import subprocess

import pytest
from hss_testsupport import BINDING_DIR, LIB_DIR, LIBRARY, clean_env, run_python

CC = shutil.which(os.environ.get("CC", "cc")) or shutil.which("gcc")

IMPORT_AND_SHOW = "import hss; print(hss.library_path()); print(hss.library_version())"


@pytest.fixture
def pkg(tmp_path):
    """A copy of the package without any library next to it; returns the folder to put on PYTHONPATH."""
    root = tmp_path / "site"
    shutil.copytree(os.path.join(BINDING_DIR, "hss"), root / "hss",
                    ignore=shutil.ignore_patterns("__pycache__", "*.so*"))
    return root


def system_has_libhss():
    r = run_python("import ctypes; ctypes.CDLL('libhss.so.1')", clean_env())
    return r.returncode == 0


def fake_library(tmp_path, version, name="libhss.so.1", with_version_string=True):
    """A tiny library that is not libhss but answers hss_version_number() with `version`."""
    if CC is None:
        pytest.skip("no C compiler")
    src = tmp_path / ("fake_%06x.c" % version)
    text = "unsigned int hss_version_number(void) { return 0x%06xu; }\n" % version
    if with_version_string:
        text += 'const char *hss_version_string(void) { return "%d.%d.%d"; }\n' % (
            version >> 16, (version >> 8) & 0xFF, version & 0xFF)
    src.write_text(text)
    out_dir = tmp_path / ("fake_%06x" % version)
    out_dir.mkdir()
    out = out_dir / name
    subprocess.run([CC, "-shared", "-fPIC", "-Wl,-soname,libhss.so.1", "-o", str(out), str(src)], check=True)
    return str(out)


def import_error(result):
    assert result.returncode != 0, result.stdout
    assert "ImportError" in result.stderr, result.stderr
    return result.stderr.strip().splitlines()[-1]


# ------------------------------------------------------------------ not found

def test_hss_library_pointing_at_a_missing_file(pkg):
    missing = "/nonexistent/libhss-test/libhss.so.1"
    msg = import_error(run_python(IMPORT_AND_SHOW, clean_env(PYTHONPATH=str(pkg), HSS_LIBRARY=missing)))
    assert "HSS_LIBRARY" in msg and missing in msg
    assert "libhss1" in msg  # how to fix it
    assert "No such file" in msg


def test_nothing_found_anywhere(pkg):
    if system_has_libhss():
        pytest.skip("a libhss.so.1 is installed on this system")
    msg = import_error(run_python(IMPORT_AND_SHOW, clean_env(PYTHONPATH=str(pkg))))
    # What was looked for, in order ...
    assert "HSS_LIBRARY (not set)" in msg
    assert os.path.join(str(pkg), "hss", "libhss.so.1") in msg
    assert "libhss.so.1 from the system library path" in msg
    # ... and how to fix it.
    assert "apt install libhss1" in msg and "HSS_LIBRARY=" in msg


def test_the_bare_dev_link_is_never_used(pkg, tmp_path):
    if system_has_libhss():
        pytest.skip("a libhss.so.1 is installed on this system")
    dev = tmp_path / "dev-only"
    dev.mkdir()
    os.symlink(os.path.realpath(LIBRARY), dev / "libhss.so")  # only the -dev package's link
    msg = import_error(run_python(IMPORT_AND_SHOW, clean_env(PYTHONPATH=str(pkg), LD_LIBRARY_PATH=str(dev))))
    assert "libhss.so.1 not found" in msg


def test_hss_library_that_is_not_a_library(pkg, tmp_path):
    bogus = tmp_path / "libhss.so.1"
    bogus.write_text("not an ELF file\n")
    msg = import_error(run_python(IMPORT_AND_SHOW, clean_env(PYTHONPATH=str(pkg), HSS_LIBRARY=str(bogus))))
    assert str(bogus) in msg and "HSS_LIBRARY" in msg


def test_a_library_that_is_not_libhss(pkg, tmp_path):
    if CC is None:
        pytest.skip("no C compiler")
    src = tmp_path / "other.c"
    src.write_text("int something_else(void) { return 1; }\n")
    lib = tmp_path / "libother.so"
    subprocess.run([CC, "-shared", "-fPIC", "-o", str(lib), str(src)], check=True)
    msg = import_error(run_python(IMPORT_AND_SHOW, clean_env(PYTHONPATH=str(pkg), HSS_LIBRARY=str(lib))))
    assert "is not libhss" in msg and str(lib) in msg


# ------------------------------------------------------------------ version check

@pytest.mark.parametrize("version, shown", [(0x020000, "2.0.0"), (0x010000, "1.0.0"), (0x000900, "0.9.0"),
                                            (0x000000, "0.0.0")])
def test_version_mismatch(pkg, tmp_path, version, shown):
    fake = fake_library(tmp_path, version)
    msg = import_error(run_python(IMPORT_AND_SHOW, clean_env(PYTHONPATH=str(pkg), HSS_LIBRARY=fake)))
    assert fake in msg
    assert "libhss %s (0x%06X)" % (shown, version) in msg
    assert "needs libhss 1.x, at least 1.2.0" in msg


def test_newer_minor_is_accepted_but_must_have_every_function(pkg, tmp_path):
    fake = fake_library(tmp_path, 0x010200)  # 1.2.0: compatible by version, but a fake
    msg = import_error(run_python(IMPORT_AND_SHOW, clean_env(PYTHONPATH=str(pkg), HSS_LIBRARY=fake)))
    assert "does not export hss_status_str()" in msg


# ------------------------------------------------------------------ lookup order

def test_override_is_used(pkg):
    r = run_python(IMPORT_AND_SHOW, clean_env(PYTHONPATH=str(pkg), HSS_LIBRARY=LIBRARY))
    assert r.returncode == 0, r.stderr
    assert r.stdout.split() == [LIBRARY, "1.2.0"]


def test_library_next_to_the_package(pkg):
    adjacent = pkg / "hss" / "libhss.so.1"
    os.symlink(os.path.realpath(LIBRARY), adjacent)
    r = run_python(IMPORT_AND_SHOW, clean_env(PYTHONPATH=str(pkg)))
    assert r.returncode == 0, r.stderr
    assert r.stdout.split() == [str(adjacent), "1.2.0"]


def test_override_wins_over_the_package_copy(pkg, tmp_path):
    os.symlink(os.path.realpath(LIBRARY), pkg / "hss" / "libhss.so.1")
    fake = fake_library(tmp_path, 0x020000)
    msg = import_error(run_python(IMPORT_AND_SHOW, clean_env(PYTHONPATH=str(pkg), HSS_LIBRARY=fake)))
    assert "libhss 2.0.0" in msg


def test_broken_package_copy_is_an_error_not_a_fallback(pkg, tmp_path):
    (pkg / "hss" / "libhss.so.1").write_text("broken")
    r = run_python(IMPORT_AND_SHOW, clean_env(PYTHONPATH=str(pkg), LD_LIBRARY_PATH=LIB_DIR))
    msg = import_error(r)
    assert "shipped next to the package" in msg


def test_system_library_by_soname(pkg):
    # The dynamic loader's search path (here LD_LIBRARY_PATH) finds libhss.so.1 by its soname.
    r = run_python(IMPORT_AND_SHOW, clean_env(PYTHONPATH=str(pkg), LD_LIBRARY_PATH=LIB_DIR))
    assert r.returncode == 0, r.stderr
    assert r.stdout.split() == [os.path.join(LIB_DIR, "libhss.so.1"), "1.2.0"]


def test_empty_override_counts_as_unset(pkg):
    r = run_python(IMPORT_AND_SHOW, clean_env(PYTHONPATH=str(pkg), HSS_LIBRARY="", LD_LIBRARY_PATH=LIB_DIR))
    assert r.returncode == 0, r.stderr
