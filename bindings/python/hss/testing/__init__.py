"""hss.testing: a local emulator of Huawei Cloud HSS for your tests, with no cloud account.

    import hss, hss.testing

    with hss.testing.Emulator() as emu:
        with hss.Client(endpoint=emu.endpoint, project_id=emu.project_id, ak=emu.ak, sk=emu.sk) as client:
            ...
        emu.records[-1]["query"]              # what the emulator received
        emu.script([{"status": 429}])         # its next answer

Also a pytest fixture, `hss_emulator`, and a command, `hss-emulator`. Its manual: hss-emulator(1).
The code is the package _hss_testing, which needs no libhss.so.1 (importing `hss` loads it).
"""

from _hss_testing import *  # noqa: F401,F403
from _hss_testing import __all__  # noqa: F401
