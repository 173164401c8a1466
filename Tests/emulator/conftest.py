"""Fixtures of the emulator's own tests (helpers: emu_support.py): servers started with
_hss_testing.start_emulator, the shipped server without the Emulator class (whose own tests are in
test_emulator_inprocess.py)."""

import os

import pytest
from _hss_testing import identity, start_emulator
from emu_support import GOOD, Credentials, base_url, sdk_date, sdk_internal, signed_request


@pytest.fixture(scope="module")
def emu():
    server, port = start_emulator()
    yield port
    server.shutdown()


@pytest.fixture(scope="module")
def emu_tls(test_ca):  # test_ca: the shared throw-away CA of Tests/conftest.py
    server, port = start_emulator(tls_cert=test_ca["server.pem"], tls_key=test_ca["server.key"])
    yield port
    server.shutdown()


@pytest.fixture()
def signed(emu):
    query = dict(GOOD, password="p@ss+w/rd=&")
    target, headers = signed_request(emu, query=query, date=sdk_date())
    return emu, query, target, headers


@pytest.fixture(scope="module")
def _idserver():
    server, _ = start_emulator()
    yield server
    server.shutdown()


@pytest.fixture()
def idemu(_idserver):
    """The emulator server with default identity settings and zeroed counters for each test."""
    _idserver.identity = identity.Identity()
    _idserver.snapshot_stats(reset=True)
    return _idserver


@pytest.fixture()
def sdk_env(monkeypatch, idemu):
    """The official SDK confined to the emulator: no inherited HUAWEICLOUD_*/HC_CONTAINER_*/proxy
    variables, IAM and STS at the emulator, an empty project-id cache, and (should anything reach
    for it) the metadata service at a loopback port nobody listens on."""
    for name in list(os.environ):
        if name.startswith(("HUAWEICLOUD_", "HC_CONTAINER_")) or name.lower().endswith("_proxy"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("NO_PROXY", "*")
    monkeypatch.setenv("HUAWEICLOUD_SDK_IAM_ENDPOINT", base_url(idemu))
    monkeypatch.setenv("HUAWEICLOUD_SDK_STS_ENDPOINT", base_url(idemu))
    monkeypatch.setattr(Credentials, "_CACHE", {})
    monkeypatch.setattr(sdk_internal.MetadataAccessor, "_METADATA_ENDPOINT", "http://127.0.0.1:9")
    return monkeypatch


@pytest.fixture()
def femu(_idserver):
    """The emulator server with no fault script, no arrivals and a true clock, before and after."""
    _idserver.clear_faults()
    yield _idserver
    _idserver.clear_faults()
