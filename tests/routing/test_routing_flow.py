"""The routing core end to end through the Telegram emulator: binding groups, fan-out to the
ward, departments and command centre, acknowledgements, near-duplicates, escalation on a
controlled clock, officers' questions, and what happens when a group is lost."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from redis import Redis
from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlmodel import col, select

from sosbot.core.actions import OutgoingMessage
from sosbot.core.callbacks import OfficerAction
from sosbot.core.cards import render_card
from sosbot.core.conversation import Settings as ConversationSettings
from sosbot.core.officer_texts import officer_text
from sosbot.core.outbox_rows import Card as OutboxCard
from sosbot.core.outbox_rows import Text
from sosbot.delivery import card_posts
from sosbot.geo.wards import WardIndex
from sosbot.storage import deliveries
from sosbot.storage.db import transaction
from sosbot.storage.tables import Ack, AuditLog, Binding, Delivery, Outbox, Report
from tests.routing.flow import BEN_THANH, TAN_PHU, Rig

CARD_TEXT = Text(OutgoingMessage(text="🚨 SOS-260001"))  # a send that posts a message

RESIDENT, WARD_OFFICER, FIRE_OFFICER, DUTY_OFFICER, STRANGER = 9001, 9101, 9102, 9103, 9199


@pytest.fixture
async def rig(engine: Engine, redis: Redis, queue_name: str, wards: WardIndex,
              conversation_settings: ConversationSettings,
              tmp_path: Path) -> AsyncIterator[Rig]:
    rig = Rig(engine, redis, queue_name, wards, conversation_settings, tmp_path)
    async with rig.running():
        yield rig


@pytest.fixture
async def groups(rig: Rig) -> dict[str, int]:
    """The Tân Phú ward group, the fire police (PC07) and the command centre, bound."""
    for user, name in ((RESIDENT, "Mai"), (WARD_OFFICER, "Trung úy Hùng"),
                       (FIRE_OFFICER, "Đại úy Lâm"), (DUTY_OFFICER, "Thiếu tá Vy"),
                       (STRANGER, "Người lạ")):
        await rig.user(user, name)
    chats = {"ward": await rig.group("CA phường Tân Phú", [WARD_OFFICER]),
             "pc07": await rig.group("PC07 trực ban", [FIRE_OFFICER]),
             "command": await rig.group("TTTTCH", [DUTY_OFFICER]),
             "other": await rig.group("Nhóm khác", [STRANGER])}
    await rig.bind(WARD_OFFICER, chats["ward"], "ward", "27031")
    await rig.bind(FIRE_OFFICER, chats["pc07"], "department", "PC07")
    await rig.bind(DUTY_OFFICER, chats["command"], "command", "command")
    return chats


def cards(messages: list[dict]) -> list[dict]:  # type: ignore[type-arg]
    return [m for m in messages if "SOS-" in (m.get("text") or "") and m.get("reply_markup")]


async def test_binding_answers_in_the_group(rig: Rig, groups: dict[str, int]) -> None:
    ward = [m["text"] for m in await rig.bot_messages(groups["ward"])]
    assert any("Xin chào" in t for t in ward)
    assert any("liên kết với: Công an phường Tân Phú" in t for t in ward)
    with transaction(rig.engine) as session:
        rows = session.exec(select(Binding)).all()
    assert sorted((b.target_kind, b.target_code) for b in rows) == \
        [("command", "command"), ("department", "PC07"), ("ward", "27031")]


async def test_a_binding_code_works_once_and_guessing_is_stopped(rig: Rig,
                                                                 groups: dict[str, int]) -> None:
    await rig.send(STRANGER, chat=groups["other"], text="/bind AAAA-BBBB")
    assert "không đúng" in (await rig.bot_messages(groups["other"]))[-1]["text"]
    for _ in range(5):
        await rig.send(STRANGER, chat=groups["other"], text="/bind CCCC-DDDD")
    assert "quá nhiều lần" in (await rig.bot_messages(groups["other"]))[-1]["text"]
    with transaction(rig.engine) as session:
        assert session.exec(select(Binding).where(
            Binding.chat_id == str(groups["other"]))).first() is None


async def test_fire_reaches_ward_fire_police_and_command_centre_and_is_acknowledged(
        rig: Rig, groups: dict[str, int]) -> None:
    code = await rig.report(RESIDENT, "fire", TAN_PHU, "Cháy nhà kho gỗ trên đường Âu Cơ",
                            photos=2)
    assert "Công an phường Tân Phú" in (await rig.bot_messages(RESIDENT))[-2]["text"]
    for chat in groups["ward"], groups["pc07"], groups["command"]:
        messages = await rig.bot_messages(chat)
        [card] = cards(messages)
        assert code in card["text"] and "Phường Tân Phú" in card["text"]
        assert "google.com/maps?q=10.777600,106.643700" in card["text"]
        albums = [m for m in messages if m.get("photo")]
        assert len(albums) == 2 and all(m["reply_to_message"]["message_id"] ==
                                        card["message_id"] for m in albums)
    assert cards(await rig.bot_messages(groups["other"])) == []

    ward_card = cards(await rig.bot_messages(groups["ward"]))[0]
    ack = ward_card["reply_markup"]["inline_keyboard"][0][0]["callback_data"]
    # The same button data pressed in a chat the report was not sent to: refused.
    await rig.press(STRANGER, groups["other"], ward_card["message_id"], ack, force=True)
    with transaction(rig.engine) as session:
        assert session.exec(select(Ack)).all() == []
    await rig.press(WARD_OFFICER, groups["ward"], ward_card["message_id"], ack)

    with transaction(rig.engine) as session:
        report = session.exec(select(Report).where(Report.code == code)).one()
        [recorded] = session.exec(select(Ack)).all()
        assert report.status == "acknowledged"
        assert (recorded.user_id, recorded.chat_id) == (str(WARD_OFFICER), str(groups["ward"]))
    told = (await rig.bot_messages(RESIDENT))[-1]["text"]
    assert told.startswith(f"Công an phường Tân Phú đã tiếp nhận tin báo {code} lúc ")
    for chat in groups["ward"], groups["pc07"], groups["command"]:
        card = cards(await rig.bot_messages(chat))[0]
        assert "Trạng thái: Đã tiếp nhận" in card["text"] and "Trung úy Hùng" in card["text"]
    answers = [a["text"] or "" for a in await rig.get_callback_answers()]
    assert any("không được giao" in a for a in answers)
    assert any("Đã ghi nhận" in a for a in answers)


async def test_forged_button_data_is_refused(rig: Rig, groups: dict[str, int]) -> None:
    await rig.report(RESIDENT, "fire", TAN_PHU, "Khói đen")
    card = cards(await rig.bot_messages(groups["ward"]))[0]
    data = card["reply_markup"]["inline_keyboard"][0][0]["callback_data"]
    forged = data.rsplit(".", 1)[0] + ".AAAAAAAAAAAAAAAA"
    await rig.press(WARD_OFFICER, groups["ward"], card["message_id"], forged, force=True)
    with transaction(rig.engine) as session:
        assert session.exec(select(Ack)).all() == []
    assert "không hợp lệ" in (await rig.get_callback_answers())[-1]["text"]


async def test_a_card_sent_is_recorded_with_its_delivery_in_one_statement_on_postgres(
        rig: Rig, groups: dict[str, int]) -> None:
    """A card's outcome marks its row and its delivery sent with the card's message id; on
    PostgreSQL in one statement (the row's UPDATE inside WITH, sent alone: no transaction
    around two UPDATEs), on SQLite in its two UPDATEs."""
    statements: list[str] = []

    def count(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        statements.append(" ".join(statement.split()))

    event.listen(rig.engine, "before_cursor_execute", count)
    try:
        code = await rig.report(RESIDENT, "fire", TAN_PHU, "Cháy nhà kho")
    finally:
        event.remove(rig.engine, "before_cursor_execute", count)
    with transaction(rig.engine) as session:
        report = session.exec(select(Report).where(Report.code == code)).one()
        sent = session.exec(select(Delivery).where(Delivery.report_id == report.id)).all()
        rows = {row.delivery_id: row for row in session.exec(
            select(Outbox).where(Outbox.report_id == report.id,
                                 col(Outbox.delivery_id).is_not(None))).all()}
    assert len(sent) == 3
    for delivery in sent:
        row = rows[delivery.id]
        assert (delivery.status, row.status, row.attempts) == ("sent", "sent", 1)
        assert delivery.card_message_id and delivery.card_message_id == row.platform_message_id
        assert delivery.sent_at == row.sent_at is not None
    together = [s for s in statements if s.startswith("WITH sent_row AS (UPDATE outbox")]
    apart = [s for s in statements if s.startswith("UPDATE delivery SET status")]
    if rig.engine.dialect.name == "postgresql":
        assert (len(together), apart) == (3, []), statements
    else:
        assert (together, len(apart)) == ([], 3), statements


async def test_text_commands_and_replies_acknowledge_too(rig: Rig,
                                                         groups: dict[str, int]) -> None:
    code = await rig.report(RESIDENT, "fire", TAN_PHU, "Cháy xe máy")
    await rig.send(FIRE_OFFICER, chat=groups["pc07"], text=f"/dangxuly {code}")
    pc07_card = cards(await rig.bot_messages(groups["pc07"]))[0]
    await rig.send(WARD_OFFICER, chat=groups["ward"], text=f"/ack {code}")
    await rig.send(STRANGER, chat=groups["other"], text=f"/xong {code}")
    assert "không được giao" in (await rig.bot_messages(groups["other"]))[-1]["text"]
    await rig.send(FIRE_OFFICER, chat=groups["pc07"], text="/xong",
                   reply_to_message_id=pc07_card["message_id"])
    with transaction(rig.engine) as session:
        report = session.exec(select(Report).where(Report.code == code)).one()
        states = {d.role: d.ack_state for d in session.exec(select(Delivery))}
    assert report.status == "resolved"
    assert states == {"ward": "acknowledged", "department": "resolved",
                      "command": "new"}
    told = [m["text"] for m in await rig.bot_messages(RESIDENT)][-2:]
    # The ward's later acknowledgement moves nothing forward, so it is not announced.
    assert "Phòng Cảnh sát PCCC và CNCH đang xử lý" in told[0]
    assert "đã xử lý xong" in told[1]


async def test_a_ward_without_a_group_falls_back_to_the_command_centre(
        rig: Rig, groups: dict[str, int]) -> None:
    code = await rig.report(RESIDENT, "security", BEN_THANH, "Giật túi xách")
    [card] = cards(await rig.bot_messages(groups["command"]))
    assert code in card["text"] and "Phường Bến Thành" in card["text"]
    assert "chưa có nhóm nhận tin" in card["text"]
    assert cards(await rig.bot_messages(groups["ward"])) == []


async def test_near_duplicates_collapse_into_one_card_and_can_be_split(
        rig: Rig, groups: dict[str, int]) -> None:
    first = await rig.report(RESIDENT, "fire", TAN_PHU, "Cháy lớn")
    await rig.user(9002, "Bình")
    second = await rig.report(9002, "fire", (TAN_PHU[0] + 0.001, TAN_PHU[1]), "Thấy khói",
                              photos=1)
    told = [m["text"] for m in await rig.bot_messages(9002) if m.get("text")]
    assert any(f"đang được xử lý (mã tin báo {first})" in t for t in told)
    messages = await rig.bot_messages(groups["ward"])
    [card] = cards(messages)
    assert first in card["text"] and "➕ 1 báo cáo trùng" in card["text"]
    photo = [m for m in messages if m.get("photo")]
    assert len(photo) == 1 and photo[0]["caption"] == f"➕ {second}"
    assert photo[0]["reply_to_message"]["message_id"] == card["message_id"]
    split = card["reply_markup"]["inline_keyboard"][-1][0]
    assert second in split["text"]
    await rig.press(WARD_OFFICER, groups["ward"], card["message_id"], split["callback_data"])
    messages = await rig.bot_messages(groups["ward"])
    assert [c for c in cards(messages) if second in c["text"].split("\n")[0]]
    with transaction(rig.engine) as session:
        split_report = session.exec(select(Report).where(Report.code == second)).one()
        main = session.exec(select(Report).where(Report.code == first)).one()
    assert (split_report.status, split_report.duplicate_of_id) == ("routed", None)
    assert main.duplicates == 0


async def test_escalation_on_a_controlled_clock(rig: Rig, groups: dict[str, int]) -> None:
    from sosbot.delivery.jobs import escalate_report

    code = await rig.report(RESIDENT, "fire", TAN_PHU, "Cháy chưa ai nhận")
    with transaction(rig.engine) as session:
        report_id = session.exec(select(Report.id).where(Report.code == code)).one()

    async def run_at(minutes: float) -> int:
        rig.clock.advance(minutes=minutes)
        level = await rig.in_thread(escalate_report, report_id)
        await rig.drain()
        return int(level)

    assert await run_at(1.5) == 0  # fire: 2 minutes
    assert await run_at(1) == 1
    reminder = (await rig.bot_messages(groups["ward"]))[-1]
    assert reminder["text"].startswith(f"⏰ NHẮC: 🔥 {code}") and "2 phút" in reminder["text"]
    assert reminder["reply_to_message"]["message_id"] == \
        cards(await rig.bot_messages(groups["ward"]))[0]["message_id"]
    assert await run_at(1) == 1, "nothing new before 4 minutes"
    assert await run_at(1.5) == 2
    alert = (await rig.bot_messages(groups["command"]))[-1]["text"]
    assert alert.startswith(f"🚨 QUÁ HẠN: 🔥 {code}") and "4 phút" in alert
    await rig.send(WARD_OFFICER, chat=groups["ward"], text=f"/ack {code}")
    assert await run_at(10) == 2, "acknowledged: no further escalation"
    with transaction(rig.engine) as session:
        steps = session.exec(select(AuditLog).where(AuditLog.action == "report.escalated")).all()
    assert [s.detail["level"] for s in steps] == [1, 2]


def escalations_due_in(rig: Rig) -> list[float]:
    """The escalation jobs scheduled in rq: in how many minutes each is due, near enough
    (rq keeps whole seconds; the test's clock started a moment before the wall clock's now)."""
    registry = rig.ctx.dispatcher.queue.scheduled_job_registry
    now = datetime.now(UTC)
    return sorted(round((registry.get_scheduled_time(job_id) - now).total_seconds() / 60, 1)
                  for job_id in registry.get_job_ids() if job_id.startswith("escalate-"))


async def test_each_escalation_step_sets_the_next_until_acknowledged(
        rig: Rig, groups: dict[str, int]) -> None:
    """A report gets one timer, its first step's; each step's job sets the next while the
    report is unacknowledged (fire: a step every 2 minutes, three steps). The test's clock
    moves, the wall clock does not: a step is set for its due time less the test's now."""
    from sosbot.delivery.jobs import escalate_report

    code = await rig.report(RESIDENT, "fire", TAN_PHU, "Cháy chưa ai nhận")
    with transaction(rig.engine) as session:
        report_id = session.exec(select(Report.id).where(Report.code == code)).one()
    assert escalations_due_in(rig) == pytest.approx([2.0], abs=0.2)

    async def run_at(minutes: float) -> int:
        rig.clock.advance(minutes=minutes)
        level = await rig.in_thread(escalate_report, report_id)
        await rig.drain()
        return int(level)

    assert await run_at(1) == 0, "run early: the first step is set again, due at 2 minutes"
    assert escalations_due_in(rig) == pytest.approx([1.0, 2.0], abs=0.2)
    assert await run_at(1.5) == 1
    assert escalations_due_in(rig) == pytest.approx([1.0, 1.5, 2.0], abs=0.2), \
        "the second step, due at 4 (from 2.5)"
    await rig.send(WARD_OFFICER, chat=groups["ward"], text=f"/ack {code}")
    assert await run_at(2) == 1
    assert escalations_due_in(rig) == pytest.approx([1.0, 1.5, 2.0], abs=0.2), \
        "acknowledged: no step is set"


async def test_the_last_escalation_step_sets_none(rig: Rig, groups: dict[str, int]) -> None:
    from sosbot.delivery.jobs import escalate_report

    code = await rig.report(RESIDENT, "fire", TAN_PHU, "Cháy chưa ai nhận")
    with transaction(rig.engine) as session:
        report_id = session.exec(select(Report.id).where(Report.code == code)).one()
    rig.clock.advance(minutes=6.5)
    assert await rig.in_thread(escalate_report, report_id) == 3
    assert escalations_due_in(rig) == pytest.approx([2.0], abs=0.2), \
        "only the first step's, set at routing"


async def test_officer_question_reaches_the_resident_and_the_answer_the_cards(
        rig: Rig, groups: dict[str, int]) -> None:
    code = await rig.report(RESIDENT, "fire", TAN_PHU, "Cháy")
    card = cards(await rig.bot_messages(groups["ward"]))[0]
    await rig.send(WARD_OFFICER, chat=groups["ward"], text="/hoi Có ai bị kẹt bên trong không?",
                   reply_to_message_id=card["message_id"])
    asked = (await rig.bot_messages(RESIDENT))[-1]["text"]
    assert "Công an phường Tân Phú hỏi về tin báo" in asked and "bị kẹt" in asked
    await rig.send(RESIDENT, text="Có 2 người @all [@123] trên tầng 2")
    for chat in groups["ward"], groups["pc07"], groups["command"]:
        answer = (await rig.bot_messages(chat))[-1]
        assert answer["text"].startswith(f"💬 Người báo tin trả lời ({code}): Có 2 người")
        assert "@" not in answer["text"] and "[" not in answer["text"]


async def test_a_lost_group_is_marked_and_the_command_centre_told(
        rig: Rig, groups: dict[str, int]) -> None:
    await rig.post(f"/_emu/groups/{groups['pc07']}/remove_bot",
                   {"token": "7000000003:ROUTING-token", "by": FIRE_OFFICER})
    await rig.drain()
    alert = (await rig.bot_messages(groups["command"]))[-1]["text"]
    assert "bị xoá khỏi nhóm" in alert and "PCCC" in alert
    with transaction(rig.engine) as session:
        pc07 = session.exec(select(Binding).where(Binding.target_code == "PC07")).one()
    assert pc07.status == "dead"
    code = await rig.report(RESIDENT, "fire", TAN_PHU, "Cháy sau khi PC07 mất nhóm")
    assert cards(await rig.bot_messages(groups["command"]))[-1]["text"].startswith(
        "🔥 CHÁY NỔ — " + code)


async def test_group_migration_keeps_the_binding(rig: Rig, groups: dict[str, int]) -> None:
    await rig.post("/_emu/groups", {"title": "x", "type": "group", "members": [STRANGER]})
    old = (await rig.post("/_emu/groups", {"title": "CA phường (nhóm thường)",
                                            "type": "group", "members": [WARD_OFFICER]}))["id"]
    await rig.post(f"/_emu/groups/{old}/add_bot", {"token": "7000000003:ROUTING-token",
                                                   "by": WARD_OFFICER})
    await rig.drain()
    await rig.bind(WARD_OFFICER, old, "ward", "26740")  # Phường Sài Gòn
    new = (await rig.post(f"/_emu/groups/{old}/migrate",
                          {"token": "7000000003:ROUTING-token"}))["new_id"]
    await rig.drain()
    with transaction(rig.engine) as session:
        binding = session.exec(select(Binding).where(Binding.target_code == "26740")).one()
    assert (binding.chat_id, binding.status) == (str(new), "active")
    code = await rig.report(RESIDENT, "security", (10.77979, 106.69902), "Đánh nhau")
    assert cards(await rig.bot_messages(new))[0]["text"].startswith("🚨")
    assert code in cards(await rig.bot_messages(new))[0]["text"]


async def test_command_centre_commands_and_only_there(rig: Rig, groups: dict[str, int]) -> None:
    code = await rig.report(RESIDENT, "fire", TAN_PHU, "Cháy kho sơn")
    await rig.send(WARD_OFFICER, chat=groups["ward"], text=f"/ack {code}")
    await rig.send(DUTY_OFFICER, chat=groups["command"], text=f"/report {code}")
    story = (await rig.bot_messages(groups["command"]))[-1]["text"]
    assert story.startswith(f"🔥 CHÁY NỔ — {code}")
    assert "Các nhóm nhận:" in story and "Công an phường Tân Phú (telegram)" in story
    assert "tạo tin báo" in story and "cán bộ cập nhật" in story
    await rig.send(DUTY_OFFICER, chat=groups["command"], text="/ward tan phu")
    listing = (await rig.bot_messages(groups["command"]))[-1]["text"]
    assert listing.startswith("Phường Tân Phú: 1 tin báo đang mở") and code in listing
    await rig.send(DUTY_OFFICER, chat=groups["command"], text="/ward 26740")
    assert "không có tin báo đang mở" in (await rig.bot_messages(groups["command"]))[-1]["text"]
    await rig.send(WARD_OFFICER, chat=groups["ward"], text=f"/report {code}")
    assert "chỉ dùng trong nhóm Trung tâm" in (await rig.bot_messages(groups["ward"]))[-1]["text"]


async def test_digest_answers_with_text_then_charts_and_map(rig: Rig,
                                                            groups: dict[str, int]) -> None:
    import io

    from PIL import Image

    code = await rig.report(RESIDENT, "fire", TAN_PHU, "Cháy kho vải")
    rig.clock.advance(minutes=5)
    await rig.send(DUTY_OFFICER, chat=groups["command"], text="/overdue")
    overdue = (await rig.bot_messages(groups["command"]))[-1]["text"]
    assert overdue.startswith("Tin báo quá hạn chưa tiếp nhận (1)") and code in overdue
    # The chat's send budget is spent (as after a burst of cards): the album of three has
    # to wait for it, and is sent when it may, not dropped.
    from sosbot.bots.telegram.outbound import rate_rules
    assert rig.ctx.limiter.try_acquire(rate_rules(str(groups["command"]), CARD_TEXT),
                                       cost=2) == 0
    await rig.send(DUTY_OFFICER, chat=groups["command"], text="/digest 24h")
    await rig.drain(patience_s=10)
    messages = await rig.bot_messages(groups["command"])
    texts = [m["text"] for m in messages if m.get("text")]
    assert any("1 tin báo" in t or "Tổng" in t for t in texts[-2:])
    photos = [m for m in messages if m.get("photo")][-3:]
    assert len(photos) == 3 and "1 tin báo" in photos[0]["caption"]
    async with rig.http.get(f"{rig.emu}/_emu/files/{photos[2]['photo'][-1]['file_id']}") as r:
        image = Image.open(io.BytesIO(await r.read()))
    assert image.width >= 800 and len(image.convert("RGB").getcolors(1 << 24) or []) > 20


async def test_scheduled_digest_is_posted_once_per_slot(rig: Rig, groups: dict[str, int]) -> None:
    import dataclasses
    from datetime import timedelta

    from sosbot.command_centre.schedule import DigestSchedule
    from sosbot.delivery.sweeper import sweep
    from sosbot.runtime import delivery_extensions

    await rig.report(RESIDENT, "traffic", TAN_PHU, "Va chạm xe máy")
    # The rig's clock may be anywhere in its hour: a grace of the whole hour keeps the slot
    # fresh (tests/command_centre/test_schedule.py covers the grace itself).
    schedule = DigestSchedule(every_minutes=60, daily_at=None, grace=timedelta(hours=1))
    ctx = dataclasses.replace(rig.ctx, extensions=delivery_extensions(schedule))
    first = await rig.in_thread(sweep, ctx)
    second = await rig.in_thread(sweep, ctx)
    await rig.drain(patience_s=10)
    assert (first.registered["digests"], second.registered["digests"]) == (1, 0)
    messages = await rig.bot_messages(groups["command"])
    assert sum(1 for m in messages if "TỔNG HỢP TIN BÁO" in (m.get("text") or "")) == 1
    assert len([m for m in messages if m.get("photo")]) == 3


async def test_a_cards_send_reads_it_as_the_orm_reads_it(rig: Rig,
                                                         groups: dict[str, int]) -> None:
    """A card's send reads its report and deliveries with Core statements (card_posts._card):
    the card it renders is the one the ORM's reading renders (photos counted, an officer's
    acknowledgement, a near-duplicate's split button), copy for copy."""
    code = await rig.report(RESIDENT, "fire", TAN_PHU, "Cháy nhà kho gỗ", photos=2)
    await rig.user(9002, "Bình")
    await rig.report(9002, "fire", (TAN_PHU[0] + 0.001, TAN_PHU[1]), "Thấy khói")
    ward_card = cards(await rig.bot_messages(groups["ward"]))[0]
    ack = ward_card["reply_markup"]["inline_keyboard"][0][0]["callback_data"]
    await rig.press(WARD_OFFICER, groups["ward"], ward_card["message_id"], ack)
    now = rig.clock()
    rules = rig.ctx.rules
    with transaction(rig.engine) as session:
        report = session.exec(select(Report).where(Report.code == code)).one()
        copies = session.exec(select(Delivery).where(Delivery.report_id == report.id)).all()
        assert len(copies) == 3 and report.duplicates == 1
        for copy in copies:
            assert copy.id is not None
            read = card_posts.prepare(session, OutboxCard(), copy.id, rules, now)
            merged = deliveries.latest_merged(session, report.id or 0, copy.channel,
                                              copy.chat_id)
            assert merged is not None
            split = (merged[0].code,
                     card_posts._signer(rules, merged[1], now)(OfficerAction.SPLIT))
            expected = render_card(card_posts.card_view(session, report, rules),
                                   card_posts._signer(rules, copy, now), buttons=True,
                                   split=split)
            assert read.send == Text(expected)
            # What the comparison covers: the photos counted, the acknowledgement shown.
            assert officer_text("card.media", count=2) in expected.text
            assert "Trung úy Hùng" in expected.text
