"""Issue 14: 64 threads on one client, and `make sanitize`'s proof of itself (Tests/sanitize/run.sh).

    stress          64 threads share one client and make HSS_STRESS_CALLS calls each (default 20
                    here; make sanitize makes it 1,000 under TSan: 64,000 calls) against the
                    emulator, which checks every signature: every call succeeds with its own
                    caller's answer (Tests/c/test_api.c's threads case), each reaches the emulator
                    once, over at most one connection per thread (plus reconnections after the
                    emulator closed one idle: see the test).

Under make sanitize only (HSS_SANITIZE=address or thread; skipped otherwise):
    instrumented    the library under test is the sanitized build, not build/lib's
    planted bug     a bug of each kind the sanitizer covers, in a program built like the tests'
                    (Tests/sanitize/planted.c), is reported in the log directory: the net that
                    must stay empty would catch it
    valgrind cases  the cases test_c_api.py runs under valgrind (which cannot run a sanitized
                    program), here under the sanitizer
    Swift Mutex     (TSan) Tests/sanitize/swift_mutex_tsan.c removes exactly the false reports of
                    a contended Mutex: without it TSan reports counting under a Mutex as a race,
                    with it not, and a counter beside the Mutex is still reported (one hand-over
                    through the slow paths, made certain: Tests/sanitize/mutex_race.swift)
"""

import os
import subprocess
from pathlib import Path

import pytest

SANITIZE = os.environ.get("HSS_SANITIZE")
SANITIZE_DIR = Path(__file__).resolve().parent / "sanitize"
PLANTED_C = SANITIZE_DIR / "planted.c"
only_sanitized = pytest.mark.skipif(not SANITIZE, reason="make sanitize only (HSS_SANITIZE is not set)")


def test_64_threads_share_one_client(hss_c, make_emulator):
    threads, calls = 64, int(os.environ.get("HSS_STRESS_CALLS") or 20)
    with make_emulator() as emu:  # its backlog holds 64 connects at once (request_queue_size)
        # The timeout only ends a hang: 100 calls/s, a tenth of what TSan makes on 2 busy cores.
        r = hss_c.run("threads", {"HSS_TEST_ENDPOINT": emu.endpoint, "HSS_TEST_THREADS": threads,
                                  "HSS_TEST_CALLS": calls}, timeout=max(120, threads * calls / 100)).check()
        stats = emu.stats()
    print("%d threads x %d calls: %.1f s, %d connections, %d dropped idle" % (
        threads, calls, r.elapsed, stats["connections"], stats["dropped_idle"]))
    assert r.results["threads_ok"] == str(threads * calls).encode()
    assert r.errors == []
    assert stats["requests"] == threads * calls
    # A connection per thread at most, and one more for each the emulator closed after a minute
    # idle: the pool hands out the most recently used first, so the ones at its bottom wait while
    # fewer threads than connections are mid-call, and how long depends on the machine's load.
    # libcurl then connects again. (Its own idle limit, 118 s, is longer than the emulator's.)
    assert stats["connections"] <= threads + stats["dropped_idle"], stats


# ----------------------------------------------------------------------------- make sanitize only

@only_sanitized
def test_library_is_instrumented(lib_dir):
    symbols = subprocess.run(["nm", "-D", str(lib_dir / "libhss.so.1")], capture_output=True, text=True,
                             check=True).stdout
    wanted = ["__asan_init", "__ubsan_handle_"] if SANITIZE == "address" else ["__tsan_init"]
    for name in wanted:
        assert " U " + name in symbols, "%s: not built with -sanitize=%s" % (lib_dir, SANITIZE)


PLANTED = {  # kind -> what its report says
    "address": {"heap-overflow": "heap-buffer-overflow", "leak": "detected memory leaks",
                "overflow": "signed integer overflow"},
    "thread": {"race": "data race"},
}


@only_sanitized
@pytest.mark.parametrize("kind", sorted(set().union(*PLANTED.values())))
def test_planted_bug_is_reported(build_c, hss_c, tmp_path, monkeypatch, kind):
    if kind not in PLANTED[SANITIZE]:
        pytest.skip("not a %s sanitizer's bug" % SANITIZE)
    # A log directory of its own (Tests/sanitize/cc builds it in), and so a build of its own.
    monkeypatch.setenv("HSS_SANITIZE_LOG", str(tmp_path))
    exe = build_c(PLANTED_C, name="planted-" + kind, extra=("-pthread", "-DPLANTED=" + kind))
    proc = subprocess.run([str(exe), kind], env=hss_c.base_env(), capture_output=True, timeout=60)
    reports = [p.read_text(errors="replace") for p in tmp_path.glob("report.*")]
    assert proc.returncode != 0, "the planted %s did not fail the program" % kind
    assert len(reports) == 1 and PLANTED[SANITIZE][kind] in reports[0], reports


@only_sanitized
@pytest.mark.parametrize("case", ["init", "v1_structs", "gerror"])
def test_valgrind_cases(hss_c, case):
    hss_c.run(case).check()


@only_sanitized
@pytest.mark.skipif(SANITIZE != "thread", reason="TSan only")
def test_swift_mutex_wrappers_hide_only_the_false_races(tmp_path):
    toolchain = Path(os.environ["HSS_SANITIZE_CLANG"]).parent
    wrappers = tmp_path / "swift_mutex_tsan.o"
    subprocess.run([str(toolchain / "clang"), "-c", "-fsanitize=thread", "-o", str(wrappers),
                    str(SANITIZE_DIR / "swift_mutex_tsan.c")], check=True)

    def run(extra, *args):
        exe = tmp_path / ("mutex_race" + ("_wrapped" if extra else ""))
        if not exe.exists():
            subprocess.run([str(toolchain / "swiftc"), "-sanitize=thread", "-O", "-o", str(exe),
                            str(SANITIZE_DIR / "mutex_race.swift"), *extra], check=True)
        # Two locks and a wait for a thread to block: well under a second, 2 s on 2 cores with
        # 6 busy loops beside it; the timeout only ends a hang.
        proc = subprocess.run([str(exe), *args], capture_output=True, text=True, timeout=120)
        assert proc.stdout == "2\n", proc.stderr
        return proc.returncode, proc.stderr.count("WARNING: ThreadSanitizer: ") > 0

    assert run([]) == (66, True), "a contended Mutex no longer looks racy to TSan: are the wrappers still needed?"
    assert run([str(wrappers), "-ldl"]) == (0, False)
    assert run([str(wrappers), "-ldl"], "race") == (66, True)
