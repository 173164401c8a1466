"""The official Huawei Cloud SDK is our test oracle. Importing huaweicloudsdkcore.auth writes a
tracking id to ~/.huaweicloud/application_id; import it under `with scratch_home():` so the
caller's home stays untouched."""

import contextlib
import os
import tempfile


@contextlib.contextmanager
def scratch_home():
    home = os.environ.get("HOME")
    with tempfile.TemporaryDirectory() as scratch:
        os.environ["HOME"] = scratch
        try:
            yield
        finally:
            if home is None:
                del os.environ["HOME"]
            else:
                os.environ["HOME"] = home
