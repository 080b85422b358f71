"""What the privacy tests share: a photo carrying GPS metadata, and a resident's report
made through the Telegram emulator with a photo of one's choosing."""

from __future__ import annotations

import base64
import io
from typing import Any

from PIL import Image
from PIL.ExifTags import GPS, IFD
from sqlmodel import col, select

from sosbot.storage.db import transaction
from sosbot.storage.tables import Report
from tests.routing.flow import Rig

ORIENTATION = 0x0112
XMP = (b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF><dc:creator>Nguyen Thi Hoa'
       b'</dc:creator></rdf:RDF></x:xmpmeta>')


def exif_block(orientation: int = 1) -> bytes:
    exif = Image.Exif()
    exif[ORIENTATION] = orientation
    exif[0x010F] = "PhoneMaker"  # Make
    exif[0xA431] = "SN-445566"  # BodySerialNumber
    exif[IFD.GPSInfo] = {GPS.GPSLatitudeRef: "N", GPS.GPSLatitude: (10.0, 46.0, 39.36),
                         GPS.GPSLongitudeRef: "E", GPS.GPSLongitude: (106.0, 38.0, 37.32)}
    return exif.tobytes()


def photo_with_gps(size: tuple[int, int] = (640, 480), orientation: int = 1) -> bytes:
    image = Image.new("RGB", size, (180, 60, 20))
    image.paste((20, 60, 180), (0, 0, size[0] // 4, size[1] // 2))  # a mark to see rotation
    out = io.BytesIO()
    image.save(out, "JPEG", quality=88, exif=exif_block(orientation), xmp=XMP,
               comment=b"Nguyen Thi Hoa, 0901234567")
    return out.getvalue()


def cards(messages: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [m for m in messages if "SOS-" in (m.get("text") or "") and m.get("reply_markup")]


async def report(rig: Rig, resident: int, category: str, point: tuple[float, float],
                 description: str, photo: bytes | None = None) -> str:
    """A resident reports through the whole Telegram conversation; returns the code."""
    await rig.send(resident, text="/start")
    menu = (await rig.bot_messages(resident))[-1]
    await rig.press(resident, resident, menu["message_id"], f"cat:{category}")
    await rig.send(resident, location={"latitude": point[0], "longitude": point[1]})
    await rig.send(resident, text=description)
    if photo is not None:
        await rig.send(resident, photo={"data_b64": base64.b64encode(photo).decode()})
    last = (await rig.bot_messages(resident))[-1]
    await rig.press(resident, resident, last["message_id"], "done" if photo else "skip")
    summary = (await rig.bot_messages(resident))[-1]
    await rig.press(resident, resident, summary["message_id"], "submit")
    with transaction(rig.engine) as session:
        newest = session.exec(select(Report).order_by(col(Report.id).desc())).first()
    assert newest is not None
    return newest.code
