"""The digest as chat messages: its text at once, its charts and map as photos when sent.

Rendering the images costs about a second of matplotlib, so a chat command never renders
them inside the webhook: it queues a ``digest_images`` outbox row
(``core.outbox_rows.DigestImages``), and the worker renders the PNGs when it sends that
row, from the database as it is then (``digest_images``, which only a worker imports: the
web process never loads matplotlib).
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlmodel import Session

from sosbot.command_centre.digest import Digest, build_digest
from sosbot.command_centre.digest_text import render_digest
from sosbot.core.officer_texts import officer_text
from sosbot.routing.rules import RoutingRules

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
    title = officer_text("open_list.overdue_title") if overdue_only \
        else officer_text("open_list.open_title")
    if not items:
        return officer_text("open_list.none", title=title)
    lines = [officer_text("open_list.header", title=title, count=len(items))]
    for item in items[:30]:
        where = item.ward_name or officer_text("ward_unknown")
        flag = " ⚠️" if item.overdue else ""
        lines.append(officer_text("open_list.line", code=item.code, where=where,
                                  age=round(item.age_min), flag=flag))
    if len(items) > 30:
        lines.append(officer_text("more_reports", count=len(items) - 30))
    return "\n".join(lines)


def text(d: Digest) -> str:
    return render_digest(d)
