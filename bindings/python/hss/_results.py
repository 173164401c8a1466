"""The values hss.Client returns: ImageUploadCommand (an answer) and Setting (one of
Client.settings()), immutable, with the secrets they hold kept out of repr()."""

from __future__ import annotations

from collections import namedtuple

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing; type checkers know the name

if TYPE_CHECKING:  # annotations only: importing typing at run time costs milliseconds
    from typing import Any, Tuple

__all__ = ["ImageUploadCommand", "Setting"]


class Setting(namedtuple("Setting", ("value", "source"))):
    """One entry of :meth:`Client.settings`: a ``(value, source)`` pair (a tuple, immutable).

    ``value`` is the setting (``None`` while it is not known, or when there is none) and
    ``source`` where it came from (``None`` while not known): ``"options"``, ``"environment"``,
    ``"profile"``, ``"regions-file"``, ``"built-in"``, ``"endpoint"`` (the region read from the
    endpoint's host name), ``"iam"`` (a discovered project id), ``"metadata"``,
    ``"pod-identity"``, ``"oidc"`` or ``"default"``.
    """

    __slots__ = ()


class ImageUploadCommand:
    """The answer of ShowImageUploadCommand. Immutable (attributes cannot be set or deleted).

    ``image_command`` (and possibly ``swr_image_pull_command``) holds the registry password in
    clear: ``repr()``/``str()`` never show them (nor their length). Python strings cannot be
    wiped from memory; drop the object as soon as you are done with it.
    """

    __slots__ = ("image_command", "images_download_url", "swr_image_pull_command")
    __match_args__ = __slots__

    #: The command that loads the scanner images and pushes them (may contain the password).
    image_command: str
    #: Where the image bundle can be downloaded.
    images_download_url: str
    #: The command that pulls the images from SWR.
    swr_image_pull_command: str

    def __init__(self, image_command: str, images_download_url: str, swr_image_pull_command: str) -> None:
        object.__setattr__(self, "image_command", image_command)
        object.__setattr__(self, "images_download_url", images_download_url)
        object.__setattr__(self, "swr_image_pull_command", swr_image_pull_command)

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError("ImageUploadCommand is immutable")

    def __delattr__(self, name: str) -> None:
        raise AttributeError("ImageUploadCommand is immutable")

    def _astuple(self) -> Tuple[str, str, str]:
        return (self.image_command, self.images_download_url, self.swr_image_pull_command)

    def __eq__(self, other: object) -> bool:
        if other.__class__ is not self.__class__:
            return NotImplemented
        return self._astuple() == other._astuple()  # type: ignore[attr-defined]

    def __hash__(self) -> int:
        return hash(self._astuple())

    def __reduce__(self) -> Tuple[Any, Tuple[str, str, str]]:
        return (self.__class__, self._astuple())

    def __repr__(self) -> str:
        url = self.images_download_url
        if "?" in url:  # a pre-signed URL's query is a credential too
            url = url.split("?", 1)[0] + "?<hidden>"
        # Not even their lengths: image_command's would give the password's.
        return ("ImageUploadCommand(image_command=<hidden>, images_download_url=%r, "
                "swr_image_pull_command=<hidden>)" % (url,))

    __str__ = __repr__


_set_image_command = ImageUploadCommand.image_command.__set__  # type: ignore[attr-defined]
_set_images_download_url = ImageUploadCommand.images_download_url.__set__  # type: ignore[attr-defined]
_set_swr_image_pull_command = ImageUploadCommand.swr_image_pull_command.__set__  # type: ignore[attr-defined]


def _new_result(image_command: str, images_download_url: str, swr_image_pull_command: str) -> ImageUploadCommand:
    """ImageUploadCommand(...) without the cost of its __init__: the slots are set directly."""
    result = object.__new__(ImageUploadCommand)
    _set_image_command(result, image_command)
    _set_images_download_url(result, images_download_url)
    _set_swr_image_pull_command(result, swr_image_pull_command)
    return result
