"""Finding and loading libhss.so.1, and the ctypes declaration of every C function used.

Lookup order (the first that applies is used; nothing else is tried after it):

1. ``$HSS_LIBRARY``: the full path of a library file. When set (non-empty), it is the only
   candidate: an explicit choice that fails is an error, never a silent fallback.
2. ``libhss.so.1`` inside this package's folder (a copy shipped with the package).
3. The system's ``libhss.so.1`` (package ``libhss1``), found by the dynamic loader
   (``ld.so.cache``, ``LD_LIBRARY_PATH``). Only the versioned soname: the bare ``libhss.so`` link
   belongs to the development package and may point at an incompatible major version.

The loaded library must report major version 1 and at least the version this binding was
written for (``hss_version_number()``); otherwise importing :mod:`hss` raises ``ImportError``.
"""

from __future__ import annotations

import ctypes
import os
from ctypes import CFUNCTYPE, POINTER, Structure, byref, c_char_p, c_int, c_long, c_size_t, c_uint, c_void_p

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing; type checkers know the name

if TYPE_CHECKING:  # annotations only: importing typing at run time costs milliseconds
    from typing import Callable, List, Optional, Tuple

from .errors import HSSError, error_class_for  # noqa: E402 (after the TYPE_CHECKING block)

__all__ = ["lib", "library_path", "library_version", "ClientOptions", "ImageUploadCommandRequest", "SETTINGS"]

ENV_VAR = "HSS_LIBRARY"
SONAME = "libhss.so.1"
#: The C API version this binding was written against (HSS_VERSION_NUM of include/hss.h).
REQUIRED_MAJOR = 1
MIN_VERSION = 0x010200  # options version 4, request version 2, the calls that do not block, hss_error_retryable

#: The struct versions the ctypes Structures below describe (HSS_CLIENT_OPTIONS_VERSION and
#: HSS_IMAGE_UPLOAD_COMMAND_REQUEST_VERSION of that header). The library fills and checks them.
CLIENT_OPTIONS_VERSION = 4
REQUEST_VERSION = 2
#: HSS_IMAGE_UPLOAD_COMMAND_BUFFER_SIZE: the buffer hss_image_upload_command_get_into needs.
IMAGE_UPLOAD_COMMAND_BUFFER_SIZE = 256 * 1024 + 3

#: ``enum hss_setting``: the name Client.settings() gives each setting, by value.
SETTINGS = ("region", "endpoint", "project_id", "iam_endpoint", "credentials")

#: ``hss_trace_fn``: void (*)(hss_trace_level level, const char *line, void *user).
TRACE_FN = CFUNCTYPE(None, c_int, c_char_p, c_void_p)
#: ``hss_image_upload_command_done_fn``: void (*)(hss_status, hss_image_upload_command *, hss_error *, void *).
DONE_FN = CFUNCTYPE(None, c_int, c_void_p, c_void_p, c_void_p)
#: ``hss_resolve_done_fn``: void (*)(hss_status, hss_error *, void *).
RESOLVE_DONE_FN = CFUNCTYPE(None, c_int, c_void_p, c_void_p)
#: ``HSS_COMPLETIONS_DISPATCH``: completions run by hss_client_dispatch (hss.AsyncClient).
COMPLETIONS_DISPATCH = 1

_FIX = (
    "Install libhss (e.g. `apt install libhss1`), or set HSS_LIBRARY to the full path of "
    "libhss.so.1 (e.g. HSS_LIBRARY=/path/to/build/lib/libhss.so.1)."
)


def _fmt_version(num: int) -> str:
    return "%d.%d.%d" % ((num >> 16) & 0xFF, (num >> 8) & 0xFF, num & 0xFF)


def _open() -> Tuple[ctypes.CDLL, str]:
    """Load the library following the lookup order; raise ImportError with what was tried."""
    override = os.environ.get(ENV_VAR)
    if override:
        try:
            return ctypes.CDLL(override), override
        except OSError as exc:
            reason = str(exc)
        raise ImportError(
            "hss: cannot load libhss from HSS_LIBRARY=%r: %s. HSS_LIBRARY must be the full path "
            "of libhss.so.1; fix it or unset it to use the system's libhss.so.1. %s"
            % (override, reason, _FIX),
            name="hss",
        )

    tried: List[str] = []
    bundled = os.path.join(os.path.dirname(os.path.abspath(__file__)), SONAME)
    if os.path.exists(bundled):
        try:
            return ctypes.CDLL(bundled), bundled
        except OSError as exc:
            reason = str(exc)
        raise ImportError(
            "hss: cannot load the libhss.so.1 shipped next to the package (%s): %s. %s"
            % (bundled, reason, _FIX),
            name="hss",
        )
    tried.append("%s (not found)" % bundled)

    try:
        return ctypes.CDLL(SONAME), SONAME
    except OSError as exc:
        tried.append("%s from the system library path (%s)" % (SONAME, exc))
    raise ImportError(
        "hss: libhss.so.1 not found. Tried: HSS_LIBRARY (not set); %s. %s" % ("; ".join(tried), _FIX),
        name="hss",
    )


class _DlInfo(Structure):
    _fields_ = [("dli_fname", c_char_p), ("dli_fbase", c_void_p),
                ("dli_sname", c_char_p), ("dli_saddr", c_void_p)]


def _real_path(lib: ctypes.CDLL, fallback: str) -> str:
    """The file the loader actually mapped (via dladdr), else how it was asked for."""
    try:
        dladdr = ctypes.CDLL(None).dladdr
        dladdr.argtypes = [c_void_p, POINTER(_DlInfo)]
        dladdr.restype = c_int
        info = _DlInfo()
        addr = ctypes.cast(lib.hss_version_number, c_void_p)
        if dladdr(addr, byref(info)) and info.dli_fname:
            return os.fsdecode(info.dli_fname)
    except (AttributeError, OSError):
        pass
    return fallback


def _declare(lib: ctypes.CDLL, where: str, only: Tuple[str, ...] = ()) -> None:
    """argtypes/restype for every function of hss.h (or for those named in `only`).

    Kept by hand; Tests/test_binding_ctypes.py holds each one, the Structures' field types and
    the enum values below to include/hss.h, and fails when hss.h declares a function not here."""
    # (name, restype, argtypes). Accessors returning `const char *` owned by an object use
    # c_char_p: ctypes copies the string into Python bytes at once, before the owner is freed.
    vp = c_void_p
    pvp = POINTER(c_void_p)
    table = [
        ("hss_version_number", c_uint, []),
        ("hss_version_string", c_char_p, []),
        ("hss_status_str", c_char_p, [c_int]),
        ("hss_error_status", c_int, [vp]),
        ("hss_error_message", c_char_p, [vp]),
        ("hss_error_http_status", c_int, [vp]),
        ("hss_error_code", c_char_p, [vp]),
        ("hss_error_service_message", c_char_p, [vp]),
        ("hss_error_request_id", c_char_p, [vp]),
        ("hss_error_attempts", c_int, [vp]),
        ("hss_error_retryable", c_int, [vp]),
        ("hss_error_free", None, [vp]),
        ("hss_client_options_init", c_int, [POINTER(ClientOptions), c_uint]),
        ("hss_client_new", c_int, [POINTER(ClientOptions), pvp, pvp]),
        ("hss_client_new_from_env", c_int, [POINTER(ClientOptions), pvp, pvp]),
        ("hss_client_free", None, [vp]),
        ("hss_client_set_trace_level", c_int, [vp, c_int]),
        ("hss_client_resolve", c_int, [vp, pvp]),
        ("hss_client_setting", c_char_p, [vp, c_int]),
        ("hss_client_setting_source", c_char_p, [vp, c_int]),
        ("hss_image_upload_command_request_init", c_int, [POINTER(ImageUploadCommandRequest), c_uint]),
        ("hss_image_upload_command_get", c_int, [vp, POINTER(ImageUploadCommandRequest), pvp, pvp]),
        ("hss_image_upload_command_image_command", c_char_p, [vp]),
        ("hss_image_upload_command_images_download_url", c_char_p, [vp]),
        ("hss_image_upload_command_swr_image_pull_command", c_char_p, [vp]),
        ("hss_image_upload_command_free", None, [vp]),
        ("hss_image_upload_command_get_into", c_int,
         [vp, POINTER(ImageUploadCommandRequest), c_char_p, c_size_t, POINTER(c_size_t), pvp]),
        ("hss_image_upload_command_get_fields", c_int,
         [vp, c_char_p, c_char_p, c_char_p, c_char_p, c_char_p, c_char_p, c_size_t, POINTER(c_size_t), pvp]),
        ("hss_cancel_new", c_int, [pvp]),
        ("hss_cancel_trigger", None, [vp]),
        ("hss_cancel_free", None, [vp]),
        ("hss_image_upload_command_start", c_int, [vp, POINTER(ImageUploadCommandRequest), DONE_FN, vp, pvp]),
        ("hss_client_resolve_start", c_int, [vp, vp, RESOLVE_DONE_FN, vp, pvp]),
        ("hss_client_completion_fd", c_int, [vp]),
        ("hss_client_dispatch", c_uint, [vp, c_uint]),
    ]
    for name, restype, argtypes in table:
        if only and name not in only:
            continue
        try:
            fn = getattr(lib, name)
        except AttributeError:
            raise ImportError(
                "hss: %s does not export %s(): not libhss 1.x, or a broken build. %s" % (where, name, _FIX),
                name="hss",
            ) from None
        fn.restype = restype
        fn.argtypes = argtypes


def _init_struct(init: Callable[..., int], struct: Structure, version: int) -> None:
    """Have the library fill a new struct for `version` (its defaults, and `version` itself):
    one call, instead of this binding knowing the defaults."""
    status = init(byref(struct), version)
    if status != 0:  # a library older than this binding's struct version, or a broken build
        raise error_class_for(status)(
            "hss: %s (libhss %s) refused %s(version %d): %s. %s" % (
                _path, _fmt_version(_version_num), init.__name__, version,
                _text(lib.hss_status_str(status)), _FIX),
            status=status,
        )


class ClientOptions(Structure):
    """``hss_client_options`` (HSS_CLIENT_OPTIONS_VERSION 4), filled by hss_client_options_init.

    Tests/test_abi.py checks this layout against the C compiler's."""

    _fields_ = [
        ("version", c_uint),
        ("region", c_char_p),
        ("endpoint", c_char_p),
        ("project_id", c_char_p),
        ("ak", c_char_p),
        ("sk", c_char_p),
        ("security_token", c_char_p),
        ("auth_token", c_char_p),
        ("connect_timeout_ms", c_long),
        ("timeout_ms", c_long),
        ("ca_file", c_char_p),
        ("user_agent_suffix", c_char_p),
        # version 2
        ("iam_endpoint", c_char_p),
        ("proxy", c_char_p),
        ("proxy_username", c_char_p),
        ("proxy_password", c_char_p),
        ("no_proxy", c_char_p),
        ("allow_cleartext_proxy", c_int),
        ("trace", TRACE_FN),
        ("trace_user", c_void_p),
        ("trace_level", c_int),
        ("max_attempts", c_int),
        ("retry_base_ms", c_long),
        ("retry_cap_ms", c_long),
        ("signing_algorithm", c_int),
        ("derived_key_service", c_char_p),
        # Version 3 (libhss 1.2.0)
        ("dry_run", c_int),
        # Version 4 (libhss 1.2.0)
        ("completions", c_int),
    ]

    def __init__(self) -> None:
        super().__init__()
        _init_struct(lib.hss_client_options_init, self, CLIENT_OPTIONS_VERSION)

    def __repr__(self) -> str:  # never the field values: some are secrets
        return "<hss_client_options>"


class ImageUploadCommandRequest(Structure):
    """``hss_image_upload_command_request`` (HSS_IMAGE_UPLOAD_COMMAND_REQUEST_VERSION 2), filled
    by hss_image_upload_command_request_init. Tests/test_abi.py checks this layout too."""

    _fields_ = [
        ("version", c_uint),
        ("registry_addr", c_char_p),
        ("namespace_name", c_char_p),
        ("username", c_char_p),
        ("password", c_char_p),
        ("enterprise_project_id", c_char_p),
        # Version 2 (libhss 1.2.0)
        ("cancel", c_void_p),
    ]

    def __init__(self) -> None:
        super().__init__()
        _init_struct(lib.hss_image_upload_command_request_init, self, REQUEST_VERSION)

    def __repr__(self) -> str:  # never the field values: the password is one
        return "<hss_image_upload_command_request>"


class FilledRequest(ImageUploadCommandRequest):
    """The same struct, built by ctypes' own ``Structure.__init__`` from every field of
    REQUEST_VERSION (``version`` included), in order; ``cancel`` is left to ctypes' zero, NULL,
    its default. So the _init function would add nothing: this saves a crossing into the
    library on each call of ``hss.AsyncClient.get_image_upload_command``."""

    __init__ = Structure.__init__  # type: ignore[assignment]


def _load() -> Tuple[ctypes.CDLL, str, int]:
    lib, asked = _open()
    path = asked
    try:
        lib.hss_version_number.restype = c_uint
        lib.hss_version_number.argtypes = []
    except AttributeError:
        raise ImportError(
            "hss: %s is not libhss (it has no hss_version_number()). %s" % (asked, _FIX), name="hss"
        ) from None
    path = _real_path(lib, asked)
    version = int(lib.hss_version_number())
    if (version >> 16) != REQUIRED_MAJOR or version < MIN_VERSION:
        raise ImportError(
            "hss: %s is libhss %s (0x%06X), but this binding needs libhss %d.x, at least %s "
            "(0x%06X). %s" % (path, _fmt_version(version), version, REQUIRED_MAJOR,
                             _fmt_version(MIN_VERSION), MIN_VERSION, _FIX),
            name="hss",
        )
    _declare(lib, path)
    return lib, path, version


lib, _path, _version_num = _load()



def library_path() -> str:
    """The file libhss was loaded from."""
    return _path


def library_version() -> str:
    """The loaded library's version string (``hss_version_string()``), e.g. ``"1.2.0"``."""
    raw = lib.hss_version_string()
    return raw.decode("utf-8", "replace") if raw else _fmt_version(_version_num)


def _text(raw: Optional[bytes]) -> str:
    return raw.decode("utf-8", "replace") if raw else ""


def take_error(status: int, err: c_void_p) -> HSSError:
    """Turn a failed call's status and hss_error into an exception; frees the hss_error."""
    try:
        if err.value:
            message = _text(lib.hss_error_message(err))
            status_code = int(lib.hss_error_http_status(err))
            error_code = _text(lib.hss_error_code(err))
            error_msg = _text(lib.hss_error_service_message(err))
            request_id = _text(lib.hss_error_request_id(err))
            attempts = int(lib.hss_error_attempts(err))
            retryable = bool(lib.hss_error_retryable(err))
        else:  # the library always fills *err; be safe anyway
            message, status_code, error_code, error_msg, request_id, attempts = "", 0, "", "", "", 0
            retryable = False
    finally:
        lib.hss_error_free(err)
        err.value = None
    if not message:
        message = _text(lib.hss_status_str(status))
    if attempts > 1 and "attempt" not in message:  # libhss's message usually says it already
        message += " (after %d attempts)" % attempts
    return error_class_for(status)(
        message,
        status=status,
        status_code=status_code,
        error_code=error_code,
        error_msg=error_msg,
        request_id=request_id,
        attempts=attempts,
        retryable=retryable,
    )
