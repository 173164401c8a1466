"""The HSS client (hss.Client): its options, lifetime and calls."""

from __future__ import annotations

from ctypes import byref, c_void_p

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing; type checkers know the name

if TYPE_CHECKING:  # annotations only: importing typing at run time costs milliseconds
    from typing import Any, Callable, Dict, Optional

    from ._options import PathLike

from . import _answer_buffer, _native  # noqa: E402 (after the TYPE_CHECKING block on purpose)
from ._options import (  # noqa: E402
    _HSS_TRACE_DEBUG,
    _clear_secrets,
    _default_trace,
    _encode_request,
    _fill_public,
    _options_with_secrets,
    _trace_function,
    _trace_level_for,
)
from ._results import ImageUploadCommand, Setting  # noqa: E402
from .errors import ClientClosedError  # noqa: E402

__all__ = ["Client", "ImageUploadCommand", "Setting"]


def _text_or_none(raw: Optional[bytes]) -> Optional[str]:
    """A C string from the library; "" (not known, or none) -> None."""
    return raw.decode("utf-8", "replace") if raw else None


class _Handle(c_void_p):
    """An ``hss_client *`` that frees its client (connections closed, secrets wiped) when its last
    reference goes. The Client holds one until close(); each call in flight holds another for
    its duration. CPython drops a reference the moment it goes, so close() frees the client at
    once when no call is in flight, and otherwise the last call to return does: no lock and no
    counter on the hot path."""

    _free = _native.lib.hss_client_free  # a class attribute: still there at interpreter shutdown

    def __del__(self) -> None:
        self._free(self)  # hss_client_free(NULL), after a failed creation, is a no-op


class Client:
    """A connection to HSS: configuration, credentials and a pool of connections.

    Every option is a keyword named after a field of the C ``hss_client_options``, all
    optional. What each one means, and where a value comes from when it is not given, is
    written once, in ``hss.h`` and the manual pages: ``man hss_client_new`` (every option) and
    ``man 3 hss`` (ENDPOINTS, CREDENTIALS, PROJECT ID, PROXIES, SIGNING, RETRIES, DIAGNOSTICS).
    ``hss.Client(region="cn-north-4")`` alone is a complete configuration when the default
    credential chain finds credentials. What differs from C:

    * times are **seconds**, int or float (fractions are rounded up to whole milliseconds):
      ``connect_timeout`` and ``timeout`` (the C ``*_timeout_ms``; ``timeout`` bounds the whole
      call), ``retry_base`` and ``retry_cap`` (``retry_*_ms``); ``None`` keeps the library's
      default;
    * ``signing_algorithm`` is a scheme name or :class:`hss.SigningAlgorithm`
      (``"SDK-HMAC-SM3"``), not a number; ``derived_key_service`` goes with
      ``"V11-HMAC-SHA256"`` only;
    * ``allow_cleartext_proxy`` and ``dry_run`` are ``bool``, ``max_attempts`` an ``int``;
      ``dry_run=True`` makes calls raise :class:`hss.DryRunError` with the request built and
      signed (``e.request``, every secret ``***``) instead of sending it;
    * the library's diagnostics go to the :mod:`logging` logger ``"hss"``: ``WARNING``,
      ``INFO`` and, while that logger is enabled for ``DEBUG``, ``DEBUG`` (each request as
      signed and sent, secrets starred: what an ``APIGW.0301`` signature mismatch needs). The
      logger's level is read at each call, so a level set after the client is made applies
      from the next call. ``HSS_DEBUG=1`` in the environment prints every line to stderr
      instead;
    * ``trace``: a callable ``trace(level, line)`` that receives those lines instead of the
      logger (``level`` a :mod:`logging` level); ``trace_level``, a :mod:`logging` level, the
      most detailed lines wanted (default: ``INFO`` with ``trace``, else the logger's). It may
      be called on any thread that uses the client, and must not use the client itself; an
      exception it raises goes to :func:`sys.unraisablehook`.

    Creating a client never touches the network: the credential chain and the project-id
    lookup run on the first call, or in :meth:`resolve`. :meth:`settings` tells what the client
    uses and where each value came from.

    Secrets (``sk``, ``security_token``, ``auth_token``, ``proxy_password``) are handed straight
    to the C library, which copies them into memory it wipes when the client is freed; the
    client object keeps no reference to them. The Python ``str`` objects you passed in are
    yours and cannot be wiped: Python strings are immutable and may linger in memory until
    reused.

    Use it as a context manager or call :meth:`close`; garbage collection frees it as a last
    resort. One client may be shared by any number of threads: calls release the GIL while in
    the library, and the C client keeps a connection pool.

    Raises :class:`hss.InvalidArgumentError` for a bad or inconsistent configuration (nothing is
    sent), :class:`TypeError` for a value of the wrong type.
    """

    _handle: Optional[_Handle] = None  # None until creation succeeds, and after close()
    _follow: Any = None
    _debug = False
    _COMPLETIONS = 0  # hss_completions: HSS_COMPLETIONS_LIBRARY_THREAD (hss.AsyncClient's: dispatch)

    def __init__(
        self,
        *,
        region: Optional[str] = None,
        endpoint: Optional[str] = None,
        project_id: Optional[str] = None,
        ak: Optional[str] = None,
        sk: Optional[str] = None,
        security_token: Optional[str] = None,
        auth_token: Optional[str] = None,
        ca_file: Optional[PathLike] = None,
        connect_timeout: Optional[float] = None,
        timeout: Optional[float] = None,
        user_agent_suffix: Optional[str] = None,
        iam_endpoint: Optional[str] = None,
        proxy: Optional[str] = None,
        proxy_username: Optional[str] = None,
        proxy_password: Optional[str] = None,
        no_proxy: Optional[str] = None,
        allow_cleartext_proxy: bool = False,
        max_attempts: Optional[int] = None,
        retry_base: Optional[float] = None,
        retry_cap: Optional[float] = None,
        trace: Optional[Callable[[int, str], Any]] = None,
        trace_level: Optional[int] = None,
        signing_algorithm: Optional[str] = None,
        derived_key_service: Optional[str] = None,
        dry_run: bool = False,
    ) -> None:
        # Secrets leave this frame first, so no exception raised below can show them in a
        # traceback's locals.
        try:
            opts = _options_with_secrets(sk, security_token, auth_token, proxy_password)
        finally:
            del sk, security_token, auth_token, proxy_password
        self._create(opts, False, region=region, endpoint=endpoint, project_id=project_id, ak=ak,
                     ca_file=ca_file, connect_timeout=connect_timeout, timeout=timeout,
                     user_agent_suffix=user_agent_suffix, iam_endpoint=iam_endpoint, proxy=proxy,
                     proxy_username=proxy_username, no_proxy=no_proxy,
                     allow_cleartext_proxy=allow_cleartext_proxy, max_attempts=max_attempts,
                     retry_base=retry_base, retry_cap=retry_cap, trace=trace, trace_level=trace_level,
                     signing_algorithm=signing_algorithm, derived_key_service=derived_key_service,
                     dry_run=dry_run)

    @classmethod
    def from_env(
        cls,
        *,
        region: Optional[str] = None,
        endpoint: Optional[str] = None,
        project_id: Optional[str] = None,
        ak: Optional[str] = None,
        sk: Optional[str] = None,
        security_token: Optional[str] = None,
        auth_token: Optional[str] = None,
        ca_file: Optional[PathLike] = None,
        connect_timeout: Optional[float] = None,
        timeout: Optional[float] = None,
        user_agent_suffix: Optional[str] = None,
        iam_endpoint: Optional[str] = None,
        proxy: Optional[str] = None,
        proxy_username: Optional[str] = None,
        proxy_password: Optional[str] = None,
        no_proxy: Optional[str] = None,
        allow_cleartext_proxy: bool = False,
        max_attempts: Optional[int] = None,
        retry_base: Optional[float] = None,
        retry_cap: Optional[float] = None,
        trace: Optional[Callable[[int, str], Any]] = None,
        trace_level: Optional[int] = None,
        signing_algorithm: Optional[str] = None,
        derived_key_service: Optional[str] = None,
        dry_run: bool = False,
    ) -> "Client":
        """A client configured from the environment: ``hss_client_new_from_env`` (``hss.h``,
        ``man hss_client_new_from_env``: the variables it reads, and how a keyword given here,
        the same as :class:`Client`'s, wins over them).
        """
        self = cls.__new__(cls)
        try:
            opts = _options_with_secrets(sk, security_token, auth_token, proxy_password)
        finally:
            del sk, security_token, auth_token, proxy_password
        self._create(opts, True, region=region, endpoint=endpoint, project_id=project_id, ak=ak,
                     ca_file=ca_file, connect_timeout=connect_timeout, timeout=timeout,
                     user_agent_suffix=user_agent_suffix, iam_endpoint=iam_endpoint, proxy=proxy,
                     proxy_username=proxy_username, no_proxy=no_proxy,
                     allow_cleartext_proxy=allow_cleartext_proxy, max_attempts=max_attempts,
                     retry_base=retry_base, retry_cap=retry_cap, trace=trace, trace_level=trace_level,
                     signing_algorithm=signing_algorithm, derived_key_service=derived_key_service,
                     dry_run=dry_run)
        return self

    def _create(self, opts: _native.ClientOptions, from_env: bool, trace: Any, **public: Any) -> None:
        """Fill the options that are not secrets (``public``: _fill_public's keywords) and
        create the C client."""
        handle = _Handle()
        err = c_void_p()
        follow = None
        try:
            _fill_public(opts, **public)
            if trace is None:
                trace, follow = _default_trace(opts)
            if trace is not None:
                # The C client calls it until it is freed: it lives as long as the handle.
                opts.trace = handle._trace = _trace_function(trace)
            opts.completions = self._COMPLETIONS
            new = _native.lib.hss_client_new_from_env if from_env else _native.lib.hss_client_new
            status = new(byref(opts), byref(handle), byref(err))
        finally:
            _clear_secrets(opts)
        if status != 0:
            raise _native.take_error(status, err)
        self._handle = handle
        # The "hss" logger whose level decides, call by call, whether the library builds debug
        # lines (None: trace= or trace_level= decided once), and whether it does now.
        self._follow = follow
        self._debug = opts.trace_level == _HSS_TRACE_DEBUG
        self._closed = False
        self._from_env = from_env
        self._region = public["region"]
        self._endpoint = public["endpoint"]
        self._project_id = public["project_id"]

    # -- lifetime --

    def close(self) -> None:
        """Free the C client: close its connections and wipe its secrets. Idempotent.

        Safe while other threads are in a call: the handle is freed when the last one returns,
        and later calls raise :class:`hss.ClientClosedError`.
        """
        if getattr(self, "_closed", None) is None:  # construction failed: nothing to free
            return
        self._closed = True
        self._handle = None  # frees the client now, or when the last call in flight returns

    @property
    def closed(self) -> bool:
        """True once :meth:`close` was called."""
        return getattr(self, "_closed", True)

    def __enter__(self) -> "Client":
        if self.closed:
            raise ClientClosedError("the client is closed")
        return self

    def __exit__(self, *exc_info: Any) -> None:
        self.close()

    def __del__(self) -> None:
        try:
            self.close()
        except Exception:  # interpreter shutdown: nothing sensible left to do
            pass

    def __repr__(self) -> str:
        if getattr(self, "_closed", None) is None:
            return "<hss.Client (not initialised)>"
        parts = []
        if self._endpoint is not None:
            parts.append("endpoint=%r" % self._endpoint)
        if self._region is not None:
            parts.append("region=%r" % self._region)
        if self._project_id is not None:
            parts.append("project_id=%r" % self._project_id)
        if self._from_env:
            parts.append("from_env=True")
        if self._closed:
            parts.append("closed=True")
        return "<hss.Client %s>" % " ".join(parts) if parts else "<hss.Client>"

    # -- configuration --

    def _live_handle(self) -> _Handle:
        """The handle, for the duration of one call (close() cannot free the client under it).
        get_image_upload_command inlines the same, to spare its hot path a method call."""
        handle = self._handle
        if handle is None:
            raise ClientClosedError("the client is closed" if getattr(self, "_closed", False)
                                    else "the client is not initialised")
        return handle

    def resolve(self) -> None:
        """Find the credentials (the default chain, when none were given) and the project id (IAM,
        when none was given) now, rather than on the first call, so that a misconfiguration shows
        at start-up (``hss_client_resolve``). Later calls reuse what was found. Idempotent.

        Raises :class:`hss.CredentialsError` when no source of the chain supplied credentials
        (the message says why, source by source) or no project id could be found (IAM knows
        zero or several for the region, or there is no region); for a failed IAM call the error
        of that call
        (:class:`hss.ClientRequestError`, :class:`hss.NetworkError`...; the message says it was
        IAM's); :class:`hss.ClientClosedError` after :meth:`close`.
        """
        err = c_void_p()
        handle = self._live_handle()
        try:
            if self._follow is not None and self._follow.isEnabledFor(10) is not self._debug:
                self._retrace(handle)
            status = _native.lib.hss_client_resolve(handle, byref(err))
        finally:
            del handle
        if status != 0:
            raise _native.take_error(status, err)

    def _retrace(self, handle: _Handle) -> None:
        """Tell the library the level the "hss" logger asks for now (it was changed since): one
        call, made only on a change, so the check on each call is one cached lookup and no lock.
        Threads racing here set the same level."""
        level = _trace_level_for(self._follow)
        _native.lib.hss_client_set_trace_level(handle, level)
        self._debug = level == _HSS_TRACE_DEBUG

    def settings(self) -> Dict[str, Setting]:
        """What the client uses and where each value came from, for diagnostics.

        A new dict of :class:`hss.Setting` ``(value, source)`` pairs, with the keys ``"region"``,
        ``"endpoint"`` (the HSS endpoint in use), ``"project_id"``, ``"iam_endpoint"`` (where the
        project id is looked up) and ``"credentials"`` (the AK masked to its first and last 4
        characters, ``"ABCD...WXYZ"``; ``None`` with an IAM token). For example::

            {"region": Setting(value="cn-north-4", source="options"),
             "endpoint": Setting(value="https://hss.cn-north-4.myhuaweicloud.com",
                                 source="built-in"),
             "project_id": Setting(value="0123...", source="iam"),
             "iam_endpoint": Setting(value="https://iam.cn-north-4.myhuaweicloud.com",
                                     source="built-in"),
             "credentials": Setting(value="ABCD...WXYZ", source="profile")}

        Never a secret. Touches no network: a value not known yet (the project id and the
        credentials before the first call or :meth:`resolve`) is ``Setting(None, None)``.
        """
        handle = self._live_handle()
        try:
            return {name: Setting(_text_or_none(_native.lib.hss_client_setting(handle, i)),
                                  _text_or_none(_native.lib.hss_client_setting_source(handle, i)))
                    for i, name in enumerate(_native.SETTINGS)}
        finally:
            del handle

    # -- the API --

    def get_image_upload_command(
        self,
        *,
        registry_addr: str,
        namespace: str,
        username: str,
        password: str,
        enterprise_project_id: Optional[str] = None,
    ) -> ImageUploadCommand:
        """ShowImageUploadCommand: the commands that push HSS's scanner images into a registry.

        The keywords are the fields of the C ``hss_image_upload_command_request``
        (``namespace`` is ``namespace_name``), with their limits: see ``hss.h`` and
        ``man hss_image_upload_command_get``. ``enterprise_project_id`` is optional.

        The password goes straight to the C library, which copies it into memory it wipes
        after the call; this method keeps no reference to it. The answer comes back through
        one per-thread buffer (``man hss_image_upload_command_get_fields``), wiped once the three
        strings are made. Python cannot wipe the ``str`` you passed, nor the returned
        ``image_command`` (which embeds the password).

        Raises an :class:`hss.HSSError` subclass on failure (see :mod:`hss.errors`; its
        ``retryable`` says whether the same call may succeed later), :class:`hss.DryRunError`
        with ``dry_run=True``, and :class:`hss.ClientClosedError` after :meth:`close`.
        """
        # The hot path, kept lean (bench/README.md measures it against the C API): the strings
        # encoded in one step and passed as the C function's arguments (no struct to build).
        # The encoded password is never a local of its own, and `password` leaves this frame
        # whatever happens.
        try:
            fields = _encode_request(registry_addr, namespace, username, password, enterprise_project_id)
        finally:
            del password
        err = c_void_p()
        answer = _answer_buffer.for_this_thread()
        try:
            handle = self._handle  # this call's reference: close() cannot free the client under it
            if handle is None:
                raise ClientClosedError("the client is closed" if getattr(self, "_closed", False)
                                        else "the client is not initialised")
            try:
                follow = self._follow  # the "hss" logger's level may have changed since the last call
                if follow is not None and follow.isEnabledFor(10) is not self._debug:
                    self._retrace(handle)
                # One crossing: the three strings land in this thread's buffer.
                status = _get_fields(handle, fields[0], fields[1], fields[2], fields[3], fields[4],
                                     answer.buffer, _answer_buffer.SIZE, answer.lengths, err)
            finally:
                del handle  # the last call in flight after close() frees the client here
        finally:
            del fields  # the encoded password with them, even if a traceback keeps this frame
        if status != 0:
            raise _native.take_error(status, err)  # nothing was written into the buffer
        return answer.take()


_get_fields = _native.lib.hss_image_upload_command_get_fields
