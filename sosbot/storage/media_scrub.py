"""Copies of stored media fit to leave the system: photos without their metadata.

A resident's photo may carry where it was taken (EXIF GPS), the phone's make and serial,
the owner's name (XMP, comments). The media store keeps the original untouched, under its
SHA-256, as evidence; what is posted to officers' chats or anywhere else is a scrubbed
copy: JPEG, PNG and WebP re-saved by Pillow with no EXIF, XMP, comment, ICC profile or
text chunk, the EXIF orientation applied to the pixels first so the photo stays upright.
A JPEG that needs no rotation is not re-encoded at all: its metadata segments are cut out
and the coded image copied byte for byte, so the pixels are exactly the original's.

Other images Pillow can read (GIF, BMP, TIFF, …) are converted to PNG. Images it cannot
read (HEIC without a plugin) are not sent at all: failing closed. MP4/QuickTime videos
lose their metadata boxes (storage/video_scrub.py: GPS, make, model) without re-encoding;
other videos, audio and PDFs are sent as stored — see docs/reliability/privacy.md.

Scrubbed copies are cached beside the store (``<root>/scrubbed/ab/<sha256>.<ext>``), keyed
by the original's hash, so a photo sent to five chats is scrubbed once.
"""

from __future__ import annotations

import io
import logging
import os
import tempfile
from pathlib import Path

from PIL import Image, ImageOps, UnidentifiedImageError

from sosbot.storage.media_store import MediaStore
from sosbot.storage.private_files import private_dir
from sosbot.storage.video_scrub import VIDEO_TYPES, MalformedVideo, scrub_mp4

log = logging.getLogger(__name__)

SCRUBBED_DIR = "scrubbed"
_FORMATS = {"JPEG": ".jpg", "PNG": ".png", "WEBP": ".webp"}
_ORIENTATION = 0x0112
# What may remain in a scrubbed file's info: image structure, nothing about its origin.
_HARMLESS_INFO = frozenset({"jfif", "jfif_version", "jfif_unit", "jfif_density", "dpi",
                            "transparency", "loop", "duration", "background", "gamma",
                            "aspect", "progressive", "progression", "adobe",
                            "adobe_transform", "lossless", "interlace", "timestamp",
                            "default_image", "blend", "disposal"})


class NotScrubbable(ValueError):
    """An image whose metadata cannot be removed here: it must not be sent out."""


def is_image(mime: str | None) -> bool:
    return bool(mime) and str(mime).startswith("image/")


def scrub(data: bytes) -> tuple[bytes, str]:
    """The image without metadata, and its file extension; raise NotScrubbable."""
    image: Image.Image
    try:
        image = Image.open(io.BytesIO(data))
        image.load()
    except (UnidentifiedImageError, OSError, Image.DecompressionBombError) as exc:
        raise NotScrubbable(f"not an image Pillow can read: {exc}") from exc
    source_format = image.format or ""
    animated = bool(getattr(image, "is_animated", False))
    rotated = False
    if not animated and image.getexif().get(_ORIENTATION, 1) not in (0, 1):
        image = ImageOps.exif_transpose(image)
        rotated = True
    transparency = image.info.get("transparency")
    image.info.clear()
    if transparency is not None:
        image.info["transparency"] = transparency
    target = source_format if source_format in _FORMATS else "PNG"
    if target == "PNG" and image.mode in ("CMYK", "YCbCr", "LAB", "HSV"):
        image = image.convert("RGB")
    out = io.BytesIO()
    if target == "JPEG" and not rotated:
        result = strip_jpeg(data)  # no re-encoding: the very same pixels
        _check_clean(result)
        return result, _FORMATS[target]
    if target == "JPEG":
        image.save(out, "JPEG", quality=95, optimize=True)
    elif target == "WEBP":
        image.save(out, "WEBP", quality=95, save_all=animated, exif=b"", xmp=b"")
    else:
        image.save(out, "PNG", save_all=animated)
    result = out.getvalue()
    _check_clean(result)
    return result, _FORMATS[target]


_SOI, _EOI, _SOS = 0xD8, 0xD9, 0xDA
_KEEP_APP = frozenset({0xE0, 0xEE})  # APP0 (JFIF), APP14 (Adobe colour transform)
_DROP = frozenset(range(0xE1, 0xF0)) | {0xFE}  # APP1–APP15 (EXIF, XMP, ICC, MPF…), COM


def strip_jpeg(data: bytes) -> bytes:
    """The JPEG with its metadata segments (APP1–APP15 but Adobe's, comments) removed and
    anything after the image's end (a second, unscrubbed picture) cut; the coded image
    data is copied byte for byte. Raise NotScrubbable on a malformed file."""
    if data[:2] != b"\xff\xd8":
        raise NotScrubbable("not a JPEG (no start-of-image marker)")
    out = bytearray(b"\xff\xd8")
    pos, size = 2, len(data)
    while pos < size:
        if data[pos] != 0xFF:
            raise NotScrubbable(f"JPEG marker expected at byte {pos}")
        marker = data[pos + 1] if pos + 1 < size else -1
        if marker == 0xFF:  # fill byte before a marker
            pos += 1
            continue
        if marker == _EOI:
            out += b"\xff\xd9"
            return bytes(out)
        if pos + 4 > size:
            raise NotScrubbable("JPEG cut short in a segment header")
        length = int.from_bytes(data[pos + 2:pos + 4], "big")
        end = pos + 2 + length
        if length < 2 or end > size:
            raise NotScrubbable(f"JPEG segment at byte {pos} runs past the end")
        if marker not in _DROP or marker in _KEEP_APP:
            out += data[pos:end]
        pos = end
        if marker == _SOS:
            scan_end = _end_of_scan(data, pos)
            out += data[pos:scan_end]
            pos = scan_end
    raise NotScrubbable("JPEG without an end-of-image marker")


def _end_of_scan(data: bytes, pos: int) -> int:
    """Where the entropy-coded data after a start-of-scan header ends: the next marker
    that is neither a stuffed 0xFF00 nor a restart marker."""
    while True:
        pos = data.find(b"\xff", pos)
        if pos < 0 or pos + 1 >= len(data):
            raise NotScrubbable("JPEG scan data without an end")
        following = data[pos + 1]
        if following == 0x00 or 0xD0 <= following <= 0xD7 or following == 0xFF:
            pos += 1 if following == 0xFF else 2
            continue
        return pos


def _check_clean(data: bytes) -> None:
    # Belt and braces: what Pillow reads back must hold no metadata at all.
    try:
        with Image.open(io.BytesIO(data)) as image:
            image.load()
            left = set(image.info) - _HARMLESS_INFO
            has_exif = len(image.getexif()) > 0
    except (UnidentifiedImageError, OSError) as exc:
        raise NotScrubbable(f"the scrubbed image does not decode: {exc}") from exc
    if left or has_exif:
        raise NotScrubbable(f"metadata left after scrubbing: {sorted(left) or 'exif'}")


class OutgoingMedia:
    """The paths of files fit to send, for originals in a :class:`MediaStore`."""

    def __init__(self, store: MediaStore) -> None:
        self.store = store
        self.root = store.root / SCRUBBED_DIR

    def cached(self, sha256: str) -> list[Path]:
        folder = self.root / sha256[:2]
        return [folder / f"{sha256}{ext}" for ext in (*_FORMATS.values(), *VIDEO_TYPES.values())
                if (folder / f"{sha256}{ext}").exists()]

    def path_for(self, sha256: str, mime: str | None) -> Path:
        """The file to upload for the stored original ``sha256``.

        Images: a scrubbed copy (made once, then cached); raise NotScrubbable when that is
        impossible. Anything else: the original.
        """
        original = self.store.path_for(sha256)
        video_ext = VIDEO_TYPES.get(str(mime))
        if not is_image(mime) and video_ext is None:
            return original
        existing = self.cached(sha256)
        if existing:
            return existing[0]
        if video_ext is not None:
            try:
                data, ext = scrub_mp4(original.read_bytes()), video_ext
            except MalformedVideo as exc:
                raise NotScrubbable(f"not a well-formed MP4: {exc}") from exc
        else:
            data, ext = scrub(original.read_bytes())
        path = self.root / sha256[:2] / f"{sha256}{ext}"
        private_dir(path.parent)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".scrubbing-")
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(data)
            os.replace(tmp, path)  # concurrent workers write the same bytes: last one wins
        finally:
            if os.path.exists(tmp):
                os.unlink(tmp)
        log.info("media %s: scrubbed copy made (%d → %d bytes)", sha256[:12],
                 original.stat().st_size, len(data))
        return path

    def forget(self, sha256: str) -> int:
        """Delete the scrubbed copies of ``sha256``; returns how many files went."""
        gone = 0
        for path in self.cached(sha256):
            path.unlink(missing_ok=True)
            gone += 1
        return gone
