"""Runs every measurement of `make bench` and writes bench/results/ (called by bench/run.sh).

Each measurement is a fresh process that prints "key=value" pairs; timed loops are timed
inside the process (after a warm-up), so process start and client creation are not part of
calls/s. The clients of one table are run interleaved (rep 1 of each, then rep 2 of each,
...) so that a slow phase of the machine hits all of them alike, and every ratio compares
figures from this same run. Nothing here asserts: targets are reported (report.py), met or not.
What the library weighs and executes is library.py's.
"""

import argparse
import datetime
import json
import os
import re
import subprocess
import sys
import time

import async_bench
import library
import report
import startup
from common import BENCH, BIN, LIBDIR, PYCLIENTS, ROOT, fmt_int, log, med
from pyclients import ALGORITHMS


class Runner:
    def __init__(self, endpoint, reps, seconds):
        self.endpoint = endpoint
        self.reps = reps
        self.seconds = seconds
        self.python = sys.executable
        home = os.path.join(BENCH, "home")  # the official SDK writes ~/.huaweicloud/application_id
        os.makedirs(home, exist_ok=True)
        self.env = dict(os.environ)
        self.env.update({
            "HOME": home,
            "LD_LIBRARY_PATH": LIBDIR,
            "HSS_LIBRARY": os.path.join(LIBDIR, "libhss.so.1"),
            "PYTHONPATH": os.path.join(ROOT, "bindings", "python"),
            "PYTHONPYCACHEPREFIX": os.path.join(BENCH, "pycache"),  # keeps bindings/python clean
        })
        self.env.pop("PYTHONDONTWRITEBYTECODE", None)

    def run(self, argv, env=None):
        """Runs argv, returns its "key=value" output as a dict (values as float when numeric)."""
        proc = subprocess.run(argv, env=env or self.env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                              universal_newlines=True)
        out = {}
        for key, value in re.findall(r"(\w+)=(\S+)", proc.stdout):
            try:
                out[key] = float(value)
            except ValueError:
                out[key] = value
        out["_rc"] = proc.returncode
        out["_stdout"] = proc.stdout
        if proc.returncode != 0:
            log("warning: %s exited %d: %s" % (" ".join(argv[:3]), proc.returncode, proc.stderr.strip()[-500:]))
        return out

    # --- the clients -------------------------------------------------------------------------

    def client_argv(self, client, n):
        e = self.endpoint
        signer, _, algorithm = client.partition("/")  # "sign_hss/ALG", "sign_sdk/ALG": one algorithm
        if algorithm:
            return {"sign_hss": [os.path.join(BIN, "hss-sign-bench"), str(n), algorithm],
                    "sign_sdk": [self.python, PYCLIENTS, "sdk-sign", str(n), algorithm]}[signer]
        return {
            "floor": [os.path.join(BIN, "curl_floor"), e, str(n)],
            "c_api": [os.path.join(BIN, "c_api"), e, str(n)],
            "python": [self.python, PYCLIENTS, "binding", e, str(n)],
            "sdk": [self.python, PYCLIENTS, "sdk", e, str(n)],
            "sign_hss": [os.path.join(BIN, "hss-sign-bench"), str(n)],
            "sign_sdk": [self.python, PYCLIENTS, "sdk-sign", str(n)],
            "sign_floor": [os.path.join(BIN, "sign_floor"), str(n)],
            "sign_floor_prepared": [os.path.join(BIN, "sign_floor"), str(n), "prepared"],
        }[client]

    def calibrate(self, client, pilot):
        """N such that one repetition takes about self.seconds."""
        out = self.run(self.client_argv(client, pilot))
        seconds = max(out.get("seconds", 0.0), 1e-6)
        n = int(pilot * self.seconds / seconds)
        return max(min(n, 10_000_000), min(pilot, 100))  # a slow signer's pilot may be below 100

    def measure(self, clients, pilots):
        """Calibrates, then runs each client self.reps times, interleaved. Returns
        {client: {"n", "rates" (per second, one per rep), "errors"}}."""
        results = {}
        for client in clients:
            n = self.calibrate(client, pilots[client])
            results[client] = {"n": n, "rates": [], "errors": 0, "cpu_us": []}
            log("%s: N=%d per repetition" % (client, n))
        for rep in range(self.reps):
            for client in clients:
                r = results[client]
                out = self.run(self.client_argv(client, r["n"]))
                count = out.get("calls", out.get("signatures", 0))
                if out["_rc"] != 0 or "seconds" not in out:
                    r["errors"] += r["n"]
                    continue
                r["errors"] += int(out.get("errors", 0))
                r["rates"].append(count / out["seconds"])
                if "cpu_seconds" in out:
                    r["cpu_us"].append(out["cpu_seconds"] / count * 1e6)
            log("repetition %d/%d done" % (rep + 1, self.reps))
        return results

    def threads(self, counts, n):
        results = {}
        for rep in range(self.reps):
            for t in counts:
                r = results.setdefault(t, {"n": n, "rates": [], "errors": 0, "cpu_us": []})
                out = self.run([os.path.join(BIN, "threads"), self.endpoint, str(t), str(n)])
                if "seconds" not in out:
                    r["errors"] += n
                    continue
                r["errors"] += int(out.get("errors", 0))
                r["rates"].append(out["calls"] / out["seconds"])
                r["cpu_us"].append(out["cpu_seconds"] / out["calls"] * 1e6)
            log("threads repetition %d/%d done" % (rep + 1, self.reps))
        return results

    def memory(self, first=1000, total=100_000):
        out = self.run([os.path.join(BIN, "memory"), self.endpoint, str(first), str(total)])
        rows = [tuple(int(x) for x in m) for m in
                re.findall(r"calls=(\d+) rss_kib=(-?\d+) hwm_kib=(-?\d+)", out["_stdout"])]
        return {"rows": rows, "errors": int(out.get("errors", -1))}

    def signatures(self):
        """The Authorization each signer computes for the fixed date: they must agree."""
        got = {}
        for name, argv in [("libhss", [os.path.join(BIN, "hss-sign-bench"), "check"]),
                           ("official", [self.python, PYCLIENTS, "sdk-sign", "check"]),
                           ("openssl", [os.path.join(BIN, "sign_floor"), "check"])]:
            got[name] = subprocess.run(argv, env=self.env, stdout=subprocess.PIPE,
                                       universal_newlines=True).stdout.strip()
        return got

    def algorithm_checks(self):
        """Per algorithm but SDK-HMAC-SHA256 (signatures() checks it): the Authorization libhss and
        the official signer compute for the fixed date, and whether they agree: byte for byte, or
        for ECDSA and SM2 (random signatures) up to the signature, which the official key must
        verify."""
        checks = {}
        for algorithm in ALGORITHMS[1:]:
            got = {}
            for name, argv in [("libhss", [os.path.join(BIN, "hss-sign-bench"), "check", algorithm]),
                               ("official", [self.python, PYCLIENTS, "sdk-sign", "check", algorithm])]:
                got[name] = subprocess.run(argv, env=self.env, stdout=subprocess.PIPE,
                                           universal_newlines=True).stdout.strip()
            if algorithm in ("SDK-ECDSA-P256-SHA256", "SDK-SM2-SM3"):
                same = got["libhss"].rpartition("Signature=")[0] == got["official"].rpartition("Signature=")[0]
                verified = self.run([self.python, PYCLIENTS, "sdk-verify", algorithm, got["libhss"]]).get("verified")
                got["agree"] = bool(got["libhss"]) and same and verified == 1
            else:
                got["agree"] = bool(got["libhss"]) and got["libhss"] == got["official"]
            checks[algorithm] = got
        return checks

    # --- profile -----------------------------------------------------------------------------


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--endpoint", required=True)
    ap.add_argument("--out", default=os.path.join(ROOT, "bench", "results"))
    ap.add_argument("--reps", type=int, default=int(os.environ.get("BENCH_REPS", "5")))
    ap.add_argument("--seconds", type=float, default=float(os.environ.get("BENCH_SECONDS", "1.5")))
    ap.add_argument("--cold-runs", type=int, default=20)
    ap.add_argument("--import-runs", type=int, default=10)
    ap.add_argument("--memory-calls", type=int, default=int(os.environ.get("BENCH_MEMORY_CALLS", "100000")))
    ap.add_argument("--cli-runs", type=int, default=40, help="hyperfine runs of each command per repetition")
    ap.add_argument("--profile-calls", type=int, default=2000)
    ap.add_argument("--profile-rows", type=int, default=30)
    ap.add_argument("--only", choices=["async"], help="run only these measurements, and put them into the last "
                    "run's latest.md and latest.json (bench/async_bench.py)")
    args = ap.parse_args()
    if args.reps < 1:
        ap.error("--reps must be at least 1")

    t0 = time.monotonic()
    runner = Runner(args.endpoint, args.reps, args.seconds)
    if args.only == "async":
        measured = async_bench.measure(runner, BIN, PYCLIENTS)
        async_bench.splice(args.out, measured)
        log("put the calls that do not block into %s (%.0f s)" % (os.path.join(args.out, "latest.md"),
                                                                  time.monotonic() - t0))
        print("\n".join(async_bench.section(measured, alone=True)))
        print("\n".join(async_bench.table_rows(async_bench.targets(measured))))
        return
    r = {"started": datetime.datetime.now(datetime.timezone.utc)}

    sigs = runner.signatures()
    r["signatures_agree"] = len(set(sigs.values())) == 1 and all(sigs.values())
    log("signatures agree: %s" % r["signatures_agree"])
    if not r["signatures_agree"]:
        for k, v in sigs.items():
            log("  %s: %s" % (k, v))

    r["algorithm_checks"] = runner.algorithm_checks()
    for algorithm, check in r["algorithm_checks"].items():
        log("%s: libhss and the official signer agree: %s" % (algorithm, check["agree"]))
        if not check["agree"]:
            log("  libhss: %s\n  official: %s" % (check["libhss"], check["official"]))

    log("1-4: calls through the API")
    r["calls"] = runner.measure(["floor", "c_api", "python", "sdk"],
                                {"floor": 2000, "c_api": 2000, "python": 1000, "sdk": 200})
    log("5: signing alone")
    r["sign"] = runner.measure(["sign_floor_prepared", "sign_floor", "sign_hss", "sign_sdk"],
                               {"sign_floor_prepared": 100000, "sign_floor": 50000, "sign_hss": 20000,
                                "sign_sdk": 3000})
    log("5b: signing per algorithm")
    pilots = {}  # the official ECDSA and SM2 signers take about 0.1 s a signature
    for algorithm in ALGORITHMS[1:]:
        slow = algorithm in ("SDK-ECDSA-P256-SHA256", "SDK-SM2-SM3")
        pilots["sign_hss/" + algorithm] = 2000 if slow else 20000
        pilots["sign_sdk/" + algorithm] = 10 if slow else 3000
    r["sign"].update(runner.measure(list(pilots), pilots))
    log("6: threads")
    n_threads = max(int(med(r["calls"]["c_api"]["rates"]) * args.seconds), 800)
    r["threads"] = runner.threads([1, 2, 4, 8], n_threads)
    log("6b: calls that do not block")
    r["async"] = async_bench.measure(runner, BIN, PYCLIENTS)
    log("7: memory over %d calls" % args.memory_calls)
    r["memory"] = runner.memory(1000, args.memory_calls)
    log("8: cold start, dlopen and imports")
    r["cold"] = startup.cold_start(runner, args.cold_runs)
    r["dlopen"] = startup.dlopen(runner, args.cold_runs)
    r["imports"] = startup.imports(runner, args.import_runs)
    r["import_breakdown"] = startup.import_breakdown(runner)
    log("9: one call of hss-image-upload-command vs curl, whole processes (hyperfine)")
    r["cli"] = startup.cli(runner, args.reps, args.cli_runs)
    log("10: library size")
    r["size"] = library.library_size()
    log("11: instructions per call (callgrind over %d calls)" % args.profile_calls)
    r["profile"] = library.profile(runner.env, runner.endpoint, args.profile_calls)
    if r["profile"]:
        p = r["profile"]
        log("instructions per call beyond the floor: %s (C API %s, floor %s; target <= %s)" % (
            fmt_int(p["beyond_floor"]), fmt_int(p["c_api_ir"] / p["calls"]), fmt_int(p["floor_ir"] / p["calls"]),
            fmt_int(report.TARGETS["instructions"])))
    r["machine"] = report.machine()
    r["targets"] = report.targets(r)

    os.makedirs(args.out, exist_ok=True)
    r["elapsed"] = time.monotonic() - t0
    text = report.report(args, r)
    report.chart([(label, r["calls"][key]["rates"]) for key, label in
           [("floor", "bare libcurl (floor)"), ("c_api", "libhss C API"),
            ("python", "libhss Python binding"), ("sdk", "official Python SDK")]],
          os.path.join(args.out, "calls_per_second.png"))
    with open(os.path.join(args.out, "latest.md"), "w") as f:
        f.write(text)
    raw = {key: r[key] for key in ("calls", "sign", "memory", "cold", "dlopen", "imports", "cli", "size",
                                   "machine", "signatures_agree", "algorithm_checks", "targets")}
    raw["threads"] = {str(t): v for t, v in r["threads"].items()}
    raw["async"] = async_bench.raw(r["async"])
    raw["started"] = r["started"].isoformat()
    if r["profile"]:
        raw["profile_instructions_per_call"] = {
            "c_api": r["profile"]["c_api_ir"] / args.profile_calls,
            "floor": r["profile"]["floor_ir"] / args.profile_calls,
            "beyond_floor": r["profile"]["beyond_floor"]}
    with open(os.path.join(args.out, "latest.json"), "w") as f:
        json.dump(raw, f, indent=1, sort_keys=True)
    log("wrote %s, latest.json and calls_per_second.png (%.0f s)" % (os.path.join(args.out, "latest.md"), r["elapsed"]))
    print()
    print(text[text.index("## Calls through the API"):text.index("## Signing alone")])
    print("Targets, one line each (also at the top of bench/results/latest.md):")
    for t in r["targets"]:
        met = "not measured" if t["met"] is None else "met" if t["met"] else "MISSED"
        print("  %-12s %s: %s (target %s)" % ("[" + met + "]", t["measure"].replace("`", ""), t["shown"], t["target"]))


if __name__ == "__main__":
    main()
