"""Whether a row goes to a resident or to a police group is the row's ``destination``
column, written by its producer (issue 21, "the outbox contract is untyped"). A group's
row is never given a resident's additions (a Zalo quote and billing, Messenger's window)
and its failure never tells the command centre that a *resident* is out of reach.

On SQLite and PostgreSQL, with the real producers, ``outgoing`` and ``send_outcomes``."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from redis import Redis
from sqlalchemy.engine import Engine
from sqlmodel import select

from sosbot.core.conversation import Settings as ConversationSettings
from sosbot.core.errors import RecipientGone
from sosbot.core.model import Category, Destination, Draft, ReportStatus, Sender
from sosbot.core.outbox_rows import ResidentTerms, Text, TextRow
from sosbot.delivery import outgoing, send_outcomes
from sosbot.delivery.context import JobContext, Limits
from sosbot.delivery.extensions import DeliveryExtensions
from sosbot.delivery.queueing import Dispatcher
from sosbot.delivery.send_rate import SendRateLimiter
from sosbot.officers.acks import tell_reporters
from sosbot.routing.alerts import tell_command_centre
from sosbot.routing.rules import COMMAND
from sosbot.storage import conversations, outbox, reports
from sosbot.storage.db import transaction
from sosbot.storage.media_store import MediaStore
from sosbot.storage.tables import AuditLog, Binding, Outbox, Report
from tests.conftest import routing_rules

NOW = datetime(2026, 3, 2, 3, 0, tzinfo=UTC)
RESIDENT_ID = "8512368825402197413"
COMMAND_CHAT = "g-command-centre"


def test_a_row_without_a_destination_cannot_be_written() -> None:
    """Forgetting the destination is a TypeError at the call, before anything is written."""
    with pytest.raises(TypeError, match="destination"):
        outbox.add(None, channel="zalo", chat_id="1",  # type: ignore[call-arg, arg-type]
                   row=TextRow.plain("x"), now=NOW)
    with pytest.raises(TypeError, match="destination"):
        outbox.add_messages(None, channel="zalo", chat_id="1",  # type: ignore[call-arg, arg-type]
                            messages=[TextRow.plain("x")], now=NOW)
    with pytest.raises(ValueError):
        outbox.add(None, channel="zalo", chat_id="1",  # type: ignore[arg-type]
                   destination="somewhere",  # type: ignore[arg-type]
                   row=TextRow.plain("x"), now=NOW)


def test_a_row_is_written_from_its_payload_dataclass_only() -> None:
    """The payload's class names the row's kind: a bare dict (the old untyped way) is
    refused before anything is written."""
    with pytest.raises(TypeError, match="not an outbox row payload"):
        outbox.add(None, channel="zalo", chat_id="1",  # type: ignore[arg-type]
                   destination=Destination.RESIDENT,
                   row={"text": "x"}, now=NOW)  # type: ignore[arg-type]


def _context(engine: Engine, redis: Redis, tmp_path: Path) -> JobContext:
    def clock() -> datetime:
        return NOW

    return JobContext(engine=engine, redis=redis, dispatcher=Dispatcher(redis, "test:dest"),
                      outbound={}, media_store=MediaStore(tmp_path / "media"),
                      conversation=ConversationSettings(),
                      limits=Limits(), run=lambda aw: None, clock=clock,
                      limiter=SendRateLimiter(redis, clock), sleep=time.sleep,
                      extensions=DeliveryExtensions(), rules=routing_rules())


def _report_and_command_centre(engine: Engine, channel: str) -> int:
    """A resident's report on ``channel`` and a command-centre group bound there."""
    with transaction(engine) as session:
        reporter = conversations.reporter_for(session, channel, Sender(user_id=RESIDENT_ID),
                                              NOW)
        conversations.locked_conversation(session, channel, RESIDENT_ID, reporter.id, NOW)
        new = reports.create_report(
            session, channel=channel, chat_id=RESIDENT_ID, reporter_id=reporter.id,
            draft=Draft(category=Category.FIRE, address_text="12 Âu Cơ",
                        description="Khói bốc lên từ tầng hai"),
            lang="vi", phone="0909123456", now=NOW, actor="test")
        session.add(Binding(channel=channel, chat_id=COMMAND_CHAT, target_kind=COMMAND,
                            target_code=COMMAND, title="Trung tâm chỉ huy", bound_at=NOW))
        assert new.report.id is not None
        return new.report.id


@pytest.mark.parametrize("channel", ["zalo", "telegram"])
def test_a_group_alert_about_a_report_is_sent_as_a_group_message_and_its_failure_is_the_groups(
        engine: Engine, redis: Redis, tmp_path: Path, channel: str) -> None:
    """The command centre's alert about a report (a row with a report id, to a group): not
    billed or quoted as a Zalo reply to a resident, and when the group refuses it, nobody
    is told that the resident cannot be reached (the resident was never the recipient)."""
    report_id = _report_and_command_centre(engine, channel)
    with transaction(engine) as session:
        assert tell_command_centre(session, "🚨 SOS: cháy ở 12 Âu Cơ", NOW,
                                   report_id=report_id) == 1
        [row_id] = outbox.take_added(session)
    with transaction(engine) as session:
        row = session.get(Outbox, row_id)
        assert row is not None
        prepared = outgoing.prepare(_context(engine, redis, tmp_path), session, row)
    assert isinstance(prepared.send, Text), prepared
    assert prepared.send.terms == ResidentTerms(), prepared.send  # no resident-side terms

    with transaction(engine) as session:
        send_outcomes.record(session, DeliveryExtensions(), row_id, outbox.FAILED, NOW,
                             error=RecipientGone("bot was removed from the group"),
                             message_id=None, attempts=1)
        told = outbox.take_added(session)
    with transaction(engine) as session:
        unreachable = session.exec(select(AuditLog).where(
            AuditLog.action == "report.resident_unreachable")).all()
        assert (list(unreachable), told) == ([], [])
        failed = session.get(Outbox, row_id)
        assert failed is not None and failed.status == outbox.FAILED


def test_a_residents_failed_update_still_reports_the_resident_unreachable(
        engine: Engine) -> None:
    """The other side of the same column: a resident's status update refused for good is
    still the command centre's business."""
    report_id = _report_and_command_centre(engine, "zalo")
    with transaction(engine) as session:
        report = session.get(Report, report_id)
        assert report is not None
        tell_reporters(session, report, ReportStatus.ACKNOWLEDGED, {"vi": "CA phường"}, NOW)
        [row_id] = outbox.take_added(session)
    with transaction(engine) as session:
        send_outcomes.record(session, DeliveryExtensions(), row_id, outbox.FAILED, NOW,
                             error=RecipientGone("user blocked the OA"), message_id=None,
                             attempts=1)
        told = outbox.take_added(session)
    with transaction(engine) as session:
        alert = session.get(Outbox, told[0])
        assert alert is not None and alert.chat_id == COMMAND_CHAT
        assert alert.destination == Destination.GROUP
        assert session.exec(select(AuditLog).where(
            AuditLog.action == "report.resident_unreachable")).first() is not None


def _destinations(engine: Engine, ids: list[int]) -> dict[str, set[str]]:
    found: dict[str, set[str]] = {}
    with transaction(engine) as session:
        for row_id in ids:
            row = session.get(Outbox, row_id)
            assert row is not None
            found.setdefault(row.chat_id, set()).add(row.destination)
    return found


def test_each_producer_writes_its_destination(engine: Engine) -> None:
    """Cards, alerts and digests go to groups; a resident's updates to the resident; and
    no payload carries the old ``"group"`` flag, nor a copy of the ``delivery_id`` column,
    any more."""
    from sosbot.command_centre.schedule import post_digest
    from sosbot.routing.fanout import fan_out

    report_id = _report_and_command_centre(engine, "telegram")
    with transaction(engine) as session:
        report = session.get(Report, report_id)
        assert report is not None
        fan_out(session, report, routing_rules(), NOW)
        tell_command_centre(session, "⚠️", NOW, report_id=report_id)
        post_digest(session, routing_rules(), NOW, NOW - NOW.replace(hour=0))
        tell_reporters(session, report, ReportStatus.ACKNOWLEDGED, {"vi": "CA phường"}, NOW)
        ids = outbox.take_added(session)
    assert _destinations(engine, ids) == {COMMAND_CHAT: {Destination.GROUP},
                                          RESIDENT_ID: {Destination.RESIDENT}}
    with transaction(engine) as session:
        payloads: list[dict[str, Any]] = [
            row.payload for row in session.exec(select(Outbox)).all()]
    assert all("group" not in p and "delivery_id" not in p for p in payloads), payloads
