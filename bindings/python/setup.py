"""Build hooks of the `libhss` distribution (the metadata is in pyproject.toml).

Where the wheel's libhss.so.1 comes from (the binding loads the copy next to the package before
the system's, see hss/_native.py):

- ``HSS_WHEEL_LIBRARY=/path/to/libhss.so.1`` (``make wheel`` passes build/lib's): that file.
- a ``libhss-src/`` folder beside this file (the sdist that ``make sdist`` makes): the library is
  built from those sources with Swift (``make lib``), or the build stops saying what to install.
- neither (``pip install ./bindings/python``): no library; a pure-Python package that uses the
  system's libhss.so.1 (package libhss1) or ``HSS_LIBRARY``.

A wheel with the library is tagged py3-none-linux_<arch> (it runs on any Python 3, but only on
this platform); ``make wheel`` then has auditwheel vendor libcurl and OpenSSL and retag it manylinux.
"""

import os
import re
import shutil
import subprocess
import sys

from setuptools import Distribution, setup
from setuptools.command.bdist_wheel import bdist_wheel
from setuptools.command.build_py import build_py

HERE = os.path.dirname(os.path.abspath(__file__))
SOURCE_TREE = os.path.join(HERE, "libhss-src")
SONAME = "libhss.so.1"


def _build_packages():
    """The Debian packages `make lib` needs besides Swift: the Makefile's BUILD_PACKAGES."""
    with open(os.path.join(SOURCE_TREE, "Makefile")) as f:
        return re.search(r"^BUILD_PACKAGES := (.*)$", f.read(), re.M).group(1).strip()


def _fail(what):
    # Debian's package names; other systems have the same under their own (libcurl-devel...).
    sys.exit(
        "libhss: cannot build libhss.so.1 from source: %s.\n"
        "Building from source needs the Swift toolchain (5.9 or later, https://www.swift.org/install/; "
        "`swift` on PATH, in /opt/swift/usr/bin, or SWIFT=/path/to/swift) and the development files "
        "and tools `make lib` uses (Debian/Ubuntu: apt install %s).\n"
        "Or skip the build: install the prebuilt wheel (pip install libhss-*-manylinux_*.whl), or "
        "pip install ./bindings/python from a checkout, which uses the system's libhss.so.1 "
        "(package libhss1) or HSS_LIBRARY." % (what, _build_packages())
    )


def _swift():
    """The Makefile's choice: $SWIFT if set (and then only it), else swift on PATH, else /opt/swift."""
    given = os.environ.get("SWIFT")
    if given:
        return shutil.which(given) or _fail("SWIFT=%s is not a program" % given)
    return shutil.which("swift") or shutil.which("/opt/swift/usr/bin/swift") or _fail("no Swift toolchain found")


def _build_from_source(build_temp):
    """make lib in a copy of libhss-src under build_temp; returns the library it made."""
    swift = _swift()
    for tool in ("make", "pkg-config"):
        if not shutil.which(tool):
            _fail("`%s` not found" % tool)
    for module in ("libcurl", "libcrypto"):
        if subprocess.run(["pkg-config", "--exists", module]).returncode != 0:
            _fail("pkg-config knows no %s (its development files are missing)" % module)
    tree = os.path.join(build_temp, "libhss-src")
    if not os.path.isdir(tree):
        shutil.copytree(SOURCE_TREE, tree, symlinks=True)
    # APT_WANTED= : never let the Makefile's `deps` step install Debian packages from a pip build.
    done = subprocess.run(["make", "-C", tree, "lib", "SWIFT=" + swift, "APT_WANTED="])
    if done.returncode != 0:
        _fail("`make lib` failed (its output is above)")
    return os.path.join(tree, "build", "lib", SONAME)


def _library(build_temp):
    """The libhss.so.1 to put in the wheel, or None for a pure-Python package."""
    given = os.environ.get("HSS_WHEEL_LIBRARY")
    if given:
        if not os.path.isfile(given):
            sys.exit("libhss: HSS_WHEEL_LIBRARY=%s is not a file" % given)
        return given
    if os.path.isdir(SOURCE_TREE):
        return _build_from_source(build_temp)
    return None


def _ships_library():
    return bool(os.environ.get("HSS_WHEEL_LIBRARY")) or os.path.isdir(SOURCE_TREE)


class BuildPy(build_py):
    """The package, plus libhss.so.1 beside it when there is one to ship."""

    def run(self):
        super().run()
        build_temp = os.path.abspath(os.path.join(self.build_lib, os.pardir, "libhss-build"))
        library = _library(build_temp)
        if library:
            # copy_file follows the versioned symlinks to the file itself.
            self.copy_file(library, os.path.join(self.build_lib, "hss", SONAME))


class PlatformDistribution(Distribution):
    def has_ext_modules(self):
        # True makes the wheel a platform wheel installed into platlib (Root-Is-Purelib: false).
        return _ships_library()


class BdistWheel(bdist_wheel):
    """py3-none-linux_<arch> when the wheel carries the library (any Python 3 runs it through
    ctypes), py3-none-any otherwise."""

    def get_tag(self):
        if not _ships_library():
            return super().get_tag()
        return "py3", "none", super().get_tag()[2]


setup(distclass=PlatformDistribution, cmdclass={"build_py": BuildPy, "bdist_wheel": BdistWheel})
