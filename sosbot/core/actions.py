"""What the conversation asks the outside world to do. Pure data; executed by storage/jobs."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

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
    Channels without buttons print the choices as numbered lines followed by
    ``choice_hint``; the conversation maps a typed number back to the choice.
    """

    text: str
    choices: tuple[tuple[Choice, ...], ...] = ()
    request: Literal["location", "contact"] | None = None
    request_label: str = ""
    remove_keyboard: bool = False
    choice_hint: str = ""  # "Trả lời 1, 2, 3 hoặc 4 để chọn." for channels that print choices
    link: tuple[str, str] | None = None  # (label, url) for a button that opens a page
    # Offer the one-time location page (a map to pick the place on) as a link button; the
    # link is made when the message is sent (delivery's resident_sends).
    map_page: bool = False


@dataclass(frozen=True)
class Reply:
    """Send a message to the chat the event came from. ``kind`` names what it is when that
    matters at send time: ``officer`` for an officer's own words (Messenger's HUMAN_AGENT)."""

    message: OutgoingMessage
    kind: str = ""


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


@dataclass(frozen=True)
class RelayAnswer:
    """Post the resident's answer to an officer's question under the report's cards."""

    code: str
    text: str


@dataclass(frozen=True)
class ChangeSubscription:
    """Start or stop safety bulletins for this chat.

    ``scope`` is ``city`` (every bulletin), ``ward`` (the ward of the resident's last
    report) or ``off``. Storage answers with a SubscriptionChanged event.
    """

    scope: Literal["city", "ward", "off"]


@dataclass(frozen=True)
class ListReports:
    """The resident asked for the status of their reports; storage answers with a
    ReportsListed event."""


@dataclass(frozen=True)
class LookUpPlace:
    """Look a typed place up in the worker (the online geocoder, when one is configured);
    the answer comes back as a PlaceCandidatesFound event."""

    query: str


Action = (
    Reply | AnswerButton | ClearButtons | SubmitReport | AttachToReport
    | RefineReportLocation | RememberPhone | RelayAnswer | ChangeSubscription | ListReports
    | LookUpPlace
)



def message_to_dict(message: OutgoingMessage) -> dict[str, object]:
    """The outbox form of a message (plain JSON; rendered by each platform at send time)."""
    payload: dict[str, object] = {
        "text": message.text,
        "choices": [[{"label": c.label, "value": c.value} for c in row]
                    for row in message.choices],
        "request": message.request,
        "request_label": message.request_label,
        "choice_hint": message.choice_hint,
        "remove_keyboard": message.remove_keyboard,
        "link": list(message.link) if message.link else None,
    }
    if message.map_page:  # only when set: every other payload stays as it was
        payload["map_page"] = True
    return payload


def message_from_dict(data: dict[str, Any]) -> OutgoingMessage:
    rows = data.get("choices") or []
    link = data.get("link")
    request = data.get("request")
    return OutgoingMessage(
        text=str(data.get("text", "")),
        choices=tuple(tuple(Choice(str(c["label"]), str(c["value"])) for c in row)
                      for row in rows),
        request="location" if request == "location" else "contact" if request == "contact"
        else None,
        request_label=str(data.get("request_label") or ""),
        choice_hint=str(data.get("choice_hint") or ""),
        remove_keyboard=bool(data.get("remove_keyboard")),
        link=(str(link[0]), str(link[1])) if isinstance(link, list) and len(link) == 2 else None,
        map_page=bool(data.get("map_page")),
    )
