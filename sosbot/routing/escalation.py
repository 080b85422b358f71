"""Nothing is left unanswered without someone being told.

With no acknowledgement from the ward (or, where the ward has no group, from the command
centre) after the category's time T: a reminder under the ward's card; after 2T, an alert
to the command centre; after 3T, the card goes to the escalation chat. Driven by rq timers
(routing sets the first step's; each step's job sets the next while the report is still
unacknowledged) and by the sweeper; each run looks at the clock it is given and does what is
due, once — so a test (or `sosbot tick --at`) controls time without sleeping.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from sqlmodel import Session, col, select

from sosbot.core.cards import CATEGORY_EMOJI
from sosbot.core.model import Category, ReportStatus
from sosbot.core.officer_texts import officer_text
from sosbot.core.outbox_rows import Card, Note
from sosbot.core.texts import category_label
from sosbot.routing.fanout import Timer
from sosbot.routing.media_posts import queue_albums_if_ready
from sosbot.routing.rules import COMMAND, ESCALATION, WARD, RoutingRules
from sosbot.storage import bindings, deliveries, outbox, reports
from sosbot.storage.tables import Delivery, Report

log = logging.getLogger(__name__)
MAX_LEVEL = 3


def responsible(all_deliveries: list[Delivery]) -> list[Delivery]:
    """Whose acknowledgement stops escalation: the ward's chats, else the command centre's."""
    ward = [d for d in all_deliveries if d.role == WARD and d.status != "failed"]
    return ward or [d for d in all_deliveries if d.role == COMMAND and d.status != "failed"]


def escalate(session: Session, report_id: int, now: datetime, rules: RoutingRules) -> int:
    """Do every escalation step that is due at ``now``; returns the new level."""
    return escalate_and_time_next(session, report_id, now, rules)[0]


def escalate_and_time_next(session: Session, report_id: int, now: datetime,
                           rules: RoutingRules) -> tuple[int, Timer | None]:
    """``escalate``, and the timer of the report's next step while one is still to come
    (routed, no acknowledgement, below the last level): each step's job sets the next one.
    Lost (Redis gone, a worker killed), the sweeper catches up on it (``due_reports``)."""
    report = session.get(Report, report_id, with_for_update=True)
    if report is None or report.status != ReportStatus.ROUTED.value:
        return (report.escalation_level if report is not None else 0), None
    assert report.id is not None
    targets = deliveries.for_report(session, report.id)
    if any(d.ack_state != "new" for d in responsible(targets)):
        return report.escalation_level, None
    step_s = rules.escalation_s(Category(report.category))
    elapsed = (now - report.created_at).total_seconds()
    due = min(MAX_LEVEL, int(elapsed // step_s))
    for level in range(report.escalation_level + 1, due + 1):
        minutes = round(step_s * level / 60)
        _STEPS[level](session, report, targets, minutes, now, rules)
        reports.audit(session, actor="system", action="report.escalated", now=now,
                      report_id=report.id, level=level, minutes=minutes)
        log.warning("report %s: escalation level %d (%d min without acknowledgement)",
                    report.code, level, minutes)
    report.escalation_level = max(report.escalation_level, due)
    if report.escalation_level >= MAX_LEVEL:
        return report.escalation_level, None
    following = report.escalation_level + 1
    due_at = report.created_at + timedelta(seconds=step_s * following)
    return report.escalation_level, Timer(report.id, max(0.0, (due_at - now).total_seconds()),
                                          following)


def _headline(report: Report) -> str:
    category = Category(report.category)
    where = report.ward_name or officer_text("ward_unknown")
    return f"{CATEGORY_EMOJI[category]} {report.code} — {category_label('vi', category)}, {where}"


def _remind_ward(session: Session, report: Report, targets: list[Delivery], minutes: int,
                 now: datetime, rules: RoutingRules) -> None:
    for delivery in responsible(targets):
        outbox.for_delivery(session, delivery, Note(officer_text(
            "escalation.remind", headline=_headline(report), minutes=minutes,
            code=report.code)), now)


def _alert_command(session: Session, report: Report, targets: list[Delivery], minutes: int,
                   now: datetime, rules: RoutingRules) -> None:
    command = [d for d in targets if d.role == COMMAND and d.status != "failed"]
    who = rules.ward_unit(report.ward_code).vi if report.ward_code \
        else officer_text("escalation.assigned_unit")
    for delivery in command:
        outbox.for_delivery(session, delivery, Note(officer_text(
            "escalation.overdue", headline=_headline(report), who=who, minutes=minutes)), now)
    if not command:
        log.error("report %s is overdue and no command-centre chat is bound", report.code)


def _escalate_up(session: Session, report: Report, targets: list[Delivery], minutes: int,
                 now: datetime, rules: RoutingRules) -> None:
    assert report.id is not None
    present = {(d.channel, d.chat_id) for d in targets}
    chats = [b for b in bindings.active_for(session, ESCALATION, ESCALATION)
             if (b.channel, b.chat_id) not in present]
    for binding in chats:
        delivery = deliveries.create(session, report_id=report.id, role=ESCALATION,
                                     target_code=ESCALATION, channel=binding.channel,
                                     chat_id=binding.chat_id, binding_id=binding.id, now=now)
        outbox.for_delivery(session, delivery, Card(), now)
        outbox.for_delivery(session, delivery, Note(officer_text(
            "escalation.urgent", headline=_headline(report), minutes=minutes)), now)
    if chats:
        queue_albums_if_ready(session, report, now)
    else:
        log.error("report %s reached the last escalation step and no escalation chat is "
                  "bound (sosbot bind-code escalation)", report.code)


_STEPS = {1: _remind_ward, 2: _alert_command, 3: _escalate_up}


def due_reports(session: Session, now: datetime, rules: RoutingRules,
                horizon: timedelta = timedelta(days=1)) -> list[int]:
    """Routed reports with an escalation step due (for the sweeper's catch-up)."""
    rows = session.exec(select(Report).where(
        Report.status == ReportStatus.ROUTED.value, col(Report.escalation_level) < MAX_LEVEL,
        Report.created_at >= now - horizon)).all()
    due = []
    for row in rows:
        step_s = rules.escalation_s(Category(row.category))
        if row.id is not None and \
                (now - row.created_at).total_seconds() >= step_s * (row.escalation_level + 1):
            due.append(row.id)
    return due
