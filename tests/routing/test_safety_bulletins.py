"""Safety bulletins, the per-resident report limit and the block list, through the Telegram
emulator and the real routing core: residents subscribe from the end of a report or with
/dangky, the command centre drafts and sends with /bulletin and /guibantin, progress and the
final count come back to its chat; a ward's bulletin reaches only that ward's subscribers."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import replace
from pathlib import Path

import pytest
from redis import Redis
from sqlalchemy.engine import Engine
from sqlmodel import select

from sosbot.core.conversation import Settings as ConversationSettings
from sosbot.delivery.sweeper import sweep
from sosbot.geo.wards import WardIndex
from sosbot.storage.db import transaction
from sosbot.storage.tables import AuditLog, Bulletin, Report, Reporter, Subscription
from tests.routing.flow import BEN_THANH, TAN_PHU, Rig

MAI, HOA, KHOA, DUTY_OFFICER, WARD_OFFICER = 9001, 9002, 9003, 9103, 9101


@pytest.fixture
async def rig(engine: Engine, redis: Redis, queue_name: str, wards: WardIndex,
              conversation_settings: ConversationSettings,
              tmp_path: Path) -> AsyncIterator[Rig]:
    rig = Rig(engine, redis, queue_name, wards,
              replace(conversation_settings, reports_per_hour=2), tmp_path)
    async with rig.running():
        yield rig


@pytest.fixture
async def chats(rig: Rig) -> dict[str, int]:
    for user, name in ((MAI, "Mai"), (HOA, "Hoa"), (KHOA, "Khoa"),
                       (DUTY_OFFICER, "Thiếu tá Vy"), (WARD_OFFICER, "Trung úy Hùng")):
        await rig.user(user, name)
    found = {"command": await rig.group("TTTTCH", [DUTY_OFFICER]),
             "ward": await rig.group("CA phường Tân Phú", [WARD_OFFICER])}
    await rig.bind(DUTY_OFFICER, found["command"], "command", "command")
    await rig.bind(WARD_OFFICER, found["ward"], "ward", "27031")
    return found


def texts(messages: list[dict]) -> list[str]:  # type: ignore[type-arg]
    return [m.get("text") or m.get("caption") or "" for m in messages]


async def last_bot(rig: Rig, chat: int) -> dict:  # type: ignore[type-arg]
    return (await rig.bot_messages(chat))[-1]


def buttons(message: dict) -> list[str]:  # type: ignore[type-arg]
    markup = message.get("reply_markup") or {}
    return [b.get("callback_data") for row in markup.get("inline_keyboard", []) for b in row]


async def command(rig: Rig, chats: dict[str, int], text: str) -> str:
    await rig.send(DUTY_OFFICER, chat=chats["command"], text=text)
    return (await last_bot(rig, chats["command"]))["text"]  # type: ignore[no-any-return]


async def finish(rig: Rig) -> None:
    """Send everything queued, then let the sweeper post progress and the final count."""
    await rig.drain()
    await rig.in_thread(sweep, rig.ctx)
    await rig.drain()


# The production database only: the SQLite path is the same code.
@pytest.mark.parametrize("database_url", ["postgres"], indirect=True)
async def test_subscribe_from_a_report_and_by_command_then_a_city_and_a_ward_bulletin(
        rig: Rig, chats: dict[str, int]) -> None:
    # Mai reports a fire in Tân Phú and takes the ward's bulletins from the end of it.
    await rig.report(MAI, "fire", TAN_PHU, "Cháy quán ăn")
    done = next(m for m in reversed(await rig.bot_messages(MAI)) if "sub:ward" in buttons(m))
    await rig.press(MAI, MAI, done["message_id"], "sub:ward")
    assert "bản tin an ninh của Phường Tân Phú" in (await last_bot(rig, MAI))["text"]
    # Hoa, who never reported, subscribes to the whole city with /dangky.
    await rig.send(HOA, text="/dangky")
    offer = await last_bot(rig, HOA)
    assert buttons(offer) == ["sub:city"]
    await rig.press(HOA, HOA, offer["message_id"], "sub:city")
    assert "toàn TP. Hồ Chí Minh" in (await last_bot(rig, HOA))["text"]
    # Khoa reports in Bến Thành, subscribes to his ward, then changes his mind.
    await rig.report(KHOA, "security", BEN_THANH, "Giật túi xách")
    done = next(m for m in reversed(await rig.bot_messages(KHOA)) if "sub:ward" in buttons(m))
    await rig.press(KHOA, KHOA, done["message_id"], "sub:ward")
    await rig.send(KHOA, text="/huy")
    assert "ngừng nhận bản tin" in (await last_bot(rig, KHOA))["text"]
    with transaction(rig.engine) as session:
        subs = {s.chat_id: (s.scope, s.ward_code, s.active)
                for s in session.exec(select(Subscription)).all()}
    assert subs == {str(MAI): ("ward", "27031", True), str(HOA): ("city", None, True),
                    str(KHOA): ("ward", "26743", False)}

    # The command centre drafts a city-wide bulletin: nothing goes out before /guibantin.
    preview = await command(rig, chats, "/bulletin Cảnh giác thủ đoạn giả danh công an "
                                        "gọi điện yêu cầu chuyển tiền.")
    assert "Sẽ gửi tới 2 người đăng ký (Telegram 2, Zalo 0, Messenger 0)" in preview
    number = preview.split("#")[1].split()[0]
    assert not any("BẢN TIN" in t for t in texts(await rig.bot_messages(HOA)))
    answer = await command(rig, chats, f"/guibantin {number}")
    assert "Đang gửi bản tin" in answer
    await finish(rig)
    for resident in (MAI, HOA):
        got = [t for t in texts(await rig.bot_messages(resident)) if "BẢN TIN AN NINH" in t]
        assert len(got) == 1 and "giả danh công an" in got[0] and "/huy" in got[0]
    assert not any("BẢN TIN AN NINH" in t for t in texts(await rig.bot_messages(KHOA)))
    final = (await last_bot(rig, chats["command"]))["text"]
    assert f"Bản tin #{number}" in final and "gửi được 2, bỏ qua 0" in final and "lỗi 0" in final
    # Sending it again is refused: it went out once.
    assert "đã gửi xong" in await command(rig, chats, f"/guibantin {number}")

    # A ward's bulletin reaches only that ward's subscribers.
    preview = await command(rig, chats, "/bulletin Tân Phú | Mất điện khu vực chợ tối nay, "
                                        "đề phòng trộm cắp.")
    assert "phạm vi: Phường Tân Phú" in preview and "Sẽ gửi tới 1 người" in preview
    number = preview.split("#")[1].split()[0]
    await command(rig, chats, f"/guibantin {number}")
    await finish(rig)
    assert sum("Mất điện" in t for t in texts(await rig.bot_messages(MAI))) == 1
    assert not any("Mất điện" in t for t in texts(await rig.bot_messages(HOA)))
    with transaction(rig.engine) as session:
        rows = session.exec(select(Bulletin).order_by(Bulletin.id)).all()  # type: ignore[arg-type]
        assert [(b.status, b.total) for b in rows] == [("done", 2), ("done", 1)]


# The production database only: the SQLite path is the same code.
@pytest.mark.parametrize("database_url", ["postgres"], indirect=True)
async def test_bulletin_commands_are_refused_outside_the_command_centre(
        rig: Rig, chats: dict[str, int]) -> None:
    await rig.send(WARD_OFFICER, chat=chats["ward"], text="/bulletin Tin giả")
    assert "chỉ dùng trong nhóm Trung tâm" in (await last_bot(rig, chats["ward"]))["text"]
    await rig.send(WARD_OFFICER, chat=chats["ward"], text="/block telegram:9001")
    assert "chỉ dùng trong nhóm Trung tâm" in (await last_bot(rig, chats["ward"]))["text"]
    with transaction(rig.engine) as session:
        assert session.exec(select(Bulletin)).all() == []


# The production database only: the SQLite path is the same code.
@pytest.mark.parametrize("database_url", ["postgres"], indirect=True)
async def test_an_unknown_ward_or_an_empty_bulletin_is_explained(
        rig: Rig, chats: dict[str, int]) -> None:
    assert "Không tìm thấy phường/xã «Atlantis»" in await command(
        rig, chats, "/bulletin Atlantis | Nội dung")
    assert "Bản tin trống" in await command(rig, chats, "/bulletin")
    preview = await command(rig, chats, "/bantin Phòng cháy mùa khô")
    number = preview.split("#")[1].split()[0]
    assert "Đã huỷ bản tin nháp" in await command(rig, chats, f"/huybantin {number}")
    assert "bị huỷ" in await command(rig, chats, f"/guibantin {number}")


# The production database only: the SQLite path is the same code.
@pytest.mark.parametrize("database_url", ["postgres"], indirect=True)
async def test_a_resident_over_the_hourly_limit_is_held_back_with_a_clear_message(
        rig: Rig, chats: dict[str, int]) -> None:
    await rig.report(MAI, "security", TAN_PHU, "Trộm xe máy lần một")
    rig.clock.advance(minutes=45)
    await rig.report(MAI, "security", TAN_PHU, "Trộm xe máy lần hai")
    await rig.report(MAI, "security", TAN_PHU, "Trộm xe máy lần ba")
    answer = (await last_bot(rig, MAI))["text"]
    assert "Bạn đã gửi 2 tin báo trong một giờ qua" in answer and "113" in answer
    assert "khoảng 16 phút" in answer or "khoảng 15 phút" in answer
    with transaction(rig.engine) as session:
        assert len(session.exec(select(Report)).all()) == 2
    # Once the first report is an hour old, the kept draft goes through with one tap.
    rig.clock.advance(minutes=16)
    await rig.press(MAI, MAI, (await last_bot(rig, MAI))["message_id"], "submit")
    tail = texts((await rig.bot_messages(MAI))[-3:])
    # Same place, same kind, within the hour: it is filed, as part of the earlier report.
    assert any("SOS-" in t and "Cảm ơn" in t for t in tail), tail
    with transaction(rig.engine) as session:
        assert len(session.exec(select(Report)).all()) == 3


# The production database only: the SQLite path is the same code.
@pytest.mark.parametrize("database_url", ["postgres"], indirect=True)
async def test_the_command_centre_blocks_and_unblocks_a_resident(
        rig: Rig, chats: dict[str, int]) -> None:
    code = await rig.report(KHOA, "other", TAN_PHU, "Báo tin giả lần thứ mười")
    answer = await command(rig, chats, f"/block {code} báo tin giả nhiều lần")
    assert "Đã chặn người báo telegram:9003" in answer
    before = len(await rig.bot_messages(KHOA))
    await rig.send(KHOA, text="/start")
    await rig.send(KHOA, text="Cháy! Cháy!")
    after = await rig.bot_messages(KHOA)
    # One notice (call 113), not one per message; nothing stepped, no draft, no report.
    assert len(after) == before + 1 and "113" in after[-1]["text"]
    with transaction(rig.engine) as session:
        reporter = session.exec(select(Reporter).where(Reporter.platform_user_id == "9003")).one()
        assert reporter.blocked_reason == "báo tin giả nhiều lần"
        assert len(session.exec(select(Report)).all()) == 1
        actions = [a.action for a in session.exec(select(AuditLog)).all()]
        assert "resident.blocked" in actions and "resident.refused" in actions
    assert "Đã bỏ chặn" in await command(rig, chats, "/unblock telegram:9003")
    await rig.send(KHOA, text="/start")
    assert "SOS An ninh trật tự" in (await last_bot(rig, KHOA))["text"] \
        or "Bạn muốn báo" in (await last_bot(rig, KHOA))["text"]

