"""make bench's report: bench/results/latest.md (the targets table first, then every section) and
the chart, from the figures bench/driver.py measured. Nothing here measures, but for the
description of the machine."""

import os
import platform
import re
import statistics
import subprocess
import sys

import async_bench
import library
import startup
from common import ROOT, fmt_int, fmt_ratio, log, med, spread
from pyclients import ALGORITHMS

# Issue 24's table, then the older ones. Reported, never asserted.
TARGETS = {
    "size_mb": 6.3,  # libhss.so.1 as shipped (stripped), MB = 10^6 bytes
    "dlopen_ms": 4.0,  # dlopen() of libhss.so.1 with libcurl already loaded: libhss's own load
    "instructions": 35_000,  # per call beyond the floor (callgrind), see library.profile()
    "mallocs": 8,  # malloc, calloc and realloc calls per call beyond the floor (the same profile)
    "c_api_vs_floor": 0.90,
    "python_vs_floor": 0.80,
    "signing_vs_official": 30.0,
    "cli_vs_curl": 1.15,  # hyperfine, one call, whole process, SSL_CERT_FILE set, ratio of means
    "import_hss_ms": 30.0,
    "rss_growth_kib": 1024,
}


def chart(rows, path):
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        log("matplotlib not available: no chart")
        return False
    labels = [r[0] for r in rows]
    values = [med(r[1]) for r in rows]
    lo = [v - min(r[1]) for v, r in zip(values, rows)]
    hi = [max(r[1]) - v for v, r in zip(values, rows)]
    fig, ax = plt.subplots(figsize=(8, 4.2), dpi=110)
    colors = ["#9e9e9e", "#1f77b4", "#4a9fd8", "#d62728"][:len(rows)]
    bars = ax.barh(labels[::-1], values[::-1], xerr=[lo[::-1], hi[::-1]], color=colors[::-1], capsize=3)
    for bar, v, top in zip(bars, values[::-1], [max(r[1]) for r in rows][::-1]):
        ax.text(top + max(values) * 0.015, bar.get_y() + bar.get_height() / 2,
                " %s calls/s" % fmt_int(v), va="center", fontsize=9)
    ax.set_xlim(0, max(values) * 1.3)
    ax.set_xlabel("calls per second (median; bars: min–max), higher is better")
    ax.set_title("ShowImageUploadCommand against local nginx, one client, sequential calls", fontsize=10)
    ax.spines["top"].set_visible(False)
    ax.spines["right"].set_visible(False)
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)
    return True


def targets(r):
    """The target rows: [{"measure", "value", "shown", "target", "met" (None: not measured)}]."""
    calls, sign = r["calls"], r["sign"]
    floor = med(calls["floor"]["rates"])
    rows = []

    def row(measure, value, shown, goal, higher, target):
        met = None if value is None or value != value else value >= goal if higher else value <= goal
        rows.append({"measure": measure, "value": value, "shown": shown if met is not None else "not measured",
                     "target": target, "met": met})

    size = r["size"]
    mb = size["stripped"] / 1e6
    share = (" (%s: %.2f MB, %.0f%%; libhss's own modules: %.2f MB)" % (
        library.RUNTIME, size["runtime"] / 1e6, size["runtime"] / size["stripped"] * 100,
        sum(b for _, b in size["own"]) / 1e6) if "runtime" in size else "")
    row("`libhss.so.1` stripped size", mb, "%.2f MB%s" % (mb, share), TARGETS["size_mb"], False,
        "≤ %.1f MB" % TARGETS["size_mb"])
    own = med(r["dlopen"]["own"]) * 1000 if r["dlopen"]["own"] else None
    fresh = med(r["dlopen"]["fresh"]) * 1000 if r["dlopen"]["fresh"] else float("nan")
    row("library load (`dlopen`, libcurl already loaded)", own,
        "%.2f ms (in a fresh process, libcurl and OpenSSL loaded with it: %.2f ms)" % (own or 0, fresh),
        TARGETS["dlopen_ms"], False, "≤ %.0f ms" % TARGETS["dlopen_ms"])
    p = r.get("profile")
    beyond = p["beyond_floor"] if p else None
    row("instructions per call beyond the floor (callgrind)", beyond,
        "%s (C API %s − floor %s)" % (fmt_int(beyond), fmt_int(p["c_api_ir"] / p["calls"]),
                                      fmt_int(p["floor_ir"] / p["calls"])) if p else "",
        TARGETS["instructions"], False, "≤ %s" % fmt_int(TARGETS["instructions"]))
    mallocs = p.get("mallocs_beyond_floor") if p else None
    row("mallocs per call beyond the floor (callgrind: malloc, calloc, realloc)", mallocs,
        "%.1f" % mallocs if mallocs is not None else "", TARGETS["mallocs"], False, "≤ %d" % TARGETS["mallocs"])
    c_api = med(calls["c_api"]["rates"]) / floor
    row("C API calls/s ÷ bare libcurl", c_api, fmt_ratio(c_api), TARGETS["c_api_vs_floor"], True,
        "≥ %s" % fmt_ratio(TARGETS["c_api_vs_floor"]))
    python = med(calls["python"]["rates"]) / floor
    row("Python binding calls/s ÷ bare libcurl", python, fmt_ratio(python), TARGETS["python_vs_floor"], True,
        "≥ %s" % fmt_ratio(TARGETS["python_vs_floor"]))
    signing = med(sign["sign_hss"]["rates"]) / med(sign["sign_sdk"]["rates"])
    row("signing ÷ official Python signer", signing, fmt_ratio(signing), TARGETS["signing_vs_official"], True,
        "≥ %s" % fmt_ratio(TARGETS["signing_vs_official"]))
    cli = r.get("cli")
    if cli:
        hss_ms = statistics.mean(cli["times"]["hss-image-upload-command"]) * 1000
        curl_ms = statistics.mean(cli["times"]["curl"]) * 1000
    row("`hss-image-upload-command` ÷ `curl`, one call, whole process, SSL_CERT_FILE set (hyperfine, means)",
        hss_ms / curl_ms if cli else None, "%s (%.2f ms vs %.2f ms)" % (fmt_ratio(hss_ms / curl_ms), hss_ms, curl_ms)
        if cli else "", TARGETS["cli_vs_curl"], False, "≤ %s" % fmt_ratio(TARGETS["cli_vs_curl"]))
    imp = dict(r["imports"])
    import_ms = med(imp["hss"]) * 1000
    row("`import hss`", import_ms, "%.1f ms" % import_ms, TARGETS["import_hss_ms"], False,
        "≤ %.0f ms" % TARGETS["import_hss_ms"])
    mem = r["memory"]["rows"]
    growth = mem[-1][1] - mem[0][1] if len(mem) >= 2 else None
    row("RSS growth over %s calls" % (fmt_int(mem[-1][0]) if mem else "?"), growth,
        "%+d KiB" % growth if growth is not None else "", TARGETS["rss_growth_kib"] - 1, False, "< 1 MiB")
    return rows + async_bench.targets(r["async"])


def report_algorithms(w, r):
    """The "Signing per algorithm" section."""
    sign, checks = r["sign"], r["algorithm_checks"]
    rows = [(ALGORITHMS[0], sign["sign_hss"], sign["sign_sdk"], r["signatures_agree"])]
    rows += [(a, sign["sign_hss/" + a], sign["sign_sdk/" + a], checks[a]["agree"]) for a in ALGORITHMS[1:]]
    w("## Signing per algorithm")
    w("")
    w("The same request signed with each algorithm of the official SDKs: libhss's `Signer` "
      "(`hss-sign-bench N ALG`; keys prepared once, as a client prepares them) against the official "
      "Python signer class of that algorithm (made once; it derives the ECDSA and SM2 key pairs again, in "
      "pure Python, for every signature, as it does in the SDK). V11-HMAC-SHA256 with region cn-north-4 and "
      "service hss. SDK-HMAC-SHA256's row is the measurement above. *Agree*: the same Authorization for "
      "the fixed date; for ECDSA and SM2, whose signatures are random, the same up to the signature, "
      "which the official key verifies.")
    w("")
    w("| algorithm | libhss signatures/s | µs/signature | official signatures/s | µs/signature | "
      "libhss ÷ official | agree |")
    w("|---|---:|---:|---:|---:|---:|:---:|")
    for algorithm, hss, sdk, agree in rows:
        h, o = med(hss["rates"]), med(sdk["rates"])
        w("| %s | %s | %.2f | %s | %.1f | %s | %s |" % (algorithm, fmt_int(h), 1e6 / h, fmt_int(o), 1e6 / o,
                                                      fmt_ratio(h / o), "yes" if agree else "**no**"))
    w("")
    w("| algorithm | libhss signatures/s min–max | official signatures/s min–max | "
      "N per repetition (libhss / official) |")
    w("|---|---|---|---:|")
    for algorithm, hss, sdk, _ in rows:
        w("| %s | %s | %s | %s / %s |" % (algorithm, spread(hss["rates"]), spread(sdk["rates"]), fmt_int(hss["n"]),
                                       fmt_int(sdk["n"])))
    w("")


def report(args, r):
    calls = r["calls"]
    sign = r["sign"]
    floor, sdk = med(calls["floor"]["rates"]), med(calls["sdk"]["rates"])
    names = {"floor": "bare libcurl (floor)", "c_api": "libhss, C API", "python": "libhss, Python binding",
             "sdk": "official Python SDK"}
    lines = []
    w = lines.append
    w("# libhss benchmark")
    w("")
    w("Measured by `make bench` on %s (UTC), %d repetitions of each measurement, interleaved; "
      "figures are medians, spreads are min–max over the repetitions." %
      (r["started"].strftime("%Y-%m-%d %H:%M"), args.reps))
    w("")
    w("## Targets (reported, not asserted)")
    w("")
    w("Every figure measured in this run, side by side; each section below says how.")
    w("")
    w("| measure | measured | target | met |")
    w("|---|---:|---:|:---:|")
    for t in r["targets"]:
        met = "n/a" if t["met"] is None else "yes" if t["met"] else "**no**"
        w("| %s | %s | %s | %s |" % (t["measure"], t["shown"], t["target"], met))
    w("")
    w("## Calls through the API")
    w("")
    w("One client, N sequential `ShowImageUploadCommand` calls over one kept-alive HTTP/1.1 connection to "
      "a local nginx answering a fixed HSS-shaped JSON body (so the client's own cost shows). "
      "A call = sign + send + receive + parse + free (the floor: send + receive only).")
    w("")
    w("| client | calls/s | µs/call | ratio to the floor | ratio to the official SDK |")
    w("|---|---:|---:|---:|---:|")
    for key in ("floor", "c_api", "python", "sdk"):
        m = med(calls[key]["rates"])
        w("| %s | %s | %.1f | %s | %s |" % (names[key], fmt_int(m), 1e6 / m, fmt_ratio(m / floor),
                                          fmt_ratio(m / sdk)))
    w("")
    w("![calls per second](calls_per_second.png)")
    w("")
    w("Spread and sizes:")
    w("")
    w("| client | calls/s min–max | client CPU µs/call (user+sys) | N per repetition | errors |")
    w("|---|---|---:|---:|---:|")
    for key in ("floor", "c_api", "python", "sdk"):
        c = calls[key]
        w("| %s | %s | %.1f | %s | %d |" % (names[key], spread(c["rates"]), med(c["cpu_us"]), fmt_int(c["n"]),
                                          c["errors"]))
    w("")
    w("Client CPU is the client process's own CPU time (`getrusage`) over the timed calls; the rest of "
      "a call's wall time is nginx, the kernel's loopback and waiting.")
    w("")

    # signing
    w("## Signing alone, in process")
    w("")
    w("One SDK-HMAC-SHA256 signature of this API's request (canonical query from the 4 parameters, 5 signed "
      "headers, X-Sdk-Date, SK). All signers produce the same Authorization for the same date%s." %
      ("" if r["signatures_agree"] else " — **they did NOT agree in this run**"))
    w("")
    w("| signer | signatures/s | µs/signature | ratio to the official signer | ratio to the OpenSSL floor |")
    w("|---|---:|---:|---:|---:|")
    sfloor, sign_sdk = med(sign["sign_floor"]["rates"]), med(sign["sign_sdk"]["rates"])
    for key, label in [("sign_floor_prepared", "OpenSSL, HMAC key context prepared once (lower bound)"),
                       ("sign_floor", "OpenSSL one-shot `SHA256()` + `HMAC()` (floor)"),
                       ("sign_hss", "libhss `Signer` (Swift)"),
                       ("sign_sdk", "official Python signer (`huaweicloudsdkcore`)")]:
        m = med(sign[key]["rates"])
        w("| %s | %s | %.2f | %s | %s |" % (label, fmt_int(m), 1e6 / m, fmt_ratio(m / sign_sdk),
                                           fmt_ratio(m / sfloor)))
    w("")
    w("| signer | signatures/s min–max | N per repetition |")
    w("|---|---|---:|")
    for key in ("sign_floor_prepared", "sign_floor", "sign_hss", "sign_sdk"):
        w("| %s | %s | %s |" % (key, spread(sign[key]["rates"]), fmt_int(sign[key]["n"])))
    w("")
    report_algorithms(w, r)

    # threads
    w("## Threads sharing one client (C API)")
    w("")
    w("| threads | calls/s | spread | speed-up vs 1 thread | client CPU µs/call | errors |")
    w("|---:|---:|---|---:|---:|---:|")
    one = med(r["threads"][1]["rates"])
    for t in sorted(r["threads"]):
        c = r["threads"][t]
        w("| %d | %s | %s | %s | %.1f | %d |" % (t, fmt_int(med(c["rates"])), spread(c["rates"]),
                                                fmt_ratio(med(c["rates"]) / one), med(c["cpu_us"]), c["errors"]))
    w("")
    w("The client, nginx (2 workers) and the kernel's loopback share the same %d CPUs." % (os.cpu_count() or 0))
    w("")

    lines += async_bench.section(r["async"])

    # memory
    mem_rows = r["memory"]["rows"]
    growth = mem_rows[-1][1] - mem_rows[0][1] if len(mem_rows) >= 2 else 0
    w("## Memory (C API, one client)")
    w("")
    w("| after calls | VmRSS (current) | VmHWM (peak) |")
    w("|---:|---:|---:|")
    for calls_done, rss, hwm in mem_rows:
        w("| %s | %s KiB | %s KiB |" % (fmt_int(calls_done), fmt_int(rss), fmt_int(hwm)))
    w("")
    if len(mem_rows) >= 2:
        w("Growth from %s to %s calls: RSS %+d KiB, peak %+d KiB (errors: %d)." % (
            fmt_int(mem_rows[0][0]), fmt_int(mem_rows[-1][0]), growth, mem_rows[-1][2] - mem_rows[0][2],
            r["memory"]["errors"]))
        w("")

    startup.report_cold_start(w, r, args.cold_runs, args.import_runs)
    startup.report_command(w, r.get("cli"))
    library.report_size(w, r["size"])
    library.report_profile(w, r.get("profile"), args.profile_rows)

    # machine
    w("## Machine")
    w("")
    for key, value in r["machine"]:
        w("- **%s**: %s" % (key, value))
    w("")
    w("## How to reproduce")
    w("")
    w("```sh")
    w("make bench        # as root on Debian 12: installs nginx-light etc. if missing")
    w("```")
    w("")
    w("See `bench/README.md` for what each figure measures. Total run time of this run: %.0f s." %
      r["elapsed"])
    w("")
    return "\n".join(lines)


def machine():
    def cmd(argv):
        try:
            return subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                  universal_newlines=True).stdout.strip()
        except OSError:
            return "n/a"

    cpu = "unknown CPU"
    with open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    mem = "?"
    with open("/proc/meminfo") as f:
        for line in f:
            if line.startswith("MemTotal"):
                mem = "%.1f GiB" % (int(line.split()[1]) / 1024 / 1024)
    osname = platform.platform()
    if os.path.exists("/etc/os-release"):
        with open("/etc/os-release") as f:
            m = re.search(r'PRETTY_NAME="([^"]*)"', f.read())
            if m:
                osname = m.group(1)
    swift = os.environ.get("SWIFT", "swift")
    commit = cmd(["git", "-C", ROOT, "rev-parse", "--short", "HEAD"])
    dirty = cmd(["git", "-C", ROOT, "status", "--porcelain", "--untracked-files=no", "--",
                 "Sources", "include", "Package.swift", "Makefile", "bindings"])
    try:
        from importlib.metadata import version
        sdk = "huaweicloudsdkhss %s, huaweicloudsdkcore %s" % (version("huaweicloudsdkhss"),
                                                               version("huaweicloudsdkcore"))
    except Exception:
        sdk = "?"
    return [
        ("CPU", "%s, %d logical CPUs (`nproc`: %s)" % (cpu, os.cpu_count() or 0, cmd(["nproc"]))),
        ("Memory", mem),
        ("OS", "%s, Linux %s %s" % (osname, platform.release(), platform.machine())),
        ("libhss", "%s (git %s%s), build/lib/libhss.so.1" % (_hss_version(), commit,
                                                             " + uncommitted changes" if dirty else "")),
        ("Swift", cmd([swift, "--version"]).splitlines()[0] if cmd([swift, "--version"]) else "?"),
        ("libcurl", cmd(["curl-config", "--version"])),
        ("OpenSSL", cmd(["openssl", "version"])),
        ("nginx", cmd([os.environ.get("BENCH_NGINX", "nginx"), "-v"]).replace("nginx version: ", "")),
        ("Python", "%s (%s)" % (platform.python_version(), sys.executable.replace(ROOT + "/", ""))),
        ("Official SDK", sdk),
    ]


def _hss_version():
    with open(os.path.join(ROOT, "include", "hss.h")) as f:
        m = re.search(r'#define HSS_VERSION_STRING "([^"]+)"', f.read())
    return m.group(1) if m else "?"
