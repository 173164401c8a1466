"""The order in which the linker lays out libhss.so.1's functions: Sources/HSSBoundary/libhss.order.

`bench/run.sh --only order` (`make symbol-order`) writes it; the Makefile passes it to lld
(`--symbol-ordering-file`). The functions one run of the command, one C client's calls and the
Python binding's calls execute are scattered over the 4 MB of the library's code, most of them
the Swift runtime's and standard library's: laid out together, a process touches a few dozen
pages of code instead of hundreds, and so takes fewer page faults and misses (bench/README.md,
"Symbol order"). The names come from callgrind, which sees every function a run executes.

A name the build no longer defines is skipped by lld (`--no-warn-symbol-ordering`): a stale file
costs speed, never correctness. make bench reports how many of its names the library defines."""

import os
import shutil
import subprocess
import tempfile

ORDER_FILE = os.path.join("Sources", "HSSBoundary", "libhss.order")
HEADER = """\
# libhss.so.1's functions in the order the linker lays them out (lld --symbol-ordering-file):
# those that the command, the C API and the Python binding execute, first, together.
# Written by `make symbol-order` (bench/symbol_order.py); do not edit by hand.
"""


def _executed(callgrind_out):
    """The functions of libhss.so.1 a callgrind run executed (a name once per callgrind context)."""
    names, obj = [], None
    with open(callgrind_out) as f:
        for line in f:
            if line.startswith("ob="):
                obj = line[3:].strip()
            elif line.startswith("fn=") and obj and os.path.basename(obj).startswith("libhss.so"):
                name = line[3:].strip().split("'")[0]  # callgrind marks recursion levels as name'2
                if not name.startswith("0x"):  # code in no symbol
                    names.append(name)
    return names


def write(root, runs, env):
    """Runs each argv of `runs` under callgrind against the unstripped library, and writes the
    libhss functions they executed to ORDER_FILE. Returns their count."""
    unstripped = os.path.join(root, ".build", "release", "libhss.so")
    names = set()
    with tempfile.TemporaryDirectory() as tmp:
        shutil.copy(unstripped, os.path.join(tmp, "libhss.so.1"))
        run_env = dict(env, LD_LIBRARY_PATH=tmp, HSS_LIBRARY=os.path.join(tmp, "libhss.so.1"))
        for i, argv in enumerate(runs):
            out = os.path.join(tmp, "run%d.callgrind" % i)
            proc = subprocess.run(["valgrind", "--tool=callgrind", "--demangle=no", "--compress-strings=no",
                                   "--callgrind-out-file=" + out] + argv, env=run_env,
                                  stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, universal_newlines=True)
            if proc.returncode != 0:
                raise RuntimeError("%s exited %d under callgrind: %s" % (argv[0], proc.returncode,
                                                                       proc.stderr.strip()[-500:]))
            names.update(_executed(out))
    # Sorted, so that the file changes only when the set does (callgrind lists functions in no
    # stable order). The standard library's names ($ss..., $sS...) last: most of its code is one
    # 1.6 MB section, which lld places where the first name in it falls, with all that follows.
    names = sorted(names, key=lambda name: (name.startswith(("$ss", "$sS")), name))
    with open(os.path.join(root, ORDER_FILE), "w") as f:
        f.write(HEADER)
        f.write("\n".join(names) + "\n")
    return len(names)


def coverage(root, defined):
    """(names in ORDER_FILE that `defined` (a set of symbol names) holds, names in ORDER_FILE)."""
    path = os.path.join(root, ORDER_FILE)
    if not os.path.exists(path):
        return 0, 0
    with open(path) as f:
        names = [line.strip() for line in f if line.strip() and not line.startswith("#")]
    return sum(name in defined for name in names), len(names)
