"""The report card officers see in their group chats. Pure: text and buttons from a view.

Cards are written in Vietnamese: they go to police chats. The same view renders every
copy (ward, departments, command centre), so every copy shows the same state.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from sosbot.core.actions import Choice, OutgoingMessage
from sosbot.core.callbacks import OfficerAction
from sosbot.core.message_limits import card_units
from sosbot.core.model import CATEGORY_EMOJI, FINAL_STATUSES, Report, ReportStatus
from sosbot.core.officer_texts import officer_labels, officer_text
from sosbot.core.sanitize import truncate
from sosbot.core.text_units import truncate_utf16, utf16_len
from sosbot.core.texts import category_label

LOCAL_TIME = ZoneInfo("Asia/Ho_Chi_Minh")
CARD_DESCRIPTION_CHARS = 1500
# A card, with the commands hint of a chat without buttons, fits its chat's message
# (``message_limits.card_units``): when a report's fields are long (and full of emoji, which
# count twice), the description gives way, never the status lines at the end. The longest
# card is Telegram's; in a shorter chat the place's label and the typed address give way too.
CARD_TEXT_UNITS = card_units("telegram")

ACK_LABELS = officer_labels("ack_state.")
STATUS_LABELS = {status: officer_text(f"report_status.{status.value}")
                 for status in ReportStatus}
CHANNEL_NAMES = {"telegram": "Telegram", "zalo": "Zalo", "messenger": "Messenger"}
# Text commands for chats without buttons (Zalo groups); the same work on Telegram.
COMMANDS = tuple((command, officer_text(f"command_meaning.{command}"))
                 for command in ("ack", "dangxuly", "xong", "sai"))


@dataclass(frozen=True)
class TargetState:
    """One target chat's view of the report: whose unit, and how far it has got."""

    role: str  # ward, department, command, escalation
    unit: str  # "Công an phường Tân Phú", "Phòng Cảnh sát PCCC và CNCH", …
    ack_state: str = "new"
    acked_by: str | None = None
    acked_at_epoch: float | None = None


@dataclass(frozen=True)
class CardView:
    report: Report
    ward_name: str | None
    location_how: str | None
    reporter_channel: str
    duplicates: int = 0
    ward_has_group: bool = True
    targets: tuple[TargetState, ...] = ()


def local_time(epoch: float, fmt: str = "%H:%M %d/%m/%Y") -> str:
    """``epoch`` in Ho Chi Minh City's time; "—" for a time no calendar can show (NaN, or
    beyond year 9999): a text is never lost to a bad timestamp."""
    try:
        return datetime.fromtimestamp(epoch, LOCAL_TIME).strftime(fmt)
    except (OverflowError, OSError, ValueError):
        return "—"


def police_unit(full_name: str) -> str:
    """ "Phường Tân Phú" → "Công an phường Tân Phú" (the unit residents are told about)."""
    for kind in ("Phường ", "Xã ", "Đặc khu "):
        if full_name.startswith(kind):
            return "Công an " + kind.lower() + full_name[len(kind):]
    return "Công an " + full_name


def location_note(how: str | None) -> str:
    """What follows the ward's name when it was found across a boundary, or as the nearest."""
    return officer_text(f"location_how.{how}") if how in ("boundary", "nearest") else ""


def map_links(lat: float, lon: float) -> tuple[str, str]:
    google = f"https://www.google.com/maps?q={lat:.6f},{lon:.6f}"
    osm = (f"https://www.openstreetmap.org/?mlat={lat:.6f}&mlon={lon:.6f}"
           f"#map=18/{lat:.6f}/{lon:.6f}")
    return google, osm


def reporter_line(view: CardView) -> str:
    """Who reported, on which platform, and their phone if they shared it (police only)."""
    r = view.report
    who = r.reporter_name or officer_text("card.reporter_unnamed")
    line = f"👤 {who} ({CHANNEL_NAMES.get(view.reporter_channel, view.reporter_channel)})"
    if r.phone:
        line += f" · ☎ {r.phone}"
    return line


def card_text(view: CardView, limit: int = CARD_TEXT_UNITS) -> str:
    """The card's text in at most ``limit`` UTF-16 units: the description gives way first;
    in a chat shorter than Telegram's (``message_limits.card_units``) a place's label and
    the typed address are shortened too, so the status lines at the end stay."""
    r = view.report
    # A resident's free-text fields other than the description, each at most this long.
    field_units = limit // 8 if limit < CARD_TEXT_UNITS else limit
    lines = [f"{CATEGORY_EMOJI[r.category]} {category_label('vi', r.category).upper()} — {r.code}"]
    if view.ward_name:
        lines.append(f"📍 {view.ward_name}{location_note(view.location_how)}")
    else:
        lines.append(officer_text("card.ward_unknown"))
    if not view.ward_has_group and view.ward_name:
        lines.append(officer_text("card.ward_without_group"))
    if r.location is not None:
        loc = r.location
        where = f"{loc.lat:.5f}, {loc.lon:.5f}"
        if loc.accuracy_m:
            where += f" (±{round(loc.accuracy_m)} m)"
        if loc.label:
            where = f"{truncate_utf16(loc.label, field_units)} — {where}"
        lines.append(where)
        google, osm = map_links(loc.lat, loc.lon)
        lines.append(officer_text("card.map_link", url=google))
        lines.append(f"OSM: {osm}")
    if r.address_text:
        lines.append(officer_text("card.typed_address",
                                  address=truncate_utf16(r.address_text, field_units)))
    lines.append(f"🕒 {local_time(r.created_at_epoch)}")
    description_at = len(lines)
    lines.append(reporter_line(view))
    if r.media_count:
        media = officer_text("card.media", count=r.media_count)
        if r.media_missing:
            media += officer_text("card.media_missing", count=r.media_missing)
        if r.media_left_out:
            media += officer_text("card.media_left_out", count=r.media_left_out)
        lines.append(media)
    if view.duplicates:
        lines.append(officer_text("card.duplicates", count=view.duplicates))
    lines.append("")
    lines.append(officer_text("card.status", status=STATUS_LABELS[r.status]))
    for target in view.targets:
        state = ACK_LABELS.get(target.ack_state, target.ack_state)
        line = f" • {target.unit}: {state}"
        if target.acked_by and target.acked_at_epoch:
            line += f" — {target.acked_by}, {local_time(target.acked_at_epoch, '%H:%M')}"
        lines.append(line)
    if r.description:
        room = limit - utf16_len("\n".join(lines)) - utf16_len("\n📝 ")
        description = truncate_utf16(truncate(r.description, CARD_DESCRIPTION_CHARS),
                                     max(room, 1))
        lines.insert(description_at, f"📝 {description}")
    return "\n".join(lines)


def commands_hint(code: str) -> str:
    parts = [f"/{command} {code} ({meaning})" for command, meaning in COMMANDS]
    return officer_text("card.commands_hint", commands=" · ".join(parts))


def render_card(view: CardView, sign: Callable[[OfficerAction], str], *,
                buttons: bool = True, split: tuple[str, str] | None = None,
                limit: int = CARD_TEXT_UNITS) -> OutgoingMessage:
    """The card for one target chat; ``sign`` makes that chat's button data.

    ``split`` is (code, button data) of the latest near-duplicate merged into this report,
    so an officer can make it a report of its own. ``limit``: the chat's message length
    (UTF-16 units), the commands hint of a chat without buttons included.
    """
    if view.report.status in FINAL_STATUSES:
        return OutgoingMessage(text=card_text(view, limit))
    if not buttons:
        hint = commands_hint(view.report.code)
        if view.duplicates:
            hint += officer_text("card.split_hint")
        text = card_text(view, limit - utf16_len(hint) - 2)
        return OutgoingMessage(text=f"{text}\n\n{hint}")
    text = card_text(view, limit)
    rows: list[tuple[Choice, ...]] = [
        (Choice(officer_text("card.button_acknowledge"), sign(OfficerAction.ACKNOWLEDGE)),
         Choice(officer_text("card.button_in_progress"), sign(OfficerAction.IN_PROGRESS))),
        (Choice(officer_text("card.button_resolve"), sign(OfficerAction.RESOLVE)),
         Choice(officer_text("card.button_false_report"), sign(OfficerAction.FALSE_REPORT))),
    ]
    if split is not None:
        rows.append((Choice(officer_text("card.button_split", code=split[0]), split[1]),))
    return OutgoingMessage(text=text, choices=tuple(rows))


# -- batch cards ----------------------------------------------------------------------------
# When reports reach a chat faster than its platform lets us post (Telegram: about 20
# messages a minute in a group), the cards waiting for it go out as one batch card: a block
# of text and one row of buttons per report, each report still acknowledged on its own.

BATCH_DESCRIPTION_CHARS = 200


def batch_header(count: int) -> str:
    return officer_text("batch.header", count=count)


def batch_entry_text(index: int, view: CardView) -> str:
    """One report's block in a batch card: what an officer needs to act on it."""
    r = view.report
    lines = [f"{index}. {CATEGORY_EMOJI[r.category]} "
             f"{category_label('vi', r.category).upper()} — {r.code}"]
    where = view.ward_name or officer_text("batch.ward_unknown")
    note = location_note(view.location_how)
    lines.append(f"📍 {where}{note} · 🕒 {local_time(r.created_at_epoch, '%H:%M %d/%m')}")
    if r.location is not None:
        lines.append(officer_text("card.map_link",
                                  url=map_links(r.location.lat, r.location.lon)[0]))
    if r.address_text:
        lines.append(officer_text("batch.address", address=truncate(r.address_text, 120)))
    if r.description:
        lines.append(f"📝 {truncate(r.description, BATCH_DESCRIPTION_CHARS)}")
    reporter = reporter_line(view)
    if r.media_count:
        reporter += f" · 📷 {r.media_count}"
    lines.append(reporter)
    if view.duplicates:
        lines.append(officer_text("card.duplicates", count=view.duplicates))
    status = officer_text("card.status", status=STATUS_LABELS[r.status])
    acted = [t for t in view.targets if t.ack_state != "new" and t.acked_by]
    if acted:
        status += " — " + "; ".join(
            f"{t.unit}: {ACK_LABELS.get(t.ack_state, t.ack_state)} ({t.acked_by})"
            for t in acted)
    lines.append(status)
    return "\n".join(lines)


def batch_buttons(code: str, sign: Callable[[OfficerAction], str]) -> tuple[Choice, ...]:
    return (Choice(officer_text("batch.button_acknowledge", code=code),
                   sign(OfficerAction.ACKNOWLEDGE)),
            Choice(officer_text("batch.button_in_progress"), sign(OfficerAction.IN_PROGRESS)),
            Choice(officer_text("batch.button_resolve"), sign(OfficerAction.RESOLVE)),
            Choice(officer_text("batch.button_false_report"), sign(OfficerAction.FALSE_REPORT)))


def render_batch(entries: list[tuple[CardView, Callable[[OfficerAction], str]]], *,
                 buttons: bool = True) -> OutgoingMessage:
    """One card for several reports; each entry is a report's view and its chat's signer.

    Reports still open get a row of buttons each (or, without buttons, the text commands
    with their code); a closed one keeps its block and loses its buttons."""
    blocks = [batch_header(len(entries))]
    rows: list[tuple[Choice, ...]] = []
    for index, (view, sign) in enumerate(entries, start=1):
        blocks.append(batch_entry_text(index, view))
        if buttons and view.report.status not in FINAL_STATUSES:
            rows.append(batch_buttons(view.report.code, sign))
    text = "\n\n".join(blocks)
    if not buttons:
        text += "\n\n" + officer_text("batch.commands_hint")
    return OutgoingMessage(text=text, choices=tuple(rows))
