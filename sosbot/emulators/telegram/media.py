"""Files of the Telegram emulator: storage, file ids, PhotoSize arrays and media objects.

An uploaded file gets a ``file_id`` (random, usable to re-send it) and a ``file_unique_id``
(derived from its bytes, so equal files share it, as on Telegram) and a ``file_path`` under
which ``/file/bot<token>/<file_path>`` serves it. A photo becomes a PhotoSize array sorted
smallest to largest: JPEG thumbnails at 90, 320 and 800 px on the longer side (only those
smaller than the original) and, last, the original bytes unchanged.
"""

from __future__ import annotations

import base64
import hashlib
import io
import logging
import mimetypes
import secrets
from dataclasses import dataclass, field
from typing import Any

from PIL import Image, UnidentifiedImageError

log = logging.getLogger(__name__)

THUMB_SIDES = (90, 320, 800)
_FOLDERS = {
    "photo": ("photos", ".jpg"),
    "video": ("videos", ".mp4"),
    "document": ("documents", ""),
    "voice": ("voice", ".oga"),
    "sticker": ("stickers", ".webp"),
    "audio": ("music", ".mp3"),
    "animation": ("animations", ".mp4"),
}
_ID_PREFIX = {
    "photo": "AgAC",
    "video": "BAAC",
    "document": "BQAC",
    "voice": "AwAC",
    "sticker": "CAAC",
    "audio": "CQAC",
    "animation": "CgAC",
}


class ImageError(ValueError):
    """Bytes Pillow cannot read as an image."""


@dataclass
class StoredFile:
    """One stored file and the Telegram object that describes it."""

    file_id: str
    file_unique_id: str
    kind: str
    data: bytes
    file_path: str
    mime_type: str | None = None
    file_name: str | None = None
    media: dict[str, Any] = field(default_factory=dict)
    photo_group: list[dict[str, Any]] | None = None

    @property
    def size(self) -> int:
        """Size in bytes."""
        return len(self.data)

    def file_object(self) -> dict[str, Any]:
        """The ``File`` object getFile returns."""
        return {
            "file_id": self.file_id,
            "file_unique_id": self.file_unique_id,
            "file_size": self.size,
            "file_path": self.file_path,
        }


def _unique_id(data: bytes, kind: str) -> str:
    digest = hashlib.sha256(kind.encode() + b"\0" + data).digest()[:12]
    return "AQAD" + base64.urlsafe_b64encode(digest).decode().rstrip("=")


def guess_mime(file_name: str | None, fallback: str = "application/octet-stream") -> str:
    """The MIME type for a file name, or ``fallback``."""
    if file_name:
        guessed, _ = mimetypes.guess_type(file_name)
        if guessed:
            return guessed
    return fallback


class FileStore:
    """Every file the emulator knows, by file_id and by file_path."""

    def __init__(self) -> None:
        self.by_id: dict[str, StoredFile] = {}
        self.by_path: dict[str, StoredFile] = {}
        self._counter = 0

    def clear(self) -> None:
        """Forget every file."""
        self.by_id.clear()
        self.by_path.clear()

    def add(
        self,
        kind: str,
        data: bytes,
        *,
        mime_type: str | None = None,
        file_name: str | None = None,
        extension: str | None = None,
    ) -> StoredFile:
        """Store bytes as a new file of ``kind`` and return it (``media`` still empty)."""
        self._counter += 1
        folder, default_ext = _FOLDERS.get(kind, ("documents", ""))
        ext = extension
        if ext is None:
            ext = default_ext
            if file_name and "." in file_name:
                ext = "." + file_name.rsplit(".", 1)[1].lower()
        token = base64.urlsafe_b64encode(secrets.token_bytes(24)).decode().rstrip("=")
        stored = StoredFile(
            file_id=_ID_PREFIX.get(kind, "BQAC") + token,
            file_unique_id=_unique_id(data, kind),
            kind=kind,
            data=data,
            file_path=f"{folder}/file_{self._counter}{ext}",
            mime_type=mime_type,
            file_name=file_name,
        )
        self.by_id[stored.file_id] = stored
        self.by_path[stored.file_path] = stored
        return stored

    def add_photo(self, data: bytes) -> list[dict[str, Any]]:
        """Store a photo and its thumbnails; return the PhotoSize array (smallest first).

        Raises :class:`ImageError` for bytes that are not an image.
        """
        try:
            with Image.open(io.BytesIO(data)) as img:
                img.load()
                width, height = img.size
                original_mime = Image.MIME.get(img.format or "", "image/jpeg")
                original_ext = "." + (img.format or "jpg").lower().replace("jpeg", "jpg")
                variants: list[tuple[bytes, int, int]] = []
                for side in THUMB_SIDES:
                    if max(width, height) <= side:
                        continue
                    thumb = img.convert("RGB")
                    thumb.thumbnail((side, side))
                    buf = io.BytesIO()
                    thumb.save(buf, format="JPEG", quality=80)
                    variants.append((buf.getvalue(), thumb.width, thumb.height))
        except (UnidentifiedImageError, Image.DecompressionBombError, OSError, ValueError) as exc:
            raise ImageError(str(exc)) from exc
        variants.append((data, width, height))
        group: list[dict[str, Any]] = []
        for index, (blob, w, h) in enumerate(variants):
            is_original = index == len(variants) - 1
            mime = original_mime if is_original else "image/jpeg"
            ext = original_ext if is_original else ".jpg"
            stored = self.add("photo", blob, mime_type=mime, extension=ext)
            stored.media = {
                "file_id": stored.file_id,
                "file_unique_id": stored.file_unique_id,
                "file_size": stored.size,
                "width": w,
                "height": h,
            }
            group.append(stored.media)
            stored.photo_group = group
        return group

    def add_video(
        self,
        data: bytes,
        *,
        file_name: str | None = None,
        mime_type: str | None = None,
        duration: int = 0,
        width: int = 0,
        height: int = 0,
    ) -> StoredFile:
        """Store a video and fill its ``Video`` object."""
        mime = mime_type or guess_mime(file_name, "video/mp4")
        stored = self.add("video", data, mime_type=mime, file_name=file_name)
        stored.media = {
            "file_id": stored.file_id,
            "file_unique_id": stored.file_unique_id,
            "width": width,
            "height": height,
            "duration": duration,
            "mime_type": mime,
            "file_size": stored.size,
        }
        if file_name:
            stored.media["file_name"] = file_name
        return stored

    def add_document(
        self, data: bytes, *, file_name: str | None = None, mime_type: str | None = None
    ) -> StoredFile:
        """Store a document and fill its ``Document`` object."""
        mime = mime_type or guess_mime(file_name)
        stored = self.add("document", data, mime_type=mime, file_name=file_name)
        stored.media = {
            "file_id": stored.file_id,
            "file_unique_id": stored.file_unique_id,
            "mime_type": mime,
            "file_size": stored.size,
        }
        if file_name:
            stored.media["file_name"] = file_name
        return stored

    def add_voice(self, data: bytes, *, duration: int = 1) -> StoredFile:
        """Store a voice note and fill its ``Voice`` object."""
        stored = self.add("voice", data, mime_type="audio/ogg")
        stored.media = {
            "file_id": stored.file_id,
            "file_unique_id": stored.file_unique_id,
            "duration": duration,
            "mime_type": "audio/ogg",
            "file_size": stored.size,
        }
        return stored

    def add_sticker(self, data: bytes, *, emoji: str = "\N{THUMBS UP SIGN}") -> StoredFile:
        """Store a sticker and fill its ``Sticker`` object."""
        stored = self.add("sticker", data, mime_type="image/webp")
        stored.media = {
            "file_id": stored.file_id,
            "file_unique_id": stored.file_unique_id,
            "type": "regular",
            "width": 512,
            "height": 512,
            "is_animated": False,
            "is_video": False,
            "emoji": emoji,
            "file_size": stored.size,
        }
        return stored


def tiny_png(side: int = 8, color: tuple[int, int, int] = (200, 30, 30)) -> bytes:
    """A small solid PNG, for placeholder media."""
    buf = io.BytesIO()
    Image.new("RGB", (side, side), color).save(buf, format="PNG")
    return buf.getvalue()
