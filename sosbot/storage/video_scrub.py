"""MP4/QuickTime videos without their user metadata, in pure Python (no ffmpeg needed).

Phones write where a video was taken into the movie's metadata boxes: Android into
``moov/udta/©xyz``, iPhones into ``moov/meta`` (``com.apple.quicktime.location.ISO6709``),
with the make, model and software beside it. Every ``udta`` and ``meta`` box inside
``moov`` and its tracks is turned into a ``free`` box of the same size, its contents
zeroed: no byte moves, so the chunk offsets (``stco``/``co64``) stay right and the video
plays exactly as before.

What stays: the creation and modification times in ``mvhd``/``tkhd``/``mdhd`` (when it was
recorded is part of the evidence) and the coded audio and video.
"""

from __future__ import annotations


class MalformedVideo(ValueError):
    """Bytes that are not a well-formed MP4/QuickTime box tree."""

CONTAINERS = frozenset({b"moov", b"trak", b"mdia", b"minf", b"edts"})
METADATA = frozenset({b"udta", b"meta"})
VIDEO_TYPES = {"video/mp4": ".mp4", "video/quicktime": ".mov", "video/3gpp": ".3gp",
               "video/x-m4v": ".m4v"}


def scrub_mp4(data: bytes) -> bytes:
    """The video with its metadata boxes blanked; raise MalformedVideo."""
    out = bytearray(data)
    _walk(out, 0, len(out), inside_moov=False)
    return bytes(out)


def _walk(buf: bytearray, start: int, end: int, *, inside_moov: bool) -> None:
    pos = start
    while pos < end:
        if pos + 8 > end:
            raise MalformedVideo(f"MP4 box header cut short at byte {pos}")
        size = int.from_bytes(buf[pos:pos + 4], "big")
        kind = bytes(buf[pos + 4:pos + 8])
        header = 8
        if size == 1:
            if pos + 16 > end:
                raise MalformedVideo(f"MP4 large box header cut short at byte {pos}")
            size = int.from_bytes(buf[pos + 8:pos + 16], "big")
            header = 16
        elif size == 0:
            size = end - pos  # the box runs to the end of its parent
        if size < header or pos + size > end:
            raise MalformedVideo(f"MP4 box {kind!r} at byte {pos} runs past its parent")
        if inside_moov and kind in METADATA:
            buf[pos + 4:pos + 8] = b"free"
            buf[pos + header:pos + size] = bytes(size - header)
        elif kind in CONTAINERS:
            _walk(buf, pos + header, pos + size, inside_moov=True)
        pos += size
