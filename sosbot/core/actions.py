"""What the conversation asks the outside world to do. Pure data; executed by storage/jobs."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from sosbot.core.model import Draft, Location, MediaRef


@dataclass(frozen=True)
class Choice:
    """A button: ``label`` shown to the resident, ``value`` sent back when pressed."""

    label: str
    value: str


@dataclass(frozen=True)
class OutgoingMessage:
    """A platform-neutral message: plain text (adapters escape it), buttons, a keyboard request.

    ``choices`` are rows of inline buttons. ``request`` asks the platform for a reply
    keyboard that shares the resident's location or phone number, where it has one.
    ``numbered`` lets channels without buttons print the choices as "1. …" lines.
    """

    text: str
    choices: tuple[tuple[Choice, ...], ...] = ()
    request: Literal["location", "contact"] | None = None
    remove_keyboard: bool = False
    link: tuple[str, str] | None = None  # (label, url) for a button that opens a page


@dataclass(frozen=True)
class Reply:
    """Send a message to the chat the event came from."""

    message: OutgoingMessage


@dataclass(frozen=True)
class AnswerButton:
    """Acknowledge a button press so the platform stops its spinner."""

    callback_id: str
    text: str | None = None


@dataclass(frozen=True)
class ClearButtons:
    """Remove the buttons from an earlier message so it cannot be pressed again."""

    message_id: str


@dataclass(frozen=True)
class SubmitReport:
    """Store the draft as a report; storage answers with a ReportSubmitted event."""

    draft: Draft
    phone: str | None = None


@dataclass(frozen=True)
class AttachToReport:
    """Add what a resident sent after submission to their report."""

    code: str
    media: tuple[MediaRef, ...] = ()
    text: str = ""


@dataclass(frozen=True)
class RefineReportLocation:
    """A live location moved after the report was submitted."""

    code: str
    location: Location


@dataclass(frozen=True)
class RememberPhone:
    """The resident shared their own phone number."""

    phone: str
    code: str | None = None  # the report it was shared for, if any


Action = (
    Reply | AnswerButton | ClearButtons | SubmitReport | AttachToReport
    | RefineReportLocation | RememberPhone
)

