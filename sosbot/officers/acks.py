"""Officers act on a report: each target chat acknowledges on its own; the report's status
follows; every copy of the card shows it; the resident is told in their own language."""

from __future__ import annotations

import logging
from datetime import datetime

from sqlmodel import Session, select

from sosbot import metrics
from sosbot.core.callbacks import OfficerAction
from sosbot.core.cards import local_time
from sosbot.core.model import FINAL_STATUSES, Destination, ReportStatus, Sender
from sosbot.core.officer_texts import officer_text
from sosbot.core.outbox_rows import Card, MessageKind, TextRow
from sosbot.core.texts import text
from sosbot.routing.fanout import Timer, escalation_timers, fan_out, queue_card_edits
from sosbot.routing.rules import RoutingRules
from sosbot.storage import deliveries, outbox, reports
from sosbot.storage.tables import Delivery, Report

log = logging.getLogger(__name__)

ACK_STATE = {
    OfficerAction.ACKNOWLEDGE: "acknowledged",
    OfficerAction.IN_PROGRESS: "in_progress",
    OfficerAction.RESOLVE: "resolved",
    OfficerAction.FALSE_REPORT: "false_report",
}
_RANK = {ReportStatus.NEW: 0, ReportStatus.ROUTED: 1, ReportStatus.ACKNOWLEDGED: 2,
         ReportStatus.IN_PROGRESS: 3}
_TARGET = {
    OfficerAction.ACKNOWLEDGE: ReportStatus.ACKNOWLEDGED,
    OfficerAction.IN_PROGRESS: ReportStatus.IN_PROGRESS,
    OfficerAction.RESOLVE: ReportStatus.RESOLVED,
    OfficerAction.FALSE_REPORT: ReportStatus.FALSE_REPORT,
}


def next_status(current: ReportStatus, action: OfficerAction) -> ReportStatus:
    """Statuses only move forward: new → routed → acknowledged → in_progress → final."""
    target = _TARGET[action]
    if current in FINAL_STATUSES:
        return current
    if target in FINAL_STATUSES:
        return target
    return target if _RANK[target] > _RANK.get(current, 0) else current


def act(session: Session, delivery: Delivery, action: OfficerAction, officer: Sender,
        now: datetime, rules: RoutingRules) -> tuple[str, list[Timer]]:
    """Carry out an officer's action from a chat the report was delivered to.

    Returns the short answer for the officer and any timers to start (after a split).
    """
    report = session.get(Report, delivery.report_id, with_for_update=True)
    assert report is not None and report.id is not None
    actor = f"{delivery.channel}:{officer.user_id}"
    if action is OfficerAction.SPLIT:
        return split(session, report, now, rules, actor)
    status = ReportStatus(report.status)
    if status is ReportStatus.DUPLICATE:
        return (officer_text("ack.merged", code=report.code), [])
    if status in FINAL_STATUSES:
        return (officer_text("ack.closed", code=report.code), [])
    unit = rules.unit(delivery.role, delivery.target_code)
    if delivery.ack_state == "new":
        metrics.ACK_LATENCY.labels(delivery.role).observe(
            max((now - report.created_at).total_seconds(), 0.0))
    delivery.ack_state = ACK_STATE[action]
    delivery.acked_by = officer.display_name or officer.username or officer.user_id
    delivery.acked_at = now
    deliveries.record_ack(session, delivery=delivery, action=ACK_STATE[action],
                          user_id=officer.user_id, user_name=delivery.acked_by, now=now)
    reports.audit(session, actor=actor, action="report.ack", now=now, report_id=report.id,
                  state=ACK_STATE[action], role=delivery.role, target=delivery.target_code,
                  chat=f"{delivery.channel}:{delivery.chat_id}")
    new = next_status(status, action)
    if new is not status:
        report.status, report.updated_at = new.value, now
        reports.audit(session, actor=actor, action="report.status", now=now,
                      report_id=report.id, old=status.value, new=new.value)
        tell_reporters(session, report, new, unit.names, now)
    queue_card_edits(session, report.id, now)
    log.info("report %s: %s by %s in %s:%s", report.code, ACK_STATE[action], actor,
             delivery.channel, delivery.chat_id)
    return officer_text(f"ack.done.{ACK_STATE[action]}", unit=unit.vi, code=report.code), []


def tell_reporters(session: Session, report: Report, status: ReportStatus,
                   unit: dict[str, str], now: datetime) -> None:
    """The resident (and everyone whose report was merged into this one) hears of it."""
    assert report.id is not None
    merged = session.exec(select(Report).where(Report.duplicate_of_id == report.id)).all()
    for row in (report, *merged):
        lang = row.lang if row.lang in ("vi", "en") else "vi"
        message = text(lang, f"status.{status.value}", unit=unit.get(lang, unit["vi"]),
                       code=report.code, time=local_time(now.timestamp(), "%H:%M"))
        outbox.add(session, channel=row.channel, chat_id=row.chat_id,
                   destination=Destination.RESIDENT,
                   row=TextRow.plain(message, kind=MessageKind.STATUS), now=now,
                   report_id=row.id)


def split(session: Session, report: Report, now: datetime, rules: RoutingRules,
          actor: str) -> tuple[str, list[Timer]]:
    """A report merged as a near-duplicate is a separate incident after all: route it."""
    assert report.id is not None
    if report.status != ReportStatus.DUPLICATE.value or report.duplicate_of_id is None:
        return (officer_text("ack.not_duplicate", code=report.code), [])
    main = session.get(Report, report.duplicate_of_id, with_for_update=True)
    if main is not None:
        main.duplicates = max(main.duplicates - 1, 0)
        main.updated_at = now
        assert main.id is not None
        queue_card_edits(session, main.id, now)
    report.duplicate_of_id = None
    report.status = ReportStatus.NEW.value
    for merged in deliveries.for_report(session, report.id):
        # The silent delivery to each chat becomes this report's own card there.
        merged.status, merged.card_message_id, merged.ack_state = "pending", None, "new"
        outbox.for_delivery(session, merged, Card(), now)
    created = fan_out(session, report, rules, now)
    report.status, report.updated_at = ReportStatus.ROUTED.value, now
    reports.audit(session, actor=actor, action="report.split", now=now, report_id=report.id,
                  from_report=main.code if main else None, new_targets=len(created))
    return (officer_text("ack.split_done", code=report.code),
            escalation_timers(report, rules, now))
