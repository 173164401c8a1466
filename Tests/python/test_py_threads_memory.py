"""One client shared by threads, closing under load, and no memory growth over many calls."""

import ctypes
import gc
import os
import threading
import time
import tracemalloc

import pytest
from hss_testsupport import AK, GOOD, SK, expected_image_command

import hss

THREADS, CALLS = 8, 200


def test_threads_share_one_client(http_emulator):
    client = hss.Client(endpoint=http_emulator.endpoint, project_id="proj-threads", ak=AK, sk=SK)
    before = http_emulator.stats()
    errors, done = [], []
    barrier = threading.Barrier(THREADS)

    def worker(n):
        params = dict(GOOD, username="user-%d" % n, password="pw-%d &=+%%/~ é" % n)
        expected = expected_image_command(**params)
        barrier.wait()
        try:
            for _ in range(CALLS):
                result = client.get_image_upload_command(**params)
                if result.image_command != expected:  # no cross-talk between threads
                    errors.append("thread %d got %d chars" % (n, len(result.image_command)))
                    return
            done.append(n)
        except Exception as e:  # noqa: BLE001 - reported below
            errors.append("thread %d: %r" % (n, e))

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(THREADS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    client.close()
    after = http_emulator.stats()

    assert errors == []
    assert sorted(done) == list(range(THREADS))
    assert after["requests"] - before["requests"] == THREADS * CALLS
    # The connection pool is reused: nowhere near one connection per call.
    assert after["connections"] - before["connections"] <= 2 * THREADS


def test_close_while_threads_are_calling(http_emulator):
    client = hss.Client(endpoint=http_emulator.endpoint, project_id="proj-close", ak=AK, sk=SK)
    outcomes, unexpected = [], []
    started = threading.Barrier(THREADS + 1)

    def worker():
        started.wait()
        try:
            while True:
                client.get_image_upload_command(**GOOD)
        except hss.ClientClosedError:
            outcomes.append("closed")
        except Exception as e:  # noqa: BLE001
            unexpected.append(repr(e))

    threads = [threading.Thread(target=worker) for _ in range(THREADS)]
    for t in threads:
        t.start()
    started.wait()
    time.sleep(0.2)
    client.close()  # in-flight calls finish; the last one frees the handle
    for t in threads:
        t.join(30)
    assert unexpected == []
    assert outcomes == ["closed"] * THREADS
    assert client._handle is None  # freed once the last call returned
    client.close()


class _MallInfo2(ctypes.Structure):
    _fields_ = [(name, ctypes.c_size_t) for name in
                "arena ordblks smblks hblks hblkhd usmblks fsmblks uordblks fordblks keepcost".split()]


def _malloc_in_use():
    """Bytes malloc() has handed out and not taken back (glibc >= 2.33), else None.

    Unlike RSS this is exact, so it catches small leaks in the C library, such as an error
    object not freed."""
    try:
        mallinfo2 = ctypes.CDLL(None).mallinfo2
    except AttributeError:
        return None
    mallinfo2.restype = _MallInfo2
    info = mallinfo2()
    return info.uordblks + info.hblkhd


def _rss_bytes():
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


@pytest.mark.soak
@pytest.mark.skipif(not os.path.exists("/proc/self/statm"), reason="needs /proc")
def test_no_memory_growth_over_10000_calls(emulator_process):
    # The emulator runs in a child process so that only this process's memory is measured.
    ok = hss.Client(endpoint=emulator_process.endpoint, project_id="proj-mem", ak=AK, sk=SK)
    failing = hss.Client(endpoint=emulator_process.endpoint, project_id="emu-status-429", ak=AK, sk=SK,
                         max_attempts=1)
    params = dict(GOOD, namespace="ns é &=+%/~", password="pw-memory &=+%/~ é")

    def round_(calls):
        for i in range(calls):
            if i % 5 == 4:  # errors too: their hss_error objects must be freed
                try:
                    failing.get_image_upload_command(**params)
                except hss.ClientRequestError:
                    pass
                else:
                    raise AssertionError("expected a 429")
            else:
                result = ok.get_image_upload_command(**params)
                assert result.swr_image_pull_command
            if i % 1000 == 999:  # also invalid arguments (no traffic)
                with pytest.raises(hss.InvalidArgumentError):
                    ok.get_image_upload_command(**dict(params, password=""))

    round_(1000)  # warm-up: connection pool, allocator arenas, caches
    gc.collect()
    tracemalloc.start()
    try:
        traced_before = tracemalloc.get_traced_memory()[0]
        rss_before = _rss_bytes()
        malloc_before = _malloc_in_use()
        start = time.monotonic()
        round_(10_000)
        elapsed = time.monotonic() - start
        gc.collect()
        rss_after = _rss_bytes()
        malloc_after = _malloc_in_use()
        traced_after = tracemalloc.get_traced_memory()[0]
    finally:
        tracemalloc.stop()
    ok.close()
    failing.close()

    rss_growth = rss_after - rss_before
    traced_growth = traced_after - traced_before
    malloc_growth = None if malloc_before is None else malloc_after - malloc_before
    print("10,000 calls in %.1f s; RSS %+d KiB; tracemalloc %+d KiB; malloc %s KiB"
          % (elapsed, rss_growth // 1024, traced_growth // 1024,
             "n/a" if malloc_growth is None else "%+d" % (malloc_growth // 1024)))
    assert rss_growth < 2 * 1024 * 1024, "RSS grew by %d KiB" % (rss_growth // 1024)
    assert traced_growth < 100 * 1024, "Python heap grew by %d KiB" % (traced_growth // 1024)
    if malloc_growth is not None:  # 2,000 leaked error objects are ~1.2 MiB
        assert malloc_growth < 128 * 1024, "malloc heap grew by %d KiB" % (malloc_growth // 1024)
