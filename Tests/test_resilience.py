"""Retries, the whole-call deadline, the retry budget, clock-skew correction and the redacted trace
(issue 13), through the C API: Tests/c/test_api.c's `call` case against the emulator's fault script
(the shipped emulator's scripted answers, bindings/python/_hss_testing/faults.py: `server.script([...], route)`,
`server.clock_offset`).

The rules come from include/hss.h ("Retries", "Clock skew", hss_trace_fn, hss_error_attempts):
retried after a broken transport (reset, an answer cut short, an attempt's timeout) and 429, 500,
502, 503, 504; never after another 4xx or an unusable answer (a body over the 256 KiB cap); full
jitter in [0, min(cap, base * 2^n)] or Retry-After up to the cap; a budget of 500 tokens per client,
5 per retry, 1 back per success; timeout_ms bounds the whole call; APIGW.0303 is signed again at once
with the gateway's Date, not counted against max_attempts. hss_error_attempts counts the requests
the call made.

Every run has the canary secrets (Tests/secret_forms.py) as SK, security token and password, and the
trace on (HSS_DEBUG=1, trace level 3): no form of them may appear on stderr, nor on stdout but in
image_command, which legitimately holds the password.
"""

from __future__ import annotations

import email.utils
import hashlib
import hmac
import re
import time

import pytest
from _hss_testing.canonical import canonical_query, percent_encode
from _hss_testing.identity import DEFAULT_OIDC, ID_TOKEN, POD_TOKEN, Identity
from secret_forms import PASSWORD, SECURITY_TOKEN, SK, WRONG_SK, assert_clean

AK = "FAULTAK0123456789XYZ"  # long enough to be masked: FAUL...9XYZ
MASKED_AK = "FAUL...9XYZ"
REGION = "cn-north-4"
SLACK = 0.6  # seconds: how late a loaded 2-core machine may make an arrival, or a call (overdue_ms)
MARGIN_MS = 100  # include/hss.h: a call returns within timeout_ms plus this (on a machine not overloaded)
FAST = {"HSS_TEST_RETRY_BASE_MS": "10", "HSS_TEST_RETRY_CAP_MS": "10"}  # retries without waiting


@pytest.fixture(scope="module")
def _emu(make_emulator):
    return make_emulator(credentials={AK: SK})


@pytest.fixture
def emu(_emu):
    """The module's emulator: no script, a true clock, fresh identity settings, counters and records."""
    _emu.server.clear_faults()
    _emu.server.identity = Identity()
    _emu.server.snapshot_stats(reset=True)
    _emu.records.clear()
    return _emu


def env_for(emu, **extra):
    """Retries are the subject here: the library's default max_attempts (3) unless a test sets it."""
    env = {"HSS_TEST_ENDPOINT": emu.endpoint, "HSS_TEST_AK": AK, "HSS_TEST_SK": SK,
           "HSS_TEST_SECURITY_TOKEN": SECURITY_TOKEN, "HSS_TEST_PASSWORD": PASSWORD,
           "HSS_DEBUG": "1", "HSS_TEST_TRACE_LEVEL": "3", "HSS_TEST_TIMEOUT_MS": "10000",
           "HSS_TEST_MAX_ATTEMPTS": None}
    env.update(extra)
    return env


def expect(status, http=None, code=None):
    env = {"HSS_TEST_EXPECT": status}
    if http is not None:
        env["HSS_TEST_EXPECT_HTTP"] = str(http)
    if code is not None:
        env["HSS_TEST_EXPECT_CODE"] = code
    return env


def overdue_ms(r) -> float:
    """How long after its deadline a call of `r` may return: the header's margin, and as much of
    SLACK as the machine was overloaded while the program ran (some task waited for a CPU:
    Result.cpu_wait_ms), all of it where the kernel does not say. So on a quiet machine the
    header's 100 ms is what is checked, and load never fails the test by less than SLACK."""
    waited = SLACK * 1000 if r.cpu_wait_ms is None else min(r.cpu_wait_ms, SLACK * 1000)
    return MARGIN_MS + waited


def run(hss_c, emu, script=(), route="hss", case="call", **env):
    """Script `route`, run the case, check it (expectation, deadline, no secret anywhere)."""
    emu.server.script(list(script), route)
    full = env if "HSS_TEST_ENDPOINT" in env else env_for(emu, **env)
    r = hss_c.run(case, full, timeout=60).check()
    # Each call's own time, not the program's: a sanitized program's start-up alone can take a
    # second on a loaded machine.
    deadline_ms = int(full.get("HSS_TEST_TIMEOUT_MS") or 10000)
    assert max(r.elapsed_ms, default=0) <= deadline_ms + overdue_ms(r), r.describe()
    assert_clean(r.stderr, "stderr")
    assert_clean(b"\n".join(line for line in r.stdout.split(b"\n") if not line.startswith(b"image_command=")),
                 "stdout")
    return r


def attempts(r) -> list:
    return [int(e["attempts"]) for e in r.errors]


def arrivals(emu, route="hss") -> list:
    return emu.server.arrival_times(route)


def gaps(times) -> list:
    return [b - a for a, b in zip(times, times[1:])]


def retry_decisions(r) -> int:
    """Trace lines announcing a retry and its wait."""
    return len(re.findall(rb"retrying in \d+ ms", r.stderr))


# ----------------------------------------------------------------------------- retried, then success

def test_503_twice_then_success_with_the_default_backoff(hss_c, emu):
    r = run(hss_c, emu, [{"status": 503}, {"status": 503}, "pass"])
    assert [rec["status"] for rec in emu.records] == [503, 503, 200]
    assert r.results["image_command"].startswith(b"docker login -u admin -p ")
    assert retry_decisions(r) == 2, r.describe()
    # Full jitter with the defaults (base 200 ms): at most 200 ms, then at most 400 ms.
    first, second = gaps(arrivals(emu))
    assert first < 0.2 + SLACK and second < 0.4 + SLACK


def test_no_retry_no_retry_line(hss_c, emu):
    r = run(hss_c, emu)
    assert retry_decisions(r) == 0 and len(arrivals(emu)) == 1


@pytest.mark.parametrize("status, code", [(429, "APIG.0308"), (500, "HSS.0000"), (502, "APIGW.0202"),
                                          (503, None), (504, "APIGW.0203")])
def test_busy_and_unavailable_answers_are_retried(hss_c, emu, status, code):
    action = {"status": status, **({"error_code": code} if code else {})}
    run(hss_c, emu, [action, "pass"], **FAST)
    assert [rec["status"] for rec in emu.records] == [status, 200]
    emu.records.clear()
    # Every attempt fails: the last answer is reported, after 3 attempts.
    kind = "HSS_E_HTTP_CLIENT" if status < 500 else "HSS_E_HTTP_SERVER"
    r = run(hss_c, emu, [action] * 3, **FAST, **expect(kind, status, code))
    assert attempts(r) == [3] and [rec["status"] for rec in emu.records] == [status] * 3
    assert r.error["request_id"].decode() == emu.records[-1]["request_id"]


def test_retry_after_seconds(hss_c, emu):
    run(hss_c, emu, [{"status": 429, "retry_after": "1"}, "pass"], HSS_TEST_RETRY_BASE_MS="10")
    (wait,) = gaps(arrivals(emu))
    assert 1.0 <= wait < 2.0, wait


def test_retry_after_http_date(hss_c, emu):
    """An HTTP date 3 s ahead when scripted: the wait is what is left of it (over 1 s), not the
    10 ms backoff."""
    when = email.utils.formatdate(time.time() + 3, usegmt=True)
    run(hss_c, emu, [{"status": 503, "retry_after": when}, "pass"], HSS_TEST_RETRY_BASE_MS="10")
    (wait,) = gaps(arrivals(emu))
    assert 1.0 <= wait < 3.0 + SLACK, wait


def test_retry_after_is_capped(hss_c, emu):
    run(hss_c, emu, [{"status": 429, "retry_after": "30"}, "pass"],
        HSS_TEST_RETRY_BASE_MS="10", HSS_TEST_RETRY_CAP_MS="300")
    (wait,) = gaps(arrivals(emu))
    assert wait < 0.3 + SLACK


def test_reset_then_success(hss_c, emu):
    run(hss_c, emu, [{"reset": True}, "pass"], **FAST)
    assert len(arrivals(emu)) == 2


def test_resets_until_the_attempts_run_out(hss_c, emu):
    r = run(hss_c, emu, [{"reset": True}] * 3, **FAST, **expect("HSS_E_NETWORK", 0))
    assert attempts(r) == [3] and len(arrivals(emu)) == 3


def test_reset_of_a_kept_alive_connection(hss_c, emu):
    """The second call's reused connection is reset: it still succeeds (libcurl may reconnect by
    itself, libhss retries otherwise), and nothing is sent more than once too often."""
    run(hss_c, emu, ["pass", {"reset": True}, "pass"], HSS_TEST_CALLS="2", **FAST)
    assert len(arrivals(emu)) == 3


def test_truncated_answer_is_retried(hss_c, emu):
    """Content-Length larger than the body, then the connection closes: the transport broke."""
    run(hss_c, emu, [{"truncate": True}, "pass"], **FAST)
    assert len(arrivals(emu)) == 2
    run(hss_c, emu, [{"status": 503}, {"truncate": True}, "pass"], **FAST)
    assert len(arrivals(emu)) == 2 + 3


def test_max_attempts_5(hss_c, emu):
    run(hss_c, emu, [{"status": 503}] * 4 + ["pass"], HSS_TEST_MAX_ATTEMPTS="5", **FAST)
    assert len(arrivals(emu)) == 5
    r = run(hss_c, emu, [{"status": 503}] * 6, HSS_TEST_MAX_ATTEMPTS="5", **FAST,
            **expect("HSS_E_HTTP_SERVER", 503))
    assert attempts(r) == [5] and len(arrivals(emu)) == 5 + 5


# ----------------------------------------------------------------------------- never retried

@pytest.mark.parametrize("action, code", [
    ({"status": 400}, "HSS.0004"),
    ({"status": 401, "error_code": "APIGW.0301"}, "APIGW.0301"),
    ({"status": 403, "error_code": "APIGW.0302"}, "APIGW.0302"),
    ({"status": 404, "error_code": "APIGW.0101"}, "APIGW.0101"),
])
def test_other_4xx_are_not_retried(hss_c, emu, action, code):
    r = run(hss_c, emu, [action, "pass"], **FAST, **expect("HSS_E_HTTP_CLIENT", action["status"], code))
    assert attempts(r) == [1] and len(arrivals(emu)) == 1
    assert retry_decisions(r) == 0


def test_max_attempts_1_means_no_retry(hss_c, emu):
    r = run(hss_c, emu, [{"status": 503}, "pass"], HSS_TEST_MAX_ATTEMPTS="1",
            **expect("HSS_E_HTTP_SERVER", 503))
    assert attempts(r) == [1] and len(arrivals(emu)) == 1


def test_oversize_answer_is_not_retried(hss_c, emu):
    """One byte over the 256 KiB cap: an unusable answer, not a broken transport."""
    r = run(hss_c, emu, [{"oversize": True}, "pass"], **FAST, **expect("HSS_E_BAD_RESPONSE"))
    assert attempts(r) == [1] and len(arrivals(emu)) == 1
    r = run(hss_c, emu, [{"status": 503}, {"oversize": True}, "pass"], **FAST, **expect("HSS_E_BAD_RESPONSE"))
    assert attempts(r) == [2] and len(arrivals(emu)) == 1 + 2


# ----------------------------------------------------------------------------- the deadline

def test_stall_past_the_deadline(hss_c, emu):
    """timeout_ms is the whole call's: the first attempt gets all of it, so a stall longer than it
    ends the call with HSS_E_TIMEOUT, and no time is left for a second attempt."""
    r = run(hss_c, emu, [{"delay": 5}], HSS_TEST_TIMEOUT_MS="1000", **FAST, **expect("HSS_E_TIMEOUT", 0))
    assert attempts(r) == [1] and len(arrivals(emu)) == 1
    assert r.elapsed >= 1.0


def test_retry_after_beyond_the_deadline_is_not_waited_for(hss_c, emu):
    """Retry-After: 5 with 2 s left: the retry cannot start in time, so the 429 comes at once."""
    r = run(hss_c, emu, [{"status": 429, "retry_after": "5"}, "pass"], HSS_TEST_TIMEOUT_MS="2000",
            **expect("HSS_E_HTTP_CLIENT", 429, "APIG.0308"))
    assert attempts(r) == [1] and len(arrivals(emu)) == 1
    assert max(r.elapsed_ms) < 1000  # at once: not the 5 s asked for, nor the 2 s deadline (a call takes ms)


def test_backoff_longer_than_the_deadline(hss_c, emu):
    """timeout_ms 1000 and backoff base = cap = 60 s, 503 every time: the error comes within the
    deadline. (Full jitter draws the wait from [0, 60 s]: with a chance of about 1 in 60 a wait
    short enough to fit is drawn and a second attempt is made, so only the count's agreement with
    the emulator is asserted, not that it is 1.)"""
    r = run(hss_c, emu, [{"status": 503}] * 3, HSS_TEST_TIMEOUT_MS="1000", HSS_TEST_RETRY_BASE_MS="60000",
            HSS_TEST_RETRY_CAP_MS="60000", **expect("HSS_E_HTTP_SERVER", 503))
    assert max(r.elapsed_ms) <= 1000 + overdue_ms(r), r.describe()
    assert attempts(r) == [len(arrivals(emu))] and 1 <= len(arrivals(emu)) <= 3


# ----------------------------------------------------------------------------- the retry budget

def test_5xx_storm_spends_the_budget(hss_c, emu):
    """60 calls on one client, every answer 503: 500 tokens pay for 100 retries (5 each) and no
    success refunds any, so the first 50 calls make 3 attempts and the last 10 one each:
    60 + 100 = 160 requests instead of 180."""
    r = run(hss_c, emu, [{"status": 503}] * 200, HSS_TEST_CALLS="60", HSS_TEST_RETRY_BASE_MS="1",
            HSS_TEST_RETRY_CAP_MS="1", **expect("HSS_E_HTTP_SERVER", 503))
    assert attempts(r) == [3] * 50 + [1] * 10, attempts(r)
    assert len(arrivals(emu)) == 160


# ----------------------------------------------------------------------------- clock skew

@pytest.mark.parametrize("minutes", [16, -16])
def test_clock_skew_is_corrected_once_per_client(hss_c, emu, minutes):
    emu.server.clock_offset = minutes * 60
    r = run(hss_c, emu, HSS_TEST_CALLS="3")
    # One APIGW.0303, the same request signed again at once, then two calls straight through.
    assert [rec["status"] for rec in emu.records] == [401, 200, 200, 200]
    assert gaps(arrivals(emu))[0] < SLACK
    assert b"APIGW.0303" in r.stderr  # the trace shows the correction


def test_clock_skew_retry_is_not_counted_against_max_attempts(hss_c, emu):
    emu.server.clock_offset = 16 * 60
    run(hss_c, emu, HSS_TEST_MAX_ATTEMPTS="1")
    assert [rec["status"] for rec in emu.records] == [401, 200]


def test_clock_skew_retry_then_an_error(hss_c, emu):
    """The corrected request gets a 400: the error reports both requests the call made."""
    emu.server.clock_offset = -16 * 60
    r = run(hss_c, emu, ["pass", {"status": 400}], **expect("HSS_E_HTTP_CLIENT", 400, "HSS.0004"))
    assert attempts(r) == [2] and [rec["status"] for rec in emu.records] == [401, 400]


def test_clock_skew_retry_happens_once(hss_c, emu):
    """APIGW.0303 again after the correction (a gateway whose Date does not help): reported, not
    retried again."""
    expired = {"status": 401, "error_code": "APIGW.0303", "error_msg": "signature expired"}
    r = run(hss_c, emu, [expired] * 3, **FAST, **expect("HSS_E_HTTP_CLIENT", 401, "APIGW.0303"))
    assert attempts(r) == [2] and len(arrivals(emu)) == 2


@pytest.mark.parametrize("days", [2, -2, -40_000])
def test_a_skew_of_days_is_an_error_that_names_it(hss_c, emu, days):
    """A gateway whose Date is days from ours (issue 20.2): no correction (beyond a day a clock
    needs fixing, not hiding), one request, and the error says how far and what to do."""
    emu.server.clock_offset = days * 86400
    r = run(hss_c, emu, **expect("HSS_E_HTTP_CLIENT", 401, "APIGW.0303"))
    assert attempts(r) == [1] and len(arrivals(emu)) == 1, r.describe()
    direction = b"ahead of" if days > 0 else b"behind"
    assert re.search(rb"its clock is \d+ d \d+ h %s ours, more than the 24 h libhss corrects; fix this "
                     rb"machine's clock" % direction, r.error["message"]), r.describe()


def chain_env(emu, **extra):
    """A from_env client with no credentials in code (as Tests/test_identity.py's): region
    cn-north-4 served by the emulator, IAM at the emulator; `extra` on top."""
    env = env_for(emu, HSS_TEST_FROM_ENV="null", HSS_TEST_ENDPOINT=None, HSS_TEST_AK=None, HSS_TEST_SK=None,
                  HSS_TEST_SECURITY_TOKEN=None, HUAWEICLOUD_SDK_REGION=REGION,
                  HUAWEICLOUD_SDK_REGION_HSS_CN_NORTH_4=emu.endpoint, HUAWEICLOUD_SDK_IAM_ENDPOINT=emu.endpoint)
    env.update(extra)
    return env


@pytest.mark.parametrize("minutes", [16, -16])
def test_clock_skew_with_project_discovery(hss_c, emu, minutes):
    """The first request of a client may be IAM's project lookup (signed like the HSS call, and
    refused by the gateway alike): it is corrected there too, and the HSS call sees at most one
    APIGW.0303 of its own."""
    emu.server.clock_offset = minutes * 60
    run(hss_c, emu, **chain_env(emu, HUAWEICLOUD_SDK_AK=AK, HUAWEICLOUD_SDK_SK=SK))
    assert len(arrivals(emu, "iam_projects")) == 2
    assert [rec["status"] for rec in emu.records if rec["path"].startswith("/v5/")][-1] == 200
    assert len(arrivals(emu)) <= 2


# ----------------------------------------------------------------------------- identity calls

@pytest.mark.parametrize("route", ["iam_projects", "metadata_securitykey", "sts_oidc", "pod_identity"])
def test_identity_calls_are_retried(hss_c, emu, tmp_path, route):
    settings = {
        "iam_projects": dict(HUAWEICLOUD_SDK_AK=AK, HUAWEICLOUD_SDK_SK=SK),
        "metadata_securitykey": dict(HUAWEICLOUD_SDK_METADATA_ENDPOINT=emu.endpoint),
        "sts_oidc": dict(HUAWEICLOUD_OIDC_PROVIDER_URN=DEFAULT_OIDC["provider_urn"],
                         HUAWEICLOUD_OIDC_AGENCY_URN=DEFAULT_OIDC["agency_urn"], HUAWEICLOUD_OIDC_ID_TOKEN=ID_TOKEN,
                         HUAWEICLOUD_SDK_STS_ENDPOINT=emu.endpoint),
        "pod_identity": dict(HC_CONTAINER_CREDENTIALS_FULL_URI=emu.endpoint + "/pod-identity/credentials",
                             HC_CONTAINER_AUTHORIZATION_TOKEN_FILE=str(tmp_path / "pod-token")),
    }[route]
    (tmp_path / "pod-token").write_text(POD_TOKEN + "\n")
    run(hss_c, emu, [{"status": 503}], route, **chain_env(emu, **settings, **FAST))
    assert len(arrivals(emu, route)) == 2
    assert emu.records[-1]["status"] == 200
    emu.server.snapshot_stats(reset=True)
    run(hss_c, emu, [{"reset": True}], route, **chain_env(emu, **settings, **FAST))
    assert len(arrivals(emu, route)) == 2 + 2


def test_iam_lookup_gives_up_after_max_attempts(hss_c, emu):
    r = run(hss_c, emu, [{"status": 503}] * 3, "iam_projects",
            **chain_env(emu, HUAWEICLOUD_SDK_AK=AK, HUAWEICLOUD_SDK_SK=SK, **FAST, **expect("HSS_E_HTTP_SERVER")))
    assert len(arrivals(emu, "iam_projects")) == 3 and arrivals(emu) == []
    assert b"IAM" in r.error["message"]


# ----------------------------------------------------------------------------- the deadline of a whole call

DEADLINE_MS = 500


def deadline_env(emu, **extra):
    """chain_env with timeout_ms = DEADLINE_MS (the only override given to hss_client_new_from_env)."""
    return chain_env(emu, HSS_TEST_FROM_ENV="1", HSS_TEST_PROJECT_ID=None, HSS_TEST_TIMEOUT_MS=str(DEADLINE_MS),
                     **extra)


def slow_identity(emu, tmp_path, kind):
    """(fault script route, actions, chain settings) for an identity service that is slow."""
    pod = dict(HC_CONTAINER_CREDENTIALS_FULL_URI=emu.endpoint + "/pod-identity/credentials",
               HC_CONTAINER_AUTHORIZATION_TOKEN_FILE=str(tmp_path / "pod-token"))
    (tmp_path / "pod-token").write_text(POD_TOKEN + "\n")
    metadata = dict(HUAWEICLOUD_SDK_METADATA_ENDPOINT=emu.endpoint)
    iam = dict(HUAWEICLOUD_SDK_AK=AK, HUAWEICLOUD_SDK_SK=SK)
    return {
        "metadata-stalls": ("metadata_token", [{"delay": 30}], metadata),
        "metadata-throttles": ("metadata_securitykey", [{"status": 503, "retry_after": "3"}] * 3, metadata),
        "pod-identity-stalls": ("pod_identity", [{"delay": 30}], pod),
        "pod-identity-throttles": ("pod_identity", [{"status": 429, "retry_after": "3"}] * 3, pod),
        "iam-stalls": ("iam_projects", [{"delay": 30}], iam),
        "iam-throttles": ("iam_projects", [{"status": 503, "retry_after": "3"}] * 3, iam),
    }[kind]


@pytest.mark.parametrize("resolve", [False, True], ids=["call", "resolve"])
@pytest.mark.parametrize("kind", ["metadata-stalls", "metadata-throttles", "pod-identity-stalls",
                                  "pod-identity-throttles", "iam-stalls", "iam-throttles"])
def test_the_deadline_covers_identity_calls(hss_c, emu, tmp_path, kind, resolve):
    """timeout_ms bounds the whole call, credentials and project discovery included, and
    hss_client_resolve alike (issue 20.5): a stalled or throttling identity service makes the call
    fail within the deadline plus the header's margin (1.1.0 took up to 30 s)."""
    route, script, settings = slow_identity(emu, tmp_path, kind)
    status = "HSS_E_TIMEOUT" if "stalls" in kind else ("HSS_E_HTTP_SERVER" if kind == "iam-throttles"
                                                        else "HSS_E_CREDENTIALS")
    env = deadline_env(emu, **settings, **expect(status))
    if resolve:
        env["HSS_TEST_RESOLVE"] = "1"
    r = run(hss_c, emu, script, route, **env)
    assert r.elapsed_ms and max(r.elapsed_ms) <= DEADLINE_MS + overdue_ms(r), r.describe()
    assert arrivals(emu) == []  # nothing reached HSS


def test_a_slow_renewal_of_keys_that_still_work_delays_the_call(hss_c, emu):
    """Keys inside the renewal margin but valid: the renewal gets half of what is left of the
    call; when the metadata service stalls, the call goes on with the current keys (a warning),
    within the deadline."""
    emu.server.identity.expires_in = 39 * 60
    emu.server.script(["pass", {"delay": 30}], "metadata_securitykey")
    r = run(hss_c, emu, **deadline_env(emu, HUAWEICLOUD_SDK_METADATA_ENDPOINT=emu.endpoint, HSS_TEST_CALLS="2"))
    assert len(r.elapsed_ms) == 2 and max(r.elapsed_ms) <= DEADLINE_MS + overdue_ms(r), r.describe()
    assert b"renewing credentials failed, using the current ones" in r.stderr
    assert len(arrivals(emu)) == 2


# ----------------------------------------------------------------------------- the trace

def trace_lines(r, label) -> list:
    """The text after `label: ` on each debug line that has it, in order."""
    return [m.group(1) for m in re.finditer(rb"^libhss: debug: .*?%s: ?(.*)$" % re.escape(label), r.stderr, re.M)]


def test_trace_diagnoses_a_signature_mismatch(hss_c, emu):
    """A wrong SK: APIGW.0301. The trace shows what was signed with the secrets starred, and that
    is enough to diagnose it: the canonical request equals the one the gateway echoes (so the SK
    is what differs), and the Authorization line shows the real signature (keyed by the SK) with
    the AK masked: with the secrets put back, the canonical request signs to it. The string to
    sign's hash of the canonical request is withheld (issue 20.7): it would let anyone holding the
    trace test guesses of the password offline."""
    r = run(hss_c, emu, HSS_TEST_SK=WRONG_SK, **expect("HSS_E_HTTP_CLIENT", 401, "APIGW.0301"))
    assert attempts(r) == [1] and len(arrivals(emu)) == 1
    assert AK.encode() not in r.stderr

    canonical = b"\n".join(trace_lines(r, b"canonical request"))
    query = canonical_query([(b"namespace", b"library"), (b"password", b"PW"),
                                          (b"registry_addr", b"myharbor.com:443"), (b"username", b"admin")])
    assert ("\n%s\n" % query.replace("=PW&", "=***&")).encode() in canonical, r.describe()
    assert b"\nx-security-token:***\n" in canonical
    # The gateway's echo (redacted in the error object) is the same canonical request.
    assert r.error["msg"].endswith(canonical), r.describe()

    method, sdk_date, withheld = trace_lines(r, b"string to sign")
    assert method == b"SDK-HMAC-SHA256" and re.fullmatch(rb"\d{8}T\d{6}Z", sdk_date)
    assert b"\nx-sdk-date:%s\n" % sdk_date in canonical
    signed = canonical.replace(b"password=***&", b"password=%s&" % percent_encode(
        PASSWORD.encode()).encode()).replace(b"x-security-token:***", b"x-security-token:" + SECURITY_TOKEN.encode())
    digest = hashlib.sha256(signed).hexdigest().encode()
    assert withheld == b"(the hash of the canonical request is withheld: that request holds a secret)"
    assert digest not in r.stderr and digest.upper() not in r.stderr

    (authorization,) = [line for line in r.stderr.split(b"\n") if b"Authorization: " in line]
    signature = hmac.new(WRONG_SK.encode(), b"\n".join([method, sdk_date, digest]), hashlib.sha256).hexdigest()
    assert authorization.endswith(b"Authorization: SDK-HMAC-SHA256 Access=%s, SignedHeaders=%s, Signature=%s" % (
        MASKED_AK.encode(), canonical.split(b"\n")[-2], signature.encode())), authorization
    assert re.search(rb"^libhss: debug: .*X-Security-Token: \*\*\*$", r.stderr, re.M), r.describe()
