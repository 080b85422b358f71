"""What sosbot spends on Zalo (issue 19): which message quotes the resident's and counts as
a free reply, what is proactive, the quota refusals the command centre is told of, and the
month's counts in the digest."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from sosbot.command_centre.digest import build_digest
from sosbot.command_centre.digest_text import render_digest
from sosbot.core.errors import QuotaExceeded
from sosbot.core.model import Destination
from sosbot.core.outbox_rows import TextRow
from sosbot.delivery import send_outcomes, zalo_reply
from sosbot.delivery.extensions import DeliveryExtensions
from sosbot.storage import outbox, platform_usage
from sosbot.storage.db import transaction
from sosbot.storage.tables import Binding, InboundEvent, Outbox
from tests.conftest import routing_rules

NOW = datetime(2026, 12, 7, 9, 0, tzinfo=UTC)
USER = "2468458835296117922"


def resident_wrote(session: Session, msg_id: str, at: datetime,
                   kind: str = "TextReceived") -> None:
    payload = {"event_name": "user_send_text", "message": {"msg_id": msg_id, "text": "x"}}
    session.add(InboundEvent(channel="zalo", event_id=msg_id, kind=kind, chat_id=USER,
                             received_at=at, payload=payload))
    session.flush()


def sent_to_resident(session: Session, at: datetime, n: int = 1) -> None:
    for _ in range(n):
        session.add(Outbox(channel="zalo", chat_id=USER, method="message",
                           payload={"text": "x"}, status=outbox.SENT, not_before=at,
                           created_at=at, sent_at=at))
    session.flush()


def test_a_reply_within_48_hours_quotes_the_last_message(engine: Engine) -> None:
    with transaction(engine) as session:
        resident_wrote(session, "old", NOW - timedelta(hours=5))
        resident_wrote(session, "a1b2", NOW - timedelta(hours=1))
        assert zalo_reply.terms(session, USER, NOW, bulletin=False) == {
            "billing": "reply", "quote_message_id": "a1b2"}


def test_after_eight_replies_or_48_hours_or_for_a_bulletin_it_is_proactive(
        engine: Engine) -> None:
    proactive = {"billing": "proactive"}
    with transaction(engine) as session:
        assert zalo_reply.terms(session, USER, NOW, bulletin=False) == proactive  # no message
        resident_wrote(session, "m1", NOW - timedelta(hours=2))
        assert zalo_reply.terms(session, USER, NOW, bulletin=True) == proactive
        sent_to_resident(session, NOW - timedelta(hours=1), n=7)
        assert zalo_reply.terms(session, USER, NOW, bulletin=False)["billing"] == "reply"
        sent_to_resident(session, NOW - timedelta(minutes=30))
        assert zalo_reply.terms(session, USER, NOW, bulletin=False) == proactive
        later = NOW + timedelta(hours=47)
        resident_wrote(session, "m2", NOW)  # a new message: eight more free replies
        assert zalo_reply.terms(session, USER, later, bulletin=False)["billing"] == "reply"
        assert zalo_reply.terms(session, USER, later + timedelta(hours=2),
                                bulletin=False) == proactive


def test_a_follow_has_no_message_to_quote(engine: Engine) -> None:
    with transaction(engine) as session:
        session.add(InboundEvent(channel="zalo", event_id=f"follow:{USER}:1",
                                 kind="CommandReceived", chat_id=USER, received_at=NOW,
                                 payload={"event_name": "follow"}))
        assert zalo_reply.terms(session, USER, NOW, bulletin=False) == {"billing": "proactive"}


def test_quota_refusals_are_counted_and_the_command_centre_told_once_then_at_ten(
        engine: Engine) -> None:
    with transaction(engine) as session:
        session.add(Binding(channel="telegram", chat_id="-1001", target_kind="command",
                            target_code="command", bound_at=NOW))
        rows = []
        for n in range(10):
            row = outbox.add(session, destination=Destination.RESIDENT,
                             channel="zalo", chat_id=f"{USER}{n}", row=TextRow.plain("Bản tin"),
                                                                   now=NOW)
            rows.append(row)
        session.flush()
        ids = [r.id for r in rows]
    told = []
    for n, row_id in enumerate(ids, start=1):
        with transaction(engine) as session:
            assert row_id is not None
            send_outcomes.record(session, DeliveryExtensions(), row_id, outbox.FAILED, NOW,
                                 error=QuotaExceeded(-211, "zalo error -211: Out of quota"),
                                 message_id=None, attempts=1)
        with transaction(engine) as session:
            alerts = session.exec(select(Outbox).where(Outbox.chat_id == "-1001")).all()
            told.append(len(alerts))
            if n == 1:
                assert "hết hạn mức" in alerts[0].payload["text"]
                assert "-211" in alerts[0].payload["text"]
    assert told == [1] * 9 + [2]
    with transaction(engine) as session:
        assert platform_usage.of_month(session, NOW) == {"zalo": {"refused": 10}}
        assert all(session.get(Outbox, i).status == outbox.FAILED for i in ids)  # type: ignore[union-attr]


def test_the_digest_shows_the_months_usage(engine: Engine) -> None:
    with transaction(engine) as session:
        for kind, n in (("reply", 12), ("proactive", 3), ("refused", 1)):
            for _ in range(n):
                platform_usage.count(session, "zalo", kind, NOW)
        platform_usage.count(session, "zalo", "proactive", NOW - timedelta(days=40))
    with transaction(engine) as session:
        digest = build_digest(session, since=NOW - timedelta(days=1), until=NOW, now=NOW,
                              rules=routing_rules())
    text = render_digest(digest)
    assert "💬 TIN GỬI NGƯỜI DÂN THÁNG 12/2026" in text
    assert ("Zalo: 12 trả lời miễn phí · 3 chủ động (tính hạn mức) · 1 bị từ chối do hết "
            "hạn mức") in text
