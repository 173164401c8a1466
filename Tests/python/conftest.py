"""Fixtures for the Python binding tests (Tests/python); helpers live in hss_testsupport."""

import os
import socket
import subprocess

import pytest

import hss_testsupport as support  # sets HSS_LIBRARY and sys.path before anything imports hss


@pytest.fixture(scope="session")
def emulator():
    """The HSS emulator over plain HTTP, in this process (default AK/SK and token)."""
    server, port = support.start_fast_emulator()
    yield support.Emulator(server, port)
    server.shutdown()


@pytest.fixture(scope="session")
def tls_files(tmp_path_factory):
    out = tmp_path_factory.mktemp("python-ca")
    subprocess.run(["bash", os.path.join(support.EMULATOR_DIR, "make_test_ca.sh"), str(out)], check=True)
    return {name: str(out / name) for name in ("ca.pem", "server.pem", "server.key")}


@pytest.fixture(scope="session")
def tls_emulator(tls_files):
    """The HSS emulator over HTTPS with a throw-away CA (`.ca_file`)."""
    server, port = support.start_fast_emulator(tls_cert=tls_files["server.pem"], tls_key=tls_files["server.key"])
    yield support.Emulator(server, port, "https", tls_files["ca.pem"])
    server.shutdown()


@pytest.fixture
def make_client(emulator):
    """Factory: hss.Client against the plain-HTTP emulator (AK/SK unless auth_token is given);
    every client made is closed at teardown."""
    import hss

    made = []

    def make(**overrides):
        kwargs = {"endpoint": emulator.endpoint, "project_id": "proj-python", "ak": support.AK,
                  "sk": support.SK}
        if "auth_token" in overrides:
            del kwargs["ak"], kwargs["sk"]
        kwargs.update(overrides)
        client = hss.Client(**kwargs)
        made.append(client)
        return client

    yield make
    for client in made:
        client.close()


@pytest.fixture
def client(make_client):
    return make_client()


@pytest.fixture
def closed_port():
    """A local TCP port nothing listens on."""
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


@pytest.fixture
def emulator_process():
    """The emulator in a child process."""
    proc = support.EmulatorProcess()
    yield proc
    proc.stop()
