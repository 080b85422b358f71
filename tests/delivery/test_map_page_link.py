"""A proposed place's message offers the one-time location page as a link button on every
platform (issue 20: "pick it on the map"), and the link is a live ticket for that chat."""

from __future__ import annotations

import pytest
from redis import Redis
from sqlalchemy.engine import Engine

from sosbot.core.actions import Choice, OutgoingMessage
from sosbot.core.outbox_rows import Text
from sosbot.delivery import resident_sends
from sosbot.location_page import LocationTokens
from sosbot.storage.db import transaction


@pytest.mark.parametrize("channel", ["telegram", "zalo", "messenger"])
def test_map_page_becomes_a_link_to_a_ticket(engine: Engine, redis: Redis,
                                             channel: str) -> None:
    tokens = LocationTokens(redis, prefix=f"test:map:{channel}:")
    proposed = Text(OutgoingMessage(
        text="📍 Có phải ở đây không?", choices=((Choice("✅ Đúng, ở đây", "place:1"),),),
        map_page=True))
    with transaction(engine) as session:
        sent = resident_sends.enrich(session, channel, "5501", proposed,
                                     tokens=tokens, public_url="https://sos.example")
    assert isinstance(sent, Text) and sent.message.link is not None
    label, url = sent.message.link
    assert label == "🗺️ Chọn vị trí trên bản đồ"
    assert url.startswith("https://sos.example/l/")
    ticket = tokens.consume(url.rsplit("/", 1)[1])
    assert ticket is not None and (ticket.channel, ticket.chat_id) == (channel, "5501")
    # Without the flag nothing is added: other messages are sent as they were.
    plain = Text(OutgoingMessage(text="x"))
    with transaction(engine) as session:
        sent = resident_sends.enrich(session, channel, "5501", plain,
                                     tokens=tokens, public_url="https://sos.example")
    assert isinstance(sent, Text) and sent.message.link is None
