"""Commands only the command centre's chats may use: a report's full story, a ward's open
reports. Answers are plain text in Vietnamese, sent as replies in the same chat."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

from sqlmodel import Session, col, select

from sosbot.command_centre import posting
from sosbot.core.cards import card_text, local_time
from sosbot.core.officer_texts import officer_labels, officer_text
from sosbot.delivery import card_posts
from sosbot.geo.ward_matches import Ward
from sosbot.routing.rules import RoutingRules
from sosbot.storage import deliveries, reports
from sosbot.storage.tables import AuditLog, Report

OPEN = ("new", "routed", "acknowledged", "in_progress")
MAX_LINES = 40
AUDIT_LABELS = officer_labels("audit.")


def report_story(session: Session, code: str, rules: RoutingRules) -> str:
    """``/report SOS-…``: the card, every target's state and the audit trail."""
    report = reports.by_code(session, code.upper())
    if report is None or report.id is None:
        return officer_text("story.unknown_report", code=code)
    # The same text every group's card shows, then what only the command centre needs.
    lines = [card_text(card_posts.card_view(session, report, rules)), "",
             officer_text("story.targets")]
    for d in deliveries.for_report(session, report.id):
        unit = rules.unit(d.role, d.target_code).vi
        state = f"{d.ack_state}" + (f" — {d.acked_by}" if d.acked_by else "")
        lines.append(officer_text("story.target_line", unit=unit, channel=d.channel,
                                  status=d.status, state=state))
    lines += ["", officer_text("story.trail")]
    trail = session.exec(select(AuditLog).where(AuditLog.report_id == report.id)
                         .order_by(col(AuditLog.id))).all()
    for row in trail[-MAX_LINES:]:
        lines.append(f" {local_time(row.at.timestamp(), '%H:%M %d/%m')} "
                     f"{AUDIT_LABELS.get(row.action, row.action)} ({row.actor})")
    return "\n".join(lines)


def ward_open_reports(session: Session, query: str, rules: RoutingRules,
                      now: datetime) -> str:
    """``/ward <tên hoặc mã>``: that ward's open reports, oldest first."""
    query = query.strip()
    if not query:
        return officer_text("ward.ask")
    ward, problem = find_ward(rules, query)
    if ward is None:
        return problem
    rows = session.exec(select(Report).where(Report.ward_code == ward.code,
                                             col(Report.status).in_(OPEN))
                        .order_by(col(Report.created_at))).all()
    if not rows:
        return officer_text("ward.none_open", ward=ward.full_name)
    more = [officer_text("more_reports", count=len(rows) - MAX_LINES)] \
        if len(rows) > MAX_LINES else []
    return "\n".join([officer_text("ward.open_header", ward=ward.full_name, count=len(rows))]
                     + [_line(row, now) for row in rows[:MAX_LINES]] + more)


def find_ward(rules: RoutingRules, query: str) -> tuple[Ward | None, str]:
    """The ward a name or code names, or why there is none (in Vietnamese)."""
    query = query.strip()
    if query.isdigit():
        try:
            return rules.wards.by_code(query), ""
        except KeyError:
            return None, officer_text("ward.no_code", code=query)
    found = rules.wards.find_by_name(query)
    if len(found) > 1:
        names = ", ".join(f"{w.full_name} ({w.code})" for w in found[:5])
        return None, officer_text("ward.ambiguous", names=names)
    if not found:
        return None, officer_text("ward.not_found", query=query)
    return found[0], ""


def _line(row: Report, now: datetime) -> str:
    age = int((now - row.created_at).total_seconds() // 60)
    return officer_text("ward.report_line", code=row.code, category=row.category,
                        status=row.status, age=age)


COMMANDS: dict[str, Callable[[Session, str, RoutingRules, datetime], str]] = {
    "report": lambda session, args, rules, now: report_story(session, args.split()[0]
                                                             if args.split() else "", rules),
    "ward": ward_open_reports,
    "phuong": ward_open_reports,
}


def _digest(session: Session, args: str, rules: RoutingRules, now: datetime) -> str:
    return posting.text(posting.digest_for(session, rules, now, posting.period(args)))


def _open(session: Session, args: str, rules: RoutingRules, now: datetime) -> str:
    return posting.open_list(posting.digest_for(session, rules, now, timedelta(days=31)),
                             overdue_only=False)


def _overdue(session: Session, args: str, rules: RoutingRules, now: datetime) -> str:
    return posting.open_list(posting.digest_for(session, rules, now, timedelta(days=31)),
                             overdue_only=True)


COMMANDS.update({"digest": _digest, "stats": _digest, "open": _open, "overdue": _overdue,
                 "quahan": _overdue})
# Commands whose answer is followed by the digest's charts and map.
WITH_IMAGES = frozenset({"digest", "stats"})
