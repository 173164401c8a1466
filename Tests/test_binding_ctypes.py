"""The Python binding's ctypes declarations against include/hss.h (issue 21).

bindings/python/hss/_native.py declares by hand what ctypes needs: each function's restype and
argtypes, the versioned structs, the trace callback. Nothing checks such declarations when they
are used: a wrong one corrupts memory or truncates a value silently. So this test reads hss.h
(test_abi.py's reader) and holds the binding to it:

- every HSS_API function is declared, on each handle the binding calls it through, with the
  ctypes types the header's C types map to (below);
- every field of the two structs has the ctypes type of the header's field (test_abi.py checks
  their offsets and sizes against the C compiler; this checks what ctypes converts, e.g. a
  `const char *` read as bytes, not as an address of the same size);
- the numbers the binding passes for enums (settings, signing algorithms, trace levels) are the
  header's.

Checked rather than generated: the package is plain Python that pip, the wheel and the Debian
package install as it is, with no build step; a generator would need its output committed and
then this same check that it is current. The binding's declarations stay readable, and adding a
function to hss.h fails here until the binding declares it.

C type -> ctypes: void -> None; int and every enum -> c_int; unsigned int -> c_uint; long ->
c_long; const char * -> c_char_p; void * -> c_void_p; a pointer to an opaque type (hss_client,
hss_error, a result) -> c_void_p, and to a pointer to one -> POINTER(c_void_p); a pointer to a
public struct -> POINTER(its Structure); a callback type (hss_trace_fn, hss_*_done_fn) -> CFUNCTYPE of its
own types.
"""

import ctypes
import json
import logging
import os
import re
import subprocess
import sys

import pytest
from test_abi import BINDING_DIR, BINDING_STRUCTS, header_text

HEADER = header_text()
ENUMS = {name: dict((m, int(v)) for m, v in re.findall(r"(\w+) = (\d+)", body))
         for name, body in re.findall(r"typedef enum (\w+) \{(.*?)\} \1;", HEADER, re.S)}
OPAQUE = set(re.findall(r"typedef struct (\w+) \1;", HEADER))
STRUCT_BODIES = dict(re.findall(r"typedef struct (hss_\w+) \{(.*?)\} \1;", HEADER, re.S))
# Every callback type: name -> (its result, its parameters).
CALLBACKS = {name: (result, params)
             for result, name, params in re.findall(r"typedef ([^;{}]*?)\(\*(hss_\w+_fn)\)\(([^)]*)\);", HEADER)}


# ctypes.c_size_t is an alias: the name ctypes reports is that of the type it stands for.
SIZE_T = ctypes.c_size_t.__name__


def split_declaration(decl: str) -> tuple:
    """'const char *line' -> ('const char *', 'line')."""
    m = re.fullmatch(r"\s*(.*?[\s*])(\w+)\s*", decl, re.S)
    assert m, "a declaration this test cannot read: %r" % decl
    return m.group(1), m.group(2)


def parameters(text: str) -> list:
    return [] if text.strip() == "void" else [split_declaration(p)[0] for p in text.split(",")]


def ctypes_name(ctype: str) -> str:
    """The ctypes type the binding must declare for a C type of hss.h (see the module's text)."""
    words = ctype.replace("*", " * ").replace("const ", " ").split()
    stars = words.count("*")
    base = " ".join(w for w in words if w != "*")
    if stars == 0:
        if base in ENUMS:
            return "c_int"
        if base in CALLBACKS:
            result, params = CALLBACKS[base]
            return "CFUNCTYPE(%s)" % ", ".join(map(ctypes_name, [result] + parameters(params)))
        scalar = {"void": "None", "int": "c_int", "unsigned int": "c_uint", "unsigned": "c_uint", "long": "c_long",
                  "size_t": SIZE_T}
        assert base in scalar, "a C type this test cannot map: %r" % ctype
        return scalar[base]
    if stars == 1 and base == "char":
        return "c_char_p"
    if stars == 1 and base == "size_t":
        return "POINTER(%s)" % SIZE_T
    if stars == 1 and (base == "void" or base in OPAQUE):
        return "c_void_p"
    if stars == 2 and base in OPAQUE:
        return "POINTER(c_void_p)"
    if stars == 1 and base in BINDING_STRUCTS:
        return "POINTER(%s)" % BINDING_STRUCTS[base]
    raise AssertionError("a C type this test cannot map: %r" % ctype)


def header_prototypes() -> dict:
    """name -> [ctypes of the result, then of each parameter] for every HSS_API function."""
    out = {}
    for result, name, params in re.findall(r"\bHSS_API\s+([^;(]*?)\b(hss_\w+)\s*\(([^)]*)\)\s*;", HEADER):
        out[name] = [ctypes_name(result)] + [ctypes_name(p) for p in parameters(params)]
    assert len(out) == len(re.findall(r"\bHSS_API\b", HEADER)), "an HSS_API declaration this test cannot read"
    return out


# What the binding declares, read from the loaded package (so what ctypes will really use).
DUMP = """
import ctypes, json, sys
from hss import _async, _native, _options

def describe(t):
    if t is None:
        return "None"
    if issubclass(t, ctypes._Pointer):
        return "POINTER(%s)" % describe(t._type_)
    if issubclass(t, ctypes._CFuncPtr):
        return "CFUNCTYPE(%s)" % ", ".join(describe(a) for a in (t._restype_,) + tuple(t._argtypes_))
    return t.__name__

def prototype(handle, name):
    try:
        fn = getattr(handle, name)
    except AttributeError:
        return "not exported"
    if fn.argtypes is None:
        return "not declared"
    return [describe(fn.restype)] + [describe(a) for a in fn.argtypes]

print(json.dumps({
    "lib": {n: prototype(_native.lib, n) for n in json.loads(sys.argv[1])},
    # hss.AsyncClient's handle whose calls keep the GIL: the functions it declares.
    "lib_keeping_gil": {n: prototype(_async.lib_keeping_gil, n) for n in json.loads(sys.argv[1])
                        if getattr(_async.lib_keeping_gil, n).argtypes is not None},
    "structs": {c.__name__: [[f, describe(t)] for f, t in c._fields_]
                for c in (_native.ClientOptions, _native.ImageUploadCommandRequest)},
    "settings": list(_native.SETTINGS),
    "signing": {m.name: _options._SIGNING_ALGORITHMS[m.value] for m in _options.SigningAlgorithm},
    "trace_levels": {str(k): v for k, v in _options._TRACE_LEVELS.items()},
    "trace_info_debug": [_options._HSS_TRACE_INFO, _options._HSS_TRACE_DEBUG],
    "completions_dispatch": _native.COMPLETIONS_DISPATCH,
}))
"""


@pytest.fixture(scope="module")
def binding(lib_dir) -> dict:
    proc = subprocess.run([sys.executable, "-c", DUMP, json.dumps(sorted(header_prototypes()))],
                          capture_output=True, text=True, timeout=60,
                          env={**os.environ, "PYTHONPATH": str(BINDING_DIR),
                               "HSS_LIBRARY": str(lib_dir / "libhss.so.1")})
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)


def test_every_function_is_declared_as_the_header_declares_it(binding):
    expected = header_prototypes()
    wrong = {name: (binding["lib"][name], want) for name, want in expected.items() if binding["lib"][name] != want}
    assert wrong == {}, "function: (the binding's [restype, argtypes...], the header's)"


def test_the_gil_keeping_handle_declares_as_the_header_does(binding):
    expected = header_prototypes()
    assert binding["lib_keeping_gil"] == {name: expected[name] for name in binding["lib_keeping_gil"]}
    assert "hss_client_dispatch" in binding["lib_keeping_gil"]


def test_struct_fields_have_the_header_types(binding):
    assert set(STRUCT_BODIES) == set(BINDING_STRUCTS)
    for struct, body in STRUCT_BODIES.items():
        fields = [split_declaration(d) for d in body.split(";")[:-1]]
        header = [[name, ctypes_name(ctype)] for ctype, name in fields]
        assert binding["structs"][BINDING_STRUCTS[struct]] == header, struct


def test_enum_values_the_binding_passes_are_the_headers(binding):
    settings = {m[len("HSS_SETTING_"):].lower(): v for m, v in ENUMS["hss_setting"].items()}
    assert dict((name, i) for i, name in enumerate(binding["settings"])) == settings
    signing = {m[len("HSS_SIGNING_"):]: v for m, v in ENUMS["hss_signing_algorithm"].items() if v}
    assert binding["signing"] == signing
    levels = ENUMS["hss_trace_level"]
    assert binding["trace_levels"] == {str(levels["HSS_TRACE_WARNING"]): logging.WARNING,
                                       str(levels["HSS_TRACE_INFO"]): logging.INFO,
                                       str(levels["HSS_TRACE_DEBUG"]): logging.DEBUG}
    assert binding["trace_info_debug"] == [levels["HSS_TRACE_INFO"], levels["HSS_TRACE_DEBUG"]]
    assert binding["completions_dispatch"] == ENUMS["hss_completions"]["HSS_COMPLETIONS_DISPATCH"]
