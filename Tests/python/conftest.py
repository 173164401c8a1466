"""Fixtures of the Python binding tests (Tests/python): hss.Client factories against the
shared http_emulator (Tests/conftest.py); helpers live in hss_testsupport."""

import hss_testsupport as support  # sets HSS_LIBRARY and sys.path before anything imports hss
import pytest


@pytest.fixture
def make_client(http_emulator):
    """Factory: hss.Client (or cls=hss.AsyncClient) against the plain-HTTP emulator (AK/SK unless
    auth_token is given); every client made is closed at teardown."""
    import hss

    made = []

    def make(cls=None, **overrides):
        kwargs = {"endpoint": http_emulator.endpoint, "project_id": "proj-python", "ak": support.AK,
                  "sk": support.SK}
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
