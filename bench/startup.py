"""make bench's start-up measurements: whole processes (cold start, and one call of
hss-image-upload-command against one of curl), dlopen() of the library and `import hss`. The
measuring functions take driver.py's Runner; report_* write their sections of latest.md."""

import json
import os
import re
import shlex
import shutil
import statistics
import subprocess
import time

from common import BENCH, BIN, LIBDIR, PYCLIENTS, ROOT, fmt_ratio, log, med
from pyclients import AK, PARAMS, PROJECT_ID, SK

# The request of bench/bench_common.h as the `curl` command line sends it (curl_floor.c's
# header set with its fixed values) and as `hss-image-upload-command` is asked for it.
API_PATH = "/v5/%s/image/registries/image-upload-command" % PROJECT_ID
API_QUERY = "namespace=library&password=Harbor12345%21&registry_addr=myharbor.example.com%3A443&username=admin"
FLOOR_HEADERS = [
    "Content-Type: application/json",
    "User-Agent: libhss/1.2.0",
    "X-Project-Id: " + PROJECT_ID,
    "Accept:",
    "X-Sdk-Date: 20240101T000000Z",
    "Authorization: SDK-HMAC-SHA256 Access=%s, SignedHeaders=content-type;host;user-agent;x-project-id;"
    "x-sdk-date, Signature=0f1e2d3c4b5a69788796a5b4c3d2e1f00f1e2d3c4b5a69788796a5b4c3d2e1f0" % AK,
]


def wall(runner, argv, runs, env=None):
    """Wall-clock seconds of whole processes (fork + exec + run + exit), one per run."""
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        rc = subprocess.run(argv, env=env or runner.env, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL).returncode
        times.append(time.perf_counter() - start)
        if rc != 0:
            log("warning: %s exited %d" % (" ".join(argv), rc))
    return times

def cold_start(runner, runs):
    cases = [
        ("process start, nothing loaded (`/bin/true`)", ["/bin/true"]),
        ("bare libcurl program: start (libcurl and its dependencies loaded)",
         [os.path.join(BIN, "curl_floor"), "load"]),
        ("bare libcurl program: start + 1 call", [os.path.join(BIN, "curl_floor"), runner.endpoint, "1", "0"]),
        ("libhss loaded (start + `hss_version_number()`)", [os.path.join(BIN, "cold_start"), "load"]),
        ("libhss: start + load + client + first call", [os.path.join(BIN, "cold_start"), "call", runner.endpoint]),
    ]
    for _, argv in cases:  # warm the page cache
        wall(runner, argv, 2)
    times = {label: [] for label, _ in cases}
    for _ in range(runs):  # interleaved, like the other measurements
        for label, argv in cases:
            times[label] += wall(runner, argv, 1)
    return [(label, times[label]) for label, _ in cases]

def dlopen(runner, runs):
    """In-process dlopen() time of libhss.so.1 (bench/dlopen.c), interleaved: in a fresh process
    (libcurl, OpenSSL and their dependencies are loaded with it), and with libcurl loaded
    first (what remains is libhss's own load). {"fresh": [s, ...], "own": [s, ...]}."""
    lib = os.path.join(LIBDIR, "libhss.so.1")
    cases = {"fresh": [os.path.join(BIN, "dlopen_time"), lib],
             "own": [os.path.join(BIN, "dlopen_time"), lib, "after-curl"]}
    for argv in cases.values():  # warm the page cache
        runner.run(argv)
    times = {key: [] for key in cases}
    for _ in range(runs):
        for key, argv in cases.items():
            out = runner.run(argv)
            if "dlopen_seconds" in out:
                times[key].append(out["dlopen_seconds"])
    return times

def command_env(runner):
    """The environment hss-image-upload-command runs in: only our credentials and password,
    whatever the caller's environment holds, and, as on a system that names its CA bundle,
    SSL_CERT_FILE (curl reads it too; libhss also checks it at start-up)."""
    env = {k: v for k, v in runner.env.items() if not k.startswith(("HUAWEICLOUD_", "CLOUD_SDK_", "HSS_"))}
    env.update(HUAWEICLOUD_SDK_AK=AK, HUAWEICLOUD_SDK_SK=SK, HSS_REGISTRY_PASSWORD=PARAMS["password"])
    env["SSL_CERT_FILE"] = "/etc/ssl/certs/ca-certificates.crt"
    return env

def command_argv(runner, command):
    return [command, "--endpoint", runner.endpoint, "--project-id", PROJECT_ID, "--registry-addr",
            PARAMS["registry_addr"], "--namespace", PARAMS["namespace"], "--username", PARAMS["username"]]

def cli(runner, reps, runs):
    """One call of `hss-image-upload-command` against one call of `curl` (same request, same
    nginx), whole processes, timed by hyperfine (no shell in between): `reps` hyperfine runs
    of `runs` runs of each, interleaved. Returns {"times": {name: [s, ...]}, ...} or None."""
    hyperfine, curl = shutil.which("hyperfine"), shutil.which("curl")
    command = os.path.join(ROOT, "build", "bin", "hss-image-upload-command")
    if not hyperfine or not curl or not os.access(command, os.X_OK):
        log("hyperfine, curl or build/bin/hss-image-upload-command missing: no command-line row")
        return None
    env = command_env(runner)
    curl_argv = [curl, "-sS", "--fail"]
    for header in FLOOR_HEADERS:
        curl_argv += ["-H", header]
    curl_argv.append(runner.endpoint + API_PATH + "?" + API_QUERY)
    hss_argv = command_argv(runner, command)
    commands = [("curl", " ".join(map(shlex.quote, curl_argv))),
                ("hss-image-upload-command", " ".join(map(shlex.quote, hss_argv)))]
    exported = os.path.join(BENCH, "hyperfine.json")
    times = {name: [] for name, _ in commands}
    for rep in range(reps):
        argv = [hyperfine, "--shell=none", "--warmup", "5", "--runs", str(runs), "--export-json", exported]
        for name, cmd in commands:
            argv += ["--command-name", name, cmd]
        proc = subprocess.run(argv, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                              universal_newlines=True)
        if proc.returncode != 0:
            log("warning: hyperfine exited %d: %s" % (proc.returncode, proc.stderr.strip()[-500:]))
            continue
        with open(exported) as f:
            for result in json.load(f)["results"]:
                times[result["command"]].extend(result["times"])
        log("hyperfine repetition %d/%d done" % (rep + 1, reps))
    if not all(times.values()):
        return None
    return {"times": times, "commands": dict(commands), "reps": reps, "runs": runs,
            "hyperfine": subprocess.run([hyperfine, "--version"], stdout=subprocess.PIPE,
                                        universal_newlines=True).stdout.strip()}

def imports(runner, runs):
    out = []
    for module in ("hss", "huaweicloudsdkhss.v5"):
        argv = [runner.python, PYCLIENTS, "import", module]
        runner.run(argv)  # compiles the .pyc files once, untimed
        secs = [runner.run(argv).get("import_seconds", float("nan")) for _ in range(runs)]
        out.append((module, secs))
    return out

def import_breakdown(runner, module="hss", rows=8):
    """The modules that `import hss` spends most on, from one `python -X importtime` run:
    [(module, self ms, cumulative ms)]."""
    proc = subprocess.run([runner.python, "-X", "importtime", "-c", "import " + module], env=runner.env,
                          stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, universal_newlines=True)
    found = []
    for line in proc.stderr.splitlines():
        m = re.match(r"import time:\s+(\d+) \|\s+(\d+) \| (\s*)(\S+)", line)
        if m:
            found.append((m.group(4), int(m.group(1)) / 1000, int(m.group(2)) / 1000, len(m.group(3)) // 2))
    found.sort(key=lambda row: -row[2])
    return found[:rows]


def _times_table(w, first, rows, digits):
    """A table of [(label, [seconds, ...])]: each row's median and min–max, in ms."""
    w("| %s | median ms | min–max ms |" % first)
    w("|---|---:|---|")
    for label, secs in rows:
        w("| %s | %.*f | %.*f–%.*f |" % (label, digits, med(secs) * 1000, digits, min(secs) * 1000, digits,
                                        max(secs) * 1000))
    w("")


def report_cold_start(w, r, cold_runs, import_runs):
    """The report's Cold start section (cold_start(), dlopen(), imports() and import_breakdown()'s
    figures in r), written with w(line)."""
    w("## Cold start")
    w("")
    w("Whole processes timed by the parent (fork + exec + exit), %d runs each." % cold_runs)
    w("")
    _times_table(w, "process", r["cold"], 2)
    d = r["dlopen"]
    if d["own"] and d["fresh"]:
        w("Library load alone, in process: the time of one `dlopen(\"build/lib/libhss.so.1\", RTLD_NOW)` "
          "(`bench/dlopen.c`, a program linked with neither libhss nor libcurl; mapping, relocation and "
          "initialisers, the static Swift runtime's among them), %d runs each, interleaved:" % len(d["own"]))
        w("")
        _times_table(w, "dlopen", [
            ("libhss.so.1, libcurl (and so OpenSSL) loaded first: libhss's own load", d["own"]),
            ("libhss.so.1 in a fresh process: libcurl, OpenSSL and their dependencies loaded with it", d["fresh"]),
        ], 2)
    w("Python imports (in-process wall clock of the `import` statement, fresh interpreter each run, "
      ".pyc files already compiled; %d runs):" % import_runs)
    w("")
    _times_table(w, "import", [("`import %s`" % module, secs) for module, secs in r["imports"]], 1)
    if r.get("import_breakdown"):
        w("What `import hss` spends its time on (one `python -X importtime` run, which itself adds "
          "some overhead; the library is loaded by `hss._native`):")
        w("")
        w("| module | depth | self ms | cumulative ms |")
        w("|---|---:|---:|---:|")
        for module, self_ms, cum_ms, depth in r["import_breakdown"]:
            w("| `%s` | %d | %.1f | %.1f |" % (module, depth, self_ms, cum_ms))
        w("")


def report_command(w, cli):
    """The report's section on the command against curl (cli()'s figures; nothing without them),
    written with w(line)."""
    if cli:
        w("## One call from the shell: `hss-image-upload-command` vs `curl`")
        w("")
        w("Whole processes (exec, load, one request to the same nginx, print, exit), timed by %s with "
          "`--shell=none`, %d runs of each after 5 warm-up runs, %d times over, alternating; output to "
          "`/dev/null`. `curl` sends the floor's request (the same URL, query and header set with fixed "
          "values); the command signs its own." % (cli["hyperfine"], cli["runs"], cli["reps"]))
        w("")
        w("| command | mean ms | σ ms | median ms | min–max ms | ratio of means |")
        w("|---|---:|---:|---:|---|---:|")
        curl_mean = statistics.mean(cli["times"]["curl"])
        for name in ("curl", "hss-image-upload-command"):
            t = cli["times"][name]
            w("| `%s` | %.2f | %.2f | %.2f | %.2f–%.2f | %s |" % (
                name, statistics.mean(t) * 1000, statistics.stdev(t) * 1000, med(t) * 1000, min(t) * 1000,
                max(t) * 1000, fmt_ratio(statistics.mean(t) / curl_mean)))
        w("")
        w("The commands, as run (the credentials and the password come from the environment):")
        w("")
        w("```")
        for name in ("curl", "hss-image-upload-command"):
            w(cli["commands"][name].replace(ROOT + "/", ""))
        w("```")
        w("")
