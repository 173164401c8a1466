"""One version: include/hss.h is the source of truth; every other place that states the
version must agree with it, so a release bump cannot leave one behind."""

import re
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def header_version() -> str:
    header = (ROOT / "include" / "hss.h").read_text()
    parts = [re.search(r"#define HSS_VERSION_%s (\d+)" % p, header).group(1) for p in ("MAJOR", "MINOR", "PATCH")]
    string = re.search(r'#define HSS_VERSION_STRING "([^"]+)"', header).group(1)
    assert string == ".".join(parts)
    return string


def test_python_package_version():
    pyproject = (ROOT / "bindings" / "python" / "pyproject.toml").read_text()
    assert re.search(r'^version = "([^"]+)"', pyproject, re.M).group(1) == header_version()
    init = (ROOT / "bindings" / "python" / "hss" / "__init__.py").read_text()
    assert re.search(r'^__version__ = "([^"]+)"', init, re.M).group(1) == header_version()


def test_debian_changelog_version():
    top = (ROOT / "debian" / "changelog").read_text().splitlines()[0]
    upstream = re.match(r"libhss \(([^)-]+)(-[^)]+)?\)", top).group(1)
    assert upstream == header_version()


def test_symbols_file_names_a_released_version():
    symbols = (ROOT / "debian" / "libhss1.symbols").read_text()
    versions = set(re.findall(r"@Base (\S+)", symbols))
    assert versions and all(tuple(map(int, v.split("."))) <= tuple(map(int, header_version().split(".")))
                            for v in versions)


def test_makefile_and_pkg_config_take_the_header_version():
    out = subprocess.run(["make", "-s", "-C", str(ROOT), "--no-print-directory", "print-version"],
                         capture_output=True, text=True, check=True).stdout.strip()
    assert out == header_version()
    assert "@VERSION@" in (ROOT / "pkgconfig" / "hss.pc.in").read_text()


def test_python_binding_accepts_the_header_version():
    native = (ROOT / "bindings" / "python" / "hss" / "_native.py").read_text()
    major = int(re.search(r"^REQUIRED_MAJOR = (\d+)", native, re.M).group(1))
    minimum = int(re.search(r"^MIN_VERSION = (0x[0-9a-fA-F]+)", native, re.M).group(1), 16)
    numbers = tuple(map(int, header_version().split(".")))
    assert major == numbers[0]
    assert minimum <= (numbers[0] << 16 | numbers[1] << 8 | numbers[2])


def test_python_binding_struct_versions_are_the_headers():
    """The binding's ctypes Structures describe the header's struct versions (their layout is
    checked by Tests/test_abi.py), and it asks the _init functions for exactly those."""
    header = (ROOT / "include" / "hss.h").read_text()
    native = (ROOT / "bindings" / "python" / "hss" / "_native.py").read_text()
    for binding_name, header_name in (("CLIENT_OPTIONS_VERSION", "HSS_CLIENT_OPTIONS_VERSION"),
                                      ("REQUEST_VERSION", "HSS_IMAGE_UPLOAD_COMMAND_REQUEST_VERSION")):
        binding = re.search(r"^%s = (\d+)$" % binding_name, native, re.M).group(1)
        assert binding == re.search(r"^#define %s (\d+)$" % header_name, header, re.M).group(1), binding_name


def test_python_binding_buffer_size_is_the_headers():
    header = (ROOT / "include" / "hss.h").read_text()
    native = (ROOT / "bindings" / "python" / "hss" / "_native.py").read_text()
    arithmetic = r"([\d*+ ()]+)$"
    binding = re.search(r"^IMAGE_UPLOAD_COMMAND_BUFFER_SIZE = " + arithmetic, native, re.M).group(1)
    c = re.search(r"^#define HSS_IMAGE_UPLOAD_COMMAND_BUFFER_SIZE " + arithmetic, header, re.M).group(1)
    assert eval(binding) == eval(c)  # noqa: S307 (digits and arithmetic only, matched above)
