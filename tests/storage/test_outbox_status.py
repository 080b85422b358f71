"""The outbox's statuses are ``storage.outbox.OutboxStatus`` (issue 21, step 3): every
member is stored and read back as itself on SQLite and PostgreSQL (the same strings as
before the enum: no migration), and a status that is not a member is refused before it
is written, whether it comes from delivery or from a producer's outcome hook."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlmodel import Session

from sosbot.core.errors import SendError
from sosbot.core.model import Destination
from sosbot.core.outbox_rows import TextRow
from sosbot.delivery import send_outcomes
from sosbot.delivery.extensions import DeliveryExtensions, RowFacts
from sosbot.storage import outbox
from sosbot.storage.db import transaction
from sosbot.storage.outbox import OutboxStatus
from sosbot.storage.tables import Media, MediaStatus, Outbox

NOW = datetime(2026, 3, 2, 3, 0, tzinfo=UTC)


def _row(engine: Engine) -> int:
    with transaction(engine) as session:
        outbox.add(session, channel="telegram", chat_id="-100", destination=Destination.GROUP,
                   row=TextRow.plain("x"), now=NOW)
        [row_id] = outbox.take_added(session)
    return row_id


def test_the_stored_values_did_not_change() -> None:
    """The strings rows already hold are the members' values: no migration."""
    assert {s.value for s in OutboxStatus} == {
        "pending", "sent", "failed", "held", "folded", "skipped"}
    assert (outbox.PENDING, outbox.SENT, outbox.FAILED, outbox.HELD, outbox.FOLDED) == (
        OutboxStatus.PENDING, OutboxStatus.SENT, OutboxStatus.FAILED, OutboxStatus.HELD,
        OutboxStatus.FOLDED)


@pytest.mark.parametrize("status", list(OutboxStatus))
def test_every_status_is_stored_and_read_back_as_itself(engine: Engine,
                                                        status: OutboxStatus) -> None:
    row_id = _row(engine)
    with transaction(engine) as session:
        stored = session.get(Outbox, row_id)
        assert stored is not None and stored.status == OutboxStatus.PENDING
        stored.status = status
    with engine.connect() as db:
        raw = db.execute(sa.text("SELECT status FROM outbox WHERE id = :id"),
                         {"id": row_id}).scalar_one()
        found = outbox.where_to(db, row_id)
    assert type(raw) is str and raw == status.value  # the plain string, as before
    assert found is not None and found[0] is status
    with Session(engine) as session:
        counted = session.execute(sa.select(sa.func.count()).select_from(Outbox).where(
            Outbox.status == status)).scalar_one()  # type: ignore[arg-type]
    assert counted == 1


def test_rows_written_in_bulk_are_pending(engine: Engine) -> None:
    with transaction(engine) as session:
        outbox.add_messages(session, channel="zalo", chat_id="1",
                            destination=Destination.RESIDENT,
                            messages=[TextRow.plain("a"), TextRow.plain("b")],
                            now=NOW)
        ids = outbox.take_added(session)
    with engine.connect() as db:
        assert [outbox.where_to(db, i) for i in ids] == [
            (OutboxStatus.PENDING, "zalo", "1")] * 2


def test_where_many_rows_go_is_read_at_once_missing_rows_left_out(
        engine: Engine) -> None:
    with transaction(engine) as session:
        for n in range(11):
            outbox.add(session, channel="telegram", chat_id=f"-10{n % 3}",
                       destination=Destination.GROUP, row=TextRow.plain(f"x{n}"), now=NOW)
        ids = outbox.take_added(session)
    asked = [*ids[:9], 999_999, *ids[9:]]  # (a missing row among them)
    with engine.connect() as db:
        found = outbox.where_to_many(db, asked)
        assert outbox.where_to_many(db, []) == {}
        assert outbox.where_to_many(db, ids[3:4]) == {ids[3]: (OutboxStatus.PENDING,
                                                              "telegram", "-100")}
    assert list(found) != [] and sorted(found) == sorted(ids)
    assert [found[i][2] for i in ids] == [f"-10{n % 3}" for n in range(11)]


def test_a_status_not_in_the_enum_is_refused_before_it_is_written(engine: Engine) -> None:
    row_id = _row(engine)
    with pytest.raises(ValueError, match="sennt"), transaction(engine) as session:
        send_outcomes.record(session, DeliveryExtensions(), row_id,
                             "sennt", NOW,  # type: ignore[arg-type]
                             error=None, message_id="1", attempts=1)
    with transaction(engine) as session:
        stored = session.get(Outbox, row_id)
        assert stored is not None and stored.status == OutboxStatus.PENDING


def test_a_producers_hook_cannot_store_a_status_outside_the_enum(engine: Engine) -> None:
    """A producer above delivery decides the status its rows end with (a bulletin's
    ``skipped``); what it returns must still be a member."""
    row_id = _row(engine)

    def owns(row: RowFacts) -> bool:
        return True

    def typo(session: Session, row: Outbox, status: OutboxStatus, error: SendError | None,
             now: datetime) -> OutboxStatus:
        return "skiped"  # type: ignore[return-value]

    extensions = DeliveryExtensions()
    extensions.on_outcome(owns, typo)
    with pytest.raises(ValueError, match="skiped"), transaction(engine) as session:
        send_outcomes.record(session, extensions, row_id, OutboxStatus.SENT, NOW,
                             error=None, message_id="1", attempts=1)
    with transaction(engine) as session:
        stored = session.get(Outbox, row_id)
        assert stored is not None and stored.status == OutboxStatus.PENDING


def test_the_stored_media_statuses_did_not_change() -> None:
    """``media.status`` holds the MediaStatus values, the strings written before."""
    assert {s.value for s in MediaStatus} == {
        "pending", "stored", "failed", "left_out", "purged"}
    assert Media(channel="telegram", kind="photo", platform_file_id="f").status \
        == MediaStatus.PENDING
