"""hss.AsyncClient: the binding's own code for asyncio (bindings/python/hss/_async.py).

What the library does for every call that does not block (retries, deadlines, cancel, fork,
hss_client_free with calls in flight) is tested once, at the C level (Tests/test_async.py); the
redaction suite runs through AsyncClient too (test_py_redaction.py). Here: that the binding
resolves each awaited call from its completion on the loop's thread, with the same results and
exceptions as hss.Client, that cancelling the task cancels the library's call, that close() ends
the calls in flight, and that the loop is never blocked.
"""

import asyncio
import inspect
import select
import time

import pytest
from hss_testsupport import BINDING_DIR, GOOD, clean_env, expected_image_command, run_python

import hss
from hss import _async

# A delayed answer outlives a cancelled call by far: a call the library really stopped completes
# (its late completion dropped) within CANCEL_MARGIN_S; one it did not would wait the delay.
SERVER_DELAY_S = 10
CANCEL_MARGIN_S = 1.0
# The most CPU time one callback of the loop may take: a margin far above what one takes, not a
# speed target (make bench measures the loop's longest stall).
STALL_MARGIN_S = 0.1


@pytest.fixture
def make_async(make_client):
    return lambda **overrides: make_client(cls=hss.AsyncClient, **overrides)


def test_same_keywords_as_the_blocking_client():
    assert inspect.signature(hss.AsyncClient).parameters == inspect.signature(hss.Client).parameters


def test_import_hss_does_not_load_asyncio():
    r = run_python("import sys, hss; print('asyncio' in sys.modules); hss.AsyncClient; print('asyncio' in sys.modules)",
                   clean_env(HSS_LIBRARY=hss.library_path(), PYTHONPATH=BINDING_DIR))
    assert r.stdout.split() == ["False", "True"], r.stderr


def test_calls_in_flight_at_once_get_their_own_answers(make_async):
    client = make_async()

    async def main():
        calls = [client.get_image_upload_command(**dict(GOOD, username="user-%d" % i)) for i in range(100)]
        return await asyncio.gather(*calls)

    results = asyncio.run(main())
    for i, result in enumerate(results):
        assert type(result) is hss.ImageUploadCommand
        assert result.image_command == expected_image_command(**dict(GOOD, username="user-%d" % i))
    assert GOOD["password"] not in repr(results[0])
    assert _async._calls == {}


def test_same_exceptions_as_the_blocking_client(make_async, http_emulator):
    client = make_async()
    http_emulator.script([{"status": 403, "error_code": "HSS.1234", "error_msg": "denied"}])

    async def main():
        with pytest.raises(hss.InvalidArgumentError, match="password"):  # refused before any traffic
            await client.get_image_upload_command(**dict(GOOD, password=""))
        # The binding's own checks too (hss._options._encode_request, shared with hss.Client).
        with pytest.raises(hss.InvalidArgumentError, match="password must not contain NUL"):
            await client.get_image_upload_command(**dict(GOOD, password="a\x00b"))
        with pytest.raises(TypeError, match="namespace must be a str"):
            await client.get_image_upload_command(**dict(GOOD, namespace=b"bytes"))
        with pytest.raises(hss.ClientRequestError) as info:
            await client.get_image_upload_command(**GOOD)
        return info.value

    e = asyncio.run(main())
    assert (e.status, e.status_code, e.error_code, e.error_msg) == (hss.Status.HTTP_CLIENT, 403, "HSS.1234", "denied")
    assert len(http_emulator.records) == 1


def test_dry_run(make_async):
    async def main():
        with pytest.raises(hss.DryRunError) as info:
            await make_async(dry_run=True).get_image_upload_command(**GOOD)
        return info.value

    assert "password=***" in asyncio.run(main()).request


def test_cancelling_the_task_cancels_the_call(make_async, http_emulator):
    """task.cancel() and asyncio.timeout both end the library's call: its completion (dropped)
    comes long before the delayed answer would; the client works on."""
    client = make_async()
    http_emulator.script([{"delay": SERVER_DELAY_S}, {"delay": SERVER_DELAY_S}])

    async def main():
        task = asyncio.create_task(client.get_image_upload_command(**GOOD))
        await asyncio.sleep(0.2)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        with pytest.raises(TimeoutError):
            async with asyncio.timeout(0.2):
                await client.get_image_upload_command(**GOOD)
        loop = asyncio.get_running_loop()
        until = loop.time() + CANCEL_MARGIN_S
        while _async._calls and loop.time() < until:
            await asyncio.sleep(0.01)
        assert _async._calls == {}, "the library did not end the cancelled calls"
        return await client.get_image_upload_command(**GOOD)

    assert asyncio.run(main()).image_command == expected_image_command(**GOOD)


def test_close_ends_the_calls_in_flight(make_async, http_emulator):
    client = make_async()
    http_emulator.script([{"delay": SERVER_DELAY_S}])

    async def main():
        task = asyncio.create_task(client.get_image_upload_command(**GOOD))
        await asyncio.sleep(0.2)
        client.close()
        with pytest.raises(hss.CancelledError) as info:
            await task
        with pytest.raises(hss.ClientClosedError):
            await client.get_image_upload_command(**GOOD)
        return info.value

    e = asyncio.run(main())
    assert e.status == hss.Status.CANCELLED and not e.retryable
    assert client.closed


def test_async_with_and_resolve(make_async, http_emulator):
    async def main():
        async with make_async(project_id=None, region=http_emulator.region,
                              iam_endpoint=http_emulator.endpoint) as client:
            await client.resolve()
            return client, client.settings()

    client, settings = asyncio.run(main())
    assert settings["project_id"] == hss.Setting(http_emulator.project_id, "iam")
    assert client.closed


def test_resolve_raises_what_the_blocking_resolve_raises(make_async, closed_port):
    client = make_async(project_id=None, region="cn-north-4", iam_endpoint="http://127.0.0.1:%d" % closed_port)

    async def main():
        with pytest.raises(hss.NetworkError, match="IAM"):
            await client.resolve()

    asyncio.run(main())


def test_one_loop_per_client(make_async):
    client = make_async()
    asyncio.run(client.get_image_upload_command(**GOOD))
    with pytest.raises(RuntimeError, match="another event loop"):
        asyncio.run(client.get_image_upload_command(**GOOD))


def test_the_loop_is_never_blocked(make_async, http_emulator, monkeypatch):
    """While 200 calls run (half of them answered after 50 ms), no callback the loop runs (their
    starts, the dispatch of the library's descriptor, the settling of their futures) holds it
    for long. Measured in the loop thread's CPU time, which another process's load on the
    machine does not inflate (make bench measures the wall-clock stall)."""
    client = make_async()
    http_emulator.script([{"delay": 0.05}] * 100)
    longest = []
    run = asyncio.events.Handle._run

    def timed(handle):
        start = time.thread_time()
        run(handle)
        longest.append(time.thread_time() - start)

    async def main():
        monkeypatch.setattr(asyncio.events.Handle, "_run", timed)
        return await asyncio.gather(*[client.get_image_upload_command(**dict(GOOD, username="u%d" % i))
                                      for i in range(200)])

    assert len(asyncio.run(main())) == 200
    assert len(longest) > 200
    assert max(longest) < STALL_MARGIN_S, "a callback held the loop for %.0f ms" % (max(longest) * 1000)


def test_a_burst_of_completions_is_taken_a_slice_per_loop_callback(make_async, monkeypatch):
    """100 calls complete while the loop is busy elsewhere: each of the loop's callbacks takes
    a slice of them from the library (hss_client_dispatch's max), and the descriptor brings the
    loop back for the rest."""
    client = make_async()
    taken = []

    def dispatch(handle, most):
        ran = _dispatch(handle, most)
        taken.append(ran)
        return ran

    _dispatch = _async._dispatch_keeping_gil
    monkeypatch.setattr(_async, "_dispatch_keeping_gil", dispatch)

    async def main():
        calls = [asyncio.ensure_future(client.get_image_upload_command(**dict(GOOD, username="u%d" % i)))
                 for i in range(100)]
        await asyncio.sleep(0)  # every call started
        time.sleep(1.0)  # the loop held: every call completes meanwhile, none dispatched
        return await asyncio.wait_for(asyncio.gather(*calls), 30)  # not forever if the loop is not brought back

    assert len(asyncio.run(main())) == 100
    assert sum(taken) == 100 and max(taken) == _async._SLICE, taken


@pytest.fixture
def switch_log(monkeypatch):
    """Each hss_cancel_trigger and hss_cancel_free the binding makes, in order, by switch."""
    log = []
    real_trigger, real_free = _async._lib.hss_cancel_trigger, _async._lib.hss_cancel_free

    def trigger(cancel):
        log.append(("trigger", cancel.value))
        return real_trigger(cancel)

    def free(cancel):
        log.append(("free", cancel.value))
        return real_free(cancel)

    monkeypatch.setattr(_async._lib, "hss_cancel_trigger", trigger)
    monkeypatch.setattr(_async._lib, "hss_cancel_free", free)
    return log


def assert_no_trigger_after_free(log):
    freed = set()
    for what, switch in log:
        assert not (what == "trigger" and switch in freed), "a freed cancel switch was triggered: %r" % log
        if what == "free":
            freed.add(switch)


def test_a_cancel_that_meets_the_completion_never_touches_a_freed_switch(make_async, switch_log):
    """The call completes and its task is cancelled in the same turn of the loop (the reader runs
    before a timer that is due): the completion is settled (its switch freed) before the task
    wakes up cancelled, which then must not trigger that switch."""
    client = make_async()

    async def main():
        loop = asyncio.get_running_loop()
        task = asyncio.create_task(client.get_image_upload_command(**GOOD))
        await asyncio.sleep(0)  # the call starts
        select.select([client._fd], [], [], 10)  # and completes, not yet dispatched
        loop.call_later(0, task.cancel)
        with pytest.raises(asyncio.CancelledError):
            await task

    asyncio.run(main())
    assert ("free", switch_log[0][1]) in switch_log
    assert_no_trigger_after_free(switch_log)


def test_a_closed_coroutine_cancels_its_call(make_async, http_emulator, switch_log):
    """A coroutine closed without being cancelled (GeneratorExit: its task was destroyed, or it was
    driven by hand) stops the library's call as cancelling its task does."""
    client = make_async()
    http_emulator.script([{"delay": SERVER_DELAY_S}])

    async def main():
        coro = client.get_image_upload_command(**GOOD)
        coro.send(None)  # started, awaiting its future
        coro.close()

    asyncio.run(main())
    assert [what for what, _ in switch_log][:1] == ["trigger"], switch_log
    client.close()
    assert_no_trigger_after_free(switch_log)


def test_close_after_the_loop_closed_frees_every_result(make_async, monkeypatch):
    """Calls that completed while their loop was not running, closed with that loop: close()
    (or the garbage collector) still frees and wipes every result, none left behind by the first
    future that can no longer be resolved."""
    client = make_async()
    freed = []
    real_free = _async._lib.hss_image_upload_command_free
    monkeypatch.setattr(_async._lib, "hss_image_upload_command_free", lambda h: (freed.append(h), real_free(h)))
    loop = asyncio.new_event_loop()

    async def start_two():
        tasks = [asyncio.ensure_future(client.get_image_upload_command(**GOOD)) for _ in range(2)]
        await asyncio.sleep(0)  # both started
        deadline = time.monotonic() + 10
        while len(client._completed) < 2 and time.monotonic() < deadline:
            select.select([client._fd], [], [], 1)
            _async._dispatch_keeping_gil(client._client._handle, 0)  # noted, not settled
        return tasks

    tasks = loop.run_until_complete(start_two())
    loop.set_exception_handler(lambda loop, context: None)  # not "Task was destroyed but it is pending"
    loop.close()
    assert len(client._completed) == 2 and not any(t.done() for t in tasks)
    client.close()
    assert len(freed) == 2


@pytest.mark.parametrize("method", ["resolve", "get_image_upload_command"])
def test_a_call_that_cannot_start_keeps_no_hold_on_the_client(make_async, monkeypatch, method):
    """A call that fails before it starts (here: no memory for its cancel switch) raises, and its
    traceback, kept by the caller, holds no reference to the C client: close() frees it."""
    client = make_async()
    frees = []
    real_free = hss._client._Handle._free
    monkeypatch.setattr(hss._client._Handle, "_free", lambda handle, c_client: (frees.append(1), real_free(c_client)))
    monkeypatch.setattr(_async._lib, "hss_cancel_new", lambda out: hss.Status.OUT_OF_MEMORY)
    kwargs = GOOD if method == "get_image_upload_command" else {}

    async def main():
        with pytest.raises(hss.OutOfMemoryError) as info:
            await getattr(client, method)(**kwargs)
        return info.value  # with its traceback

    kept = asyncio.run(main())
    client.close()
    assert frees == [1], "close() did not free the C client"
    assert kept.__traceback__ is not None
