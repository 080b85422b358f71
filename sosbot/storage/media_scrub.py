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

A resident's file is hostile until proven otherwise, so the scrubbing is bounded:

- an image over ``MAX_PIXELS`` (40 megapixels, far below Pillow's default of 89) is
  refused from its header, before a pixel is decoded: a 50 KB PNG that decodes to 100 MB
  (a decompression bomb) never gets to decode; so is a text chunk that inflates past
  Pillow's limit;
- an animated image (GIF, WebP, APNG) leaves as its first frame: a still is what the
  officers need, and a thousand frames cost a thousand decodes;
- the scrubbing runs in a child process (``sosbot/storage/scrub_child.py``) with a wall-clock
  limit and an address-space limit (``ScrubLimits``): a file that would take the worker
  past its job timeout, or its memory, is killed there and refused, and the worker goes on.
  A refusal is remembered beside the copies (``<sha256>.refused``), so the five chats of a
  report do not each pay the time limit again.
"""

from __future__ import annotations

import io
import json
import logging
import os
import struct
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

from PIL import Image, ImageOps, UnidentifiedImageError

from sosbot.storage.media_store import MediaStore
from sosbot.storage.private_files import private_dir
from sosbot.storage.video_scrub import VIDEO_TYPES

log = logging.getLogger(__name__)

SCRUBBED_DIR = "scrubbed"
REFUSED = ".refused"
# A 12-megapixel phone photo is 12; a 108-megapixel one is rare and has a smaller copy on
# every platform. Decoded as RGBA, 40 megapixels are 160 MB.
MAX_PIXELS = 40_000_000
# What Pillow raises on bytes it cannot make sense of (beyond UnidentifiedImageError).
_UNREADABLE = (UnidentifiedImageError, OSError, ValueError, EOFError, struct.error,
               Image.DecompressionBombError)
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


def scrub(data: bytes, *, max_pixels: int = MAX_PIXELS) -> tuple[bytes, str]:
    """The image without metadata, as a still (an animation's first frame), and its file
    extension; raise NotScrubbable (also for an image of more than ``max_pixels``)."""
    image: Image.Image
    try:
        image = Image.open(io.BytesIO(data))
        width, height = image.size  # from the header: nothing decoded yet
        if width * height > max_pixels:
            raise NotScrubbable(f"image of {width}×{height} pixels, more than {max_pixels}")
        image.load()  # an animation's first frame
    except _UNREADABLE as exc:
        raise NotScrubbable(f"not an image Pillow can read: {exc}") from exc
    source_format = image.format or ""
    rotated = False
    if image.getexif().get(_ORIENTATION, 1) not in (0, 1):
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
        image.save(out, "WEBP", quality=95, exif=b"", xmp=b"")
    else:
        image.save(out, "PNG")
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
    except _UNREADABLE as exc:
        raise NotScrubbable(f"the scrubbed image does not decode: {exc}") from exc
    if left or has_exif:
        raise NotScrubbable(f"metadata left after scrubbing: {sorted(left) or 'exif'}")


@dataclass(frozen=True)
class ScrubLimits:
    """What one file's scrubbing may take. ``seconds`` is well under a job's timeout
    (queueing.JOB_TIMEOUT_S, 120 s) even for an album of ten (a refusal is remembered, so a
    job's next try skips the files already refused)."""

    seconds: float = 10.0
    memory_bytes: int = 1024 * 1024 * 1024
    max_pixels: int = MAX_PIXELS


class ScrubFailed(RuntimeError):
    """The scrubbing process could not run or answer (not a verdict on the file): the send
    is tried again, and after a few tries given up, like any failure to prepare it."""


def scrub_in_child(original: Path, target: Path, *, video: bool,
                   limits: ScrubLimits) -> str:
    """Scrub ``original`` into ``target`` in a child process within ``limits``; the
    extension of the result. Raise NotScrubbable when the file is refused, by the scrubber
    or by a limit.

    A child process, not a thread or a signal: only a process can be stopped in the middle
    of a C decoder and have its memory capped without touching the worker's. It is started
    afresh (``python -m``, about 0.1 s) rather than forked from the worker, whose threads
    (the lock keeper, the event loop, the sweeper) a fork would copy half-way; the cost is
    paid once per original, since the copy is cached."""
    command = [sys.executable, "-m", "sosbot.storage.scrub_child", "video" if video else "image",
               str(original), str(target), str(limits.max_pixels), str(limits.memory_bytes),
               str(limits.seconds)]
    try:
        done = subprocess.run(command, capture_output=True, timeout=limits.seconds, check=False)
    except subprocess.TimeoutExpired as exc:  # run() has killed the child
        raise NotScrubbable(f"scrubbing took longer than {limits.seconds:g} s") from exc
    except OSError as exc:
        raise ScrubFailed(f"could not start the scrubbing process: {exc}") from exc
    if done.returncode < 0:  # a signal: the CPU-time limit (SIGXCPU), or the kernel's OOM
        raise NotScrubbable(f"scrubbing stopped by signal {-done.returncode} (over its limits)")
    lines = done.stdout.decode(errors="replace").strip().splitlines()
    try:
        answer = json.loads(lines[-1]) if done.returncode == 0 and lines else None
    except json.JSONDecodeError:
        answer = None
    if not isinstance(answer, dict):
        raise ScrubFailed(f"the scrubbing process failed (exit {done.returncode}): "
                          f"{done.stderr.decode(errors='replace')[-300:]}")
    if "refused" in answer:
        raise NotScrubbable(str(answer["refused"]))
    return str(answer["ext"])


class OutgoingMedia:
    """The paths of files fit to send, for originals in a :class:`MediaStore`."""

    def __init__(self, store: MediaStore, limits: ScrubLimits | None = None) -> None:
        self.store = store
        self.root = store.root / SCRUBBED_DIR
        self.limits = limits or ScrubLimits()

    def cached(self, sha256: str) -> list[Path]:
        folder = self.root / sha256[:2]
        return [folder / f"{sha256}{ext}" for ext in (*_FORMATS.values(), *VIDEO_TYPES.values())
                if (folder / f"{sha256}{ext}").exists()]

    def path_for(self, sha256: str, mime: str | None) -> Path:
        """The file to upload for the stored original ``sha256``.

        Images and MP4/QuickTime videos: a scrubbed copy (made once, in a child process
        within ``limits``, then cached); raise NotScrubbable when that is impossible (also
        remembered) and ScrubFailed when the child could not run. Anything else: the
        original.
        """
        original = self.store.path_for(sha256)
        video_ext = VIDEO_TYPES.get(str(mime))
        if not is_image(mime) and video_ext is None:
            return original
        existing = self.cached(sha256)
        if existing:
            return existing[0]
        folder = self.root / sha256[:2]
        refused = folder / f"{sha256}{REFUSED}"
        if refused.exists():
            raise NotScrubbable(f"refused before: {refused.read_text(errors='replace')}")
        private_dir(folder)
        fd, tmp = tempfile.mkstemp(dir=folder, prefix=".scrubbing-")
        os.close(fd)
        try:
            try:
                ext = scrub_in_child(original, Path(tmp), video=video_ext is not None,
                                     limits=self.limits)
            except NotScrubbable as exc:
                _write_atomically(refused, str(exc).encode())
                raise
            path = folder / f"{sha256}{video_ext or ext}"
            os.replace(tmp, path)  # concurrent workers write the same bytes: last one wins
        finally:
            if os.path.exists(tmp):
                os.unlink(tmp)
        log.info("media %s: scrubbed copy made (%d → %d bytes)", sha256[:12],
                 original.stat().st_size, path.stat().st_size)
        return path

    def forget(self, sha256: str) -> int:
        """Delete the scrubbed copies of ``sha256``; returns how many files went."""
        gone = 0
        for path in self.cached(sha256):
            path.unlink(missing_ok=True)
            gone += 1
        (self.root / sha256[:2] / f"{sha256}{REFUSED}").unlink(missing_ok=True)
        return gone


def _write_atomically(path: Path, data: bytes) -> None:
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".writing-")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
