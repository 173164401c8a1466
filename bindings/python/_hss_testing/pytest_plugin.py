"""The pytest plugin of libhss's HSS emulator, registered through the `pytest11` entry point: once
libhss (or the hss-emulator Debian package) is installed, a test asks for the fixture by name.

    def test_upload_command(hss_emulator):
        ...  # hss_emulator is a running hss.testing.Emulator, closed after the test

@pytest.mark.hss_emulator(**options) gives the Emulator options (credentials=, tokens=, region=,
identity=, tls_cert=, tls_key=, ca_file=, clock_offset=). Importing this module costs nothing
else: the emulator is imported by the first test that asks for it.
"""

import pytest


def pytest_configure(config):
    config.addinivalue_line("markers", "hss_emulator(**options): options of the hss_emulator fixture's "
                                       "hss.testing.Emulator (credentials=, tokens=, region=, identity=...)")


@pytest.fixture
def hss_emulator(request):
    """A running HSS emulator (hss.testing.Emulator) for this test: .endpoint, .project_id, .ak,
    .sk, .records, .script(...); see hss-emulator(1)."""
    from .emulator import Emulator

    marker = request.node.get_closest_marker("hss_emulator")
    with Emulator(**(marker.kwargs if marker else {})) as emu:
        yield emu
