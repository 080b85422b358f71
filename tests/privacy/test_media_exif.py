"""Photos leave the system without their metadata; the original stays as evidence."""

from __future__ import annotations

import hashlib
import io
from pathlib import Path

import pytest
from PIL import Image, ImageChops, PngImagePlugin
from sqlmodel import select

from sosbot.storage.db import transaction
from sosbot.storage.media_scrub import NotScrubbable, OutgoingMedia, scrub
from sosbot.storage.media_store import MediaStore
from sosbot.storage.tables import Media
from tests.privacy.conftest import RESIDENT_A
from tests.privacy.steps import XMP, exif_block, photo_with_gps, report
from tests.routing.flow import TAN_PHU, Rig


def assert_clean(data: bytes) -> None:
    for secret in (b"PhoneMaker", b"SN-445566", b"Nguyen Thi Hoa", b"0901234567",
                   b"Exif\x00\x00", b"xmpmeta"):
        assert secret not in data, secret
    with Image.open(io.BytesIO(data)) as image:
        assert len(image.getexif()) == 0
        assert not {"exif", "xmp", "comment", "icc_profile"} & set(image.info)


def test_a_jpeg_loses_gps_xmp_and_comment_but_keeps_its_pixels() -> None:
    original = photo_with_gps()
    assert b"PhoneMaker" in original and b"xmpmeta" in original
    clean, ext = scrub(original)
    assert ext == ".jpg"
    assert_clean(clean)
    with Image.open(io.BytesIO(original)) as before, Image.open(io.BytesIO(clean)) as after:
        assert after.size == before.size
        # No rotation needed: not re-encoded, the very same pixels.
        difference = ImageChops.difference(before.convert("RGB"), after.convert("RGB"))
        assert difference.getbbox() is None  # not a single pixel differs


def test_a_progressive_jpeg_with_a_second_picture_appended_is_cut_clean() -> None:
    image = Image.new("RGB", (320, 240), (10, 120, 200))
    image.paste((250, 250, 0), (100, 50, 200, 150))
    main = io.BytesIO()
    image.save(main, "JPEG", progressive=True, exif=exif_block(), comment=b"0901234567")
    tail = photo_with_gps((64, 48))  # as phones append a preview after the image (MPF)
    clean, _ = scrub(main.getvalue() + tail)
    assert_clean(clean)
    assert clean.endswith(b"\xff\xd9") and len(clean) < len(main.getvalue())
    with Image.open(io.BytesIO(main.getvalue())) as before, \
            Image.open(io.BytesIO(clean)) as after:
        assert hashlib.sha256(after.tobytes()).digest() == \
            hashlib.sha256(before.tobytes()).digest()


def test_the_orientation_is_applied_to_the_pixels() -> None:
    clean, _ = scrub(photo_with_gps((640, 480), orientation=6))  # 90° clockwise to view
    assert_clean(clean)
    with Image.open(io.BytesIO(clean)) as image:
        assert image.size == (480, 640)
        rgb = image.convert("RGB")
        # The blue mark was top-left; turned clockwise it is top-right.
        r, g, b = rgb.getpixel((470, 10))  # type: ignore[misc]
        assert b > 150 and r < 80
        r, g, b = rgb.getpixel((10, 10))  # type: ignore[misc]
        assert r > 150 and b < 80


def test_png_text_chunks_and_webp_metadata_go_too() -> None:
    info = PngImagePlugin.PngInfo()
    info.add_text("Author", "Nguyen Thi Hoa")
    info.add_itxt("XML:com.adobe.xmp", XMP.decode())
    png = io.BytesIO()
    Image.new("RGBA", (50, 40), (0, 0, 255, 128)).save(png, "PNG", pnginfo=info,
                                                        exif=exif_block())
    clean, ext = scrub(png.getvalue())
    assert ext == ".png"
    assert_clean(clean)
    webp = io.BytesIO()
    Image.new("RGB", (50, 40), (0, 200, 0)).save(webp, "WEBP", exif=exif_block(), xmp=XMP)
    clean, ext = scrub(webp.getvalue())
    assert ext == ".webp"
    assert_clean(clean)


def test_other_images_become_png_and_unreadable_ones_are_refused() -> None:
    tiff = io.BytesIO()
    Image.new("RGB", (30, 20), (9, 9, 9)).save(tiff, "TIFF", exif=exif_block())
    clean, ext = scrub(tiff.getvalue())
    assert ext == ".png"
    assert_clean(clean)
    with pytest.raises(NotScrubbable):
        scrub(b"\x00\x00\x00\x18ftypheic" + b"\x00" * 64)  # HEIC without a decoder


def test_the_scrubbed_copy_is_made_once_and_audio_passes_as_stored(tmp_path: Path) -> None:
    store = MediaStore(tmp_path / "media")
    stored = store.put(photo_with_gps())
    outgoing = OutgoingMedia(store)
    first = outgoing.path_for(stored.sha256, stored.mime)
    assert first != stored.path and first.suffix == ".jpg"
    made = first.stat().st_mtime_ns
    assert outgoing.path_for(stored.sha256, stored.mime) == first
    assert first.stat().st_mtime_ns == made
    assert hashlib.sha256(stored.path.read_bytes()).hexdigest() == stored.sha256
    assert outgoing.path_for("ab" * 32, "audio/ogg") == store.path_for("ab" * 32)
    assert outgoing.forget(stored.sha256) == 1 and outgoing.cached(stored.sha256) == []


# Driven through the emulator: on the production database only (the SQLite path is the
# same code, covered by the storage and webhook tests on both).
@pytest.mark.parametrize("database_url", ["postgres"], indirect=True)
async def test_a_gps_photo_reaches_the_police_groups_without_exif(
        rig: Rig, groups: dict[str, int]) -> None:
    original = photo_with_gps()
    await report(rig, RESIDENT_A, "fire", TAN_PHU, "Cháy kho gỗ cuối hẻm", photo=original)

    for chat in groups["ward"], groups["pc07"], groups["command"]:
        [album] = [m for m in await rig.bot_messages(chat) if m.get("photo")]
        largest = album["photo"][-1]["file_id"]
        async with rig.http.get(f"{rig.emu}/_emu/files/{largest}") as response:
            assert response.status == 200
            sent = await response.read()
        assert_clean(sent)
        with Image.open(io.BytesIO(sent)) as image:
            assert image.size == (640, 480)

    with transaction(rig.engine) as session:
        [media] = session.exec(select(Media)).all()
    assert media.status == "stored" and media.sha256 == hashlib.sha256(original).hexdigest()
    evidence = MediaStore(rig.tmp / "media").read(media.sha256)
    assert evidence == original and b"PhoneMaker" in evidence
