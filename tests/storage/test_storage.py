"""Storage on SQLite and PostgreSQL: migrations, codes, de-duplication, outbox, media store."""

from __future__ import annotations

import hashlib
import io
import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from PIL import Image
from sqlalchemy.engine import Engine
from sqlmodel import SQLModel, select

from sosbot.core.errors import MediaRejected
from sosbot.core.model import Category, Destination, Draft, Location, MediaKind, MediaRef
from sosbot.core.outbox_rows import ButtonsCleared, Card, TextRow
from sosbot.storage import deliveries, inbound, outbox, reports
from sosbot.storage.db import transaction
from sosbot.storage.media_store import MediaStore
from sosbot.storage.migrate import current_revision, head_revision
from sosbot.storage.tables import Delivery, InboundEvent, Outbox

NOW = datetime(2026, 11, 22, 7, 30, tzinfo=UTC)


def test_migrations_create_exactly_the_models_schema(engine: Engine) -> None:
    assert current_revision(engine) == head_revision() == "0010"
    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), SQLModel.metadata)
    assert diff == []


def test_report_codes_are_sequential_per_local_year(engine: Engine) -> None:
    with transaction(engine) as session:
        codes = [reports.next_code(session, NOW) for _ in range(3)]
        # 31 Dec 17:30 UTC is already 1 Jan in Ho Chi Minh City.
        new_year = reports.next_code(session, datetime(2026, 12, 31, 17, 30, tzinfo=UTC))
    assert codes == ["SOS-260001", "SOS-260002", "SOS-260003"]
    assert new_year == "SOS-270001"


def test_concurrent_report_codes_never_repeat(engine: Engine) -> None:
    codes: list[str] = []
    lock = threading.Lock()

    def take() -> None:
        for _ in range(10):
            with transaction(engine) as session:
                code = reports.next_code(session, NOW)
            with lock:
                codes.append(code)

    threads = [threading.Thread(target=take) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(codes) == 40 and len(set(codes)) == 40


def test_an_event_is_recorded_once(engine: Engine) -> None:
    """Recorded once per (channel, event id): a repeat in the same statement and a retry in
    a later transaction are not new; the first row of a key is the one kept."""
    def row(channel: str, event_id: str, payload: dict[str, int]) -> dict[str, object]:
        return {"channel": channel, "event_id": event_id, "kind": "Text", "chat_id": "1",
                "payload": payload, "received_at": NOW}

    with transaction(engine) as session:
        first = inbound.record_new(session, [row("telegram", "42", {"update_id": 42}),
                                             row("telegram", "42", {"update_id": -1}),
                                             row("zalo", "42", {})])
    with transaction(engine) as session:
        again = inbound.record_new(session, [row("telegram", "42", {"update_id": 42}),
                                             row("telegram", "43", {"update_id": 43})])
    assert set(first) == {("telegram", "42"), ("zalo", "42")}
    assert set(again) == {("telegram", "43")}
    with transaction(engine) as session:
        assert inbound.count(session) == 3
        kept = session.exec(select(InboundEvent).where(InboundEvent.channel == "telegram",
                                                       InboundEvent.event_id == "42")).one()
        assert kept.payload == {"update_id": 42}


def test_create_report_with_media_and_audit(engine: Engine) -> None:
    draft = Draft(category=Category.FIRE, location=Location(lat=10.78, lon=106.70,
                                                            accuracy_m=9.5),
                  description="Cháy nhà", media=(MediaRef(kind=MediaKind.PHOTO, file_id="a"),
                                                 MediaRef(kind=MediaKind.VIDEO, file_id="b")))
    with transaction(engine) as session:
        new = reports.create_report(session, channel="telegram", chat_id="9", reporter_id=None,
                                    draft=draft, lang="vi", phone=None, now=NOW,
                                    actor="telegram:9")
    with transaction(engine) as session:
        stored = reports.by_code(session, new.report.code)
        assert stored is not None and stored.accuracy_m == 9.5 and stored.created_at == NOW
        assert [m.kind for m in reports.media_of(session, stored.id or 0)] == ["photo", "video"]
        rows = reports.list_reports(session)
    assert rows[0].media_count == 2 and rows[0].category == "fire"


def test_stranded_outbox_rows(engine: Engine) -> None:
    with transaction(engine) as session:
        fresh = outbox.add(session, destination=Destination.RESIDENT,
                           channel="telegram", chat_id="1", row=TextRow.plain("a"), now=NOW)
        old = outbox.add(session, destination=Destination.RESIDENT,
                         channel="telegram", chat_id="1", row=TextRow.plain("b"),
                                                          now=NOW - timedelta(minutes=5))
        later = outbox.add(session, destination=Destination.RESIDENT,
                           channel="telegram", chat_id="1", row=TextRow.plain("c"),
                                                            now=NOW - timedelta(minutes=5))
        later.not_before = NOW + timedelta(minutes=1)
    with transaction(engine) as session:
        ids = [row.id for row in outbox.stranded(session, NOW, timedelta(seconds=60))]
    assert ids == [old.id], (fresh.id, later.id)


def test_outbox_rows_keep_the_order_they_were_added_in(engine: Engine) -> None:
    """A fan-out's deliveries and card rows are written by multi-row statements, a resident's
    replies by another, a notice as an ORM object: the ids (the send order) follow the
    order of the calls, and each card row names its own delivery."""
    draft = Draft(category=Category.FIRE, location=Location(lat=10.78, lon=106.70),
                  description="Cháy nhà")
    with transaction(engine) as session:
        report = reports.create_report(session, channel="telegram", chat_id="9",
                                       reporter_id=None, draft=draft, lang="vi", phone=None,
                                       now=NOW, actor="telegram:9").report
        assert report.id is not None
        notice = outbox.add(session, destination=Destination.RESIDENT,
                            channel="telegram", chat_id="9", row=TextRow.plain("first"), now=NOW)
        created = deliveries.insert_many(session, [
            ("ward", "W1", "telegram", "-100", None), ("department", "PC07", "telegram", "-200",
                                                      None),
            ("command", "command", "telegram", "-300", None)], report_id=report.id, now=NOW)
        cards = outbox.for_deliveries(session, created, Card(), now=NOW)
        outbox.add_messages(session, destination=Destination.RESIDENT,
                            channel="telegram", chat_id="9", messages=[
            TextRow.plain("a"), ButtonsCleared("7")], now=NOW)
        later = outbox.add(session, destination=Destination.RESIDENT,
                           channel="telegram", chat_id="9", row=TextRow.plain("after"), now=NOW)
        added = outbox.take_added(session)
    assert [d.chat_id for d in created] == ["-100", "-200", "-300"]
    replies = added[4:6]
    assert added == [notice.id, *cards, *replies, later.id] and added == sorted(added)
    with transaction(engine) as session:
        for delivery, card_id in zip(created, cards, strict=True):
            row = session.get(Outbox, card_id)
            stored = session.get(Delivery, delivery.id)
            assert row is not None and stored is not None
            # The delivery is the column alone (issue 21: no copy in the payload), and a
            # delivery's row goes to its group.
            assert (row.method, row.chat_id, row.delivery_id, row.payload,
                    row.destination) == ("card", delivery.chat_id, delivery.id, {}, "group")
            assert (stored.chat_id, stored.role, stored.status, stored.ack_state) == (
                delivery.chat_id, delivery.role, "pending", "new")
        assert [session.get(Outbox, i).payload for i in replies] == [  # type: ignore[union-attr]
            TextRow.plain("a").to_json(), {"message_id": "7"}]


def test_resident_messages_are_written_together_and_each_owner_gets_its_own(
        engine: Engine) -> None:
    """The answers to several residents' updates go in one statement; each update (owner)
    gets back the ids of its own rows; what nobody took is written by the commit."""
    with transaction(engine) as session:
        for owner, chat in enumerate(("11", "12", "13")):
            outbox.owned_by(session, owner)
            outbox.add_messages(session, destination=Destination.RESIDENT,
                                channel="telegram", chat_id=chat, now=NOW,
                                messages=[TextRow.plain(f"to {chat}"),
                                          TextRow.plain(f"again {chat}")])
        assert session.exec(select(Outbox)).all() == []  # held back so far
        owned = outbox.take_added_by_owner(session)
        outbox.owned_by(session, None)
        outbox.add_messages(session, destination=Destination.RESIDENT,
                            channel="telegram", chat_id="14", now=NOW,
                            messages=[TextRow.plain("untaken")])
    assert sorted(owned) == [0, 1, 2]
    with transaction(engine) as session:
        rows = {row.id: row for row in session.exec(select(Outbox)).all()}
    for owner, chat in enumerate(("11", "12", "13")):
        assert [rows[i].payload["text"] for i in owned[owner]] == [f"to {chat}",
                                                                   f"again {chat}"]
    assert [row.chat_id for row in rows.values()].count("14") == 1


def _jpeg() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (64, 48), (10, 120, 200)).save(buffer, "JPEG")
    return buffer.getvalue()


def test_media_store_is_content_addressed_and_sniffs(tmp_path: Path) -> None:
    store = MediaStore(tmp_path, limit_bytes=1024 * 1024)
    data = _jpeg()
    first = store.put(data)
    second = store.put(data)
    assert first == second
    assert first.sha256 == hashlib.sha256(data).hexdigest()
    assert first.mime == "image/jpeg" and store.read(first.sha256) == data
    assert len(list(tmp_path.rglob("*"))) == 3  # two folders and one file


@pytest.mark.parametrize(("data", "reason"), [
    (b"", "empty"),
    (b"<html>not a photo</html>", "not a photo"),
    (b"\xff\xd8\xff" + b"0" * (2 * 1024 * 1024), "too large"),
])
def test_media_store_refuses(tmp_path: Path, data: bytes, reason: str) -> None:
    with pytest.raises(MediaRejected, match=reason):
        MediaStore(tmp_path, limit_bytes=1024 * 1024).put(data)


def test_migrations_downgrade_and_upgrade_again(engine: Engine) -> None:
    from alembic import command

    from sosbot.storage.migrate import alembic_config, upgrade

    command.downgrade(alembic_config(engine), "base")
    assert current_revision(engine) is None
    upgrade(engine)
    assert current_revision(engine) == head_revision() == "0010"
