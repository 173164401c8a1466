"""What libhss.so.1 weighs and what a call executes: the file's size by origin (nm), the callgrind
profile of the C API against the floor, and their sections of the report."""

import collections
import glob
import os
import re
import shutil
import subprocess

from common import BENCH, BIN, LIBDIR, ROOT, fmt_int, log

ALLOCATORS = ("malloc", "calloc", "realloc")


def _callgrind_calls(path, names):
    """How many calls callgrind recorded to the functions `names` (from every caller)."""
    ids, total, callee = {}, 0, None
    with open(path) as f:
        for line in f:
            m = re.match(r"c?fn=\((\d+)\)(?: (.*))?", line)
            if m:
                if m.group(2):
                    ids[m.group(1)] = m.group(2)
                callee = ids.get(m.group(1)) if line.startswith("cfn=") else None
            elif callee is not None and line.startswith("calls="):
                if callee in names:
                    total += int(line.split("=")[1].split()[0])
                callee = None
    return total


def _callgrind_total(path):
    with open(path) as f:
        for line in f:
            if line.startswith("summary:") or line.startswith("totals:"):
                return int(line.split()[1])
    return 0


def _demangle(text):
    tool = shutil.which("swift-demangle")
    if tool is None:
        return text
    return subprocess.run([tool, "--simplified"], input=text, stdout=subprocess.PIPE,
                          universal_newlines=True).stdout


def _annotate(path, inclusive):
    """[(Ir, function, file, object)] from callgrind_annotate (no source annotation), demangled.
    callgrind names code inlined from another file as a separate "file:function" entry, often
    without the object: the object is then taken from another entry of the same function."""
    text = subprocess.run(["callgrind_annotate", "--inclusive=" + ("yes" if inclusive else "no"),
                           "--threshold=100", "--auto=no", path], stdout=subprocess.PIPE,
                          stderr=subprocess.DEVNULL, universal_newlines=True).stdout
    rows = []
    for line in _demangle(text).splitlines():
        m = re.match(r"\s*([\d,]+)\s+\(\s*[\d.]+%\)\s+(.*)$", line)
        if not m or "PROGRAM TOTALS" in line:
            continue
        ir = int(m.group(1).replace(",", ""))
        rest = m.group(2)
        obj = ""
        mo = re.search(r"\s\[([^\]]+)\]$", rest)
        if mo:
            obj = os.path.basename(mo.group(1))
            rest = rest[:mo.start()]
        fm = re.match(r"(\?\?\?|[^:]*):(.*)$", rest)
        where, func = (fm.group(1), fm.group(2).strip()) if fm else ("", rest.strip())
        rows.append((ir, func, where, obj))
    objects = {}
    for _, func, _, obj in rows:
        if obj:
            objects.setdefault(func, obj)
    return [(ir, func, where, obj or objects.get(func, "libhss.so.1")) for ir, func, where, obj in rows]


def _own(where):
    return where.startswith(os.path.join(ROOT, "Sources") + os.sep)


def profile_tables(p):
    """The report's profile figures: per-function inclusive costs (parts merged), costs by
    library, top self costs."""
    total = p["c_api_ir"]
    # A function's entries overlap (the main one's inclusive cost already holds the calls made
    # from code inlined into it), so the largest one is the function's inclusive cost.
    merged = {}
    for ir, func, where, obj in p["inclusive"]:
        e = merged.setdefault(func, {"ir": 0, "files": set(), "obj": obj})
        e["ir"] = max(e["ir"], ir)
        if _own(where):
            e["files"].add(os.path.relpath(where, ROOT).replace("Sources/", ""))
    skip = ("main", "(below main)", "__libc_start_main", "hss_image_upload_command_get")
    own, lib = [], []
    for func, e in sorted(merged.items(), key=lambda kv: -kv[1]["ir"]):
        if func.startswith(skip) or e["ir"] >= total * 0.999 or func.startswith("0x"):
            continue
        if e["files"]:
            own.append((e["ir"], func, ", ".join(sorted(e["files"]))))
        else:
            lib.append((e["ir"], func, e["obj"]))
    by_object = {}
    for ir, _func, where, obj in p["self"]:
        if obj == "libhss.so.1":
            obj = ("libhss.so.1: libhss's own code (Sources/HSS*, with what the compiler inlined and "
                   "specialised into it)" if _own(where) or where.startswith("//<compiler-generated>")
                   else "libhss.so.1: Swift runtime and standard library (linked in statically)")
        by_object[obj] = by_object.get(obj, 0) + ir
    return own, lib, sorted(by_object.items(), key=lambda kv: -kv[1])


# --- library size ----------------------------------------------------------------------------

RUNTIME = "Swift runtime and standard library"
# The runtime's bytes by kind of symbol name, to show what its share is made of.
RUNTIME_KINDS = [
    (r"_Z\w*_swift_stdlib_", "Unicode data tables of the standard library (`_swift_stdlib_*`)"),
    (r"\$s", "standard library code and metadata (Swift symbols, `$s…`)"),
    (r"_Z|swift_|_swift", "runtime written in C++ (metadata, allocation, casting, demangler; `_Z…`, `swift_…`)"),
    (r"", "other (C-level helpers and static initialisers, linker-made tables such as the GOT)"),
]


def library_size():
    """The shipped file's size, and who its bytes belong to.

    Method: the symbol table of the unstripped build of the same library
    (`.build/release/libhss.so`, which `make lib` strips into build/lib/) gives every function's
    and datum's size (`nm -S`). A symbol is libhss's own when one of the package's library
    targets (Package.swift's `.target`s, from their objects in `.build/release/<target>.build/`)
    defines it, by name: so the generic code the compiler specialised into them counts as
    theirs. Every other symbol came from the Swift runtime and standard library the Makefile
    links in statically (`-static-stdlib`, and the parts of libstdc++ the runtime uses; libc,
    libcurl and OpenSSL are shared libraries, not in the file). Aliases (names sharing one
    address) count once; .bss takes no bytes in the file and is left out. What no symbol covers
    is the rest: ELF headers, the dynamic-linking tables (.dynsym, .rela.dyn), unwind tables
    (.eh_frame), the Swift reflection metadata sections and padding."""
    shipped = os.path.realpath(os.path.join(LIBDIR, "libhss.so.1"))
    out = {"stripped": os.path.getsize(shipped)}
    unstripped = os.path.join(ROOT, ".build", "release", "libhss.so")
    if not os.path.exists(unstripped) or not shutil.which("nm"):
        return out
    with open(os.path.join(ROOT, "Package.swift")) as f:
        targets = re.findall(r'\.target\(\s*name:\s*"(\w+)"', f.read())
    owner = {}
    for target in targets:
        for obj in sorted(glob.glob(os.path.join(ROOT, ".build", "release", target + ".build", "*.o"))):
            for _addr, _size, _kind, name in _nm(obj):
                owner.setdefault(name, target)
    spans = {}  # address -> (size, origin)
    for addr, size, kind, name in _nm(unstripped):
        if size is None or kind in "bB":
            continue
        old_size, old_origin, old_kind = spans.get(addr, (0, RUNTIME, None))
        origin = owner.get(name, RUNTIME)
        kind = old_kind or next(label for pattern, label in RUNTIME_KINDS if re.match(pattern, name))
        spans[addr] = (max(size, old_size), origin if origin != RUNTIME else old_origin, kind)
    by_origin, by_kind = collections.Counter(), collections.Counter()
    for size, origin, kind in spans.values():
        by_origin[origin] += size
        if origin == RUNTIME:
            by_kind[kind] += size
    out["own"] = [(t, by_origin[t]) for t in targets]
    out["runtime"] = by_origin[RUNTIME]
    out["runtime_kinds"] = [(label, by_kind[label]) for _, label in RUNTIME_KINDS]
    out["rest"] = out["stripped"] - out["runtime"] - sum(by_origin[t] for t in targets)
    # `make lib` strips the unstripped file into build/lib at once: far apart, they are two builds.
    out["stale"] = abs(os.path.getmtime(unstripped) - os.path.getmtime(shipped)) > 600
    return out


def _nm(path):
    """[(address, size or None, kind, name)] of the symbols `path` defines."""
    text = subprocess.run(["nm", "-S", "--defined-only", path], stdout=subprocess.PIPE,
                          stderr=subprocess.DEVNULL, universal_newlines=True).stdout
    rows = []
    for line in text.splitlines():
        parts = line.split(None, 3)
        if len(parts) == 4:
            rows.append((int(parts[0], 16), int(parts[1], 16), parts[2], parts[3]))
        elif len(parts) == 3:
            rows.append((int(parts[0], 16), None, parts[1], parts[2]))
    return rows


def profile(env, endpoint, calls):
    """callgrind over `calls` calls of the C API (only inside hss_image_upload_command_get and
    hss_image_upload_command_free, everything they call included) and of the floor (only
    inside curl_easy_perform), against the unstripped build of the same library.

    "Instructions per call beyond the floor" = (C API Ir - floor Ir) / calls: what a libhss
    call executes (its own code, the Swift runtime, OpenSSL, libc, and the libcurl work it
    causes) beyond what the bare libcurl loop spends sending the same request. Deterministic,
    so a regression shows on a noisy machine too. Returns a dict for the report, or None if
    valgrind is missing."""
    if not shutil.which("valgrind") or not shutil.which("callgrind_annotate"):
        log("valgrind/callgrind_annotate not found: no profile")
        return None
    pdir = os.path.join(BENCH, "profile")
    plib = os.path.join(pdir, "lib")
    os.makedirs(plib, exist_ok=True)
    unstripped = os.path.join(ROOT, ".build", "release", "libhss.so")
    shipped = os.path.join(LIBDIR, "libhss.so.1")
    if os.path.exists(unstripped):
        # The same build as build/lib (the Makefile strips this very file into it).
        shutil.copy(unstripped, os.path.join(plib, "libhss.so.1"))
        libpath, symbols = plib, True
    else:
        libpath, symbols = LIBDIR, False
    env = dict(env, LD_LIBRARY_PATH=libpath)
    out = {"calls": calls, "symbols": symbols,
           "stale": os.path.exists(unstripped) and os.path.getmtime(unstripped) + 60 < os.path.getmtime(
               os.path.realpath(shipped))}
    for name, argv, toggles in [
        ("c_api", [os.path.join(BIN, "c_api"), endpoint, str(calls), "0"],
         ["hss_image_upload_command_get", "hss_image_upload_command_free"]),
        ("floor", [os.path.join(BIN, "curl_floor"), endpoint, str(calls), "0"], ["curl_easy_perform"]),
    ]:
        cg = os.path.join(pdir, name + ".callgrind")
        subprocess.run(["valgrind", "--tool=callgrind", "--callgrind-out-file=" + cg] +
                       ["--toggle-collect=" + t for t in toggles] + argv, env=env,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        out[name] = cg
    out["c_api_ir"] = _callgrind_total(out["c_api"])
    out["floor_ir"] = _callgrind_total(out["floor"])
    out["beyond_floor"] = (out["c_api_ir"] - out["floor_ir"]) / calls
    out["mallocs_beyond_floor"] = (_callgrind_calls(out["c_api"], ALLOCATORS)
                                   - _callgrind_calls(out["floor"], ALLOCATORS)) / calls
    out["inclusive"] = _annotate(out["c_api"], inclusive=True)
    out["self"] = _annotate(out["c_api"], inclusive=False)
    return out


def report_size(w, size):
    """The report's Library size section (library_size()'s figures), written with w(line)."""
    w("## Library size")
    w("")
    if "runtime" in size:
        w("Who the bytes of the shipped `libhss.so.1` belong to. Method: the symbol table of the unstripped "
          "build of the same library (`.build/release/libhss.so`) gives every function's and datum's size "
          "(`nm -S`); a symbol is libhss's own when one of the package's library targets defines it (by "
          "name, from their object files: code the compiler specialised into them counts as theirs), and "
          "every other one came from the %s, linked in statically (with the parts of libstdc++ it "
          "uses; libc, libcurl and OpenSSL are shared libraries, not in the file). Aliases count once; "
          "`.bss` takes no bytes in the file. The rest is what no symbol covers: ELF headers, "
          "dynamic-linking tables, unwind tables (`.eh_frame`), Swift reflection metadata and padding." % RUNTIME)
        if size["stale"]:
            w("")
            w("**Warning:** `.build/release/libhss.so` and `build/lib/libhss.so.1` look like two different "
              "builds; rerun `make lib` before trusting this split.")
        w("")
        w("| part | bytes | share of the file |")
        w("|---|---:|---:|")
        w("| `libhss.so.1` as shipped (stripped) | %s | 100%% |" % fmt_int(size["stripped"]))
        w("| %s | %s | %.1f%% |" % (RUNTIME, fmt_int(size["runtime"]), size["runtime"] / size["stripped"] * 100))
        for label, nbytes in size["runtime_kinds"]:
            w("| &nbsp;&nbsp;%s | %s | %.1f%% |" % (label, fmt_int(nbytes), nbytes / size["stripped"] * 100))
        own_total = sum(b for _, b in size["own"])
        w("| libhss's own modules | %s | %.1f%% |" % (fmt_int(own_total), own_total / size["stripped"] * 100))
        for target, nbytes in sorted(size["own"], key=lambda tb: -tb[1]):
            w("| &nbsp;&nbsp;%s | %s | %.1f%% |" % (target, fmt_int(nbytes), nbytes / size["stripped"] * 100))
        w("| rest: in no symbol (headers, tables, unwind, metadata, padding) | %s | %.1f%% |" % (
            fmt_int(size["rest"]), size["rest"] / size["stripped"] * 100))
    else:
        w("`libhss.so.1` as shipped (stripped): %s bytes. (No unstripped build or no `nm`: no split.)" %
          fmt_int(size["stripped"]))
    w("")


def report_profile(w, p, rows):
    """The report's Profile section (profile()'s figures; nothing without them), written with w(line)."""
    if p:
        n = p["calls"]
        w("## Profile (callgrind, instructions per call)")
        w("")
        w("`valgrind --tool=callgrind` over %d calls, counting only inside `hss_image_upload_command_get` "
          "and `hss_image_upload_command_free` (C API) and inside `curl_easy_perform` (floor)%s. "
          "Instruction counts are repeatable; they "
          "are not time, but they show where the client's work goes. Raw files: `build/bench/profile/`." %
          (n, "" if p["symbols"] else " (stripped library: libhss function names are missing)"))
        if p["stale"]:
            w("")
            w("**Warning:** `.build/release/libhss.so` looks older than `build/lib/libhss.so.1`; "
              "run `make lib` before trusting these names.")
        w("")
        ci, fi = p["c_api_ir"] / n, p["floor_ir"] / n
        w("| | instructions/call |")
        w("|---|---:|")
        w("| libhss C API, whole call (`hss_image_upload_command_get` + `_free`) | %s |" % fmt_int(ci))
        w("| bare libcurl floor, `curl_easy_perform` | %s |" % fmt_int(fi))
        w("| **beyond the floor** (the target's measure) | **%s** (%.0f%% of the call) |" % (
            fmt_int(ci - fi), (ci - fi) / ci * 100))
        w("")
        w("*Beyond the floor* is everything a libhss call executes (its own code, the Swift runtime, "
          "OpenSSL, libc, and whatever extra work it makes libcurl do) minus what the bare libcurl loop "
          "executes to send the same request. Both programs make their first connection inside the counted "
          "calls, so that cost is in both and cancels.")
        w("")
        own, lib, objects = profile_tables(p)
        w("Where the instructions of one C API call go, by library (self cost):")
        w("")
        w("| instructions/call | % of the call | where |")
        w("|---:|---:|---|")
        for obj, ir in objects:
            if ir / p["c_api_ir"] >= 0.001:
                w("| %s | %.1f%% | %s |" % (fmt_int(ir / n), ir / p["c_api_ir"] * 100, obj))
        w("")
        w("libhss's own functions, inclusive (the function's instructions plus everything it calls; "
          "nested functions are counted in each of their callers):")
        w("")
        w("| instructions/call | % of the call | function | source |")
        w("|---:|---:|---|---|")
        for ir, func, files in [row for row in own if row[0] >= p["c_api_ir"] * 0.002][:rows]:
            w("| %s | %.1f%% | `%s` | %s |" % (fmt_int(ir / n), ir / p["c_api_ir"] * 100,
                                             func.replace("|", "\\|")[:150], files))
        w("")
        w("Library functions called by it, inclusive (named ones only; wrappers and the functions they "
          "wrap show as rows of nearly equal cost):")
        w("")
        w("| instructions/call | % of the call | function | object |")
        w("|---:|---:|---|---|")
        for ir, func, obj in lib[:20]:
            w("| %s | %.1f%% | `%s` | %s |" % (fmt_int(ir / n), ir / p["c_api_ir"] * 100,
                                             func.replace("|", "\\|")[:150], obj))
        w("")
        w("Largest self costs (instructions in the function itself):")
        w("")
        w("| instructions/call | % of the call | function | object |")
        w("|---:|---:|---|---|")
        for ir, func, _where, obj in p["self"][:20]:
            w("| %s | %.1f%% | `%s` | %s |" % (fmt_int(ir / n), ir / p["c_api_ir"] * 100,
                                             func.replace("|", "\\|")[:150], obj))
        w("")
