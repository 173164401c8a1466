"""The shape of libhss.so.1: exports, dependencies, hardening, struct layouts, and the header as
C and C++.

One ledger of exports: debian/libhss1.symbols lists every public function (dpkg-gensymbols holds
the built package to it); the header and the library must agree with it.
"""

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
INCLUDE = ROOT / "include"
HEADER = INCLUDE / "hss.h"
SYMBOLS = ROOT / "debian" / "libhss1.symbols"
BINDING_DIR = ROOT / "bindings" / "python"
SWIFT = Path("/opt/swift/usr/bin/swift")
CWARN = ["-std=c99", "-Wall", "-Wextra", "-Wpedantic", "-Werror"]
# Not libstdc++: the Makefile links the little of it the Swift runtime uses into the library, as
# loading libstdc++.so.6 (its iostreams set up) was most of the time libhss took to load.
ALLOWED_NEEDED = re.compile(r"^(libc|libm|libgcc_s|libcurl|libcrypto|libssl|ld-linux[-\w]*)\.so(\.\d+)*$")
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


def header_text() -> str:
    """hss.h without comments and without HSS_API's own #define."""
    text = re.sub(r"/\*.*?\*/", " ", HEADER.read_text(), flags=re.S)
    return re.sub(r"^#define HSS_API\b.*$", " ", text, flags=re.M)


def header_functions() -> list:
    """The name of every HSS_API declaration in hss.h, in order."""
    names = []
    for decl in re.findall(r"\bHSS_API\b([^;]*);", header_text()):
        m = re.match(r"[^(]*?\b(hss_\w+)\s*\(", decl)
        assert m, "an HSS_API declaration this test cannot read: %r" % decl
        names.append(m.group(1))
    return names


def ledger() -> dict:
    """name -> version of every symbol in debian/libhss1.symbols."""
    entries = {}
    lines = SYMBOLS.read_text().splitlines()
    assert lines[0] == "libhss.so.1 libhss1 #MINVER#", lines[0]
    for line in lines[1:]:
        if line.startswith(("*", "#", "|")) or not line.strip():  # fields, comments, alternatives
            continue
        m = re.fullmatch(r" (\w+)@Base (\d+\.\d+\.\d+)", line)
        assert m, "a line of %s this test cannot read: %r" % (SYMBOLS.name, line)
        assert m.group(1) not in entries, "%s is listed twice" % m.group(1)
        entries[m.group(1)] = m.group(2)
    assert entries
    return entries


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


def test_header_and_ledger_agree():
    """Every HSS_API declaration of hss.h is in debian/libhss1.symbols, and nothing else is."""
    declared = header_functions()
    assert len(declared) == len(set(declared)), "declared twice in hss.h: %s" % sorted(
        n for n in set(declared) if declared.count(n) > 1)
    listed = set(ledger())
    assert not set(declared) - listed, "declared in hss.h, missing from %s: %s" % (
        SYMBOLS.name, sorted(set(declared) - listed))
    assert not listed - set(declared), "in %s, not declared in hss.h: %s" % (
        SYMBOLS.name, sorted(listed - set(declared)))


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


def test_exports_are_the_ledger(lib):
    """The library exports exactly the functions of debian/libhss1.symbols."""
    exported = {s[0] for s in dynamic_symbols(lib) if s[3] != "UND" and s[2] == "GLOBAL" and s[1] == "FUNC"}
    listed = set(ledger())
    assert not listed - exported, "in %s but not exported: %s" % (SYMBOLS.name, sorted(listed - exported))
    extra = {n for n in exported if n.startswith("hss_")} - listed
    assert not extra, "exported but not in %s: %s" % (SYMBOLS.name, sorted(extra))


# ----------------------------------------------------------------------------- header = exports (@c @implementation)

PLANTED = "hss_client_options_init"


@pytest.mark.long_build
def test_planted_signature_mismatch_fails_the_build(tmp_path):
    """Every export is checked by the compiler against its declaration in hss.h (@c
    @implementation): a copy of the sources whose header declares one parameter differently
    must not build, and the only error must be the compiler's mismatch naming that function.
    (@_cdecl builds such a copy silently.)"""
    # The whole tree, not only Package.swift, Sources/ and include/: SwiftPM refuses a manifest
    # whose other targets (tests, the signing benchmark) have no folder. Build output left out.
    src = tmp_path / "src"
    shutil.copytree(ROOT, src, symlinks=True, ignore=shutil.ignore_patterns(
        ".git", "build", ".build*", ".venv", "__pycache__", ".pytest_cache"))
    header = src / "include" / "hss.h"
    text, n = re.subn(r"(\b%s\(hss_client_options \*options, )unsigned int( version\))" % PLANTED, r"\1long\2",
                      header.read_text())
    assert n == 1, "hss.h no longer declares %s(hss_client_options *options, unsigned int version)" % PLANTED
    header.write_text(text)

    assert SWIFT.exists(), "%s not found: the Swift toolchain is needed" % SWIFT
    proc = subprocess.run([str(SWIFT), "build", "-c", "release", "--product", "hss",
                           "--scratch-path", str(tmp_path / ".build")],
                          cwd=src, capture_output=True, text=True, timeout=600,
                          env={**os.environ, "PATH": "%s:%s" % (SWIFT.parent, os.environ.get("PATH", ""))})
    output = proc.stdout + proc.stderr
    assert proc.returncode != 0, "a header/export mismatch built without an error:\n" + output[-4000:]
    errors = [line for line in output.splitlines() if re.search(r"\berror:", line)]
    planted = re.compile(r"error: global function '%s' of type '.*' does not match type '.*' declared by the header"
                         % PLANTED)
    assert errors and all(planted.search(e) for e in errors), "expected only the mismatch of %s:\n%s" % (
        PLANTED, output[-4000:])


# ----------------------------------------------------------------------------- struct layouts

# The ctypes Structure of the Python binding (bindings/python/hss/_native.py) for each public struct.
BINDING_STRUCTS = {"hss_client_options": "ClientOptions",
                   "hss_image_upload_command_request": "ImageUploadCommandRequest"}


def public_structs() -> dict:
    """{struct: [its fields, in order]} of every struct hss.h defines (the opaque ones have no body)."""
    structs = {}
    for name, body in re.findall(r"typedef struct (hss_\w+) \{(.*?)\} \1;", header_text(), re.S):
        fields = []
        for decl in body.split(";")[:-1]:
            m = re.fullmatch(r"\s*[\w\s]+?[\s*]+(\w+)\s*", decl)
            assert m, "a field of %s this test cannot read: %r" % (name, decl)
            fields.append(m.group(1))
        structs[name] = fields
    return structs


LAYOUT_C = """\
#include <hss.h>
#include <stddef.h>
#include <stdio.h>

#define FIELD(s, f) printf("%s %s %zu %zu\\n", #s, #f, offsetof(s, f), sizeof(((s *)0)->f))

int main(void)
{
/* FIELDS */
    return 0;
}
"""

LAYOUT_PY = """\
import ctypes, json, sys
from hss import _native
out = {}
for struct, cls_name in json.loads(sys.argv[1]).items():
    cls = getattr(_native, cls_name)
    fields = [(name, getattr(cls, name).offset, getattr(cls, name).size) for name, _ in cls._fields_]
    out[struct] = {"sizeof": ctypes.sizeof(cls), "fields": fields}
print(json.dumps(out))
"""


def test_binding_struct_layouts_match_the_compiler(build_c, lib_dir, tmp_path):
    """For every public struct: the binding's ctypes Structure has the header's fields in the
    header's order, each at the C compiler's offsetof with its sizeof, and the same sizeof."""
    structs = public_structs()
    assert set(structs) == set(BINDING_STRUCTS), "hss.h's structs changed: update BINDING_STRUCTS and the binding"
    lines = []
    for struct, fields in structs.items():
        lines.append('    printf("%s sizeof %%zu 0\\n", sizeof(%s));' % (struct, struct))
        lines += ["    FIELD(%s, %s);" % (struct, f) for f in fields]
    source = tmp_path / "layout.c"
    source.write_text(LAYOUT_C.replace("/* FIELDS */", "\n".join(lines)))
    env = {"PATH": "/usr/bin:/bin", "LD_LIBRARY_PATH": str(lib_dir)}
    out = subprocess.run([str(build_c(source))], env=env, capture_output=True, text=True, check=True).stdout
    c = {struct: {"sizeof": None, "fields": []} for struct in structs}
    for line in out.splitlines():
        struct, field, offset, size = line.split()
        if field == "sizeof":
            c[struct]["sizeof"] = int(offset)
        else:
            c[struct]["fields"].append([field, int(offset), int(size)])

    proc = subprocess.run([sys.executable, "-c", LAYOUT_PY, json.dumps(BINDING_STRUCTS)], capture_output=True,
                          text=True, env={**os.environ, "PYTHONPATH": str(BINDING_DIR),
                                          "HSS_LIBRARY": str(lib_dir / "libhss.so.1")})
    assert proc.returncode == 0, proc.stderr
    py = json.loads(proc.stdout)
    for struct in structs:
        assert py[struct]["fields"] == c[struct]["fields"], "%s: (field, offset, size) differ" % struct
        assert py[struct]["sizeof"] == c[struct]["sizeof"], "%s: sizeof differs" % struct


def test_no_swift_runtime_dependency(lib):
    out = tool("ldd", str(lib))
    assert "not found" not in out, out
    assert not FORBIDDEN_LIBS.search(out), out


def test_no_foundation_or_regex_inside(lib):
    """libhss links neither Foundation (its own JSON reader replaced JSONDecoder) nor the string
    processing and regex modules: module names survive stripping in Swift's type metadata."""
    data = lib.resolve().read_bytes()
    for module in (b"FoundationEssentials", b"FoundationInternationalization", b"_FoundationICU",
                   b"_StringProcessing", b"_RegexParser"):
        assert module not in data, "libhss.so.1 contains %s" % module.decode()
    assert b"HSSPipeline" in data, "the check would not see a module name"


def test_loading_reads_no_proc_maps(lib):
    """The Swift runtime's Linux argv finder, a static initialiser that reads /proc/self/maps in every
    process that loads the library, is left out (Sources/CRuntimeTrims/trims.c; issue 24)."""
    assert b"/proc/self/maps" not in lib.resolve().read_bytes()


def test_no_cxx_demangler(lib):
    """With libstdc++ linked in, GCC's demangler (45 KB, for the runtime's crash reports' C++ frames)
    is left out (Sources/CRuntimeTrims/trims.c): none of its strings is in the file."""
    assert b"{default arg#" not in lib.resolve().read_bytes()


def test_glibc_floor(lib):
    """glibc 2.34 is enough (README: the wheel's manylinux_2_34 tag): no newer symbol version, and no
    packed relative relocations, which need 2.36 (GLIBC_ABI_DT_RELR)."""
    versions = re.findall(r"Name: (GLIBC_\S+)", tool("readelf", "-V", "-W", str(lib)))
    assert versions and "GLIBC_ABI_DT_RELR" not in versions, versions
    newest = max(tuple(map(int, v[len("GLIBC_"):].split("."))) for v in versions if re.fullmatch(r"GLIBC_[\d.]+", v))
    assert newest <= (2, 34), versions
    assert "(RELR)" not in dynamic_section(lib)


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
    assert (lib_dir / "libhss.so.1").resolve().name == "libhss.so.1.2.0"


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
