"""MP4/QuickTime videos lose their location and device boxes; nothing else moves."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from sosbot.storage.media_scrub import NotScrubbable, OutgoingMedia
from sosbot.storage.media_store import MediaStore
from sosbot.storage.video_scrub import MalformedVideo, scrub_mp4

SECRETS = (b"+10.7776+106.6437", b"PhoneMaker", b"Hoa's phone")


def box(kind: bytes, payload: bytes) -> bytes:
    return (8 + len(payload)).to_bytes(4, "big") + kind + payload


def phone_video() -> bytes:
    """The box layout phones write: Android's ©xyz in udta, Apple's keys in meta."""
    android = box(b"udta", box(b"\xa9xyz", b"\x00\x11\x15\xc7+10.7776+106.6437/")
                  + box(b"\xa9mak", b"\x00\x0a\x00\x00PhoneMaker"))
    apple = box(b"meta", bytes(4) + box(b"hdlr", bytes(24))
                + box(b"keys", b"com.apple.quicktime.location.ISO6709")
                + box(b"ilst", b"+10.7776+106.6437/"))
    trak = box(b"trak", box(b"tkhd", bytes(84)) + box(b"udta", box(b"name", b"Hoa's phone"))
               + box(b"mdia", box(b"mdhd", bytes(24))))
    moov = box(b"moov", box(b"mvhd", bytes(100)) + trak + android + apple)
    return (box(b"ftyp", b"isom\x00\x00\x02\x00isomiso2mp41") + moov
            + box(b"mdat", bytes(range(256)) * 4))


def test_location_and_device_boxes_are_blanked_in_place() -> None:
    original = phone_video()
    assert all(secret in original for secret in SECRETS)
    clean = scrub_mp4(original)
    assert len(clean) == len(original)
    assert not [secret for secret in SECRETS if secret in clean]
    assert b"com.apple.quicktime.location" not in clean
    moov_at = original.index(b"moov") - 4
    mdat_at = original.index(b"mdat") - 4
    assert clean[:moov_at] == original[:moov_at]  # ftyp untouched
    assert hashlib.sha256(clean[mdat_at:]).digest() == \
        hashlib.sha256(original[mdat_at:]).digest()  # the coded media did not move
    assert clean.count(b"free") == 3  # moov/udta, moov/meta, trak/udta
    assert b"mvhd" in clean and b"tkhd" in clean and b"mdhd" in clean
    assert scrub_mp4(clean) == clean


def test_a_malformed_video_is_refused() -> None:
    video = phone_video()
    mvhd = video.index(b"mvhd") - 4  # its size field: now far past the end of moov
    broken = video[:mvhd] + (10**6).to_bytes(4, "big") + video[mvhd + 4:]
    with pytest.raises(MalformedVideo):
        scrub_mp4(broken)


def test_videos_leave_scrubbed_and_malformed_ones_not_at_all(tmp_path: Path) -> None:
    store = MediaStore(tmp_path / "media")
    stored = store.put(phone_video())
    assert stored.mime == "video/mp4"
    outgoing = OutgoingMedia(store)
    path = outgoing.path_for(stored.sha256, stored.mime)
    assert path.suffix == ".mp4" and path != stored.path
    assert not [secret for secret in SECRETS if secret in path.read_bytes()]
    assert store.read(stored.sha256) == phone_video()  # the evidence keeps everything
    cut = store.put(phone_video()[:-500] + b"\x00\x00\x10\x00mdat")
    with pytest.raises(NotScrubbable):
        outgoing.path_for(cut.sha256, "video/mp4")


def nested_boxes(depth: int) -> bytes:
    """An ``ftyp`` box, then ``depth`` ``moov`` boxes each inside the one before: 8 bytes a
    box, 24 KB for 3,000 (the file that once took the scrubber to RecursionError)."""
    return box(b"ftyp", b"isom\x00\x00\x02\x00isomiso2mp41") + b"".join(
        (8 * (depth - level)).to_bytes(4, "big") + b"moov" for level in range(depth))


def test_boxes_nested_thousands_deep_are_refused_without_recursion(tmp_path: Path) -> None:
    poison = nested_boxes(3000)
    assert len(poison) < 25_000
    with pytest.raises(MalformedVideo, match="nested deeper"):
        scrub_mp4(poison)
    store = MediaStore(tmp_path / "media")
    stored = store.put(poison)
    assert stored.mime == "video/mp4"  # it passes the store's sniffing as a video
    with pytest.raises(NotScrubbable):
        OutgoingMedia(store).path_for(stored.sha256, stored.mime)
    # A box of size 0 runs to the end of its parent: nesting those is refused the same way.
    with pytest.raises(MalformedVideo, match="nested deeper"):
        scrub_mp4(b"".join(bytes(4) + b"trak" for _ in range(3000)))
    assert scrub_mp4(nested_boxes(5)) == nested_boxes(5)  # as deep as phones nest: fine


def test_a_video_of_too_many_boxes_is_refused() -> None:
    crowded = box(b"moov", box(b"free", b"") * 150_000)
    with pytest.raises(MalformedVideo, match="boxes"):
        scrub_mp4(crowded)
    assert scrub_mp4(box(b"moov", box(b"free", b"") * 1000))  # a fragmented video's count
