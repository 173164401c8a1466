"""A representative set of cases under valgrind memcheck.

    valgrind --leak-check=full --errors-for-leak-kinds=definite --error-exitcode=99

Only memory errors and definite leaks fail: the statically linked Swift runtime keeps
"still reachable" and "possibly lost" blocks (type metadata caches, once-initialised globals)
until exit, which is not a leak. Tests/valgrind.supp, when present, is passed as suppressions.
"""

import os
import re
from concurrent.futures import ThreadPoolExecutor

import pytest
from test_c_api import EMULATOR_TOKEN, expect_env

pytestmark = pytest.mark.valgrind  # make check-all installs valgrind: no skip without it


class Ctx:
    def __init__(self, https, closed_port):
        self.https = https
        self.closed_port = closed_port

    def tls(self, **extra):
        return {"HSS_TEST_ENDPOINT": self.https.endpoint, "HSS_TEST_CA_FILE": self.https.ca_file, **extra}


# id: (case, env(ctx))
CASES = {
    "version": ("version", lambda c: {}),
    "status_str": ("status_str", lambda c: {}),
    "accessors_null": ("accessors_null", lambda c: {}),
    "free_null": ("free_null", lambda c: {}),
    "regions": ("regions", lambda c: {}),
    "err_null": ("err_null", lambda c: {}),
    "success_http": ("call", lambda c: {"HSS_TEST_PASSWORD": "pässwörd 😀 &=+/", "HSS_TEST_EPID": "all_granted_eps"}),
    "success_https": ("call", lambda c: c.tls(HSS_TEST_SECURITY_TOKEN="sts-token")),
    "success_token": ("call", lambda c: {"HSS_TEST_AK": None, "HSS_TEST_SK": None,
                                         "HSS_TEST_AUTH_TOKEN": EMULATOR_TOKEN}),
    "success_from_env": ("call", lambda c: {"HSS_TEST_FROM_ENV": "1", "HSS_TEST_AK": None, "HSS_TEST_SK": None,
                                            "HUAWEICLOUD_SDK_AK": "EMULATORAK",
                                            "HUAWEICLOUD_SDK_SK": "EMULATORSK"}),
    "keepalive": ("keepalive", lambda c: {"HSS_TEST_CALLS": 5}),
    "threads": ("threads", lambda c: {"HSS_TEST_THREADS": 3, "HSS_TEST_CALLS": 4}),
    "threads_own_clients": ("threads", lambda c: {"HSS_TEST_THREADS": 3, "HSS_TEST_CALLS": 2,
                                                  "HSS_TEST_CLIENT_PER_THREAD": 1}),
    "invalid_option_endpoint": ("opt:endpoint_crlf", lambda c: {}),
    "invalid_option_credentials": ("opt:aksk_and_auth_token", lambda c: {}),
    "invalid_option_ca_file": ("opt:ca_file_unreadable", lambda c: {}),
    "invalid_options_null": ("opt:options_null", lambda c: {}),
    "invalid_request_password": ("req:password_cr", lambda c: {}),
    "invalid_request_too_long": ("req:namespace_too_long", lambda c: {}),
    "invalid_request_utf8": ("req:username_bad_utf8", lambda c: {}),
    "invalid_request_client_null": ("req:client_null", lambda c: {}),
    "401_bad_sk": ("call", lambda c: {"HSS_TEST_SK": "wrong-sk", "HSS_TEST_SECURITY_TOKEN": "sts-token",
                                      **expect_env("HSS_E_HTTP_CLIENT", 401, "APIGW.0301")}),
    "500": ("call", lambda c: {"HSS_TEST_PROJECT_ID": "emu-status-500", **expect_env("HSS_E_HTTP_SERVER", 500)}),
    "errfmt_text": ("call", lambda c: {"HSS_TEST_PROJECT_ID": "emu-errfmt-text",
                                       **expect_env("HSS_E_HTTP_SERVER", 503)}),
    "nonjson": ("call", lambda c: {"HSS_TEST_PROJECT_ID": "emu-nonjson", **expect_env("HSS_E_BAD_RESPONSE")}),
    "missing_field": ("call", lambda c: {"HSS_TEST_PROJECT_ID": "emu-missing-field",
                                         **expect_env("HSS_E_BAD_RESPONSE")}),
    "huge": ("call", lambda c: {"HSS_TEST_PROJECT_ID": "emu-huge", **expect_env("HSS_E_BAD_RESPONSE")}),
    "redirect": ("call", lambda c: {"HSS_TEST_PROJECT_ID": "emu-redirect", **expect_env("HSS_E_BAD_RESPONSE")}),
    "timeout": ("call", lambda c: {"HSS_TEST_PROJECT_ID": "emu-stall", "HSS_TEST_TIMEOUT_MS": 1000,
                                   **expect_env("HSS_E_TIMEOUT")}),
    "network": ("call", lambda c: {"HSS_TEST_ENDPOINT": "http://127.0.0.1:%d" % c.closed_port,
                                   **expect_env("HSS_E_NETWORK")}),
    "tls_untrusted": ("call", lambda c: {"HSS_TEST_ENDPOINT": c.https.endpoint, **expect_env("HSS_E_TLS")}),
}


@pytest.fixture(scope="module")
def valgrind_runs(hss_c, https_emulator, closed_port):
    """All cases start at once (valgrind is slow; they are independent); each test waits for its own."""
    ctx = Ctx(https_emulator, closed_port)
    pool = ThreadPoolExecutor(max_workers=max(2, min(8, os.cpu_count() or 2)))
    futures = {name: pool.submit(hss_c.run, case, env(ctx), valgrind=True, timeout=600)
               for name, (case, env) in CASES.items()}
    yield futures
    pool.shutdown(wait=True)


@pytest.mark.parametrize("name", list(CASES))
def test_memcheck(valgrind_runs, name):
    r = valgrind_runs[name].result()
    assert r.returncode != 99, "valgrind found memory errors or definite leaks:\n" + r.describe()
    r.check()
    assert re.search(r"ERROR SUMMARY: 0 errors", r.valgrind_log), r.describe()
    assert not re.search(r"definitely lost: [1-9]", r.valgrind_log), r.describe()
