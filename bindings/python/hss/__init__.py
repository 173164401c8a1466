"""libhss for Python: call Huawei Cloud HSS ShowImageUploadCommand through libhss.so.1.

    import hss

    with hss.Client(region="cn-north-4") as client:  # credentials: the default chain
        result = client.get_image_upload_command(
            registry_addr="myharbor.example.com:443", namespace="library",
            username="admin", password="...")
        print(result.image_command)

Every option is a keyword of :class:`hss.Client` (``project_id``, ``ak``/``sk``, ``proxy``...);
:meth:`hss.Client.settings` tells what a client uses and where each value came from.
:class:`hss.AsyncClient` takes the same keywords, for asyncio (``await
client.get_image_upload_command(...)``).

A thin ``ctypes`` layer over the C library, standard library only. The library is found through
``$HSS_LIBRARY``, then a ``libhss.so.1`` inside this package, then the system's ``libhss.so.1``
(see :mod:`hss._native`); importing fails with ``ImportError`` if none is usable.
"""

from . import errors
from ._client import Client, ImageUploadCommand, Setting
from ._native import library_path, library_version
from ._options import SigningAlgorithm
from .errors import *  # noqa: F401,F403 (the exception classes and Status; listed in errors.__all__)

#: The version of this binding (= HSS_VERSION_STRING of the C header it was written for).
__version__ = "1.2.0"

__all__ = ["__version__", "library_path", "library_version", "Client", "AsyncClient",  # noqa: F405 (__getattr__)
           "ImageUploadCommand", "Setting", "SigningAlgorithm", *errors.__all__]


def __getattr__(name: str):
    """hss.AsyncClient, imported on first use: asyncio is not loaded by `import hss` itself."""
    if name == "AsyncClient":
        from ._async import AsyncClient

        return AsyncClient
    raise AttributeError("module 'hss' has no attribute %r" % name)


def __dir__():
    return sorted(set(globals()) | {"AsyncClient"})
