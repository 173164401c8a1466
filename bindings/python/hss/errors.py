"""Exceptions raised by :mod:`hss`.

Every failure of the C library (an ``hss_status`` other than ``HSS_OK``) becomes one exception
class, all derived from :class:`HSSError`::

    HSSError
    ├── InvalidArgumentError     (also ValueError)        HSS_E_INVALID_ARGUMENT
    ├── OutOfMemoryError         (also MemoryError)       HSS_E_OUT_OF_MEMORY
    ├── NetworkError             (also ConnectionError)   HSS_E_NETWORK
    │   └── TLSError                                      HSS_E_TLS
    ├── RequestTimeoutError      (also TimeoutError)      HSS_E_TIMEOUT
    ├── ServiceError                                      (the service answered >= 400)
    │   ├── ClientRequestError                            HSS_E_HTTP_CLIENT  (4xx)
    │   └── ServerResponseError                           HSS_E_HTTP_SERVER  (5xx)
    ├── BadResponseError                                  HSS_E_BAD_RESPONSE
    ├── InternalError                                     HSS_E_INTERNAL
    ├── CredentialsError                                  HSS_E_CREDENTIALS
    ├── DryRunError                                       HSS_E_DRY_RUN (a client made with dry_run)
    ├── CancelledError                                    HSS_E_CANCELLED
    └── ClientClosedError                                 (raised by the binding itself)

``e.retryable`` (C: ``hss_error_retryable``) tells whether the same call may succeed if made again
later, as is: True after throttling (429) or 500, 502, 503, 504 once the retries ran out, a broken
connection or a timeout; False for the caller's own mistakes (invalid input, credentials,
permissions, another 4xx), TLS failures, unusable answers and errors of the binding itself.

``ClientRequestError`` and ``ServerResponseError`` are named after the official SDK's
``ClientRequestException`` and ``ServerResponseException``, and carry the same fields:
``status_code``, ``error_code``, ``error_msg`` and ``request_id``.

No exception text or attribute ever holds a secret: the messages come from libhss, which never
puts the SK, a token or the registry password in an error, and redacts them (as ``***``) from
the service's own ``error_msg``.
"""

from __future__ import annotations

import enum

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing; type checkers know the name

if TYPE_CHECKING:  # annotations only: importing typing at run time costs milliseconds
    from typing import Dict, Optional, Type

__all__ = [
    "Status",
    "HSSError",
    "InvalidArgumentError",
    "OutOfMemoryError",
    "NetworkError",
    "TLSError",
    "RequestTimeoutError",
    "ServiceError",
    "ClientRequestError",
    "ServerResponseError",
    "BadResponseError",
    "InternalError",
    "CredentialsError",
    "DryRunError",
    "CancelledError",
    "ClientClosedError",
]


class Status(enum.IntEnum):
    """The C API's ``hss_status`` values."""

    OK = 0
    INVALID_ARGUMENT = 1
    OUT_OF_MEMORY = 2
    NETWORK = 3
    TLS = 4
    TIMEOUT = 5
    HTTP_CLIENT = 6
    HTTP_SERVER = 7
    BAD_RESPONSE = 8
    INTERNAL = 9
    CREDENTIALS = 10
    DRY_RUN = 11
    CANCELLED = 12


class HSSError(Exception):
    """Base class of every error raised by :mod:`hss`.

    Attributes:
        message: the single-line message (also ``str(exc)``); names the failing field or step.
        status: the C library's status (:class:`Status`, or a plain ``int`` for a status newer
            than this binding), ``None`` for errors raised by the binding itself.
        status_code: the HTTP status of the service's answer, ``0`` when there was none.
        error_code: the service's error code (e.g. ``"APIGW.0301"``), ``""`` when none.
        error_msg: the service's own error message (C: ``hss_error_service_message``), secrets
            redacted, ``""`` when none; the official SDK's name for it.
        request_id: the service's request id (quote it to Huawei Cloud support), ``""`` when none.
        attempts: how many attempts the call made (C: ``hss_error_attempts``): ``1`` when it was
            not retried, ``0`` when nothing was sent (invalid input, no credentials) and for errors
            raised by the binding itself. When more than one, ``message`` says so.
        retryable: whether the same call may succeed if made again later (C:
            ``hss_error_retryable``; see the module's docstring); ``False`` for errors raised by the
            binding itself.
    """

    def __init__(
        self,
        message: str,
        *,
        status: Optional[int] = None,
        status_code: int = 0,
        error_code: str = "",
        error_msg: str = "",
        request_id: str = "",
        attempts: int = 0,
        retryable: bool = False,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.status = _as_status(status)
        self.status_code = status_code
        self.error_code = error_code
        self.error_msg = error_msg
        self.request_id = request_id
        self.attempts = attempts
        self.retryable = retryable

    def __str__(self) -> str:
        return self.message


class InvalidArgumentError(HSSError, ValueError):
    """A value is missing, empty, too long or malformed, or client options are inconsistent.
    Nothing was sent."""


class OutOfMemoryError(HSSError, MemoryError):
    """The library could not allocate memory."""


class NetworkError(HSSError, ConnectionError):
    """Name resolution, connect, send or receive failed."""


class TLSError(NetworkError):
    """The TLS handshake or the certificate verification failed (see ``ca_file``)."""


class RequestTimeoutError(HSSError, TimeoutError):
    """The connect timeout or the total timeout expired."""


class ServiceError(HSSError):
    """The service answered with an HTTP error status (see ``status_code``, ``error_code``,
    ``error_msg``, ``request_id``)."""


class ClientRequestError(ServiceError):
    """The service answered 4xx: authentication, permission, throttling, bad parameter..."""


class ServerResponseError(ServiceError):
    """The service answered 5xx."""


class BadResponseError(HSSError):
    """The service answered something unusable: not JSON, a missing field, a body over the size
    cap, an unexpected status such as a redirect."""


class InternalError(HSSError):
    """A bug in libhss; please report it."""


class CredentialsError(HSSError):
    """No credentials or no project id could be obtained: none were given and no source of the
    default chain (OIDC, environment, profile file, ECS metadata, CCE pod identity) supplied any
    (the message says, source by source, why it did not apply), a source's answer was unusable
    or expired, or IAM knows zero or several projects for the region (or there is no region to
    look one up with). Nothing was sent to HSS; the message never holds a secret."""


class DryRunError(HSSError):
    """A client made with ``dry_run=True`` built and signed the request and did not send it:
    ``request`` holds it as it would have been sent (the request line, then one header per line),
    every secret (the registry password, tokens) as ``***`` and the AK masked."""

    @property
    def request(self) -> str:
        """The request, as described above (also ``error_msg``)."""
        return self.error_msg


class CancelledError(HSSError):
    """The call was cancelled before it completed: :meth:`hss.AsyncClient.close` ended it while it
    was in flight. (A task cancelled by asyncio raises :class:`asyncio.CancelledError`, as every
    cancelled task does; libhss stops its call then too.)"""


class ClientClosedError(HSSError):
    """The :class:`hss.Client` was used after ``close()``."""


_BY_STATUS: Dict[int, Type[HSSError]] = {
    Status.INVALID_ARGUMENT: InvalidArgumentError,
    Status.OUT_OF_MEMORY: OutOfMemoryError,
    Status.NETWORK: NetworkError,
    Status.TLS: TLSError,
    Status.TIMEOUT: RequestTimeoutError,
    Status.HTTP_CLIENT: ClientRequestError,
    Status.HTTP_SERVER: ServerResponseError,
    Status.BAD_RESPONSE: BadResponseError,
    Status.INTERNAL: InternalError,
    Status.CREDENTIALS: CredentialsError,
    Status.DRY_RUN: DryRunError,
    Status.CANCELLED: CancelledError,
}


def error_class_for(status: int) -> Type[HSSError]:
    """The exception class for a non-OK ``hss_status`` (:class:`HSSError` for unknown ones)."""
    return _BY_STATUS.get(status, HSSError)


def _as_status(status: Optional[int]) -> Optional[int]:
    if status is None:
        return None
    try:
        return Status(status)
    except ValueError:
        return int(status)
