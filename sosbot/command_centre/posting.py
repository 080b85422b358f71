"""The digest as chat messages: its text at once, its charts and map as photos when sent.

Rendering the images costs about a second of matplotlib, so a chat command never renders
them inside the webhook: it queues a ``digest_images`` outbox row, and the worker renders
the PNGs when it sends that row, from the database as it is then (``digest_images``, which
only a worker imports: the web process never loads matplotlib).
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlmodel import Session

from sosbot.command_centre.digest import Digest, build_digest
from sosbot.command_centre.digest_text import render_digest
from sosbot.routing.rules import RoutingRules

IMAGES_METHOD = "digest_images"
PERIODS = {"h": 3600, "d": 86400}


def period(args: str, default_s: int = 86400) -> timedelta:
    """"7d", "24h", "" → the period a command asks about (at most 31 days)."""
    word = args.strip().lower()
    if len(word) >= 2 and word[:-1].isdigit() and word[-1] in PERIODS:
        return timedelta(seconds=min(int(word[:-1]) * PERIODS[word[-1]], 31 * 86400))
    return timedelta(seconds=default_s)


def digest_for(session: Session, rules: RoutingRules, now: datetime,
               span: timedelta) -> Digest:
    return build_digest(session, since=now - span, until=now, now=now, rules=rules)


def open_list(d: Digest, overdue_only: bool) -> str:
    items = d.overdue if overdue_only else d.open
    title = "Tin báo quá hạn chưa tiếp nhận" if overdue_only else "Tin báo đang mở"
    if not items:
        return f"{title}: không có."
    lines = [f"{title} ({len(items)}), cũ nhất trước:"]
    for item in items[:30]:
        where = item.ward_name or "chưa rõ phường/xã"
        flag = " ⚠️" if item.overdue else ""
        lines.append(f" • {item.code} — {where}, {round(item.age_min)} phút{flag}")
    if len(items) > 30:
        lines.append(f"… và {len(items) - 30} tin báo khác")
    return "\n".join(lines)


def text(d: Digest) -> str:
    return render_digest(d)
