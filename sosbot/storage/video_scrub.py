"""MP4/QuickTime videos without their user metadata, in pure Python (no ffmpeg needed).

Phones write where a video was taken into the movie's metadata boxes: Android into
``moov/udta/©xyz``, iPhones into ``moov/meta`` (``com.apple.quicktime.location.ISO6709``),
with the make, model and software beside it. Every ``udta`` and ``meta`` box inside
``moov`` and its tracks is turned into a ``free`` box of the same size, its contents
zeroed: no byte moves, so the chunk offsets (``stco``/``co64``) stay right and the video
plays exactly as before.

What stays: the creation and modification times in ``mvhd``/``tkhd``/``mdhd`` (when it was
recorded is part of the evidence) and the coded audio and video.

The walk is a loop over an explicit stack, bounded in depth and in boxes: a file of boxes
nested thousands deep (24 KB of 8-byte ``moov`` headers took the recursive walk to
RecursionError) or of millions of empty boxes is refused as malformed, at once.
"""

from __future__ import annotations


class MalformedVideo(ValueError):
    """Bytes that are not a well-formed MP4/QuickTime box tree."""

CONTAINERS = frozenset({b"moov", b"trak", b"mdia", b"minf", b"edts"})
METADATA = frozenset({b"udta", b"meta"})
VIDEO_TYPES = {"video/mp4": ".mp4", "video/quicktime": ".mov", "video/3gpp": ".3gp",
               "video/x-m4v": ".m4v"}


# Phones nest the boxes walked here four deep (moov/trak/mdia/minf) under the top level; a
# fragmented recording has a few thousand top-level boxes. Far above both, far below harm.
MAX_DEPTH = 16
MAX_BOXES = 100_000


def scrub_mp4(data: bytes, *, max_depth: int = MAX_DEPTH, max_boxes: int = MAX_BOXES) -> bytes:
    """The video with its metadata boxes blanked; raise MalformedVideo (also for a box tree
    deeper than ``max_depth`` or with more than ``max_boxes`` boxes)."""
    buf = bytearray(data)
    # One entry per open level: where its next box starts, where it ends, inside moov?
    stack: list[tuple[int, int, bool]] = [(0, len(buf), False)]
    boxes = 0
    while stack:
        pos, end, inside_moov = stack.pop()
        if pos >= end:
            continue
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
        boxes += 1
        if boxes > max_boxes:
            raise MalformedVideo(f"MP4 with more than {max_boxes} boxes")
        stack.append((pos + size, end, inside_moov))  # the boxes after it, once it is done
        if inside_moov and kind in METADATA:
            buf[pos + 4:pos + 8] = b"free"
            buf[pos + header:pos + size] = bytes(size - header)
        elif kind in CONTAINERS:
            if len(stack) >= max_depth:
                raise MalformedVideo(f"MP4 boxes nested deeper than {max_depth} at byte {pos}")
            stack.append((pos + header, pos + size, True))
    return bytes(buf)
