"""Where hss.Client's calls receive their answer: one buffer per thread, into which
``hss_image_upload_command_get_fields`` writes the three strings (``man
hss_image_upload_command_get_fields``), read into an ImageUploadCommand and wiped."""

from __future__ import annotations

import ctypes
import threading

from . import _native
from ._results import ImageUploadCommand, _new_result

#: The bytes a call may write (HSS_IMAGE_UPLOAD_COMMAND_BUFFER_SIZE).
SIZE = _native.IMAGE_UPLOAD_COMMAND_BUFFER_SIZE
_ZEROS = memoryview(bytes(SIZE))  # what a call's bytes are wiped with, without a crossing
_threads = threading.local()


class AnswerBuffer:
    """One thread's buffer, made on its first call and reused: a call writes at most SIZE bytes
    into ``buffer`` and their lengths into ``lengths``; take() reads and wipes them."""

    __slots__ = ("buffer", "lengths", "sizes", "view")

    def __init__(self) -> None:
        self.buffer = ctypes.create_string_buffer(SIZE)
        self.lengths = (ctypes.c_size_t * 3)()
        self.sizes = memoryview(self.lengths).cast("B").cast("N")  # read without ctypes' item protocol
        self.view = memoryview(self.buffer).cast("B")

    def take(self) -> ImageUploadCommand:
        """The answer the last call wrote, and the bytes it took wiped (image_command holds the
        password). Each string is decoded on its own: no text of the whole answer (the password
        with it) is made besides the three returned."""
        a, b, c = self.sizes
        view = self.view
        try:
            return _new_result(str(view[:a], "utf-8", "replace"),
                               str(view[a + 1:a + 1 + b], "utf-8", "replace"),
                               str(view[a + b + 2:a + b + 2 + c], "utf-8", "replace"))
        finally:
            end = a + b + c + 3
            view[:end] = _ZEROS[:end]


def for_this_thread() -> AnswerBuffer:
    """This thread's buffer (made on its first call)."""
    try:
        return _threads.answer
    except AttributeError:
        _threads.answer = AnswerBuffer()
        return _threads.answer
