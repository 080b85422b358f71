"""Content-addressed media store: files named by their SHA-256, type sniffed from the bytes."""

from __future__ import annotations

import hashlib
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

import filetype

from sosbot.core.errors import MediaRejected
from sosbot.storage.private_files import private_dir

DEFAULT_LIMIT = 20 * 1024 * 1024
ACCEPTED_PREFIXES = ("image/", "video/", "audio/")
ACCEPTED_TYPES = frozenset({"application/pdf"})


@dataclass(frozen=True)
class StoredMedia:
    sha256: str
    size: int
    mime: str
    path: Path


def sniff_mime(data: bytes) -> str:
    """The MIME type the bytes really are; never what the file name or sender claims."""
    kind = filetype.guess(data)
    return kind.mime if kind is not None else "application/octet-stream"


class MediaStore:
    """Files under ``root/ab/cd/<sha256>``; the same bytes are stored once. Folders are
    made 0700 and files 0600 (see private_files)."""

    def __init__(self, root: Path, limit_bytes: int = DEFAULT_LIMIT) -> None:
        self.root = root
        self.limit_bytes = limit_bytes

    def path_for(self, sha256: str) -> Path:
        return self.root / sha256[:2] / sha256[2:4] / sha256

    def put(self, data: bytes) -> StoredMedia:
        """Store ``data``; raise MediaRejected when it is too large or not a media type."""
        if len(data) > self.limit_bytes:
            raise MediaRejected(f"too large: {len(data)} bytes (limit {self.limit_bytes})")
        if not data:
            raise MediaRejected("empty file")
        mime = sniff_mime(data)
        if not (mime.startswith(ACCEPTED_PREFIXES) or mime in ACCEPTED_TYPES):
            raise MediaRejected(f"not a photo, video or document we accept: {mime}")
        digest = hashlib.sha256(data).hexdigest()
        path = self.path_for(digest)
        if not path.exists():
            private_dir(path.parent)
            # mkstemp makes the file 0600 whatever the umask; os.replace keeps that mode.
            fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".incoming-")
            try:
                with os.fdopen(fd, "wb") as handle:
                    handle.write(data)
                    handle.flush()
                    os.fsync(handle.fileno())
                os.replace(tmp, path)
            finally:
                if os.path.exists(tmp):
                    os.unlink(tmp)
        return StoredMedia(sha256=digest, size=len(data), mime=mime, path=path)

    def read(self, sha256: str) -> bytes:
        return self.path_for(sha256).read_bytes()
