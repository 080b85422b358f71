"""Residents' limits through the real webhook and worker (issue 18 item 2): messages per
minute, and the total size of a report's media when it is downloaded; SQLite and
PostgreSQL."""

from __future__ import annotations

import dataclasses
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from redis import Redis
from sqlalchemy.engine import Engine
from sqlmodel import col, select

from sosbot.core.cards import card_text
from sosbot.core.conversation import Settings as ConversationSettings
from sosbot.core.events import Ignored, PlatformEvent, TextReceived
from sosbot.core.model import Channel, ChatRef, Sender
from sosbot.delivery.card_posts import card_view
from sosbot.geo.wards import WardIndex
from sosbot.intake.inbound_rate import DROPPED_PAYLOAD
from sosbot.intake.take import IntakePolicy, take_batch
from sosbot.storage.db import transaction
from sosbot.storage.tables import Conversation, InboundEvent, Media, Outbox, Report
from tests.routing.flow import TAN_PHU, Rig

RESIDENT = 5101
PER_MINUTE = 30
NOTICE = "quá nhiều tin nhắn"


@pytest.fixture
async def rig(engine: Engine, redis: Redis, queue_name: str, wards: WardIndex,
              conversation_settings: ConversationSettings,
              tmp_path: Path) -> AsyncIterator[Rig]:
    settings = dataclasses.replace(conversation_settings, messages_per_minute=PER_MINUTE,
                                   max_media_bytes_per_report=30_000)
    rig = Rig(engine, redis, queue_name, wards, settings, tmp_path)
    # The minute's window starts on the minute: begin a second into one.
    rig.clock.now = rig.clock.now.replace(second=1, microsecond=0)
    async with rig.running():
        await rig.user(RESIDENT, "Lê Thị Hoa")
        yield rig


def _description(engine: Engine) -> str:
    with transaction(engine) as session:
        conversation = session.exec(select(Conversation).where(
            Conversation.chat_id == str(RESIDENT))).one()
        return str((conversation.state.get("draft") or {}).get("description", ""))


def _notices(engine: Engine) -> list[Outbox]:
    with transaction(engine) as session:
        rows = session.exec(select(Outbox).where(Outbox.chat_id == str(RESIDENT))).all()
    return [row for row in rows if NOTICE in str(row.payload.get("text", ""))]


async def test_beyond_the_messages_per_minute_nothing_is_taken_and_one_notice_is_given(
        rig: Rig, engine: Engine) -> None:
    for n in range(1, PER_MINUTE + 1):
        await rig.send(RESIDENT, text=f"tin số {n:02d}")
    assert "tin số 30" in _description(engine)
    assert _notices(engine) == []

    await rig.send(RESIDENT, text="tin số 31")
    await rig.send(RESIDENT, location={"latitude": TAN_PHU[0], "longitude": TAN_PHU[1]})
    await rig.send(RESIDENT, text="tin số 33")
    assert "tin số 31" not in _description(engine)
    assert "tin số 33" not in _description(engine)
    with transaction(engine) as session:
        conversation = session.exec(select(Conversation).where(
            Conversation.chat_id == str(RESIDENT))).one()
        assert conversation.state["draft"]["location"] is None, "the pin was not stepped"
        seen = session.exec(select(InboundEvent).where(
            InboundEvent.chat_id == str(RESIDENT)).order_by(col(InboundEvent.id))).all()
    assert len(seen) == PER_MINUTE + 3, "every message is recorded as seen"
    assert [e.payload for e in seen[PER_MINUTE:]] == [DROPPED_PAYLOAD] * 3
    notices = _notices(engine)
    assert len(notices) == 1, "one notice for the minute, not one per message"
    text = notices[0].payload["text"]
    assert "chờ khoảng một phút rồi gửi lại" in text and "113" in text

    # The next minute, the resident is heard again.
    rig.clock.advance(seconds=60)
    await rig.send(RESIDENT, text="tin số 34")
    assert "tin số 34" in _description(engine)
    assert len(_notices(engine)) == 1


async def test_media_beyond_the_reports_total_size_is_left_out_and_the_card_says_so(
        rig: Rig, engine: Engine) -> None:
    # Each photo the rig sends is a JPEG of 8,229 bytes; the report may store 30,000 bytes.
    code = await rig.report(RESIDENT, "fire", TAN_PHU, "Cháy nhà kho", photos=8)
    await rig.drain(patience_s=30)
    with transaction(engine) as session:
        report = session.exec(select(Report).where(Report.code == code)).one()
        media = session.exec(select(Media).where(Media.report_id == report.id)
                             .order_by(col(Media.id))).all()
        card = card_text(card_view(session, report, rig.rules))
    stored = [m for m in media if m.status == "stored"]
    left_out = [m for m in media if m.status == "left_out"]
    assert (len(stored), len(left_out)) == (3, 5)
    assert sum(m.size or 0 for m in stored) <= 30_000
    assert all("total size limit" in (m.error or "") for m in left_out)
    assert "📷 8 ảnh/video (5 không lưu: vượt tổng dung lượng cho phép)" in card


async def test_receipts_and_edits_do_not_count_against_the_resident(
        rig: Rig, engine: Engine) -> None:
    """A resident reading a burst of replies sends receipts (Zalo, Messenger); an edit is
    Ignored too: none of them may use up the resident's minute."""
    chat = ChatRef(channel=Channel.TELEGRAM, chat_id=str(RESIDENT))
    sender = Sender(user_id=str(RESIDENT))
    receipts: list[PlatformEvent] = [Ignored(reason="read receipt", chat=chat, sender=sender,
                                             event_id=f"seen-{n}")
                                     for n in range(PER_MINUTE * 2)]
    policy = IntakePolicy(conversation=rig.conversation, rules=rig.rules)
    with transaction(engine) as session:
        take_batch(session, [(receipts[:PER_MINUTE], {}), (receipts[PER_MINUTE:], {})],
                   rig.clock(), policy)
    with transaction(engine) as session:
        take_batch(session, [([TextReceived(text="tin sau khi đọc", chat=chat, sender=sender,
                                            event_id="after-receipts")], {})],
                   rig.clock(), policy)
    assert "tin sau khi đọc" in _description(engine)
    assert _notices(engine) == []
