"""Calls that do not block (hss.h, "Calls that do not block"), at the C level: Tests/c/test_async.c
against the emulator and two servers of this module, one that accepts connections and never
answers, one whose connections are never accepted (a full backlog: the client stays in connect).

Each case runs in both completion modes (on libhss's engine thread, and dispatched by a poll()
loop on the caller's thread). Latencies are printed by the program and held to a generous
margin (CANCEL_MARGIN_MS: what a loaded 2-core machine needs, not a speed target; those are in
make bench).
"""

import os
import socket
import threading
import time
from pathlib import Path

import pytest
from _hss_testing import DEFAULT_AK as EMULATOR_AK
from _hss_testing import DEFAULT_SK as EMULATOR_SK

TEST_ASYNC_C = Path(__file__).resolve().parent / "c" / "test_async.c"
# A cancel or a deadline ends a call within this (the library's own reaction is milliseconds).
CANCEL_MARGIN_MS = 1000
MODES = ["library-thread", "dispatch"]


@pytest.fixture(scope="session")
def hss_async(build_c, hss_c):
    """Tests/c/test_async.c, compiled, run as hss_c runs test_api.c."""
    return type(hss_c)(build_c(TEST_ASYNC_C, extra=("-pthread",)), hss_c.lib_dir, hss_c.http, hss_c.tmp)


@pytest.fixture(params=MODES)
def mode(request):
    return {"HSS_TEST_DISPATCH": "1" if request.param == "dispatch" else "0"}


class _SilentServer:
    """Accepts every connection, reads what comes and never answers; notes when each connection's
    client closed it (`closed_ms`: time.monotonic, CLOCK_MONOTONIC, as the C program's clock)."""

    def __init__(self):
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(128)
        self.endpoint = "http://127.0.0.1:%d" % self.sock.getsockname()[1]
        self.accepted = []
        self.closed_ms = {}
        self.thread = threading.Thread(target=self._accept, daemon=True)
        self.thread.start()

    def _accept(self):
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            self.accepted.append(conn)
            threading.Thread(target=self._read, args=(len(self.accepted) - 1, conn), daemon=True).start()

    def _read(self, index, conn):
        try:
            while conn.recv(4096):
                pass
        except OSError:
            return
        self.closed_ms[index] = time.monotonic() * 1000

    def close(self):
        self.sock.close()
        for conn in self.accepted:
            conn.close()


@pytest.fixture
def silent_server():
    server = _SilentServer()
    yield server
    server.close()


@pytest.fixture
def blackhole():
    """An endpoint whose connects never complete: a listening socket of backlog 0, filled by one
    connection that is never accepted, so the kernel drops the next SYNs."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(0)
    filler = socket.create_connection(listener.getsockname())
    yield "http://127.0.0.1:%d" % listener.getsockname()[1]
    filler.close()
    listener.close()


def emulator_env(emu, **extra):
    env = {"HSS_TEST_ENDPOINT": emu.endpoint, "HSS_TEST_PROJECT_ID": emu.project_id,
           "HSS_TEST_AK": EMULATOR_AK, "HSS_TEST_SK": EMULATOR_SK}
    env.update(extra)
    return env


def run(hss_async, case, env, **kwargs):
    return hss_async.run(case, env, client=False, **kwargs).check()


def latency(r) -> int:
    return int(r.results["cancel_latency_ms"])


def test_many_calls_complete_once_with_their_own_answers(hss_async, http_emulator, mode):
    before = len(http_emulator.records)
    r = run(hss_async, "complete", emulator_env(http_emulator, HSS_TEST_CALLS="50", **mode))
    assert int(r.results["libhss_threads"]) <= 2
    assert len(http_emulator.records) - before == 50


def test_refused_starts_never_complete(hss_async, http_emulator, mode):
    run(hss_async, "invalid", emulator_env(http_emulator, **mode))


def test_cancel_before_start_sends_nothing(hss_async, http_emulator, mode):
    before = len(http_emulator.records)
    run(hss_async, "cancel_before", emulator_env(http_emulator, **mode))
    assert len(http_emulator.records) == before


@pytest.mark.parametrize("server", ["silent", "blackhole"])
def test_cancel_while_waiting_for_the_server(hss_async, http_emulator, silent_server, blackhole, mode, server):
    """Accepted and never answered, or still connecting: the call ends within the margin of the
    trigger, with HSS_E_CANCELLED, after 1 attempt."""
    endpoint = silent_server.endpoint if server == "silent" else blackhole
    r = run(hss_async, "cancel", emulator_env(http_emulator, HSS_TEST_ENDPOINT=endpoint, **mode))
    assert latency(r) < CANCEL_MARGIN_MS
    assert r.results["attempts"] == b"1"


def test_a_cancelled_transfer_closes_its_connection(hss_async, http_emulator, silent_server, mode):
    """The request was sent and no answer came: cancelling closes that connection (the server sees
    it closed before the next call starts), and the next call of the client opens a new one."""
    r = run(hss_async, "cancel", emulator_env(http_emulator, HSS_TEST_ENDPOINT=silent_server.endpoint,
                                              HSS_TEST_AGAIN="1", **mode))
    assert len(silent_server.accepted) == 2
    assert silent_server.closed_ms[0] < int(r.results["again_started_ms"])


def test_cancel_during_backoff(hss_async, http_emulator, mode):
    """A 503 answer, then a 30 s wait before the retry: the switch, triggered by the trace line
    that announces the wait, ends the call at once."""
    http_emulator.script([{"status": 503}], repeat=True)
    r = run(hss_async, "cancel", emulator_env(
        http_emulator, HSS_TEST_CANCEL_ON="retrying in", HSS_TEST_RETRY_BASE_MS="30000",
        HSS_TEST_RETRY_CAP_MS="30000", HSS_TEST_TIMEOUT_MS="120000", **mode))
    assert latency(r) < CANCEL_MARGIN_MS
    assert r.results["attempts"] == b"1"
    assert len(http_emulator.records) == 1


def test_cancel_while_credentials_are_renewed(hss_async, make_emulator, mode):
    """Temporary keys from the metadata service with 30 minutes left (inside the 40-minute renewal
    margin): the warm-up call fetches them; the next call renews them on libhss's worker, and the
    metadata service takes 5 s to answer. The switch, triggered by the trace line of that request,
    ends the call at once; the renewal goes on without it."""
    emu = make_emulator()
    emu.server.identity.expires_in = 30 * 60
    emu.script(["pass", {"delay": 5}], route="metadata_securitykey")
    env = {"HSS_TEST_ENDPOINT": None, "HUAWEICLOUD_SDK_REGION": emu.region,
           "HUAWEICLOUD_SDK_REGION_HSS_" + emu.region.upper().replace("-", "_"): emu.endpoint,
           "HUAWEICLOUD_SDK_IAM_ENDPOINT": emu.endpoint, "HUAWEICLOUD_SDK_METADATA_ENDPOINT": emu.endpoint,
           "HSS_TEST_WARMUP": "1", "HSS_TEST_CANCEL_ON": "securitykey", "HSS_TEST_TIMEOUT_MS": "60000", **mode}
    r = run(hss_async, "cancel", env)
    assert latency(r) < CANCEL_MARGIN_MS
    assert emu.stats()["metadata_securitykey"] == 2  # the renewal was under way when the call ended


def test_deadline(hss_async, http_emulator, silent_server, mode):
    r = run(hss_async, "one", emulator_env(
        http_emulator, HSS_TEST_ENDPOINT=silent_server.endpoint, HSS_TEST_TIMEOUT_MS="300", **mode))
    assert r.results["status"] == b"timed out"
    assert 300 <= int(r.results["elapsed_ms"]) < 300 + CANCEL_MARGIN_MS


def test_retries_as_the_blocking_call(hss_async, http_emulator, mode):
    """Two 503 answers, then the service's own: three attempts, the waits on the engine's timers."""
    http_emulator.script([{"status": 503}, {"status": 503, "retry_after": 0}])
    r = run(hss_async, "one", emulator_env(http_emulator, HSS_TEST_RETRY_BASE_MS="50", **mode))
    assert r.results["status"] == b"ok"
    assert len(http_emulator.records) == 3


def test_free_with_calls_in_flight(hss_async, http_emulator, silent_server, mode):
    run(hss_async, "free_in_flight", emulator_env(http_emulator, HSS_TEST_SILENT_ENDPOINT=silent_server.endpoint,
                                                  **mode))


def test_free_in_a_library_thread_callback(hss_async, http_emulator, silent_server):
    run(hss_async, "free_in_callback", emulator_env(http_emulator, HSS_TEST_SILENT_ENDPOINT=silent_server.endpoint))


def test_free_of_a_client_that_never_used_the_engine(hss_async, http_emulator):
    """A client of blocking calls only is freed without a trip to the engine: it does not wait for
    another client's callback that holds the engine thread (until this free returns)."""
    run(hss_async, "free_unused", emulator_env(http_emulator))


def test_a_call_started_while_its_client_is_freed_is_refused(hss_async, http_emulator, silent_server, mode):
    """From the callback hss_client_free runs for a call in flight, a start on the same client returns
    HSS_E_CANCELLED, its done never runs, and nothing more is sent (the first call's connection only)."""
    run(hss_async, "start_while_freeing", emulator_env(
        http_emulator, HSS_TEST_SILENT_ENDPOINT=silent_server.endpoint, **mode))
    assert len(silent_server.accepted) <= 1


def test_free_in_a_dispatch_callback(hss_async, http_emulator):
    """The first callback of a dispatched batch frees the client: the batch's other callbacks run
    before that hss_client_free returns."""
    run(hss_async, "free_in_dispatch", emulator_env(http_emulator, HSS_TEST_DISPATCH="1"))


def test_blocking_call_cancelled_from_another_thread(hss_async, http_emulator, silent_server, mode):
    r = run(hss_async, "blocking_cancel", emulator_env(
        http_emulator, HSS_TEST_SILENT_ENDPOINT=silent_server.endpoint, **mode))
    assert latency(r) < CANCEL_MARGIN_MS


def test_fork(hss_async, http_emulator, silent_server, mode):
    """The child has no engine: the parent's call in flight is not continued there, hss_client_free
    does not wait for it, and a new call starts a new engine and completes. In dispatch mode the
    child reuses the number of its copy of the parent's descriptor, which libhss leaves alone."""
    r = run(hss_async, "fork", emulator_env(http_emulator, HSS_TEST_SILENT_ENDPOINT=silent_server.endpoint,
                                            **mode))
    assert 1 <= int(r.results["child_libhss_threads"]) <= 2


def test_fork_while_a_thread_is_in_the_trace_function(hss_async, http_emulator):
    """A thread of the parent's inside the trace function when another forks: hss_client_free in
    the child returns (it does not wait for the gate that thread held in the parent)."""
    run(hss_async, "fork_in_trace", emulator_env(http_emulator))


def test_threads_start_and_cancel(hss_async, http_emulator, mode):
    """8 threads start calls on one client, each with a switch triggered before, just after or never
    (make sanitize runs it under TSan with HSS_STRESS_CALLS / 4 calls per thread)."""
    calls = max(int(os.environ.get("HSS_STRESS_CALLS") or 160) // 4, 1)
    r = run(hss_async, "threads", emulator_env(http_emulator, HSS_TEST_THREADS="8", HSS_TEST_CALLS=str(calls),
                                               **mode), timeout=600)
    assert int(r.results["calls"]) == 8 * calls
    assert int(r.results["libhss_threads"]) <= 2


def test_resolve_through_the_default_chain(hss_async, make_emulator, mode):
    emu = make_emulator()
    env = {"HSS_TEST_ENDPOINT": None, "HUAWEICLOUD_SDK_REGION": emu.region,
           "HUAWEICLOUD_SDK_REGION_HSS_" + emu.region.upper().replace("-", "_"): emu.endpoint,
           "HUAWEICLOUD_SDK_IAM_ENDPOINT": emu.endpoint, "HUAWEICLOUD_SDK_METADATA_ENDPOINT": emu.endpoint, **mode}
    r = run(hss_async, "resolve", env)
    assert r.results["status"] == b"ok"
    assert r.results["project_id"].decode() == emu.project_id


def test_completion_modes(hss_async, http_emulator, mode):
    run(hss_async, "modes", emulator_env(http_emulator, **mode))


def test_a_burst_of_completions_signals_once(hss_async, http_emulator):
    run(hss_async, "burst", emulator_env(http_emulator))


@pytest.mark.parametrize("valgrind", [pytest.param(False, id="plain"),
                                      pytest.param(True, marks=pytest.mark.valgrind, id="valgrind")])
def test_version_1_request(hss_async, http_emulator, valgrind):
    """hss_image_upload_command_start takes a version-1 request (no cancel switch); under
    valgrind, a read beyond version 1's fields is an error."""
    r = hss_async.run("v1_request", emulator_env(http_emulator), client=False, valgrind=valgrind, timeout=300)
    assert r.returncode == 0, r.describe()
