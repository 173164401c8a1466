"""The shape of libhss.so.1: exports, dependencies, hardening, and the header as C and C++."""

import re
import shutil
import subprocess
from pathlib import Path

import pytest

INCLUDE = Path(__file__).resolve().parent.parent / "include"
HEADER = INCLUDE / "hss.h"
CWARN = ["-std=c99", "-Wall", "-Wextra", "-Wpedantic", "-Werror"]
ALLOWED_NEEDED = re.compile(r"^(libc|libm|libstdc\+\+|libgcc_s|libcurl|libcrypto|libssl|ld-linux[-\w]*)\.so(\.\d+)*$")
FORBIDDEN_LIBS = re.compile(r"libswift|libFoundation|libdispatch|libBlocksRuntime|lib_FoundationICU|libicu")


def have(tool: str) -> bool:
    return shutil.which(tool, path="/usr/bin:/bin") is not None


def tool(*cmd) -> str:
    if not have(cmd[0]):
        pytest.skip("%s is not installed" % cmd[0])
    return subprocess.run(cmd, capture_output=True, text=True, check=True).stdout


@pytest.fixture(scope="module")
def lib(lib_dir):
    return lib_dir / "libhss.so.1"


def header_functions() -> set:
    text = re.sub(r"/\*.*?\*/", " ", HEADER.read_text(), flags=re.S)
    return set(re.findall(r"\bHSS_API\b[^;{]*?\b(hss_\w+)\s*\(", text))


def dynamic_symbols(lib) -> list:
    """(name, type, bind, ndx) of every .dynsym entry."""
    syms = []
    for line in tool("readelf", "--dyn-syms", "-W", str(lib)).splitlines():
        cols = line.split()
        if len(cols) >= 8 and cols[0].endswith(":") and cols[0][:-1].isdigit():
            syms.append((cols[7].split("@")[0], cols[3], cols[4], cols[6]))
    return syms


def dynamic_section(lib) -> str:
    return tool("readelf", "-d", "-W", str(lib))


# The 1.0 API. Functions may be added, never removed.
API_1_0 = {
    "hss_version_number", "hss_version_string", "hss_status_str",
    "hss_error_status", "hss_error_message", "hss_error_http_status", "hss_error_code", "hss_error_msg",
    "hss_error_request_id", "hss_error_free",
    "hss_client_new", "hss_client_new_from_env", "hss_client_free",
    "hss_image_upload_command_get", "hss_image_upload_command_image_command",
    "hss_image_upload_command_images_download_url", "hss_image_upload_command_swr_image_pull_command",
    "hss_image_upload_command_free",
}


def test_header_lists_the_api():
    funcs = header_functions()
    assert API_1_0 <= funcs, "missing from hss.h: %s" % sorted(API_1_0 - funcs)


def test_only_hss_symbols_exported(lib):
    defined = [s for s in dynamic_symbols(lib) if s[3] != "UND"]
    exported = [s for s in defined if s[2] in ("GLOBAL", "WEAK", "GNU_UNIQUE")]
    assert exported, "no exported symbols at all?"
    assert [s for s in exported if not s[0].startswith("hss_")] == []
    # nm agrees (it shows only external symbols with --extern-only).
    nm = tool("nm", "-D", "--defined-only", "--extern-only", str(lib))
    names = {line.split()[-1].split("@")[0] for line in nm.splitlines() if line.strip()}
    assert names and all(n.startswith("hss_") for n in names), sorted(names)
    # Anything else defined in .dynsym must be LOCAL (e.g. __dispatch_tsd, a TLS symbol of the
    # static runtime that the dynamic linker needs but nobody can bind to).
    assert all(s[2] == "LOCAL" for s in defined if not s[0].startswith("hss_"))


def test_every_header_function_is_exported(lib):
    exported = {s[0] for s in dynamic_symbols(lib) if s[3] != "UND" and s[2] == "GLOBAL" and s[1] == "FUNC"}
    missing = header_functions() - exported
    assert not missing, "declared in hss.h but not exported: %s" % sorted(missing)
    extra = {n for n in exported if n.startswith("hss_")} - header_functions()
    assert not extra, "exported but not in hss.h: %s" % sorted(extra)


def test_no_swift_runtime_dependency(lib):
    out = tool("ldd", str(lib))
    assert "not found" not in out, out
    assert not FORBIDDEN_LIBS.search(out), out


def test_soname_and_no_rpath(lib):
    d = dynamic_section(lib)
    assert re.search(r"\(SONAME\)\s+Library soname: \[libhss\.so\.1\]", d), d
    assert "(RPATH)" not in d and "(RUNPATH)" not in d, d


def test_needed_libraries(lib):
    needed = re.findall(r"\(NEEDED\)\s+Shared library: \[([^\]]+)\]", dynamic_section(lib))
    assert needed
    assert [n for n in needed if not ALLOWED_NEEDED.match(n)] == [], needed


def test_bind_now_and_relro(lib):
    d = dynamic_section(lib)
    assert re.search(r"\(FLAGS\)\s+.*\bBIND_NOW\b", d) or re.search(r"\(FLAGS_1\)\s+Flags:.*\bNOW\b", d), d
    phdrs = tool("readelf", "-l", "-W", str(lib))
    assert "GNU_RELRO" in phdrs


def test_symlinks(lib_dir):
    assert (lib_dir / "libhss.so").resolve() == (lib_dir / "libhss.so.1").resolve()
    assert (lib_dir / "libhss.so.1").resolve().name == "libhss.so.1.0.0"


def test_runs_without_swift(hss_c, http_emulator):
    """The C program runs with PATH=/usr/bin:/bin and LD_LIBRARY_PATH=<lib dir> only (as every
    case does, see conftest.CProgram.base_env); here also check that the process maps no Swift
    runtime library."""
    env = hss_c.base_env()
    assert env["PATH"] == "/usr/bin:/bin" and env["LD_LIBRARY_PATH"] == str(hss_c.lib_dir)
    out = subprocess.run(["ldd", str(hss_c.exe)], env=env, capture_output=True, text=True, check=True).stdout
    assert "libhss.so.1 => %s/libhss.so.1" % hss_c.lib_dir in out, out
    assert not FORBIDDEN_LIBS.search(out), out
    assert "not found" not in out, out
    hss_c.run("version").check()
    r = hss_c.run("call").check()
    assert r.results["image_command"].startswith(b"docker login")


HEADER_USER = """\
#include <hss.h>
#include <hss.h> /* include guard */

int hss_header_user(void);
int hss_header_user(void)
{
    hss_client_options o = HSS_CLIENT_OPTIONS_INIT;
    hss_image_upload_command_request r = HSS_IMAGE_UPLOAD_COMMAND_REQUEST_INIT;
    hss_status s = HSS_OK;
    (void)o;
    (void)r;
#if !HSS_AT_LEAST_VERSION(1, 0, 0)
#error HSS_AT_LEAST_VERSION
#endif
    return (int)s + (int)sizeof(hss_client_options) * 0;
}
"""


@pytest.mark.parametrize("std", ["c99", "c11", "gnu99"])
def test_header_compiles_as_c(tmp_path, std):
    src = tmp_path / "use.c"
    src.write_text(HEADER_USER)
    cmd = ["cc", "-std=%s" % std] + [f for f in CWARN if not f.startswith("-std=")] + \
          ["-Wstrict-prototypes", "-Wmissing-prototypes", "-I%s" % INCLUDE, "-fsyntax-only", str(src)]
    proc = subprocess.run(cmd, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr


@pytest.mark.parametrize("std", ["c++11", "c++17"])
def test_header_compiles_as_cxx(tmp_path, std):
    if not have("g++"):
        pytest.skip("g++ is not installed")
    src = tmp_path / "use.cpp"
    src.write_text(HEADER_USER + "\nstatic_assert(sizeof(hss_status) >= sizeof(char), \"\");\n"
                   "extern \"C\" int hss_c_linkage_check() { return hss_status_str(HSS_OK) != nullptr; }\n")
    proc = subprocess.run(["g++", "-x", "c++", "-std=%s" % std, "-fsyntax-only", "-Wall", "-Wextra",
                           "-Wpedantic", "-Werror", "-I%s" % INCLUDE, str(src)], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr


def test_cxx_program_links_and_runs(tmp_path, lib_dir, hss_c):
    """A C++ translation unit calls the library (extern "C" linkage is right)."""
    if not have("g++"):
        pytest.skip("g++ is not installed")
    src = tmp_path / "main.cpp"
    src.write_text('#include <hss.h>\n#include <cstring>\n'
                   'int main() { return std::strcmp(hss_version_string(), HSS_VERSION_STRING) != 0 ||\n'
                   '    hss_version_number() != HSS_VERSION_NUM; }\n')
    exe = tmp_path / "main"
    subprocess.run(["g++", "-std=c++11", "-Wall", "-Wextra", "-Werror", "-I%s" % INCLUDE, str(src), "-o", str(exe),
                    "-L%s" % lib_dir, "-lhss"], check=True)
    assert subprocess.run([str(exe)], env=hss_c.base_env()).returncode == 0
