"""A local emulator of Huawei Cloud HSS ShowImageUploadCommand and the identity services of its
clients (IAM, ECS metadata, CCE pod identity, STS, IAM federation), for tests: the implementation
of hss.testing and of the hss-emulator command. Its manual: hss-emulator(1).

Its public name is hss.testing. It lives in this package of its own so that it never needs
libhss.so.1, which importing the `hss` package loads: the pytest plugin is loaded by every pytest
run of an environment that has libhss, and the Debian package hss-emulator stands alone.

Python standard library only, plus libcrypto through ctypes for ECDSA and SM2 signatures.

Modules, one job each:
    emulator         Emulator: the emulator in this process (a `with` block, records, scripts)
    cli              the hss-emulator command
    pytest_plugin    the hss_emulator fixture (entry point pytest11)
    server           EmulatorServer: settings, records, counters, scripted answers; start_emulator
    handler          one connection's requests: read, record, route, answer
    routes           the route table
    hss_api          HSS ShowImageUploadCommand: parameters, behaviours, answer
    identity         the identity services' settings and state; identity_routes: their handlers
    auth             the gateway's AK/SK and token checks; canonical: the canonical request;
                     signing: the five algorithms
    faults           scripted answers
"""

from .emulator import DEFAULT_REGION, Emulator
from .identity import Identity, default_project_id
from .server import (
    DEFAULT_AK,
    DEFAULT_CREDENTIALS,
    DEFAULT_SK,
    DEFAULT_TOKEN,
    EmulatorServer,
    make_server,
    start_emulator,
)

__all__ = ["Emulator", "EmulatorServer", "Identity", "default_project_id", "make_server", "start_emulator",
           "DEFAULT_AK", "DEFAULT_SK", "DEFAULT_TOKEN", "DEFAULT_CREDENTIALS", "DEFAULT_REGION"]
