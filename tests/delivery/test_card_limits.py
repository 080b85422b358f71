"""A card goes out within its chat's message, whichever way the delivery reads it: the
card's own send (``card_posts._card``, Core statements) and its edits (the ORM) both take
the limit from core/message_limits.py. A long report's card to a Zalo group keeps its
status lines and its commands hint: the resident's long fields give way."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy.engine import Engine

from sosbot.core.message_limits import card_units, message_units
from sosbot.core.outbox_rows import Card, Text
from sosbot.core.text_units import utf16_len
from sosbot.delivery import card_posts
from sosbot.routing.rules import RoutingRules
from sosbot.storage.db import transaction
from sosbot.storage.tables import Delivery, Report

FIRE = "🔥"
NOW = datetime(2026, 12, 7, 12, 0, tzinfo=UTC)


def _long_report_delivered(engine: Engine, channel: str) -> int:
    with transaction(engine) as session:
        report = Report(code="SOS-269998", channel="zalo", chat_id="1", category="fire",
                        status="routed", lat=10.7776, lon=106.6437, accuracy_m=15,
                        location_source="venue", location_label=FIRE * 512,
                        address_text=FIRE * 300, description=FIRE * 3000,
                        phone="+84901234567", ward_code="26740", ward_name="Phường Tân Phú",
                        location_how="boundary", duplicates=0, created_at=NOW,
                        updated_at=NOW)
        session.add(report)
        session.flush()
        assert report.id is not None
        delivery = Delivery(report_id=report.id, role="ward", target_code="26740",
                            channel=channel, chat_id="group-1", created_at=NOW)
        session.add(delivery)
        session.flush()
        assert delivery.id is not None
        return delivery.id


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
@pytest.mark.parametrize("channel", ["zalo", "telegram"])
def test_a_long_reports_card_fits_its_chats_message(engine: Engine, rules: RoutingRules,
                                                     channel: str) -> None:
    delivery_id = _long_report_delivered(engine, channel)
    with transaction(engine) as session:
        prepared = card_posts.prepare(session, Card(), delivery_id, rules, NOW)
    assert isinstance(prepared.send, Text)
    text = prepared.send.message.text
    assert utf16_len(text) <= card_units(channel) <= message_units(channel)
    if channel == "zalo":  # no buttons there: the commands hint closes the card
        assert "/ack SOS-269998" in text.split("\n")[-1]
    else:
        assert prepared.send.message.choices
