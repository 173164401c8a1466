"""make bench's calls that do not block (issue 25), for bench/driver.py: measured, reported in
bench/results/latest.md's section "Calls that do not block" and in its targets table.

    C, 1,000 in flight   bench/async.c inflight: one client, 1,000 calls in flight at every moment
                         against the local nginx, completions on libhss's engine thread; errors and
                         the threads of libhss's own it ran (named hss-*)
    C, blocking          bench/threads.c: the blocking API on as many threads as libhss used above
    cancel latency       bench/async.c cancel: a call to a server that never answers, cancelled 2 ms
                         after it started, 1,000 times: hss_cancel_trigger to its callback
    asyncio              bench/pyclients.py async-binding: hss.AsyncClient, 1,000 calls in flight;
                         the longest one callback of the event loop held it
    official SDK         bench/pyclients.py async-sdk: huaweicloudsdkhss's HssAsyncClient, its
                         futures awaited from asyncio through the loop's default executor

`bench/driver.py --only async` runs these alone and puts their section and target rows into the
existing latest.md (and latest.json) in place of the last run's: a short run for this part only.
"""

import datetime
import json
import os
import re

from common import fmt_int, med

IN_FLIGHT = 1000
CALLS = 20_000  # per repetition, libhss's
SDK_CALLS = 2_000  # per repetition, the official SDK's (about 20 times slower)
CANCELS = 1_000
TARGETS = {"libhss_threads": 2, "cancel_p99_ms": 10.0, "loop_stall_ms": 5.0}
SECTION = "## Calls that do not block"


def measure(runner, bin_dir, pyclients):
    """Every repetition runs each measurement once, interleaved (see driver.py)."""
    e = runner.endpoint
    a = {"in_flight": IN_FLIGHT, "c": [], "blocking": [], "cancel": [], "python": [], "sdk": [], "reps": runner.reps,
         "started": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M")}
    for rep in range(runner.reps):
        c = runner.run([os.path.join(bin_dir, "async"), "inflight", e, str(IN_FLIGHT), str(CALLS)])
        a["c"].append(c)
        threads = int(c.get("libhss_threads", 2)) or 1
        a["blocking"].append(runner.run([os.path.join(bin_dir, "threads"), e, str(threads), str(CALLS)]))
        a["cancel"].append(runner.run([os.path.join(bin_dir, "async"), "cancel", str(CANCELS)]))
        a["python"].append(runner.run([runner.python, pyclients, "async-binding", e, str(CALLS), str(IN_FLIGHT)]))
        a["sdk"].append(runner.run([runner.python, pyclients, "async-sdk", e, str(SDK_CALLS), str(IN_FLIGHT)]))
        print("[bench] calls that do not block: repetition %d/%d done" % (rep + 1, runner.reps), flush=True)
    return a


def _rates(runs):
    return [r["calls"] / r["seconds"] for r in runs if r.get("_rc") == 0 and "seconds" in r]


def _errors(runs, n):
    return sum(int(r.get("errors", 0)) if "seconds" in r or "p99_ms" in r else n for r in runs)


def _values(runs, key):
    return [r[key] for r in runs if isinstance(r.get(key), float)]


def targets(a):
    """The rows of the targets table (report.targets()'s shape)."""
    rows = []

    def row(measure, value, shown, goal, target):
        met = None if value is None or value != value else value <= goal
        rows.append({"measure": measure, "value": value, "shown": shown if met is not None else "not measured",
                     "target": target, "met": met})

    threads = max(_values(a["c"], "libhss_threads") or [float("nan")])
    errors = _errors(a["c"], CALLS)
    row("1,000 calls in flight: errors, libhss's own threads", threads if errors == 0 else float("inf"),
        "%d errors, %d threads" % (errors, threads), TARGETS["libhss_threads"], "0 errors, ≤ 2 threads")
    p99 = max(_values(a["cancel"], "p99_ms") or [float("nan")])
    row("cancel latency p99 (trigger to callback; the worst repetition)", p99, "%.2f ms" % p99,
        TARGETS["cancel_p99_ms"], "< %.0f ms" % TARGETS["cancel_p99_ms"])
    own = med(_values(a["python"], "max_stall_own_ms"))
    stall = med(_values(a["python"], "max_stall_ms"))
    pause = med(_values(a["python"], "max_gc_pause_ms"))
    row("asyncio: the event loop's longest stall, 1,000 calls in flight (a callback's own time)", own,
        "%.1f ms (wall-clock %.1f ms: the rest its thread waiting for a CPU other threads had, or its virtual "
        "CPU stopped by the host; Python's garbage collector's longest pause %.1f ms)" % (own, stall, pause),
        TARGETS["loop_stall_ms"], "< %.0f ms" % TARGETS["loop_stall_ms"])
    return rows


def section(a, alone=False):
    """The section's lines (`alone`: measured by --only async, on another day than the rest)."""
    w = []
    c_rates, b_rates = _rates(a["c"]), _rates(a["blocking"])
    threads = max(_values(a["c"], "libhss_threads") or [0])
    w.append(SECTION)
    w.append("")
    w.append("Calls started with `hss_image_upload_command_start` (C) or awaited on `hss.AsyncClient` (asyncio): "
             "%s of them in flight at every moment (each completion starts the next), one client, against the "
             "local nginx; %s calls per repetition (the official SDK: %s). Median over the repetitions; min–max "
             "beside it." % (fmt_int(IN_FLIGHT), fmt_int(CALLS), fmt_int(SDK_CALLS)))
    if alone:
        w.append("")
        w.append("Measured on %s (UTC) by `bench/driver.py --only async` (as `bench/run.sh --only async` runs "
                 "it), %d repetitions, apart from the rest of this file." % (a["started"], a["reps"]))
    w.append("")
    w.append("| client | calls/s | min–max | errors | threads of the library's own | client CPU µs/call |")
    w.append("|---|---:|---|---:|---:|---:|")

    def line(label, runs, n, threads_shown):
        rates = _rates(runs)
        cpu = [r["cpu_seconds"] / r["calls"] * 1e6 for r in runs if "cpu_seconds" in r and r.get("calls")]
        w.append("| %s | %s | %s–%s | %d | %s | %.1f |" % (
            label, fmt_int(med(rates)) if rates else "—", fmt_int(min(rates)) if rates else "—",
            fmt_int(max(rates)) if rates else "—", _errors(runs, n), threads_shown, med(cpu) if cpu else float("nan")))

    line("libhss C API, 1,000 in flight (engine thread)", a["c"], CALLS, "%d" % threads)
    line("libhss C API, blocking, %d threads" % threads, a["blocking"], CALLS, "— (%d of the caller's)" % threads)
    line("`hss.AsyncClient`, 1,000 in flight", a["python"], CALLS,
         "%d in all (the loop's and libhss's)" % max(_values(a["python"], "threads") or [0]))
    line("official SDK `HssAsyncClient`, 1,000 in flight", a["sdk"], SDK_CALLS,
         "%d in all (its pool of 8, the loop's executor)" % max(_values(a["sdk"], "threads") or [0]))
    w.append("")
    if c_rates and b_rates:
        w.append("With 1,000 calls in flight libhss ran %d threads of its own (the engine, and the worker that "
                 "fetched the session once); the blocking API on as many threads made %s calls/s, the calls that "
                 "do not block %.2f× that." % (threads, fmt_int(med(b_rates)), med(c_rates) / med(b_rates)))
        w.append("")
    w.append("Cancel latency: %s calls to a server of `bench/async.c` that accepts and never answers, each "
             "cancelled 2 ms after it started; the time from `hss_cancel_trigger` to the call's callback "
             "(library thread):" % fmt_int(CANCELS))
    w.append("")
    w.append("| repetition | p50 ms | p99 ms | max ms | not HSS_E_CANCELLED |")
    w.append("|---:|---:|---:|---:|---:|")
    for i, r in enumerate(a["cancel"], 1):
        if "p99_ms" in r:
            w.append("| %d | %.3f | %.3f | %.3f | %d |" % (i, r["p50_ms"], r["p99_ms"], r["max_ms"], r["errors"]))
        else:
            w.append("| %d | — | — | — | failed |" % i)
    w.append("")
    w.append("The event loop (asyncio, %s calls in flight): the longest one callback held it — the library's "
             "descriptor dispatched, a slice of futures settled, a task's step — in wall-clock time, and its own "
             "time: what the loop's thread spent on it (its CPU time, and whatever it slept on), not the time the "
             "kernel kept the thread waiting on a runqueue while other threads had the CPUs, nor the time the "
             "host of this virtual machine stopped its CPU while the thread was not switched out "
             "(`/proc/thread-self/schedstat`; see `bench/pyclients.py`); and the longest a 1 ms ticker task woke "
             "up late, which also counts the queue of ready callbacks (1,000 tasks' steps) ahead of it:" %
             fmt_int(IN_FLIGHT))
    w.append("")
    w.append("| client | longest callback ms | its own time | less the collector's pauses | the collector's "
             "longest pause | ticker's longest lateness ms | load average | host's steal ms (s of calls) |")
    w.append("|---|---:|---:|---:|---:|---:|---:|---:|")
    for label, runs in (("`hss.AsyncClient`", a["python"]), ("official SDK `HssAsyncClient`", a["sdk"])):
        w.append("| %s | %.1f | %.1f | %.1f | %.1f | %.1f | %.1f | %.0f (%.1f) |" % (
            label, med(_values(runs, "max_stall_ms")), med(_values(runs, "max_stall_own_ms")),
            med(_values(runs, "max_stall_no_gc_ms")), med(_values(runs, "max_gc_pause_ms")),
            med(_values(runs, "max_lag_ms")), med(_values(runs, "load")), med(_values(runs, "steal_ms")),
            med(_values(runs, "seconds"))))
    w.append("")
    w.append("The collector's pauses are Python's cyclic garbage collector walking the heap (1,000 tasks, their "
             "frames and futures); the callbacks beside them are the library's descriptor dispatched (a burst of "
             "completions, each only noted there), a slice of futures settled, a task's step. The loop's thread "
             "shares this machine's %d CPUs with nginx's 2 workers, libhss's engine and the kernel's own threads, "
             "all busy, and the host of this virtual machine takes its CPUs at times (its steal, over the whole "
             "run, in the last column): what the wall-clock figure has beyond the callback's own time is the "
             "loop's thread waiting for one of them. The target is judged on the own time." %
             (os.cpu_count() or 0))
    w.append("")
    return w


def table_rows(rows):
    """Target rows as the targets table shows them."""
    return ["| %s | %s | %s | %s |" % (t["measure"], t["shown"], t["target"],
                                      "n/a" if t["met"] is None else "yes" if t["met"] else "**no**") for t in rows]


def raw(a):
    """For latest.json: the measurements without the programs' output."""
    return {k: ([{kk: vv for kk, vv in r.items() if not kk.startswith("_")} for r in v] if isinstance(v, list)
                else v) for k, v in a.items()}


def splice(out_dir, a):
    """--only async: this run's section and target rows in place of the last run's in latest.md."""
    path = os.path.join(out_dir, "latest.md")
    with open(path) as f:
        text = f.read()
    text = re.sub(r"\n%s\n.*?(?=\n## )" % re.escape(SECTION), "", text, flags=re.S)
    measures = {t["measure"] for t in targets(a)}
    lines = [line for line in text.split("\n") if line.split(" | ")[0][2:] not in measures]
    end = lines.index("## Targets (reported, not asserted)") + 1
    while not lines[end].startswith("## "):
        end += 1
    while not lines[end - 1].startswith("| "):  # the table's last row
        end -= 1
    lines[end:end] = table_rows(targets(a))
    text = "\n".join(lines)
    anchor = text.index("\n## Memory")
    text = text[:anchor] + "\n" + "\n".join(section(a, alone=True)) + text[anchor:]
    with open(path, "w") as f:
        f.write(text)
    json_path = os.path.join(out_dir, "latest.json")
    data = json.load(open(json_path)) if os.path.exists(json_path) else {}
    data["async"] = raw(a)
    with open(json_path, "w") as f:
        json.dump(data, f, indent=1, sort_keys=True)
