"""The shape of a Messenger webhook body, as pydantic models (lenient: unknown fields pass).

Meta sends ids as strings but numbers now and then (``sticker_id``): they are kept as text.
``Messaging`` keeps fields it does not know (``model_extra``), so the parser can name the
kinds of events it does not take.
"""

from __future__ import annotations

import logging
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

log = logging.getLogger(__name__)


class _Model(BaseModel):
    # Meta sends ids as strings but numbers now and then (sticker_id); keep them as text.
    model_config = ConfigDict(extra="ignore", coerce_numbers_to_str=True)


class Party(_Model):
    id: str | None = None
    user_ref: str | None = None  # people known only through a plugin, before they write

    @model_validator(mode="after")
    def _identified(self) -> Party:
        if not self.id and not self.user_ref:
            raise ValueError("id or user_ref is required")
        return self

    @property
    def key(self) -> str:
        return self.id or self.user_ref or ""


class QuickReply(_Model):
    payload: str = ""


class Coordinates(_Model):
    # Read by the parser with core.payload_numbers.finite_number, the rule every platform's
    # coordinates follow (pydantic's lax float would take ``true`` as 1.0).
    lat: Any
    long: Any


class AttachmentPayload(_Model):
    url: str | None = None
    title: str | None = None
    sticker_id: str | None = None
    coordinates: Coordinates | None = None


class Attachment(_Model):
    type: str
    payload: AttachmentPayload | None = None
    title: str | None = None  # fallback and legacy location attachments before v6
    url: str | None = None


class ReplyTo(_Model):
    mid: str | None = None


class Message(_Model):
    mid: str | None = None
    text: str | None = None
    is_echo: bool = False
    quick_reply: QuickReply | None = None
    reply_to: ReplyTo | None = None
    attachments: list[Attachment] = Field(default_factory=list)
    sticker_id: str | None = None


class Postback(_Model):
    mid: str | None = None
    title: str | None = None
    payload: str = ""


class Messaging(_Model):
    model_config = ConfigDict(extra="allow", coerce_numbers_to_str=True)

    sender: Party
    recipient: Party
    timestamp: int | None = None
    message: Message | None = None
    postback: Postback | None = None
    delivery: dict[str, Any] | None = None
    read: dict[str, Any] | None = None


class Change(_Model):
    field: str = ""
    value: dict[str, Any] | None = None


class Entry(_Model):
    id: str
    time: int | None = None
    # Events are checked one by one (see parse_body): one odd event must not sink a batch.
    messaging: list[dict[str, Any]] = Field(default_factory=list)
    standby: list[dict[str, Any]] = Field(default_factory=list)
    changes: list[Change] = Field(default_factory=list)  # the "field"/"value" notation


class WebhookBody(_Model):
    object: Literal["page"]
    entry: list[Entry]
