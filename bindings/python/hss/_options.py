"""Turns hss.Client's keywords into the C options struct, validating each value and naming the keyword."""

from __future__ import annotations

import enum
import math
import os

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing; type checkers know the name

if TYPE_CHECKING:  # annotations only: importing typing at run time costs milliseconds
    from typing import Any, Optional, Tuple, Union

    PathLike = Union[str, "os.PathLike[str]"]

from . import _native  # noqa: E402 (after the TYPE_CHECKING block on purpose)
from .errors import InvalidArgumentError, Status  # noqa: E402

__all__ = ["SigningAlgorithm"]

_MAX_SECONDS = 3600  # the C API's limit of 3600000 ms, for timeout and connect_timeout alike
_MAX_RETRY_BASE = 60  # retry_base_ms: at most 60000
_MAX_RETRY_CAP = 600  # retry_cap_ms: at most 600000
_DEFAULT_RETRY_CAP_MS = 20000  # retry_cap_ms 0
_MAX_ATTEMPTS = 10


class SigningAlgorithm(str, enum.Enum):
    """How a client signs its requests with AK/SK (``hss_signing_algorithm``): each value is the
    scheme name the Authorization header starts with. The ``signing_algorithm`` keyword takes a
    member or the name itself (``"SDK-HMAC-SM3"``)."""

    HMAC_SHA256 = "SDK-HMAC-SHA256"  # the default, what the official HSS clients use
    HMAC_SM3 = "SDK-HMAC-SM3"
    ECDSA_P256_SHA256 = "SDK-ECDSA-P256-SHA256"
    SM2_SM3 = "SDK-SM2-SM3"
    V11_HMAC_SHA256 = "V11-HMAC-SHA256"  # a derived key: needs the region, see derived_key_service

    def __str__(self) -> str:
        return self.value


#: scheme name -> hss_signing_algorithm (the C enum lists them in this order, from 1).
_SIGNING_ALGORITHMS = {member.value: number for number, member in enumerate(SigningAlgorithm, 1)}


def _invalid(message: str) -> InvalidArgumentError:
    return InvalidArgumentError(message, status=Status.INVALID_ARGUMENT)


def _encode(name: str, value: Any) -> Optional[bytes]:
    """str -> UTF-8 bytes for a C string field; None stays None.

    Never puts the value in an exception, and deletes it from this frame before raising, so a
    traceback's frame locals cannot show it either.
    """
    if value is None:
        return None
    if isinstance(value, str):
        if "\x00" not in value:
            try:
                return value.encode()  # UTF-8 (the default: no codec name to look up)
            except UnicodeEncodeError:  # lone surrogates; raised below, outside this handler,
                pass                    # so the UnicodeEncodeError (it holds the value) is dropped
            del value
            raise _invalid("%s is not valid Unicode (it contains a lone surrogate)" % name)
        del value
        raise _invalid("%s must not contain NUL characters" % name)
    kind = type(value).__name__
    del value
    raise TypeError("%s must be a str, not %s" % (name, kind))


_utf8 = str.encode  # UTF-8 (the default), for str and its subclasses only: TypeError for the rest


def _encode_request(registry_addr: Any, namespace: Any, username: Any, password: Any,
                    enterprise_project_id: Any) -> Tuple[Optional[bytes], ...]:
    """A call's strings, encoded as _encode encodes each, in the C order (registry_addr,
    namespace, username, password, enterprise_project_id): in one step when every one is a
    plain str (the hot path), else one by one, the password first as ever, for _encode's error.

    `password` leaves this frame whatever happens, and no UnicodeEncodeError (which holds the
    value) leaves it either."""
    try:
        try:
            encoded = (_utf8(registry_addr), _utf8(namespace), _utf8(username), _utf8(password),
                       None if enterprise_project_id is None else _utf8(enterprise_project_id))
        except (TypeError, UnicodeEncodeError):
            encoded = None  # raised below, outside this handler, so that the exception is dropped
        # `0 in`: the byte value, found without the substring search (and the TypeError it
        # raises and drops first) that `b"\x00" in` costs.
        if encoded is not None and not (0 in encoded[0] or 0 in encoded[1] or 0 in encoded[2] or 0 in encoded[3]
                                        or (encoded[4] is not None and 0 in encoded[4])):
            return encoded
        del encoded
        one_by_one = (_encode("password", password), _encode("registry_addr", registry_addr),
                      _encode("namespace", namespace), _encode("username", username),
                      _encode("enterprise_project_id", enterprise_project_id))
        return (one_by_one[1], one_by_one[2], one_by_one[3], one_by_one[0], one_by_one[4])
    finally:
        del password


def _set_secret(struct: Any, name: str, value: Any) -> None:
    """struct.<name> = the encoded secret, leaving no reference to it in this frame on error."""
    try:
        encoded = _encode(name, value)
    finally:
        del value
    setattr(struct, name, encoded)


def _options_with_secrets(sk: Any, security_token: Any, auth_token: Any,
                          proxy_password: Any) -> _native.ClientOptions:
    """New C options holding the encoded secrets, and no reference to them in this frame."""
    try:
        opts = _native.ClientOptions()  # inside the try: even its failure must drop the secrets
        _set_secret(opts, "sk", sk)
        _set_secret(opts, "security_token", security_token)
        _set_secret(opts, "auth_token", auth_token)
        _set_secret(opts, "proxy_password", proxy_password)
    finally:
        del sk, security_token, auth_token, proxy_password
    return opts


def _path(name: str, value: Any) -> Optional[bytes]:
    if value is None:
        return None
    try:
        raw = os.fspath(value)
    except TypeError:
        raise TypeError("%s must be a str or os.PathLike, not %s" % (name, type(value).__name__)) from None
    if isinstance(raw, str):
        try:
            raw = os.fsencode(raw)
        except UnicodeEncodeError:
            raw = None
        if raw is None:
            raise _invalid("%s cannot be encoded for the file system" % name)
    if b"\x00" in raw:
        raise _invalid("%s must not contain NUL characters" % name)
    return raw


def _ms(name: str, seconds: Optional[float], maximum: int = _MAX_SECONDS) -> int:
    """Seconds (int or float) -> whole milliseconds (rounded up); None -> 0 (library default).

    The range is checked here, in seconds, so that the message speaks the caller's unit (the
    library's own would name timeout_ms and milliseconds).
    """
    if seconds is None:
        return 0
    if isinstance(seconds, bool) or not isinstance(seconds, (int, float)):
        raise TypeError("%s must be a number of seconds, not %s" % (name, type(seconds).__name__))
    # Comparisons, not float(): false for NaN, and exact for an int of any size.
    if not 0 < seconds <= maximum:
        raise _invalid("%s must be more than 0 and at most %d seconds" % (name, maximum))
    return math.ceil(seconds * 1000)  # <= 3600000: the product rounds monotonically


def _attempts(value: Optional[int]) -> int:
    """max_attempts: an int from 1 to 10; None -> 0 (library default, 3)."""
    if value is None:
        return 0
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError("max_attempts must be an int, not %s" % type(value).__name__)
    if not 1 <= value <= _MAX_ATTEMPTS:
        raise _invalid("max_attempts must be from 1 (no retries) to %d" % _MAX_ATTEMPTS)
    return value


def _signing_algorithm(value: Any) -> int:
    """A scheme name (a str or SigningAlgorithm) -> hss_signing_algorithm; None -> 0 (the
    default, or HUAWEICLOUD_SDK_SIGNING_ALGORITHM with from_env)."""
    if value is None:
        return 0
    if not isinstance(value, str):
        raise TypeError("signing_algorithm must be a str such as \"SDK-HMAC-SM3\", not %s" % type(value).__name__)
    number = _SIGNING_ALGORITHMS.get(value)
    if number is None:
        raise _invalid("signing_algorithm must be one of %s" % ", ".join(_SIGNING_ALGORITHMS))
    return number


def _flag(name: str, value: Any) -> int:
    """A bool option -> 0 or 1. Only a bool: a string such as "false" would be true."""
    if not isinstance(value, bool):
        raise TypeError("%s must be a bool, not %s" % (name, type(value).__name__))
    return int(value)


#: hss_trace_level -> the logging module's level of the same name (WARNING, INFO, DEBUG).
_TRACE_LEVELS = {1: 30, 2: 20, 3: 10}
_HSS_TRACE_INFO, _HSS_TRACE_DEBUG = 2, 3


def _trace_level(level: Any) -> int:
    """A logging level -> the hss_trace_level that lets through the lines a logger at that level
    would keep: DEBUG (or lower) -> HSS_TRACE_DEBUG, INFO -> INFO, above -> WARNING."""
    if isinstance(level, bool) or not isinstance(level, int):
        raise TypeError("trace_level must be a logging level (an int), not %s" % type(level).__name__)
    return _HSS_TRACE_DEBUG if level <= 10 else _HSS_TRACE_INFO if level <= 20 else 1


def _default_trace(opts: _native.ClientOptions) -> Tuple[Any, Any]:
    """Without trace=: the "hss" logger, and the level its effective level asks for now (DEBUG
    lines only when it would keep them: building them costs, info lines are few), unless
    HSS_DEBUG=1 asks the library to print everything to stderr itself (then None). Also the
    logger whose level the client follows from call to call (without trace_level=), else None."""
    if os.environ.get("HSS_DEBUG") == "1":
        return None, None
    import logging  # here, not at import time: `import hss` stays cheap

    logger = logging.getLogger("hss")
    if opts.trace_level:
        return logger.log, None
    opts.trace_level = _trace_level_for(logger)
    return logger.log, logger


def _trace_level_for(logger: Any) -> int:
    """The hss_trace_level a logger's effective level asks for: DEBUG, else INFO."""
    return _HSS_TRACE_DEBUG if logger.isEnabledFor(10) else _HSS_TRACE_INFO


def _trace_function(trace: Any) -> Any:
    """The C trace function (an hss_trace_fn) that hands each line to `trace(level, line)`."""
    if not callable(trace):
        raise TypeError("trace must be a callable(level, line), not %s" % type(trace).__name__)

    def forward(level: int, line: Optional[bytes], user: Any) -> None:
        # An exception raised here cannot cross into C: ctypes reports it to
        # sys.unraisablehook, and the library carries on.
        trace(_TRACE_LEVELS.get(level, level), line.decode("utf-8", "replace") if line else "")

    return _native.TRACE_FN(forward)


def _fill_public(opts: _native.ClientOptions, *, region: Optional[str], endpoint: Optional[str],
                 project_id: Optional[str], ak: Optional[str], ca_file: Optional[PathLike],
                 connect_timeout: Optional[float], timeout: Optional[float],
                 user_agent_suffix: Optional[str], iam_endpoint: Optional[str], proxy: Optional[str],
                 proxy_username: Optional[str], no_proxy: Optional[str],
                 allow_cleartext_proxy: bool, max_attempts: Optional[int], retry_base: Optional[float],
                 retry_cap: Optional[float], trace_level: Optional[int],
                 signing_algorithm: Optional[str], derived_key_service: Optional[str], dry_run: bool) -> None:
    """Every option that is not a secret."""
    opts.region = _encode("region", region)
    opts.endpoint = _encode("endpoint", endpoint)
    opts.project_id = _encode("project_id", project_id)
    opts.ak = _encode("ak", ak)
    opts.ca_file = _path("ca_file", ca_file)
    opts.connect_timeout_ms = _ms("connect_timeout", connect_timeout)
    opts.timeout_ms = _ms("timeout", timeout)
    opts.user_agent_suffix = _encode("user_agent_suffix", user_agent_suffix)
    opts.iam_endpoint = _encode("iam_endpoint", iam_endpoint)
    opts.proxy = _encode("proxy", proxy)
    opts.proxy_username = _encode("proxy_username", proxy_username)
    opts.no_proxy = _encode("no_proxy", no_proxy)
    opts.allow_cleartext_proxy = _flag("allow_cleartext_proxy", allow_cleartext_proxy)
    opts.max_attempts = _attempts(max_attempts)
    opts.retry_base_ms = _ms("retry_base", retry_base, _MAX_RETRY_BASE)
    opts.retry_cap_ms = _ms("retry_cap", retry_cap, _MAX_RETRY_CAP)
    if opts.retry_base_ms > (opts.retry_cap_ms or _DEFAULT_RETRY_CAP_MS):
        raise _invalid("retry_cap (default 20 seconds) must be at least retry_base")
    opts.trace_level = 0 if trace_level is None else _trace_level(trace_level)
    opts.signing_algorithm = _signing_algorithm(signing_algorithm)
    opts.derived_key_service = _encode("derived_key_service", derived_key_service)
    opts.dry_run = _flag("dry_run", dry_run)


def _clear_secrets(opts: _native.ClientOptions) -> None:
    # Drop the struct's references to the secret bytes (the C library has its own copies).
    opts.sk = None
    opts.security_token = None
    opts.auth_token = None
    opts.proxy_password = None
