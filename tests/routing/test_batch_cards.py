"""Batch cards through the routing rig and the Telegram emulator: cards that wait for a chat
(it gets reports faster than it can take them) go out as one message; each report in it is
acknowledged on its own, from its own row of buttons or by its code; the card is edited in
place; a batch send left in doubt by a crash is not posted twice; below the threshold, and
with batching off, every report keeps a card of its own."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from redis import Redis
from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlmodel import col, select

from sosbot.core import idempotency
from sosbot.core.conversation import Settings as ConversationSettings
from sosbot.core.message_limits import batch_card_units
from sosbot.core.model import Destination
from sosbot.delivery import card_batches, card_posts, outgoing
from sosbot.delivery import sending as delivery
from sosbot.delivery.platform_sends import carry_out
from sosbot.geo.wards import WardIndex
from sosbot.storage import outbox
from sosbot.storage.db import transaction
from sosbot.storage.tables import Ack, Delivery, Outbox, Report
from tests.chaos.rig import cards_by_code
from tests.routing.flow import Rig, tan_phu_groups
from tests.routing.test_fanout_limits import incident_spots, routing_config, submit

WARD_OFFICER, FIRE_OFFICER, DUTY_OFFICER = 9701, 9702, 9703


@pytest.fixture
async def rig(engine: Engine, redis: Redis, queue_name: str, wards: WardIndex,
              conversation_settings: ConversationSettings,
              tmp_path: Path) -> AsyncIterator[Rig]:
    rig = Rig(engine, redis, queue_name, wards, conversation_settings, tmp_path,
              config=routing_config(batch_cards_from=3))
    async with rig.running():
        yield rig


@pytest.fixture
async def groups(rig: Rig) -> dict[str, int]:
    return await tan_phu_groups(rig, WARD_OFFICER, FIRE_OFFICER, DUTY_OFFICER)


async def burst(rig: Rig, wards: WardIndex, count: int) -> list[str]:
    """``count`` distinct fires stored and routed before any worker runs, then the queue
    worked off: every chat finds ``count`` cards waiting."""
    codes, ids = await rig.in_thread(submit, rig, incident_spots(wards, count), rig.clock)
    rig.ctx.dispatcher.outbox(ids)
    await rig.drain()
    return codes


async def command_centre(rig: Rig) -> int:
    """Only the command centre's group, bound: the chat that gets every report."""
    await rig.user(DUTY_OFFICER, "Thiếu tá Vy")
    command = await rig.group("TTTTCH", [DUTY_OFFICER])
    await rig.bind(DUTY_OFFICER, command, "command", "command")
    return command


def batch_cards(messages: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [m for m in messages if (m.get("text") or "").startswith("📚 ")]


def block(card: dict[str, Any], code: str) -> str:
    [found] = [b for b in card["text"].split("\n\n") if code in b.split("\n")[0]]
    return found


async def test_waiting_cards_go_out_as_one_batch_acknowledged_report_by_report(
        rig: Rig, groups: dict[str, int], wards: WardIndex) -> None:
    codes = await burst(rig, wards, 5)
    for chat in groups.values():
        messages = await rig.bot_messages(chat)
        [card] = batch_cards(messages)
        assert card["text"].startswith("📚 5 TIN BÁO GỘP")
        assert cards_by_code(messages) == {code: 1 for code in codes}
        rows = card["reply_markup"]["inline_keyboard"]
        assert [row[0]["text"] for row in rows] == [f"✅ Tiếp nhận {c}" for c in codes]
    with transaction(rig.engine) as session:
        copies = session.exec(select(Delivery).where(
            Delivery.chat_id == str(groups["ward"]))).all()
        assert len(copies) == 5
        assert {d.card_message_id for d in copies} == {str(card_id := batch_cards(
            await rig.bot_messages(groups["ward"]))[0]["message_id"])}
        assert all(d.status == "sent" for d in copies)

    # The third report's ✅ acknowledges that report only, and every copy shows it.
    ward_card = batch_cards(await rig.bot_messages(groups["ward"]))[0]
    press = ward_card["reply_markup"]["inline_keyboard"][2][0]["callback_data"]
    await rig.press(WARD_OFFICER, groups["ward"], card_id, press)
    with transaction(rig.engine) as session:
        status = {r.code: r.status for r in session.exec(select(Report)).all()}
        [ack] = session.exec(select(Ack)).all()
    assert status == {c: "acknowledged" if c == codes[2] else "routed" for c in codes}
    assert ack.user_id == str(WARD_OFFICER)
    for chat in groups.values():
        [card] = batch_cards(await rig.bot_messages(chat))
        assert "Trạng thái: Đã tiếp nhận" in block(card, codes[2])
        assert "Trung úy Hùng" in block(card, codes[2])
        assert all("chờ tiếp nhận" in block(card, c) for c in codes if c != codes[2])

    # Resolved: its block stays, its buttons go. (The officer presses the card as it is
    # now: its edit signed its buttons again, and a clock that moved meanwhile, while
    # another chat waited for the rate limit, gave them a new expiry.)
    ward_card = batch_cards(await rig.bot_messages(groups["ward"]))[0]
    resolve = ward_card["reply_markup"]["inline_keyboard"][2][2]["callback_data"]
    await rig.press(WARD_OFFICER, groups["ward"], card_id, resolve)
    [card] = batch_cards(await rig.bot_messages(groups["command"]))
    assert "Đã xử lý xong" in block(card, codes[2])
    assert [row[0]["text"] for row in card["reply_markup"]["inline_keyboard"]] == \
        [f"✅ Tiếp nhận {c}" for c in codes if c != codes[2]]

    # A reply to the batch card must say which report; with the code it works.
    await rig.send(WARD_OFFICER, chat=groups["ward"], text="/ack",
                   reply_to_message_id=card_id)
    asked = (await rig.bot_messages(groups["ward"]))[-1]["text"]
    assert asked.startswith("Thẻ này gộp nhiều tin báo") and codes[0] in asked
    await rig.send(WARD_OFFICER, chat=groups["ward"], text=f"/ack {codes[0]}")
    with transaction(rig.engine) as session:
        first = session.exec(select(Report).where(Report.code == codes[0])).one()
    assert first.status == "acknowledged"


async def test_below_the_threshold_each_report_keeps_its_card(
        rig: Rig, groups: dict[str, int], wards: WardIndex) -> None:
    codes = await burst(rig, wards, 2)
    messages = await rig.bot_messages(groups["command"])
    assert batch_cards(messages) == []
    assert cards_by_code(messages) == {code: 1 for code in codes}
    assert len([m for m in messages if "CHÁY NỔ" in (m.get("text") or "")]) == 2


async def test_a_batch_card_in_doubt_is_sent_again_with_the_same_reports(
        rig: Rig, groups: dict[str, int], wards: WardIndex) -> None:
    codes, ids = await rig.in_thread(submit, rig, incident_spots(wards, 4), rig.clock)
    command = str(groups["command"])
    with transaction(rig.engine) as session:
        rows = session.exec(select(Outbox).where(col(Outbox.id).in_(ids),
                                                 Outbox.chat_id == command)
                            .order_by(col(Outbox.id))).all()
        lead = rows[0]
        found = outbox.next_for_chat(session.connection(), "telegram", command)
        assert found is not None and found.id == lead.id
        batch = card_batches.prepare(session, found, rig.rules, rig.clock())
        assert batch is not None and batch.members == tuple(r.id for r in rows)
        # The worker that died: it recorded the attempt and its batch, sent, and died.
        lead.attempt_started_at = rig.clock()
        lead.idempotency_key = key = f"sosbot-{lead.id}-deadbeef"
        lead.payload = {**lead.payload, card_batches.BATCH_KEY: list(batch.members)}

    async def send_with_key() -> str | None:
        with idempotency.sending(key):
            assert batch.send is not None
            return await carry_out(rig.ctx.outbound["telegram"], command, Destination.GROUP,
                                   batch.send)

    first_id = await rig.in_thread(rig.loop_thread.run, send_with_key())
    # A fifth report arrives meanwhile: the send in doubt still carries the first four.
    more, more_ids = await rig.in_thread(submit, rig, incident_spots(wards, 5)[4:], rig.clock)
    for outbox_id in ids + more_ids:
        await rig.in_thread(delivery.deliver, rig.ctx, outbox_id)

    messages = await rig.bot_messages(groups["command"])
    assert cards_by_code(messages) == {code: 1 for code in codes + more}
    with transaction(rig.engine) as session:
        sent = {d.report_id: d.card_message_id for d in session.exec(
            select(Delivery).where(Delivery.chat_id == command)).all()}
        assert sorted(sent.values(), key=str).count(first_id) == 4
        assert all(r.status == outbox.SENT for r in session.exec(
            select(Outbox).where(Outbox.chat_id == command)).all())
    async with rig.http.get(f"{rig.emu}/_emu/idempotency") as response:
        assert (await response.json())["replays"] == 1


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
async def test_with_batching_off_every_report_has_its_own_card(
        engine: Engine, redis: Redis, queue_name: str, wards: WardIndex,
        conversation_settings: ConversationSettings, tmp_path: Path) -> None:
    rig = Rig(engine, redis, queue_name, wards, conversation_settings, tmp_path,
              config=routing_config(batch_cards_from=0))
    async with rig.running():
        command = await command_centre(rig)
        codes = await burst(rig, wards, 5)
        messages = await rig.bot_messages(command)
        assert batch_cards(messages) == []
        assert cards_by_code(messages) == {code: 1 for code in codes}


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
async def test_a_batch_shrinks_to_fit_one_message(
        engine: Engine, redis: Redis, queue_name: str, wards: WardIndex,
        conversation_settings: ConversationSettings, tmp_path: Path) -> None:
    config = routing_config(batch_cards_from=3).model_copy(update={"batch_cards_max": 20})
    rig = Rig(engine, redis, queue_name, wards, conversation_settings, tmp_path, config=config)
    async with rig.running():
        command = await command_centre(rig)
        codes = await burst(rig, wards, 20)
        messages = await rig.bot_messages(command)
        found = batch_cards(messages)
        assert len(found) >= 2  # 20 reports do not fit one Telegram message
        assert all(len(card["text"]) <= batch_card_units("telegram")
                   for card in found)
        assert cards_by_code(messages) == {code: 1 for code in codes}


async def test_a_batch_card_is_read_in_the_same_queries_however_many_reports_it_carries(
        rig: Rig, wards: WardIndex) -> None:
    """Reading a batch card's reports is a fixed number of queries (their reports,
    reporters, media and deliveries), not a set per report: a busy chat's batch of eight
    costs what a batch of two does (bench/FINDINGS.md, session 8)."""
    command = await command_centre(rig)
    await rig.in_thread(submit, rig, incident_spots(wards, 8), rig.clock)
    statements: list[str] = []

    def count(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        statements.append(statement)

    queries = {}
    for size in (2, 8):
        with transaction(rig.engine) as session:  # a fresh session: nothing read before
            cards = list(session.exec(select(Delivery).where(
                Delivery.chat_id == str(command)).order_by(col(Delivery.id))).all())
            assert len(cards) == 8
            statements.clear()
            event.listen(rig.engine, "before_cursor_execute", count)
            try:
                entries = card_posts.batch_entries(session, cards[:size], rig.ctx.rules,
                                                   rig.clock())
            finally:
                event.remove(rig.engine, "before_cursor_execute", count)
            assert [view.report.code for view, _ in entries] == [
                session.get(Report, card.report_id).code  # type: ignore[union-attr]
                for card in cards[:size]]
            queries[size] = len(statements)
    assert queries[8] == queries[2] <= 4  # reports, reporters, media, deliveries


async def test_a_card_alone_in_its_chat_is_sent_without_looking_for_a_batch(
        rig: Rig, wards: WardIndex) -> None:
    """The look at a chat's next row says whether other cards wait behind it: a card alone
    (the common case) is prepared without the query for a batch's cards; with cards behind
    it, the batch forms as before."""
    command = str(await command_centre(rig))
    spots = incident_spots(wards, 3)
    await rig.in_thread(submit, rig, spots[:1], rig.clock)
    statements: list[str] = []

    def count(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        statements.append(statement)

    def prepared() -> tuple[outbox.PendingRow, card_batches.Prepared | None, list[str]]:
        with transaction(rig.engine) as session:
            lead = outbox.next_for_chat(session.connection(), "telegram", command)
            assert lead is not None
            statements.clear()
            event.listen(rig.engine, "before_cursor_execute", count)
            try:
                batch = card_batches.prepare(session, lead, rig.rules, rig.clock())
            finally:
                event.remove(rig.engine, "before_cursor_execute", count)
            return lead, batch, list(statements)

    lead, batch, read = prepared()
    assert lead.cards_behind is False
    assert batch is None and read == []
    await rig.in_thread(submit, rig, spots[1:], rig.clock)
    lead, batch, read = prepared()
    assert lead.cards_behind is True
    assert batch is not None and len(batch.members) == 3 and batch.members[0] == lead.id
    assert read  # the batch's cards were read


async def test_a_cards_report_and_deliveries_are_read_in_one_statement(
        rig: Rig, groups: dict[str, int], wards: WardIndex) -> None:
    """A card shows its report (with the reporter's name and the media counted) and the
    state of every delivery of it: all read by one statement, no ORM objects."""
    [code], _ = await rig.in_thread(submit, rig, incident_spots(wards, 2)[:1], rig.clock)
    statements: list[str] = []

    def count(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        statements.append(statement)

    with transaction(rig.engine) as session:
        lead = outbox.next_for_chat(session.connection(), "telegram", str(groups["command"]))
        assert lead is not None and lead.cards_behind is False
        event.listen(rig.engine, "before_cursor_execute", count)
        try:
            prepared = outgoing.prepare(rig.ctx, session, lead)
        finally:
            event.remove(rig.engine, "before_cursor_execute", count)
    assert len(statements) == 1, statements
    assert prepared.send is not None
    text = prepared.send.message.text  # type: ignore[union-attr]
    assert code in text and "CHÁY NỔ" in text
