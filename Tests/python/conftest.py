"""Fixtures of the Python binding tests (Tests/python): hss.Client factories against the
shared http_emulator (Tests/conftest.py), and `told`, what the binding hands the library;
helpers live in hss_testsupport."""

import hss_testsupport as support  # sets HSS_LIBRARY and sys.path before anything imports hss
import pytest


@pytest.fixture
def make_client(http_emulator):
    """Factory: hss.Client (or cls=hss.AsyncClient) against the plain-HTTP emulator (AK/SK unless
    auth_token is given), one attempt per call unless max_attempts is given (a test whose subject
    is retries); every client made is closed at teardown."""
    import hss

    made = []

    def make(cls=None, **overrides):
        kwargs = {"endpoint": http_emulator.endpoint, "project_id": "proj-python", "ak": support.AK,
                  "sk": support.SK, "max_attempts": 1}
        if "auth_token" in overrides:
            del kwargs["ak"], kwargs["sk"]
        kwargs.update(overrides)
        client = (cls or hss.Client)(**kwargs)
        made.append(client)
        return client

    yield make
    for client in made:
        client.close()


@pytest.fixture
def client(make_client):
    return make_client()


SECRET_OPTIONS = ("sk", "security_token", "auth_token", "proxy_password")


@pytest.fixture
def told(monkeypatch):
    """The hss_client_options each client creation hands the library (hss_client_new and
    hss_client_new_from_env wrapped), one dict per creation: every field but the secrets, with
    `trace` as whether a trace function was given."""
    from hss import _native

    seen = []
    for name in ("hss_client_new", "hss_client_new_from_env"):
        real = getattr(_native.lib, name)

        def spy(opts, out, err, real=real):
            o = opts._obj  # byref(struct) -> the struct
            fields = {f: getattr(o, f) for f, _ in o._fields_ if f not in SECRET_OPTIONS}
            seen.append(dict(fields, trace=bool(o.trace)))
            return real(opts, out, err)

        monkeypatch.setattr(_native.lib, name, spy)
    return seen
