"""The Python side of `make bench`, one measurement per process (run by bench/driver.py).

    pyclients.py binding  ENDPOINT N   libhss's Python binding (hss.Client), N sequential calls
    pyclients.py sdk      ENDPOINT N   the official SDK (huaweicloudsdkhss HssClient), N calls
    pyclients.py async-binding ENDPOINT N IN_FLIGHT   hss.AsyncClient on asyncio: N calls, IN_FLIGHT
                                       in flight at every moment; also the event loop's longest stall
    pyclients.py async-sdk ENDPOINT N IN_FLIGHT       the official SDK's HssAsyncClient (its futures,
                                       awaited from asyncio through the loop's default executor), alike
    pyclients.py sdk-sign N [ALG]      the official signer alone (Signer.sign over an SdkRequest), with
                                       SDK-HMAC-SHA256 or the signer class of ALG (ALGORITHMS)
    pyclients.py sdk-sign check [ALG]  its Authorization value for the fixed date 20240101T000000Z
    pyclients.py sdk-verify ALG AUTH   whether the official EC key of ALG verifies the signature of
                                       AUTH (an Authorization of that request and date): verified=1|0
    pyclients.py import MODULE         seconds to import MODULE (hss, huaweicloudsdkhss.v5)

Prints "calls=N errors=E seconds=S cpu_seconds=C" (or signatures=..., import_seconds=...); the async
modes also max_stall_ms (the longest one callback of the event loop held it, wall-clock),
max_stall_own_ms (the longest one callback's own time: its CPU time and whatever it slept on, not the
time the kernel kept the loop's thread waiting on a runqueue for a CPU other threads had, nor the time
the host of the virtual machine stopped its CPU while the thread was not switched out; from
/proc/thread-self/schedstat, else nothing taken off),
max_stall_no_gc_ms (the wall-clock figure less the pauses of Python's cyclic garbage collector within it),
max_gc_pause_ms (the collector's longest pause),
max_lag_ms (the longest a ticker task woke up late: the queue of ready callbacks, 1,000 tasks'
included), threads (the threads the process had once the calls ran: neither libhss's nor a thread
pool's end before), load (the 1-minute
load average at the end) and steal_ms (the CPU time the virtual machine's host took from its CPUs
while the calls ran, /proc/stat's steal: a callback the host stopped counts that time in both
wall-clock and CPU time). The inputs are
those of bench/bench_common.h, and for V11-HMAC-SHA256 bench/sign's region and service. The official SDK
writes ~/.huaweicloud/application_id on import: the driver runs this with HOME pointing at a scratch
directory.
"""

import os
import resource
import sys
import time

PROJECT_ID = "0123456789abcdef0123456789abcdef"
AK = "HPUAEXAMPLEAK0123456"
SK = "ExampleSecretKey0123456789abcdefghijklmn"
PARAMS = dict(registry_addr="myharbor.example.com:443", namespace="library", username="admin",
              password="Harbor12345!")
SIGN_HOST = "hss.cn-north-4.myhuaweicloud.com"
RESOURCE = "/v5/%s/image/registries/image-upload-command" % PROJECT_ID
#: The signing algorithms, as hss-sign-bench (bench/sign) names them.
ALGORITHMS = ("SDK-HMAC-SHA256", "SDK-HMAC-SM3", "SDK-ECDSA-P256-SHA256", "SDK-SM2-SM3", "V11-HMAC-SHA256")
V11_SCOPE = ("hss", "cn-north-4")  # derived_auth_service_name and region, as bench/sign derives V11's key
CHECK_DATE = "20240101T000000Z"


def cpu():
    ru = resource.getrusage(resource.RUSAGE_SELF)
    return ru.ru_utime + ru.ru_stime


def steal_seconds():
    """The CPU time the host of this virtual machine took from it so far (all CPUs; 0 on bare metal)."""
    with open("/proc/stat") as f:
        fields = f.readline().split()
    return int(fields[8]) / os.sysconf("SC_CLK_TCK") if len(fields) > 8 else 0.0


def timed(n, call):
    """Warm up with n/10 calls, then time n calls; returns (errors, seconds, cpu seconds)."""
    errors = 0
    for _ in range(n // 10):
        call()
    start, cpu_start = time.perf_counter(), cpu()
    for _ in range(n):
        try:
            call()
        except Exception as exc:  # counted, and the first one shown
            if errors == 0:
                print("first error: %r" % (exc,), file=sys.stderr)
            errors += 1
    return errors, time.perf_counter() - start, cpu() - cpu_start


def _binding_call(client):
    """One call of libhss's binding, with its keywords written out as a program writes them (as
    bench/c_api.c fills its request once): not **PARAMS, which would build a dict on every call."""
    registry_addr, namespace, username, password = (
        PARAMS["registry_addr"], PARAMS["namespace"], PARAMS["username"], PARAMS["password"])
    return lambda: client.get_image_upload_command(registry_addr=registry_addr, namespace=namespace,  # noqa: E731
                                                   username=username, password=password)


def bench_binding(endpoint, n):
    import hss

    client = hss.Client(endpoint=endpoint, project_id=PROJECT_ID, ak=AK, sk=SK)
    call = _binding_call(client)
    errors, seconds, cpu_seconds = timed(n, call)
    client.close()
    print("calls=%d errors=%d seconds=%.6f cpu_seconds=%.6f" % (n, errors, seconds, cpu_seconds))


def bench_sdk(endpoint, n):
    from huaweicloudsdkcore.auth.credentials import BasicCredentials
    from huaweicloudsdkhss.v5 import HssClient, ShowImageUploadCommandRequest

    client = (HssClient.new_builder().with_credentials(BasicCredentials(AK, SK, PROJECT_ID))
              .with_endpoints([endpoint]).build())
    call = lambda: client.show_image_upload_command(ShowImageUploadCommandRequest(**PARAMS))  # noqa: E731
    result = call()
    if not result.image_command:
        raise SystemExit("unexpected answer: %r" % (result,))
    errors, seconds, cpu_seconds = timed(n, call)
    print("calls=%d errors=%d seconds=%.6f cpu_seconds=%.6f" % (n, errors, seconds, cpu_seconds))


def scheduling():
    """A function of no arguments: (seconds the calling thread has waited on a runqueue so far, ready
    to run while other threads had the CPUs; how many times it was switched in), from
    /proc/thread-self/schedstat, which the kernel brings up to date each time the thread is switched
    in, so exact whenever the thread reads it. Made on the thread it measures. Where the kernel keeps no
    such account: 0.0, and a count that changes at every read (then nothing is taken off)."""
    try:
        fd = os.open("/proc/thread-self/schedstat", os.O_RDONLY)
    except OSError:
        reads = iter(range(1 << 62))
        return lambda: (0.0, next(reads))
    pread = os.pread

    def read():
        fields = pread(fd, 64, 0).split()
        return int(fields[1]) / 1e9, int(fields[2])

    return read


def timed_async(n, in_flight, call):
    """Warm up with in_flight calls at once, then n calls with in_flight in flight at every moment,
    while a ticker task measures the loop's longest stall; returns (errors, seconds, cpu seconds,
    longest stall in seconds, most threads seen)."""
    import asyncio
    import gc

    # The longest callback: wall-clock; its own time (below); wall-clock less the cyclic garbage
    # collector's pauses within it; and the collector's longest pause.
    longest = [0.0, 0.0, 0.0, 0.0]
    collecting = [0.0, 0.0]  # when the current pause started, the pauses' total so far
    run_callback = asyncio.events.Handle._run

    wall, thread_cpu, sched = time.perf_counter, time.thread_time, scheduling()
    timing = [True]  # emptied once the calls are done

    def timed_run(handle):  # every callback the loop runs, timed: how long it holds the loop
        # A callback's own time: what the loop's thread spent on it, less what the kernel and the host
        # took. Never switched out, the thread was either running it (its CPU time) or stopped by the
        # host of the virtual machine (steal, which CPU time leaves out); switched out, it either
        # waited on a runqueue (taken off) or slept on something (kept, as is any steal then).
        # Kept light, as it runs on the loop it measures: the end is read only when the callback took
        # longer than the longest own time so far (which never exceeds wall-clock).
        start, cpu_start, (waited, switches), paused = wall(), thread_cpu(), sched(), collecting[1]
        run_callback(handle)
        took = wall() - start
        if not timing:  # the harness's own last step, which reads /proc
            return
        if took > longest[0]:
            longest[0] = took
        if took > longest[1]:
            waited_end, switches_end = sched()
            own = thread_cpu() - cpu_start if switches_end == switches else took - (waited_end - waited)
            if own > longest[1]:
                longest[1] = own
        if took - (collecting[1] - paused) > longest[2]:
            longest[2] = took - (collecting[1] - paused)

    def collector(phase, info):
        if phase == "start":
            collecting[0] = time.perf_counter()
        else:
            pause = time.perf_counter() - collecting[0]
            collecting[1] += pause
            longest[3] = max(longest[3], pause)

    async def main():
        loop = asyncio.get_running_loop()
        await asyncio.gather(*[call() for _ in range(in_flight)])
        errors, left, lag = 0, n, 0.0
        running = True

        async def ticker():  # nothing else: its steps are timed too (a read of /proc slept up to 15 ms)
            nonlocal lag
            while running:
                before = loop.time()
                await asyncio.sleep(0.001)
                lag = max(lag, loop.time() - before - 0.001)

        async def worker():
            nonlocal errors, left
            while left > 0:
                left -= 1
                try:
                    await call()
                except Exception as exc:  # counted, and the first one shown
                    if errors == 0:
                        print("first error: %r" % (exc,), file=sys.stderr)
                    errors += 1

        tick = asyncio.create_task(ticker())
        await asyncio.sleep(0.01)
        # The workers' tasks are made in this step of the harness's own, which is not timed: from here on,
        # every callback is.
        workers = [asyncio.ensure_future(worker()) for _ in range(in_flight)]
        asyncio.events.Handle._run = timed_run
        gc.callbacks.append(collector)
        start, cpu_start, steal_start = time.perf_counter(), cpu(), steal_seconds()
        await asyncio.gather(*workers)
        timing.clear()
        seconds, cpu_seconds = time.perf_counter() - start, cpu() - cpu_start
        steal = steal_seconds() - steal_start
        threads = len(os.listdir("/proc/self/task"))  # the most: neither libhss's nor a pool's threads end
        running = False
        await tick
        asyncio.events.Handle._run = run_callback
        gc.callbacks.remove(collector)
        return errors, seconds, cpu_seconds, longest, lag, threads, steal

    return asyncio.run(main())


def bench_async(kind, endpoint, n, in_flight):
    if kind == "async-binding":
        import hss

        client = hss.AsyncClient(endpoint=endpoint, project_id=PROJECT_ID, ak=AK, sk=SK)
        call = _binding_call(client)
    else:
        import asyncio

        from huaweicloudsdkcore.auth.credentials import BasicCredentials
        from huaweicloudsdkhss.v5 import HssAsyncClient, ShowImageUploadCommandRequest

        client = (HssAsyncClient.new_builder().with_credentials(BasicCredentials(AK, SK, PROJECT_ID))
                  .with_endpoints([endpoint]).build())

        async def call():
            future = client.show_image_upload_command_async(ShowImageUploadCommandRequest(**PARAMS))
            result = await asyncio.get_running_loop().run_in_executor(None, future.result)
            if not result.image_command:
                raise RuntimeError("unexpected answer: %r" % (result,))

    errors, seconds, cpu_seconds, (stall, stall_own, stall_no_gc, gc_pause), lag, threads, steal = timed_async(
        n, in_flight, call)
    print("calls=%d errors=%d seconds=%.6f cpu_seconds=%.6f in_flight=%d max_stall_ms=%.3f max_stall_own_ms=%.3f "
          "max_stall_no_gc_ms=%.3f max_gc_pause_ms=%.3f max_lag_ms=%.3f threads=%d load=%.2f steal_ms=%.0f" % (
              n, errors, seconds, cpu_seconds, in_flight, stall * 1000, stall_own * 1000, stall_no_gc * 1000,
              gc_pause * 1000, lag * 1000, threads, os.getloadavg()[0], steal * 1000))


def sdk_signer(algorithm):
    """The official signer of `algorithm` (signers.md §1), made once as the SDK client makes it
    per request, and sign(date=None) -> the Authorization of this API's request."""
    from huaweicloudsdkcore.auth.credentials import BasicCredentials
    from huaweicloudsdkcore.sdk_request import SdkRequest
    from huaweicloudsdkcore.signer import signer as official

    classes = {"SDK-HMAC-SHA256": official.Signer, "SDK-HMAC-SM3": official.SM3Signer,
               "SDK-ECDSA-P256-SHA256": official.P256SHA256Signer, "SDK-SM2-SM3": official.SM2SM3Signer,
               "V11-HMAC-SHA256": official.DerivationAKSKSigner}
    signer = classes[algorithm](BasicCredentials(AK, SK))
    scope = V11_SCOPE if algorithm == "V11-HMAC-SHA256" else ()
    query = list(PARAMS.items())
    # The headers the SDK client passes to its signer for this API (it adds Host and
    # X-Sdk-Date itself); User-Agent as libhss's, so that all signers sign the same bytes.
    headers = {"Content-Type": "application/json", "User-Agent": "libhss/1.2.0", "X-Project-Id": PROJECT_ID}

    def sign(date=None):
        h = dict(headers, **({"X-Sdk-Date": date} if date else {}))
        request = SdkRequest(method="GET", schema="https", host=SIGN_HOST, resource_path=RESOURCE,
                             query_params=list(query), header_params=h, body=None)
        return signer.sign(request, *scope).header_params["Authorization"]

    return signer, sign


def bench_sdk_sign(arg, algorithm=ALGORITHMS[0]):
    _, sign = sdk_signer(algorithm)
    if arg == "check":
        print(sign(CHECK_DATE))
        return
    n = int(arg)
    errors, seconds, _ = timed(n, sign)
    print("algorithm=%s signatures=%d errors=%d seconds=%.6f" % (algorithm, n, errors, seconds))


def bench_sdk_verify(algorithm, authorization):
    """ECDSA and SM2 signatures are random: instead of comparing, the official key (derived from
    the AK/SK by the SDK) verifies another signer's signature of the string to sign the SDK
    builds for the same request and date."""
    signer, sign = sdk_signer(algorithm)
    seen = []
    make_signature = signer._sign_string_to_sign
    signer._sign_string_to_sign = lambda data, key=None: seen.append(data) or make_signature(data, key)
    sign(CHECK_DATE)
    signature = bytes.fromhex(authorization.rpartition("Signature=")[2])
    print("verified=%d" % bool(signer.get_signing_key().verify(signature, seen[0].encode())))


def bench_import(module):
    start = time.perf_counter()
    __import__(module)
    print("import_seconds=%.6f" % (time.perf_counter() - start))


def main(argv):
    if len(argv) == 3 and argv[0] == "binding":
        bench_binding(argv[1], int(argv[2]))
    elif len(argv) == 3 and argv[0] == "sdk":
        bench_sdk(argv[1], int(argv[2]))
    elif len(argv) == 4 and argv[0] in ("async-binding", "async-sdk"):
        bench_async(argv[0], argv[1], int(argv[2]), int(argv[3]))
    elif len(argv) in (2, 3) and argv[0] == "sdk-sign" and set(argv[2:]) <= set(ALGORITHMS):
        bench_sdk_sign(*argv[1:])
    elif len(argv) == 3 and argv[0] == "sdk-verify" and argv[1] in ALGORITHMS[2:4]:
        bench_sdk_verify(argv[1], argv[2])
    elif len(argv) == 2 and argv[0] == "import":
        bench_import(argv[1])
    else:
        raise SystemExit(__doc__)


if __name__ == "__main__":
    main(sys.argv[1:])
