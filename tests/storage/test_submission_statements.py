"""A resident's "gửi" costs the intake writer only the statements it needs (issue 22): a
known resident's rows are read, not inserted again; a new report is not asked which chats
it already has, nor, without photos, which media it has. SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlmodel import select

from sosbot.core.conversation import Settings as ConversationSettings
from sosbot.core.events import TextReceived
from sosbot.core.model import (
    Category,
    Channel,
    ChatKind,
    ChatRef,
    ConversationState,
    Draft,
    Location,
    Sender,
    Stage,
)
from sosbot.intake.take import IntakePolicy, take_batch
from sosbot.routing.rules import RoutingRules
from sosbot.storage import bindings
from sosbot.storage.db import transaction
from sosbot.storage.tables import Conversation, Delivery, Report, Reporter

RESIDENT = "7301"
TAN_PHU = (10.7905, 106.6281)


def _bind(engine: Engine, rules: RoutingRules, now: datetime) -> None:
    ward = rules.locate(*TAN_PHU).ward
    assert ward is not None
    targets = [("ward", ward.code), ("department", "PC07"), ("command", "command")]
    with transaction(engine) as session:
        for number, (kind, code) in enumerate(targets):
            made = bindings.create_code(session, kind, code, now, timedelta(minutes=15))
            assert bindings.redeem(session, made, channel="telegram",
                                   chat_id=str(-100_700 - number), title=code, by="test",
                                   now=now) is not None


def _known_resident_at_confirm(engine: Engine, now: datetime) -> None:
    draft = Draft(category=Category.FIRE, location=Location(lat=TAN_PHU[0], lon=TAN_PHU[1]),
                  description="Cháy nhà kho gỗ trên đường Âu Cơ", media_asked=True,
                  description_asked=True)
    with transaction(engine) as session:
        reporter = Reporter(channel="telegram", platform_user_id=RESIDENT,
                            display_name="Mai", lang="vi", created_at=now)
        session.add(reporter)
        session.flush()
        state = ConversationState(stage=Stage.CONFIRM, draft=draft,
                                  last_activity_epoch=now.timestamp())
        session.add(Conversation(channel="telegram", chat_id=RESIDENT,
                                 reporter_id=reporter.id, state=state.model_dump(mode="json"),
                                 has_draft=True, last_activity_at=now, updated_at=now))


def test_a_known_residents_submission_reads_what_it_needs_only(
        engine: Engine, rules: RoutingRules,
        conversation_settings: ConversationSettings) -> None:
    now = datetime.now(UTC)
    _bind(engine, rules, now)
    _known_resident_at_confirm(engine, now)
    submit = TextReceived(chat=ChatRef(channel=Channel.TELEGRAM, chat_id=RESIDENT,
                                                  kind=ChatKind.PRIVATE),
                          sender=Sender(user_id=RESIDENT, display_name="Mai"),
                          event_id="880001", message_id="9", text="gửi")
    statements: list[str] = []

    def count(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        statements.append(" ".join(statement.split()))

    event.listen(engine, "before_cursor_execute", count)
    try:
        with transaction(engine) as session:
            [result] = take_batch(session, [([submit], {"update_id": 880001})], now,
                                  IntakePolicy(conversation_settings, rules))
    finally:
        event.remove(engine, "before_cursor_execute", count)

    assert len(result.report_codes) == 1  # the report was made and routed …
    with transaction(engine) as session:
        report = session.exec(select(Report)).one()
        assert report.status == "routed"
        assert len(session.exec(select(Delivery)).all()) == 3
    # … without inserting the resident's rows again …
    assert not [s for s in statements if s.startswith(("INSERT INTO reporter",
                                                       "INSERT INTO conversation"))]
    assert sum(1 for s in statements if "FROM conversation" in s) == 1
    # … nor asking a new report which chats and which media it has.
    assert not [s for s in statements if "FROM delivery" in s or "FROM media" in s]


def test_a_fan_outs_chats_are_each_targets_active_bindings_oldest_first(
        engine: Engine) -> None:
    now = datetime.now(UTC)

    def bind(kind: str, code: str, chat_id: str) -> int:
        with transaction(engine) as session:
            made = bindings.create_code(session, kind, code, now, timedelta(minutes=15))
            binding = bindings.redeem(session, made, channel="telegram", chat_id=chat_id,
                                      title=code, by="test", now=now)
            assert binding is not None and binding.id is not None
            return binding.id

    ward_first = bind("ward", "26734", "-1001")
    ward_second = bind("ward", "26734", "-1002")
    bind("department", "26734", "-1003")  # another kind of target with the same code
    dead = bind("ward", "26734", "-1004")
    command = bind("command", "command", "-1005")
    with transaction(engine) as session:
        binding = session.get(bindings.Binding, dead)
        assert binding is not None
        bindings.mark_dead(binding, "kicked", now)
    targets = [("ward", "26734"), ("department", "PC07"), ("command", "command")]
    with transaction(engine) as session:
        found = bindings.chats_for_targets(session, targets)
        one = bindings.active_for(session, "ward", "26734")
    assert {target: [(chat.id, chat.channel, chat.chat_id) for chat in chats]
            for target, chats in found.items()} == {
        ("ward", "26734"): [(ward_first, "telegram", "-1001"), (ward_second, "telegram", "-1002")],
        ("department", "PC07"): [],
        ("command", "command"): [(command, "telegram", "-1005")]}
    assert [chat.id for chat in one] == [ward_first, ward_second]
