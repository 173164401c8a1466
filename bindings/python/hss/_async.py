"""hss.AsyncClient: hss.Client's calls for asyncio, on libhss's engine (``man
hss_image_upload_command_start``).

The C client is made with ``HSS_COMPLETIONS_DISPATCH``: calls complete on libhss's own thread
and wait there until the event loop runs them. The loop watches the client's descriptor
(``loop.add_reader``) and, when it is readable, runs ``hss_client_dispatch`` on the loop's thread:
each call's future is resolved there, so nothing here needs a lock and nothing blocks the loop.
Cancelling the task that awaits a call (``task.cancel()``, ``asyncio.timeout``) triggers the
call's cancel switch: libhss stops it (its connection is closed) and its late completion is
dropped.
"""

from __future__ import annotations

import asyncio
import ctypes
import itertools
from ctypes import byref, c_void_p

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing; type checkers know the name

if TYPE_CHECKING:  # annotations only
    from typing import Any, Callable, Dict, List, Optional, Tuple

    from ._client import PathLike

from . import _client, _native, _options, _results  # noqa: E402 (after the TYPE_CHECKING block on purpose)
from .errors import ClientClosedError, error_class_for  # noqa: E402

__all__ = ["AsyncClient"]

_lib = _native.lib
#: The library again, through ctypes.PyDLL, whose calls keep the GIL: for hss_client_dispatch, whose
#: callbacks are Python and would each take the GIL back (Tests/test_binding_ctypes.py checks it too).
lib_keeping_gil = ctypes.PyDLL(_native.library_path())
_native._declare(lib_keeping_gil, _native.library_path(), only=("hss_client_dispatch",))
_dispatch_keeping_gil = lib_keeping_gil.hss_client_dispatch
_tokens = itertools.count(1)
#: Completions noted, and settled, per loop callback: a burst of them never holds the loop for long.
_SLICE = 32


class _Call:
    """One call in flight: its future, its cancel switch, the list of its client's completed
    calls, and once it completed its outcome (the C callback's arguments)."""

    __slots__ = ("future", "cancel", "completed", "outcome")

    def __init__(self, future: asyncio.Future, cancel: c_void_p, completed: List["_Call"]) -> None:
        self.future = future
        self.cancel = cancel
        self.completed = completed
        self.outcome: Optional[Tuple[Callable[..., None], int, Optional[int], Optional[int]]] = None

    def settle(self) -> None:
        """Frees the switch, resolves the future if its task still awaits it (and its loop can
        still run it), frees the C objects."""
        self.forget_switch()
        finish, status, result, err = self.outcome  # type: ignore[misc]
        awaited = not self.future.done() and not self.future.get_loop().is_closed()
        finish(self.future if awaited else None, status, result, err)

    def stop(self) -> None:
        """Cancels the library's call, unless it was settled (its switch freed) already."""
        if self.cancel is not None:
            _lib.hss_cancel_trigger(self.cancel)

    def forget_switch(self) -> None:
        cancel, self.cancel = self.cancel, None
        if cancel is not None:
            _lib.hss_cancel_free(cancel)


#: The calls in flight of every AsyncClient, by token (the C `user`).
_calls: Dict[int, _Call] = {}


def _note(token: Optional[int], outcome: Tuple[Callable[..., None], int, Optional[int], Optional[int]]) -> None:
    """A call completed: runs in hss_client_dispatch (or hss_client_free) on the loop's thread and
    only notes the outcome, so that a burst of completions is dispatched in moments; its client
    settles it (AsyncClient._settle). An exception here cannot cross into C: ctypes reports it to
    sys.unraisablehook."""
    call = _calls.pop(token or 0)
    call.outcome = outcome
    call.completed.append(call)


def _image_upload_command(future: Optional[asyncio.Future], status: int, result: Optional[int],
                          err: Optional[int]) -> None:
    if status != 0:
        error = _native.take_error(status, c_void_p(err))
        if future is not None:
            future.set_exception(error)
        return
    handle = c_void_p(result)
    try:
        if future is not None:
            future.set_result(_results._new_result(
                _text(_lib.hss_image_upload_command_image_command(handle)),
                _text(_lib.hss_image_upload_command_images_download_url(handle)),
                _text(_lib.hss_image_upload_command_swr_image_pull_command(handle))))
    finally:
        _lib.hss_image_upload_command_free(handle)  # wiped: image_command holds the password


def _resolve(future: Optional[asyncio.Future], status: int, result: None, err: Optional[int]) -> None:
    if status != 0:
        error = _native.take_error(status, c_void_p(err))
        if future is not None:
            future.set_exception(error)
    elif future is not None:
        future.set_result(None)


def _text(raw: Optional[bytes]) -> str:
    return str(raw, "utf-8", "replace") if raw else ""


# The C callbacks, alive as long as the module (calls may complete at any time).
_IMAGE_UPLOAD_COMMAND_DONE = _native.DONE_FN(
    lambda status, result, err, token: _note(token, (_image_upload_command, status, result, err)))
_RESOLVE_DONE = _native.RESOLVE_DONE_FN(lambda status, err, token: _note(token, (_resolve, status, None, err)))


class _DispatchClient(_client.Client):
    """The C client behind an AsyncClient: the same options, completions dispatched."""

    _COMPLETIONS = _native.COMPLETIONS_DISPATCH


class AsyncClient:
    """:class:`hss.Client` for asyncio: the same keywords (``man hss_client_new``), the same
    exceptions, and calls that are awaited::

        async with hss.AsyncClient(region="cn-north-4") as client:
            result = await client.get_image_upload_command(
                registry_addr="myharbor.example.com:443", namespace="library",
                username="admin", password="...")

    Any number of calls may be in flight at once on one client (``asyncio.gather``): libhss
    drives them all on its own thread (two at most per process) and the loop never blocks.
    Cancelling the awaiting task (``task.cancel()``, ``asyncio.timeout``, ``asyncio.wait_for``)
    stops the call in libhss too: ``asyncio.CancelledError`` is raised, as for any task.

    The client belongs to the event loop of its first call: use it from that loop's thread only,
    and close it there (``async with`` does). :meth:`close` ends the calls still in flight: they
    raise :class:`hss.CancelledError`.
    """

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
        self._loop: Optional[asyncio.AbstractEventLoop] = None
        self._fd = -1
        self._completed: List[_Call] = []
        self._settling = False
        try:
            self._client = _DispatchClient(
                region=region, endpoint=endpoint, project_id=project_id, ak=ak, sk=sk, security_token=security_token,
                auth_token=auth_token, ca_file=ca_file, connect_timeout=connect_timeout, timeout=timeout,
                user_agent_suffix=user_agent_suffix, iam_endpoint=iam_endpoint, proxy=proxy,
                proxy_username=proxy_username, proxy_password=proxy_password, no_proxy=no_proxy,
                allow_cleartext_proxy=allow_cleartext_proxy, max_attempts=max_attempts, retry_base=retry_base,
                retry_cap=retry_cap, trace=trace, trace_level=trace_level, signing_algorithm=signing_algorithm,
                derived_key_service=derived_key_service, dry_run=dry_run)
        finally:
            del sk, security_token, auth_token, proxy_password

    @classmethod
    def from_env(cls, **options: Any) -> "AsyncClient":
        """A client configured from the environment, as :meth:`hss.Client.from_env` (the same
        keywords, which win over the environment)."""
        self = cls.__new__(cls)
        self._loop = None
        self._fd = -1
        self._completed = []
        self._settling = False
        self._client = _DispatchClient.from_env(**options)
        return self

    # -- the event loop --

    def _handle(self) -> Tuple[_client._Handle, asyncio.AbstractEventLoop]:
        """The C client for starting one call, bound to the running loop (whose reader dispatches
        its completions), and that loop; the "hss" logger's level followed as hss.Client does.
        Not kept while the call is awaited: close() frees the C client then, which ends the call."""
        client = self._client
        handle = client._handle
        if handle is None:
            raise ClientClosedError("the client is closed")
        loop = asyncio.get_running_loop()
        if self._loop is None:
            self._fd = _lib.hss_client_completion_fd(handle)
            loop.add_reader(self._fd, self._dispatch)
            self._loop = loop
        elif self._loop is not loop:
            raise RuntimeError("this hss.AsyncClient belongs to another event loop")
        follow = client._follow
        if follow is not None and follow.isEnabledFor(10) is not client._debug:
            client._retrace(handle)
        return handle, loop

    def _dispatch(self) -> None:
        """The loop's reader: a slice of the completed calls, noted (hss_client_dispatch; the
        descriptor stays readable while more wait, for the loop's next round), then settled a
        slice at a time, each slice a callback of the loop of its own."""
        handle = self._client._handle
        if handle is not None:
            _dispatch_keeping_gil(handle, _SLICE)
        if self._completed and not self._settling and self._loop is not None:
            self._settling = True
            self._loop.call_soon(self._settle)

    def _settle(self, every: bool = False) -> None:
        """Resolves the futures of the completed calls: _SLICE of them, then again later (all of
        them when `every`, as close() needs)."""
        completed = self._completed
        count = len(completed) if every else min(len(completed), _SLICE)
        settled, completed[:count] = completed[:count], []
        first_error = None
        for call in settled:
            try:
                call.settle()
            except BaseException as e:  # the others' C objects are still freed (and wiped)
                first_error = first_error or e
        if completed and not every and self._loop is not None:
            self._loop.call_soon(self._settle)
        else:
            self._settling = False
        if first_error is not None:
            raise first_error

    def _new_call(self, loop: asyncio.AbstractEventLoop) -> Tuple[_Call, int]:
        """A call (its cancel switch and the future on `loop` its completion resolves) and its
        token (the C `user`). `loop` is the one _handle found running: looking again would cost
        another getpid() system call (asyncio checks the loop's process)."""
        cancel = c_void_p()
        status = _lib.hss_cancel_new(byref(cancel))
        if status != 0:
            raise error_class_for(status)("could not create a cancel switch", status=status)
        token = next(_tokens)
        call = _calls[token] = _Call(loop.create_future(), cancel, self._completed)
        return call, token

    @staticmethod
    def _check_started(status: int, token: int, err: c_void_p) -> None:
        """A refused start's completion never comes: its call is forgotten and its error raised."""
        if status != 0:
            _calls.pop(token).forget_switch()
            raise _native.take_error(status, err)

    @staticmethod
    async def _outcome(call: _Call) -> Any:
        try:
            return await call.future
        except asyncio.CancelledError:
            # The task was cancelled, and so is the call, unless it completed and was settled in
            # the meantime (its switch freed).
            if call.future.cancelled():
                call.stop()
            raise
        except GeneratorExit:  # the coroutine was closed: nobody awaits the call any more
            call.stop()
            raise

    # -- the API --

    async def get_image_upload_command(
        self,
        *,
        registry_addr: str,
        namespace: str,
        username: str,
        password: str,
        enterprise_project_id: Optional[str] = None,
    ) -> _results.ImageUploadCommand:
        """ShowImageUploadCommand, as :meth:`hss.Client.get_image_upload_command` (the same
        keywords, result and exceptions), awaited. The password is copied by libhss into memory
        it wipes before this returns to the loop."""
        try:
            fields = _options._encode_request(registry_addr, namespace, username, password, enterprise_project_id)
        finally:
            del password
        try:
            req = _native.FilledRequest(_native.REQUEST_VERSION, *fields)
        finally:
            del fields  # the encoded password: the struct holds it from here
        err = c_void_p()
        handle = None
        try:
            handle, loop = self._handle()
            call, token = self._new_call(loop)
            req.cancel = call.cancel
            status = _lib.hss_image_upload_command_start(handle, byref(req), _IMAGE_UPLOAD_COMMAND_DONE, token,
                                                         byref(err))
        finally:
            # Neither kept while the call is awaited, nor by a traceback: the C client (close()
            # frees it, see _handle) and the encoded password (libhss has its copy).
            del handle, req
        self._check_started(status, token, err)
        return await self._outcome(call)

    async def resolve(self) -> None:
        """Credentials and project id now (``hss_client_resolve_start``), as
        :meth:`hss.Client.resolve`, awaited: the credential chain and the IAM lookup run on
        libhss's worker thread."""
        err = c_void_p()
        handle = None
        try:
            handle, loop = self._handle()
            call, token = self._new_call(loop)
            status = _lib.hss_client_resolve_start(handle, call.cancel, _RESOLVE_DONE, token, byref(err))
        finally:
            del handle  # not kept by a traceback either (see _handle)
        self._check_started(status, token, err)
        await self._outcome(call)

    def settings(self) -> Dict[str, _results.Setting]:
        """What the client uses and where each value came from: :meth:`hss.Client.settings`."""
        return self._client.settings()

    # -- lifetime --

    def close(self) -> None:
        """Free the C client (``hss_client_free``): calls still in flight end first, raising
        :class:`hss.CancelledError` in the tasks that await them. Idempotent. Call it on the
        loop's thread (``async with`` does)."""
        client = getattr(self, "_client", None)
        if client is None or client.closed:
            return
        if self._loop is not None and not self._loop.is_closed():
            self._loop.remove_reader(self._fd)
        client.close()  # their completions are noted here, on this thread
        self._settle(every=True)

    @property
    def closed(self) -> bool:
        """True once :meth:`close` was called."""
        client = getattr(self, "_client", None)
        return client is None or client.closed

    async def __aenter__(self) -> "AsyncClient":
        if self.closed:
            raise ClientClosedError("the client is closed")
        return self

    async def __aexit__(self, *exc_info: Any) -> None:
        self.close()

    def __del__(self) -> None:
        try:
            self.close()  # a last resort: the C objects of completed calls are wiped and freed
        except Exception:  # interpreter shutdown, or a loop of another thread: nothing sensible left
            pass

    def __repr__(self) -> str:
        client = getattr(self, "_client", None)
        return "<hss.AsyncClient" + repr(client)[len("<hss.Client"):] if client else "<hss.AsyncClient>"
