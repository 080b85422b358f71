"""Batch cards: when reports reach a chat faster than its platform lets us post, the cards
waiting for it go out as one message (DESIGN.md, "Capacity and scale").

A Telegram group takes about 20 messages a minute, and the command centre's chat gets a
card for every report in the city: one card each would leave it minutes behind in a flood
or a big fire. When ``routing.batch_cards_from`` cards or more wait for one chat, the oldest
(up to ``routing.batch_cards_max``) become one card: a block and a row of buttons per
report, each still acknowledged on its own, edited in place as officers act.

The batch a send carries is recorded on its first row before the platform is called, so a
send left in doubt by a crash is repeated with the same reports (and idempotency key).
"""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session

from sosbot.core.cards import render_batch
from sosbot.core.message_limits import batch_card_units
from sosbot.core.outbox_rows import BATCH_KEY, Card, Text
from sosbot.core.text_units import utf16_len
from sosbot.delivery.card_posts import BUTTON_CHANNELS, Prepared, batch_entries
from sosbot.routing.rules import RoutingRules
from sosbot.storage import deliveries, outbox
from sosbot.storage.outbox import PendingRow
from sosbot.storage.tables import Delivery

__all__ = ["BATCH_KEY", "prepare", "recorded"]


def recorded(lead: PendingRow) -> tuple[int, ...]:
    """The rows a started (now in doubt) send of ``lead`` carried; () if it went alone."""
    if lead.attempt_started_at is None:
        return ()
    return Card.from_json(lead.payload).batch


def prepare(session: Session, lead: PendingRow, rules: RoutingRules,
            now: datetime) -> Prepared | None:
    """The batch card to send instead of ``lead``'s own card, or None: it goes alone."""
    again = recorded(lead)
    if again:
        rows = outbox.pending_by_id(session.connection(), again)
        return _render(session, rows, rules, now, fit=False)
    config = rules.config
    if config.batch_cards_from == 0 or lead.attempt_started_at is not None \
            or lead.cards_behind is False:  # (the common case: a card alone in its chat)
        return None
    waiting = outbox.waiting_cards(session.connection(), lead.channel, lead.chat_id, lead.id,
                                   now, config.batch_cards_max,
                                   at_least=max(2, config.batch_cards_from))
    if not waiting or waiting[0].id != lead.id:
        return None
    return _render(session, waiting, rules, now, fit=True)


def _render(session: Session, rows: list[PendingRow], rules: RoutingRules, now: datetime, *,
            fit: bool) -> Prepared | None:
    found = deliveries.by_ids(session, [r.delivery_id for r in rows if r.delivery_id])
    members: list[tuple[PendingRow, Delivery]] = []
    for row in rows:
        delivery = found.get(row.delivery_id) if row.delivery_id is not None else None
        if delivery is not None and delivery.card_message_id is None:
            members.append((row, delivery))
    if not members or members[0][0].id != rows[0].id:
        return None  # the lead's own card leads, or nothing is batched
    budget = batch_card_units(rows[0].channel)  # UTF-16 units: an emoji counts twice
    entries = batch_entries(session, [d for _, d in members], rules, now)
    buttons = rows[0].channel in BUTTON_CHANNELS
    while len(members) > 1:
        message = render_batch(entries[:len(members)], buttons=buttons)
        if not fit or utf16_len(message.text) <= budget:
            return Prepared(Text(message),
                            members=tuple(row.id for row, _ in members))
        members.pop()
    return None
