"""Canary: distinctive secrets never show in any repr, str, exception text, traceback with locals
or log record produced by the binding.

Traceback locals are checked for the binding's own frames (files under the `hss` package): the
test's helper frames hold the canaries on purpose, as any caller's would.
"""

import logging
import os
import traceback
import urllib.parse

import pytest
from hss_testsupport import GOOD

import hss

CANARY_AK = "CanaryAK"
SK_C = "SkCanary7Q2wX9"
ST_C = "StCanary4Hn8Lp"
AT_C = "AtCanary3Rt6Yu"
PW_C = "PwCanary5Jk1Zm+/ &=%é~"
PX_C = "PxCanary8Vb2Nc"  # the proxy password
CORES = ("SkCanary7Q2wX9", "StCanary4Hn8Lp", "AtCanary3Rt6Yu", "PwCanary5Jk1Zm", "PxCanary8Vb2Nc")
FORMS = CORES + (PW_C, urllib.parse.quote(PW_C, safe=""), urllib.parse.quote_plus(PW_C))
REQ = dict(GOOD, password=PW_C)

PACKAGE_DIR = os.path.dirname(os.path.abspath(hss.__file__)) + os.sep

# Shared with the lambdas below (globals, so not frame locals of the test).
EMU = {}


@pytest.fixture(scope="module", autouse=True)
def canary_emulator(make_emulator):
    with make_emulator(credentials={CANARY_AK: SK_C}, tokens=(AT_C,)) as emu:
        EMU["endpoint"] = emu.endpoint
        yield


def assert_clean(text, what):
    for form in FORMS:
        assert form not in text, "%s leaks %r:\n%s" % (what, form, text)


def texts_of_exception(e):
    yield "str", str(e)
    yield "repr", repr(e)
    yield "args", repr(e.args)
    yield "vars", repr(vars(e))
    yield "format_exception", "".join(traceback.format_exception(type(e), e, e.__traceback__))
    te = traceback.TracebackException(type(e), e, e.__traceback__, capture_locals=True)
    for frame in te.stack:
        if frame.filename.startswith(PACKAGE_DIR):
            yield "locals of %s:%s" % (frame.name, frame.lineno), repr(frame.locals)
    yield "notes", repr(getattr(e, "__notes__", None))
    cause = e.__cause__ or e.__context__
    if cause is not None:
        yield from (("cause " + k, v) for k, v in texts_of_exception(cause))


def capture(fn):
    try:
        fn()
    except (hss.HSSError, TypeError) as e:
        return e
    raise AssertionError("no exception")


def aksk(**kw):
    args = {"endpoint": EMU["endpoint"], "project_id": "canary", "ak": CANARY_AK, "sk": SK_C,
            "security_token": ST_C}
    args.update(kw)
    return hss.Client(**args)


def token(**kw):
    args = {"endpoint": EMU["endpoint"], "project_id": "canary", "auth_token": AT_C}
    args.update(kw)
    return hss.Client(**args)


FAILURES = {
    # configuration
    "sk and auth_token": lambda: aksk(auth_token=AT_C),
    "token and security_token": lambda: token(security_token=ST_C),
    "sk without ak": lambda: aksk(ak=None),
    "sk too long": lambda: aksk(sk=SK_C * 100),
    "sk with NUL": lambda: aksk(sk=SK_C + "\x00"),
    "sk lone surrogate": lambda: aksk(sk=SK_C + "\ud800"),
    "token with LF": lambda: token(auth_token=AT_C + "\n"),
    "security token non-ASCII": lambda: aksk(security_token=ST_C + "é"),
    "bad endpoint": lambda: aksk(endpoint="ftp://example.com"),
    "bad timeout": lambda: aksk(timeout=-1),
    "bad timeout type": lambda: aksk(timeout="1"),
    "bad ca_file": lambda: aksk(ca_file="/nonexistent"),
    "from_env conflict": lambda: hss.Client.from_env(endpoint=EMU["endpoint"], project_id="p", ak=CANARY_AK,
                                                     sk=SK_C, auth_token=AT_C),
    # request validation
    "password too long": lambda: aksk().get_image_upload_command(**dict(REQ, password=PW_C * 10)),
    "password with NUL": lambda: aksk().get_image_upload_command(**dict(REQ, password=PW_C + "\x00")),
    "password lone surrogate": lambda: aksk().get_image_upload_command(**dict(REQ, password=PW_C + "\udfff")),
    "password with CR": lambda: aksk().get_image_upload_command(**dict(REQ, password=PW_C + "\r")),
    "password not str": lambda: aksk().get_image_upload_command(**dict(REQ, password=PW_C.encode())),
    "other field bad": lambda: aksk().get_image_upload_command(**dict(REQ, registry_addr="")),
    "other field NUL": lambda: aksk().get_image_upload_command(**dict(REQ, namespace="a\x00")),
    "other field type": lambda: aksk().get_image_upload_command(**dict(REQ, username=1)),
    "closed client": lambda: _closed(aksk()).get_image_upload_command(**REQ),
    # service and transport failures
    "wrong sk (APIGW.0301 echoes the request)": lambda: aksk(sk=SK_C + "x").get_image_upload_command(**REQ),
    "wrong token": lambda: token(auth_token=AT_C + "x").get_image_upload_command(**REQ),
    "403": lambda: aksk(project_id="emu-status-403").get_image_upload_command(**REQ),
    "500": lambda: token(project_id="emu-status-500").get_image_upload_command(**REQ),
    "non-JSON": lambda: aksk(project_id="emu-nonjson").get_image_upload_command(**REQ),
    "redirect": lambda: aksk(project_id="emu-redirect").get_image_upload_command(**REQ),
    "timeout": lambda: aksk(project_id="emu-stall", timeout=0.3).get_image_upload_command(**REQ),
    "network": lambda: aksk(endpoint="http://127.0.0.1:1").get_image_upload_command(**REQ),
    # the proxy password
    "proxy_password with NUL": lambda: aksk(proxy="http://127.0.0.1:1", proxy_username="u",
                                            proxy_password=PX_C + "\x00"),
    "proxy_password not str": lambda: aksk(proxy="http://127.0.0.1:1", proxy_username="u",
                                           proxy_password=PX_C.encode()),
    "proxy_password, bad proxy": lambda: aksk(proxy="ftp://127.0.0.1:1", proxy_username="u", proxy_password=PX_C),
    "proxy_password, other option bad": lambda: aksk(proxy="http://127.0.0.1:1", proxy_username="u",
                                                     proxy_password=PX_C, region="x\x00"),
    "proxy_password, cleartext refused": lambda: aksk(proxy="http://127.0.0.1:1", proxy_username="u",
                                                      proxy_password=PX_C).get_image_upload_command(**REQ),
    "proxy_password, proxy unreachable": lambda: aksk(proxy="http://127.0.0.1:1", proxy_username="u",
                                                      proxy_password=PX_C, allow_cleartext_proxy=True
                                                      ).get_image_upload_command(**REQ),
    "TLS": lambda: aksk(endpoint=EMU["endpoint"].replace("http:", "https:")).get_image_upload_command(**REQ),
}


def _closed(client):
    client.close()
    return client


@pytest.mark.parametrize("case", sorted(FAILURES))
def test_no_secret_in_exceptions(case, caplog):
    caplog.set_level(logging.DEBUG)
    e = capture(FAILURES[case])
    checked = []
    for what, text in texts_of_exception(e):
        assert_clean(text, "%s: %s" % (case, what))
        checked.append(what)
    if case != "bad timeout type":  # the ones raised by the binding itself show its frames' locals
        assert any(what.startswith("locals of ") for what in checked), checked
    for record in caplog.records:
        assert_clean(record.getMessage() + repr(record.args), "log record")


def test_wrong_sk_error_is_redacted_not_dropped():
    e = capture(FAILURES["wrong sk (APIGW.0301 echoes the request)"])
    assert isinstance(e, hss.ClientRequestError) and e.error_code == "APIGW.0301"
    assert "password=***" in e.error_msg


def test_no_secret_in_successful_objects(caplog):
    caplog.set_level(logging.DEBUG)
    for make in (aksk, token, _with_proxy_password):
        with make() as client:
            result = client.get_image_upload_command(**REQ)
            assert PW_C in result.image_command  # the answer really holds it ...
            for text in (repr(result), str(result), repr(client), str(client), repr(vars(client)),
                         "%s %r %s" % (result, result, client)):
                assert_clean(text, "success objects")  # ... but never shows it
        assert_clean(repr(client), "closed client")
    from_env = hss.Client.from_env(endpoint=EMU["endpoint"], project_id="p", ak=CANARY_AK, sk=SK_C,
                                   security_token=ST_C)
    assert_clean(repr(from_env) + repr(vars(from_env)), "from_env client")
    from_env.close()
    for record in caplog.records:
        assert_clean(record.getMessage() + repr(record.args), "log record")


def _with_proxy_password():
    # no_proxy: the call goes straight to the emulator, the proxy is configured all the same
    return aksk(proxy="http://127.0.0.1:1", proxy_username="u", proxy_password=PX_C, no_proxy="127.0.0.1",
                allow_cleartext_proxy=True)


def test_secrets_are_not_kept_on_the_client():
    client = _with_proxy_password()
    state = vars(client)
    assert not any(isinstance(v, (str, bytes)) and any(f in v for f in CORES) for v in state.values())
    client.close()


def test_the_answer_buffer_is_wiped_after_each_call():
    # The binding's own memory: the per-thread buffer hss_image_upload_command_get_fields writes the
    # answer (which holds the password) into.
    from hss import _answer_buffer

    with aksk() as client:
        result = client.get_image_upload_command(**REQ)
        assert PW_C in result.image_command
    answer = _answer_buffer.for_this_thread()
    used = sum(answer.lengths) + 3
    assert used > 3 and bytes(answer.view[:used]) == bytes(used)
