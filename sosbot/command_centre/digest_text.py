"""The digest as one Telegram message, in Vietnamese, for the duty officer.

Long lists are cut ("… và N tin báo khác") so the whole text fits in one message
(:data:`TELEGRAM_LIMIT` characters); times are local (Asia/Ho_Chi_Minh).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import TypeVar
from zoneinfo import ZoneInfo

from sosbot.command_centre.digest import AckStats, Digest, ReportItem
from sosbot.command_centre.queries import FailureRow
from sosbot.core.cards import CHANNEL_NAMES, STATUS_LABELS
from sosbot.core.model import CATEGORY_EMOJI, Category, ReportStatus
from sosbot.core.officer_texts import officer_labels, officer_text
from sosbot.core.sanitize import truncate
from sosbot.core.texts import category_label

log = logging.getLogger(__name__)

LOCAL_TIME = ZoneInfo("Asia/Ho_Chi_Minh")
TELEGRAM_LIMIT = 4096
ROLE_LABELS = officer_labels("digest.role.")
T = TypeVar("T")


def render_digest(d: Digest) -> str:
    """The digest text; at most :data:`TELEGRAM_LIMIT` characters."""
    for limit in (12, 8, 5, 3, 2, 1):
        text = _render(d, limit)
        if len(text) <= TELEGRAM_LIMIT:
            return text
    log.warning("digest text still too long with one item per list: cut")
    return truncate(text, TELEGRAM_LIMIT)


def local(at: datetime, fmt: str = "%H:%M %d/%m") -> str:
    return at.astimezone(LOCAL_TIME).strftime(fmt)


def duration(seconds: float) -> str:
    """45 giây · 4 phút 30 giây · 25 phút · 3 giờ 5 phút."""
    s = round(seconds)
    if s < 60:
        return officer_text("duration.seconds", seconds=s)
    minutes, sec = divmod(s, 60)
    if minutes < 10 and sec:
        return officer_text("duration.minutes_seconds", minutes=minutes, seconds=sec)
    minutes = round(seconds / 60)
    if minutes < 60:
        return officer_text("duration.minutes", minutes=minutes)
    hours, minutes = divmod(minutes, 60)
    return officer_text("duration.hours_minutes", hours=hours, minutes=minutes) if minutes \
        else officer_text("duration.hours", hours=hours)


def _render(d: Digest, limit: int) -> str:
    lines = [
        officer_text("digest.title"),
        officer_text("digest.period", since=local(d.since),
                     until=local(d.until, "%H:%M %d/%m/%Y"), made=local(d.now, "%H:%M")),
        "",
        officer_text("digest.total", total=d.total),
    ]
    if d.total:
        lines.append(" · ".join(
            f"{CATEGORY_EMOJI[c]} {category_label('vi', c)}: {d.by_category[c.value]}"
            for c in Category if d.by_category.get(c.value)))
        lines.append(officer_text("card.status", status=" · ".join(
            f"{STATUS_LABELS[s]} {d.by_status[s.value]}"
            for s in ReportStatus if d.by_status.get(s.value))))

    lines += _section(officer_text("digest.overdue", count=len(d.overdue)), d.overdue, limit,
                      _report_line, "reports")
    still_open = [i for i in d.open if not i.overdue]
    lines += _section(officer_text("digest.open", count=len(d.open),
                                   still_open=len(still_open)),
                      still_open, limit, _report_line, "reports")
    if d.ack_by_ward or d.ack_by_department:
        lines += ["", officer_text("digest.ack_times")]
        lines += _section(officer_text("digest.ack_wards"), d.ack_by_ward, limit, _ack_line,
                          "wards", blank=False)
        lines += _section(officer_text("digest.ack_departments"), d.ack_by_department, limit,
                          _ack_line, "departments", blank=False)
    lines += _section(officer_text("digest.busiest"), d.busiest_wards, limit,
                      lambda w: f" • {w.name}: {w.count}", "wards")
    lines += _section(officer_text("digest.failures", count=len(d.failures)), d.failures,
                      limit, _failure_line, "failures")
    if d.held_updates:
        lines += ["", officer_text("digest.held", count=d.held_updates)]
    lines += _section(officer_text("digest.quiet"), d.quiet_channels, limit,
                      lambda q: officer_text("digest.quiet_line",
                                             channel=CHANNEL_NAMES.get(q.channel, q.channel),
                                             time=local(q.last_event_at)), "channels")
    lines += _usage_lines(d)
    if not d.overdue and not d.failures and not d.quiet_channels:
        lines += ["", officer_text("digest.all_clear")]
    return "\n".join(lines)


def _section(title: str, items: Sequence[T], limit: int, line: Callable[[T], str],
             noun: str, *, blank: bool = True) -> list[str]:
    """A titled list cut at ``limit`` items; ``noun`` names what was left out (a key of the
    catalogue's ``digest.noun.`` family)."""
    if not items:
        return []
    out = ([""] if blank else []) + [title]
    out += [line(item) for item in items[:limit]]
    if len(items) > limit:
        out.append(officer_text("digest.more", count=len(items) - limit,
                                noun=officer_text(f"digest.noun.{noun}")))
    return out


def _report_line(i: ReportItem) -> str:
    where = i.ward_name or officer_text("ward_unknown")
    line = f" • {CATEGORY_EMOJI[i.category]} {i.code} — {where} — {duration(i.age_min * 60)}"
    if i.status not in (ReportStatus.NEW, ReportStatus.ROUTED):
        line += f" — {STATUS_LABELS[i.status].lower()}"
    if i.escalation_level:
        line += officer_text("digest.escalation_level", level=i.escalation_level)
    return line


def _ack_line(s: AckStats) -> str:
    if s.median_s is None or s.p90_s is None:
        return officer_text("digest.ack_none", name=s.name, waiting=s.waiting)
    line = officer_text("digest.ack_line", name=s.name, median=duration(s.median_s),
                        p90=duration(s.p90_s), acked=s.acked)
    if s.waiting:
        line += officer_text("digest.ack_waiting", waiting=s.waiting)
    return line + ")"


def _failure_line(f: FailureRow) -> str:
    channel = CHANNEL_NAMES.get(f.channel, f.channel)
    if f.kind == "delivery":
        role, _, code = f.what.partition(":")
        what = f"{ROLE_LABELS.get(role, role)} {code}"
    else:
        what = officer_text("digest.failed_message", what=f.what)
    about = f" {f.report_code}" if f.report_code else ""
    error = truncate(f.error or officer_text("digest.unknown_error"), 100)
    return f" • {local(f.at, '%H:%M')}{about} → {channel} {what}: {error}"


# How each platform counts a message to a resident (storage.platform_usage kinds), in order.
USAGE_KINDS = ("reply", "proactive", "refused")


def _usage_lines(d: Digest) -> list[str]:
    """The month's messages to residents by platform: what the OA's quota is spent on."""
    rows = []
    for channel, kinds in sorted(d.usage.items()):
        labels = officer_labels("digest.usage_kind.")
        parts = [f"{kinds[k]} {labels[k]}" for k in USAGE_KINDS if kinds.get(k)]
        if parts:
            rows.append(f" • {CHANNEL_NAMES.get(channel, channel)}: " + " · ".join(parts))
    if not rows:
        return []
    return ["", officer_text("digest.usage", month=local(d.now, "%m/%Y")), *rows]
