"""What a platform adapter offers delivery: one interface per kind of destination.

A row's ``Destination`` (its column, written by its producer) picks the interface:
``ResidentSender`` for a resident's own chat, ``GroupSender`` for a police group chat. A
platform with both (Telegram, Zalo) implements both; one without group chats (Messenger, a
page talks to people only) implements ``ResidentSender`` alone, and a group row for it
fails for good (``delivery.platform_sends``), never reaches a person.

Every method carries out one typed send (``sosbot.core.outbox_rows``) and returns the
platform's message id when a message was created.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol, runtime_checkable

from sosbot.core.outbox_rows import Album, ButtonAnswer, ButtonsCleared, Edit, Send, Text
from sosbot.core.rates import RateRule


class PlatformSender(Protocol):
    """What both sides share: the platform's name and its limits."""

    channel: str

    def rate_rules(self, chat_id: str, send: Send) -> Sequence[RateRule]:
        """The platform limits ``send`` to ``chat_id`` counts against."""
        ...


@runtime_checkable
class ResidentSender(PlatformSender, Protocol):
    """Sends to a resident's own chat: with the platform's resident-side terms
    (``Text.terms``, ``Album.terms``: Messenger's window, Zalo's quote and billing)."""

    async def send_text(self, chat_id: str, text: Text) -> str | None: ...

    async def send_album(self, chat_id: str, album: Album) -> str | None: ...

    async def answer_button(self, chat_id: str, answer: ButtonAnswer) -> str | None: ...

    async def clear_buttons(self, chat_id: str, cleared: ButtonsCleared) -> str | None: ...


@runtime_checkable
class GroupSender(PlatformSender, Protocol):
    """Posts to a police group chat: cards, their edits, notes and albums, officers'
    answers. Never any resident-side terms."""

    async def post_text(self, chat_id: str, text: Text) -> str | None: ...

    async def edit_post(self, chat_id: str, edit: Edit) -> str | None: ...

    async def post_album(self, chat_id: str, album: Album) -> str | None: ...

    async def answer_group_button(self, chat_id: str, answer: ButtonAnswer) -> str | None: ...
