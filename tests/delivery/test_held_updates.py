"""Updates a closed window refuses are kept and delivered, in one message, when the resident
next writes; the command centre is told and its digest counts them. On SQLite and
PostgreSQL, with the real send_outcomes, conversation and residents' actions."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy.engine import Engine
from sqlmodel import col, select

from sosbot.command_centre import digest, digest_text
from sosbot.core.conversation import Settings as ConversationSettings
from sosbot.core.errors import DeliveryWindowClosed, RecipientGone
from sosbot.core.events import Ignored, TextReceived
from sosbot.core.model import Category, ChatKind, ChatRef, Draft, ReportStatus, Sender
from sosbot.delivery import send_outcomes
from sosbot.delivery.extensions import DeliveryExtensions
from sosbot.officers.acks import tell_reporters
from sosbot.residents.actions import IntakePolicy, step_resident
from sosbot.residents.held_updates import FOLDED_KIND
from sosbot.routing.rules import RoutingRules
from sosbot.storage import conversations, outbox, reports
from sosbot.storage.db import transaction
from sosbot.storage.tables import AuditLog, Outbox, Report

PSID = "6234567890123456"
T0 = datetime(2026, 3, 2, 19, 5, tzinfo=UTC)  # 02:05 in Hồ Chí Minh City
UNIT = {"vi": "Công an phường Tân Phú", "en": "Tân Phú ward police"}


def _report(engine: Engine) -> int:
    with transaction(engine) as session:
        reporter = conversations.reporter_for(session, "messenger", Sender(user_id=PSID), T0)
        conversations.locked_conversation(session, "messenger", PSID, reporter.id, T0)
        new = reports.create_report(
            session, channel="messenger", chat_id=PSID, reporter_id=reporter.id,
            draft=Draft(category=Category.FIRE, address_text="12 Âu Cơ",
                        description="Khói bốc lên từ tầng hai"),
            lang="vi", phone=None, now=T0, actor="test")
        assert new.report.id is not None
        return new.report.id


def _update_refused(engine: Engine, report_id: int, status: ReportStatus, at: datetime,
                    error: Exception) -> int:
    """An officer's action queues the resident's update; the platform's window refuses it."""
    with transaction(engine) as session:
        report = session.get(Report, report_id)
        assert report is not None
        tell_reporters(session, report, status, UNIT, at)
        [row_id] = outbox.take_added(session)
    with transaction(engine) as session:
        send_outcomes.record(session, DeliveryExtensions(), row_id, outbox.FAILED, at,
                             error=error, message_id=None, attempts=1)  # type: ignore[arg-type]
    return row_id


def _resident_writes(engine: Engine, at: datetime, event_id: str, *,
                     ignored: bool = False) -> list[Outbox]:
    chat = ChatRef(channel="messenger", chat_id=PSID, kind=ChatKind.PRIVATE)
    event = Ignored(reason="read receipt", chat=chat, sender=Sender(user_id=PSID),
                    event_id=event_id) if ignored else \
        TextReceived(text="Cho hỏi tin báo của tôi sao rồi?", chat=chat,
                     sender=Sender(user_id=PSID), event_id=event_id)
    policy = IntakePolicy(ConversationSettings(), _rules())
    with transaction(engine) as session:
        conversation = conversations.locked_conversation(session, "messenger", PSID, None, at)
        reporter = conversations.reporter_for(session, "messenger", Sender(user_id=PSID), at)
        step_resident(session, conversation, reporter, event, at, policy)
        ids = outbox.take_added(session)
    with transaction(engine) as session:
        return list(session.exec(select(Outbox).where(col(Outbox.id).in_(ids))
                                 .order_by(col(Outbox.id))).all())


def _rules() -> RoutingRules:
    from tests.conftest import routing_rules
    return routing_rules()


def _rows(engine: Engine) -> dict[int, Outbox]:
    with transaction(engine) as session:
        return {row.id or 0: row for row in session.exec(select(Outbox)).all()}


def test_refused_updates_are_held_and_go_out_as_one_message_when_the_resident_writes(
        engine: Engine) -> None:
    report_id = _report(engine)
    three_days = T0 + timedelta(days=3)
    acked = _update_refused(engine, report_id, ReportStatus.ACKNOWLEDGED,
                            T0 + timedelta(days=1, hours=2),
                            DeliveryWindowClosed("outside Messenger's messaging window"))
    resolved = _update_refused(engine, report_id, ReportStatus.RESOLVED,
                               T0 + timedelta(days=2), DeliveryWindowClosed("window"))
    rows = _rows(engine)
    assert rows[acked].status == rows[resolved].status == outbox.HELD

    # A read receipt is not the resident writing: nothing is released.
    assert _resident_writes(engine, three_days, "read:1", ignored=True) == []
    assert _rows(engine)[acked].status == outbox.HELD

    added = _resident_writes(engine, three_days, "m_back_after_three_days")
    folded, *answers = added
    assert folded.payload["kind"] == FOLDED_KIND and answers, "the held updates go first"
    assert folded.payload["folded"] == [acked, resolved]
    lines = folded.payload["text"].splitlines()
    assert lines[0].startswith("Trong thời gian bạn chưa nhắn tin, có 2 cập nhật")
    assert lines[1].startswith("• Công an phường Tân Phú đã tiếp nhận tin báo SOS-")
    assert lines[2].startswith("• Công an phường Tân Phú đã xử lý xong tin báo SOS-")
    rows = _rows(engine)
    assert rows[acked].status == rows[resolved].status == outbox.FOLDED
    # Only once: the next message releases nothing more.
    again = _resident_writes(engine, three_days + timedelta(minutes=1), "m_again")
    assert all(row.payload.get("kind") != FOLDED_KIND for row in again)


def test_the_command_centre_is_told_it_is_kept_and_the_digest_counts_it(
        engine: Engine) -> None:
    report_id = _report(engine)
    _update_refused(engine, report_id, ReportStatus.ACKNOWLEDGED, T0 + timedelta(days=2),
                    DeliveryWindowClosed("window"))
    with transaction(engine) as session:
        audit = session.exec(select(AuditLog).where(
            AuditLog.action == "report.resident_unreachable",
            AuditLog.report_id == report_id)).all()
        built = digest.build_digest(session, since=T0 - timedelta(days=1),
                                    until=T0 + timedelta(days=3), now=T0 + timedelta(days=3),
                                    rules=_rules())
    assert len(audit) == 1  # tell_command_centre was called beside it (no group bound here)
    assert built.held_updates == 1
    assert "Cập nhật chờ người báo tin nhắn lại: 1" in digest_text.render_digest(built)


def test_a_resident_who_blocked_the_page_is_not_held_for(engine: Engine) -> None:
    report_id = _report(engine)
    row = _update_refused(engine, report_id, ReportStatus.ACKNOWLEDGED, T0 + timedelta(hours=1),
                          RecipientGone("(#551) This person isn't available right now."))
    assert _rows(engine)[row].status == outbox.FAILED


def test_in_a_batch_of_deliveries_only_the_resident_with_held_updates_gets_them(
        engine: Engine) -> None:
    """The intake writer looks up held updates once for its whole batch
    (``held_rows.probe_held``): the resident who has some still gets them first, the others
    nothing, and nobody's answer is lost."""
    from sosbot.intake.take import take_batch

    report_id = _report(engine)
    acked = _update_refused(engine, report_id, ReportStatus.ACKNOWLEDGED,
                            T0 + timedelta(days=1), DeliveryWindowClosed("window"))
    at = T0 + timedelta(days=3)
    batch = []
    for chat_id in ("6234567890000001", PSID, "6234567890000002"):
        chat = ChatRef(channel="messenger", chat_id=chat_id, kind=ChatKind.PRIVATE)
        event = TextReceived(text="Cháy nhà ở hẻm 12", chat=chat,
                             sender=Sender(user_id=chat_id), event_id=f"m_{chat_id}")
        batch.append(([event], {"mid": f"m_{chat_id}"}))
    with transaction(engine) as session:
        results = take_batch(session, batch, at, IntakePolicy(ConversationSettings(),
                                                              _rules()))
    written = {chat_id: [row for row in _rows(engine).values() if row.id in result.outbox_ids]
               for chat_id, result in zip(("first", PSID, "second"), results, strict=True)}
    folded = [row for rows in written.values() for row in rows
              if row.payload.get("kind") == FOLDED_KIND]
    assert [row.chat_id for row in folded] == [PSID]
    assert written[PSID][0].payload["folded"] == [acked]  # first, before the answer
    assert all(written[key] for key in written)  # everyone was answered
    assert _rows(engine)[acked].status == outbox.FOLDED
