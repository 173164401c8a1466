"""python3 -m _hss_testing: the hss-emulator command."""

import sys

from .cli import main

sys.exit(main())
