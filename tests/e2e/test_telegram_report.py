"""End to end: a resident reports a fire on Telegram, all through real HTTP and real processes."""

from __future__ import annotations

import hashlib
import io
import json
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from PIL import Image
from redis import Redis

from sosbot.storage.db import make_engine
from tests.e2e.harness import System, b64, start_system, stop_system

pytestmark = pytest.mark.e2e

# Chợ Tân Phú area... any point inside the city will do for intake; routing picks the ward.
PIN = {"latitude": 10.790312, "longitude": 106.628451, "horizontal_accuracy": 25}


def photo(colour: tuple[int, int, int]) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (1280, 960), colour).save(buffer, "JPEG", quality=90)
    return buffer.getvalue()


@pytest.fixture
async def system(tmp_path: Path, ward_data: Path, redis: Redis, redis_url: str,
                 queue_name: str) -> AsyncIterator[System]:
    running, emulator = await start_system(tmp_path, ward_data,
                                           f"sqlite:///{tmp_path / 'e2e.db'}", redis_url,
                                           queue_name)
    try:
        yield running
    finally:
        await stop_system(running, emulator)


async def test_resident_reports_a_fire_with_a_pin_and_an_album(system: System) -> None:
    mai = await system.user(7001, "Mai")

    await mai.send(text="/start")
    menu = await mai.expect_text("Bạn muốn báo sự việc gì?")
    assert "SOS An ninh trật tự" in menu["text"]
    buttons = [row[0]["callback_data"] for row in menu["reply_markup"]["inline_keyboard"]]
    assert buttons == ["cat:security", "cat:traffic", "cat:fire", "cat:other"]

    await mai.press(menu, "cat:fire")
    await mai.expect_text("Sự việc xảy ra ở đâu?")
    keyboard = await mai.keyboard()
    assert keyboard["keyboard"][0][0]["request_location"] is True

    await mai.send(location=PIN)
    await mai.expect_text("mô tả ngắn gọn")
    assert await mai.keyboard() is None, "the location keyboard is removed once used"

    await mai.send(text="Cháy nhà kho <gỗ> & sơn, khói đen rất nhiều")
    await mai.expect_text("gửi ảnh hoặc video")

    photos = [photo((200, 30, 30)), photo((30, 200, 30)), photo((30, 30, 200))]
    await mai.send(album=[{"type": "photo", "data_b64": b64(data)} for data in photos])
    received = await mai.expect_text("Đã nhận các ảnh/video")

    await mai.press(received, "done")
    summary = await mai.expect_text("Vui lòng kiểm tra lại tin báo")
    assert "Cháy nổ" in summary["text"] and "Ảnh/video: 3" in summary["text"]
    assert "Cháy nhà kho <gỗ> & sơn" in summary["text"], "user text shown verbatim, escaped"

    await mai.press(summary, "submit")
    done = await mai.expect_text("Mã tin báo của bạn: SOS-")
    code = done["text"].split("Mã tin báo của bạn: ")[1].split()[0]
    await mai.expect_text("chia sẻ số điện thoại")

    listed = json.loads(await system.run("reports", "--json"))
    assert len(listed) == 1
    report = listed[0]
    assert (report["code"], report["category"], report["status"], report["channel"]) == \
        (code, "fire", "new", "telegram")
    assert (report["lat"], report["lon"]) == (PIN["latitude"], PIN["longitude"])
    assert report["media_count"] == 3
    assert report["description"] == "Cháy nhà kho <gỗ> & sơn, khói đen rất nhiều"

    engine = make_engine(system.env["DATABASE_URL"])
    expected = {hashlib.sha256(data).hexdigest() for data in photos}
    for _ in range(100):
        with engine.connect() as conn:
            hashes = {row[0] for row in conn.execute(sa.text(
                "SELECT sha256 FROM media WHERE status = 'stored'"))}
            accuracy = conn.execute(sa.text("SELECT accuracy_m FROM report")).scalar_one()
        if hashes == expected:
            break
        await _pause()
    assert hashes == expected, system.logs()
    assert accuracy == 25
    for digest in expected:
        stored = Path(system.env["SOSBOT_MEDIA_DIR"]) / digest[:2] / digest[2:4] / digest
        assert hashlib.sha256(stored.read_bytes()).hexdigest() == digest

    # Every message the resident saw, in order, each exactly once.
    texts = [m.get("text", "") for m in await mai.bot_messages()]
    firsts = ["Xin chào", "Sự việc xảy ra ở đâu", "Bạn mô tả", "Nếu có thể, hãy gửi ảnh",
              "Đã nhận các ảnh", "Vui lòng kiểm tra", "Đã gửi tin báo", "Để cán bộ gọi lại"]
    assert [next(f for f in firsts if t.startswith(f)) for t in texts] == firsts
    engine.dispose()


async def test_extras_after_submission_join_the_report(system: System) -> None:
    an = await system.user(7002, "An")
    await an.send(text="Có người bị giật điện thoại trước cổng trường")
    understood = await an.expect_text("Mình hiểu: 🚨 An ninh trật tự")
    await an.press(understood, "cat:ok")
    await an.expect_text("Sự việc xảy ra ở đâu?")
    await an.send(venue={"latitude": 10.7725, "longitude": 106.698, "title": "Chợ Bến Thành",
                         "address": "Lê Lợi"})
    ask_media = await an.expect_text("gửi ảnh hoặc video")
    await an.press(ask_media, "skip")
    summary = await an.expect_text("Vui lòng kiểm tra lại tin báo")
    assert "Chợ Bến Thành" in summary["text"]
    await an.press(summary, "submit")
    done = await an.expect_text("Mã tin báo của bạn:")
    code = done["text"].split("Mã tin báo của bạn: ")[1].split()[0]

    await an.send(text="Kẻ gian đi xe Wave màu đỏ")
    await an.expect_text(f"Đã bổ sung vào tin báo {code}")
    await an.send(photo={"data_b64": b64(photo((90, 90, 90)))})
    await an.expect_text(f"Đã bổ sung vào tin báo {code}")
    report = json.loads(await system.run("reports", "--json"))[0]
    assert report["media_count"] == 1
    assert report["description"].endswith("Kẻ gian đi xe Wave màu đỏ")


async def test_outside_the_city_is_refused_and_the_draft_kept(system: System) -> None:
    binh = await system.user(7003, "Bình")
    await binh.send(text="/start")
    menu = await binh.expect_text("Bạn muốn báo sự việc gì?")
    await binh.press(menu, "cat:traffic")
    await binh.expect_text("Sự việc xảy ra ở đâu?")
    await binh.send(location={"latitude": 10.9574, "longitude": 106.8427})  # Biên Hòa
    await binh.expect_text("nằm ngoài địa bàn TP. Hồ Chí Minh")
    await binh.send(location=PIN)
    await binh.expect_text("mô tả ngắn gọn")


async def test_a_typed_place_is_proposed_back_and_confirmed(system: System) -> None:
    """Issue 20: one panicked sentence naming a landmark; the bot says what it understood
    and proposes the place; one tap confirms it, and the report is in that ward."""
    lan = await system.user(7004, "Lan")
    await lan.send(text="Có cháy ở chợ Bến Thành, cứu với!")
    asked = await lan.expect_text("Mình hiểu: 🔥 Cháy nổ.")
    assert "Có phải ở đây không?" in asked["text"] and "Chợ Bến Thành" in asked["text"]
    assert "Phường Bến Thành" in asked["text"]
    values = [b.get("callback_data") for row in asked["reply_markup"]["inline_keyboard"]
              for b in row]
    assert values[:3] == ["place:1", "place:retype", "cat:change"]
    await lan.press(asked, "place:1")
    ask_media = await lan.expect_text("gửi ảnh hoặc video")
    await lan.press(ask_media, "skip")
    summary = await lan.expect_text("Vui lòng kiểm tra lại tin báo")
    assert "Chợ Bến Thành" in summary["text"]
    await lan.press(summary, "submit")
    await lan.expect_text("Mã tin báo của bạn:")
    report = json.loads(await system.run("reports", "--json"))[0]
    assert report["category"] == "fire" and report["ward_code"] == "26743"  # Bến Thành
    assert report["description"] == "Có cháy ở chợ Bến Thành, cứu với!"

    # An old district: the wards it became, as buttons.
    hoa = await system.user(7005, "Hoa")
    await hoa.send(text="/start")
    menu = await hoa.expect_text("Bạn muốn báo sự việc gì?")
    await hoa.press(menu, "cat:traffic")
    await hoa.expect_text("Sự việc xảy ra ở đâu?")
    await hoa.send(text="Q.Tân Phú")
    wards = await hoa.expect_text("gồm nhiều phường/xã")
    labels = [b["text"] for row in wards["reply_markup"]["inline_keyboard"] for b in row]
    assert "Phường Tây Thạnh" in labels
    await hoa.press(wards, "place:1")
    await hoa.expect_text("mô tả ngắn gọn")


async def _pause() -> None:
    import asyncio

    await asyncio.sleep(0.1)
