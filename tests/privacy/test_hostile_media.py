"""Residents' files built to hurt the scrubber: bombs, giants, animations, slow and greedy
decodes. Each is refused (not sent) or reduced, and none takes the worker with it."""

from __future__ import annotations

import io
import struct
import zlib
from pathlib import Path

import pytest
from PIL import Image

from sosbot.storage.media_scrub import NotScrubbable, OutgoingMedia, ScrubLimits, scrub
from sosbot.storage.media_store import MediaStore


def chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def png(width: int, height: int, idat: bytes, *extra: bytes) -> bytes:
    """A greyscale PNG of the given header and image data, with more chunks before it."""
    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + b"".join(extra)
            + chunk(b"IDAT", idat) + chunk(b"IEND", b""))


def bomb(width: int = 10_000, height: int = 6_000) -> bytes:
    """A real decompression bomb: 60 megapixels of zeros, about 60 KB on disk."""
    packer = zlib.compressobj(9)
    row = bytes(width + 1)  # filter byte, then the pixels
    idat = b"".join(packer.compress(row) for _ in range(height)) + packer.flush()
    return png(width, height, idat)


def test_a_decompression_bomb_is_refused_from_its_header(tmp_path: Path) -> None:
    data = bomb()
    assert len(data) < 100_000
    with pytest.raises(NotScrubbable, match="10000×6000 pixels"):
        scrub(data)
    store = MediaStore(tmp_path / "media")
    stored = store.put(data)
    outgoing = OutgoingMedia(store)
    with pytest.raises(NotScrubbable, match="pixels"):
        outgoing.path_for(stored.sha256, stored.mime)
    # Remembered: the next chat's album does not start a scrubber for it again.
    with pytest.raises(NotScrubbable, match="refused before"):
        outgoing.path_for(stored.sha256, stored.mime)
    assert outgoing.cached(stored.sha256) == []
    outgoing.forget(stored.sha256)  # a purge takes the refusal too
    assert not list((outgoing.root / stored.sha256[:2]).iterdir())


def test_a_giant_image_and_a_text_chunk_bomb_are_refused() -> None:
    giant = png(65_535, 65_535, zlib.compress(bytes(100)))
    with pytest.raises(NotScrubbable, match="pixels"):
        scrub(giant)
    inflating = chunk(b"zTXt", b"Comment\x00\x00" + zlib.compress(bytes(20_000_000), 9))
    small = png(10, 10, zlib.compress(bytes(110)), inflating)
    assert len(small) < 30_000
    with pytest.raises(NotScrubbable, match="too large"):
        scrub(small)


def animation(kind: str) -> bytes:
    frames = [Image.new("RGB", (40, 30), colour)
              for colour in ((250, 0, 0), (0, 250, 0), (0, 0, 250))]
    out = io.BytesIO()
    frames[0].save(out, kind, save_all=True, append_images=frames[1:], duration=100, loop=0)
    return out.getvalue()


@pytest.mark.parametrize("kind", ["GIF", "WEBP", "PNG"])
def test_an_animation_leaves_as_its_first_frame(kind: str) -> None:
    data = animation(kind)
    with Image.open(io.BytesIO(data)) as original:
        assert original.n_frames == 3
    clean, ext = scrub(data)
    assert ext == {"GIF": ".png", "WEBP": ".webp", "PNG": ".png"}[kind]
    with Image.open(io.BytesIO(clean)) as still:
        assert getattr(still, "n_frames", 1) == 1
        red, green, blue = still.convert("RGB").getpixel((20, 15))  # type: ignore[misc]
        assert red > 200 and green < 40 and blue < 40


def large_flat_png() -> bytes:
    """36 megapixels (under the pixel cap) in 0.6 MB: legal, but a second of decoding and
    encoding and 144 MB of memory."""
    out = io.BytesIO()
    Image.new("RGBA", (6_000, 6_000), (200, 30, 30, 255)).save(out, "PNG", compress_level=1)
    return out.getvalue()


def test_the_time_and_memory_limits_stop_a_costly_file_and_nothing_else(
        tmp_path: Path) -> None:
    store = MediaStore(tmp_path / "media")
    costly = store.put(large_flat_png())
    with pytest.raises(NotScrubbable, match="longer than"):
        OutgoingMedia(store, ScrubLimits(seconds=0.05)).path_for(costly.sha256, costly.mime)
    store_b = MediaStore(tmp_path / "media-b")
    costly_b = store_b.put(large_flat_png())
    with pytest.raises(NotScrubbable, match="needs more than"):
        OutgoingMedia(store_b, ScrubLimits(memory_bytes=150 * 2**20)).path_for(
            costly_b.sha256, costly_b.mime)
    # The worker's process is untouched: the same file scrubs within the default limits.
    store_c = MediaStore(tmp_path / "media-c")
    fine = store_c.put(large_flat_png())
    path = OutgoingMedia(store_c).path_for(fine.sha256, fine.mime)
    with Image.open(path) as image:
        assert image.size == (6_000, 6_000)
