"""A submitted report reaches the right chats: ward, departments, command centre.

Runs inside the transaction that stores the report, so the deliveries and their outbox
rows exist exactly when the report does. Cards are rendered when they are sent, so a
card sent late already shows the latest state.
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlmodel import Session

from sosbot.core.model import Category, ReportStatus
from sosbot.core.outbox_rows import Card, CardEdit
from sosbot.routing.media_posts import queue_albums_if_ready
from sosbot.routing.rules import COMMAND, DEPARTMENT, WARD, RoutingRules
from sosbot.storage import bindings, deliveries, outbox, reports
from sosbot.storage.driver_statements import DriverStatement, flushed
from sosbot.storage.tables import Delivery, Report

log = logging.getLogger(__name__)

OPEN_STATUSES = (ReportStatus.NEW.value, ReportStatus.ROUTED.value,
                 ReportStatus.ACKNOWLEDGED.value, ReportStatus.IN_PROGRESS.value)
MERGED = "merged"  # the ack_state of a near-duplicate's silent delivery


@dataclass(frozen=True)
class Timer:
    """A report's escalation step to run later: (report id, delay in seconds, level).

    Routing says when; delivery's dispatcher (``ESCALATE``) is what runs it."""

    item_id: int
    delay_s: float
    tag: int


@dataclass
class RoutingOutcome:
    unit: dict[str, str] | None = None
    duplicate_of: str | None = None
    location_known: bool = True
    timers: list[Timer] = field(default_factory=list)
    # The kinds of chat the report went to (ward, department, command); empty: none.
    reached: frozenset[str] = frozenset()
    # "all": it reached no chat at all; "ward": not its ward's (no group bound for the
    # ward, or no ward found), so the command centre coordinates; None: neither.
    missing: str | None = None


def distance_m(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance in metres."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * 6_371_000 * math.asin(math.sqrt(min(1.0, a)))


def locate(report: Report, rules: RoutingRules) -> None:
    """Set the report's ward from its pin, or from its typed address (offline geocoder)."""
    if report.lat is not None and report.lon is not None:
        match = rules.locate(report.lat, report.lon)
        report.location_how = match.how
        if match.ward is not None:
            report.ward_code, report.ward_name = match.ward.code, match.ward.full_name
        return
    found = rules.geocode(report.address_text) if report.address_text else None
    if found is not None and found.ward_code is not None:
        ward = rules.wards.by_code(found.ward_code)
        report.ward_code, report.ward_name = ward.code, ward.full_name
        report.location_how = "geocoded"
    else:
        report.location_how = "unknown"


def route(session: Session, report: Report, now: datetime, rules: RoutingRules,
          actor: str, *, media: bool = True) -> RoutingOutcome:
    """Locate (unless done when it was created), then attach to an open near-duplicate or
    fan out to every bound target. The report was created in this transaction; ``media``:
    whether it came with photos or videos (without, nothing is looked up for albums)."""
    assert report.id is not None
    if report.location_how is None:
        locate(report, rules)
    outcome = RoutingOutcome(location_known=report.location_how != "unknown")
    main = near_duplicate(session, report, rules, now)
    if main is not None:
        attach_duplicate(session, report, main, now, actor, media=media)
        outcome.duplicate_of = main.code
        return outcome
    if report.ward_code is not None:
        outcome.unit = rules.ward_unit(report.ward_code).names
    created = fan_out(session, report, rules, now, new=True, media=media)
    outcome.reached = frozenset(delivery.role for delivery in created)
    if created:
        if WARD not in outcome.reached:
            outcome.missing = "ward"
            log.warning("report %s reached no ward group (ward %s): the command centre "
                        "coordinates it", report.code, report.ward_code or "unknown")
        report.status = ReportStatus.ROUTED.value
        report.updated_at = now
        reports.audit(session, actor=actor, action="report.routed", now=now,
                      report_id=report.id, ward=report.ward_code, how=report.location_how,
                      targets=[f"{d.role}:{d.target_code}@{d.channel}:{d.chat_id}"
                               for d in created])
        outcome.timers = escalation_timers(report, rules, now)
    else:
        outcome.missing = "all"
        log.error("report %s reached no chat: no group is bound (not even the command "
                  "centre); run `sosbot bind-code command`", report.code)
        reports.audit(session, actor=actor, action="report.unrouted", now=now,
                      report_id=report.id)
    return outcome


def fan_out(session: Session, report: Report, rules: RoutingRules,
            now: datetime, *, new: bool = False,
            media: bool = True) -> list[deliveries.NewDelivery]:
    """One delivery, and one card, per bound chat of every target it has no delivery to
    yet (``new``: a report created in this transaction, which has none; ``media``: False
    when it has no photos or videos, so there are no albums to queue)."""
    assert report.id is not None
    targets: list[tuple[str, str]] = []
    if report.ward_code is not None:
        targets.append((WARD, report.ward_code))
    targets += [(DEPARTMENT, unit.code) for unit in rules.department_units(
        Category(report.category))]
    targets.append((COMMAND, COMMAND))
    existing = set() if new else deliveries.chats_of_report(session, report.id)
    wanted: list[tuple[str, str, str, str, int | None]] = []
    for (role, code), bound in bindings.chats_for_targets(session, targets).items():
        for binding in bound:
            if (binding.channel, binding.chat_id) in existing:
                continue
            existing.add((binding.channel, binding.chat_id))
            wanted.append((role, code, binding.channel, binding.chat_id, binding.id))
    created = deliveries.insert_many(session, wanted, report_id=report.id, now=now)
    outbox.for_deliveries(session, created, Card(), now)
    if media:
        queue_albums_if_ready(session, report, now)
    return created


def queue_card_edits(session: Session, report_id: int, now: datetime,
                     loaded: list[Delivery] | None = None) -> None:
    """Edit every copy of a report's card (one pending edit per copy is enough);
    ``loaded``: the report's deliveries when the caller has them already."""
    copies = [delivery for delivery in (loaded if loaded is not None
                                        else deliveries.for_report(session, report_id))
              if delivery.status != "failed" and delivery.id is not None
              and delivery.ack_state != MERGED
              # a card not out yet will be rendered with the latest state
              and not (delivery.card_message_id is None and delivery.status == "pending")]
    waiting = deliveries.edits_pending(session, [d.id for d in copies if d.id is not None])
    outbox.for_deliveries(session, [d for d in copies if d.id not in waiting], CardEdit(), now)


def escalation_timers(report: Report, rules: RoutingRules, now: datetime) -> list[Timer]:
    """The report's first escalation step. Each step's job sets the next while the report
    is still unacknowledged (``escalation.escalate_and_time_next``): a report acknowledged
    in time costs one timer, not one per level (each a job kept in Redis, run in the end)."""
    assert report.id is not None
    return [Timer(report.id, rules.escalation_s(Category(report.category)), 1)]


_REPORTS: sa.Table = Report.__table__  # type: ignore[attr-defined]
# Built once (it runs for every report): the open reports of a category in a box of
# latitudes and longitudes since a time, oldest first, locked (PostgreSQL) until commit.
# On the driver's cursor (storage.driver_statements).
_NEAR = DriverStatement(sa.select(_REPORTS.c.id, _REPORTS.c.lat, _REPORTS.c.lon).where(
    _REPORTS.c.category == sa.bindparam("category"),
    _REPORTS.c.id != sa.bindparam("report_id"),
    _REPORTS.c.duplicate_of_id.is_(None),
    _REPORTS.c.status.in_(OPEN_STATUSES),
    _REPORTS.c.created_at >= sa.bindparam("since"),
    _REPORTS.c.lat.between(sa.bindparam("lat_min"), sa.bindparam("lat_max")),
    _REPORTS.c.lon.between(sa.bindparam("lon_min"), sa.bindparam("lon_max")),
).order_by(_REPORTS.c.created_at, _REPORTS.c.id).with_for_update())


def near_duplicate(session: Session, report: Report, rules: RoutingRules,
                   now: datetime) -> Report | None:
    """The oldest open report of the same category close enough in place and time."""
    radius_m, window_s = rules.duplicate_window(Category(report.category))
    if report.lat is None or report.lon is None or radius_m <= 0:
        return None
    dlat = radius_m / 111_320
    dlon = radius_m / (111_320 * max(math.cos(math.radians(report.lat)), 0.01))
    candidates = _NEAR.rows(flushed(session), {
        "category": report.category, "report_id": report.id,
        "since": now - timedelta(seconds=window_s),
        "lat_min": report.lat - dlat, "lat_max": report.lat + dlat,
        "lon_min": report.lon - dlon, "lon_max": report.lon + dlon})
    for candidate_id, lat, lon in candidates:
        if distance_m(report.lat, report.lon, lat, lon) <= radius_m:
            return session.get(Report, candidate_id)
    return None


def attach_duplicate(session: Session, report: Report, main: Report, now: datetime,
                     actor: str, *, media: bool = True) -> None:
    """One fire, fifty reporters: the new report joins the open one.

    It sends no card of its own: the main card is edited to count it (and offers to split
    it off), and only its photos are posted, under the main card. Each target chat gets a
    silent "merged" delivery for it, so a split or an acknowledgement can name it.
    """
    assert report.id is not None and main.id is not None
    report.status = ReportStatus.DUPLICATE.value
    report.duplicate_of_id = main.id
    report.updated_at = now
    main.duplicates += 1
    main.updated_at = now
    main_targets = deliveries.for_report(session, main.id)
    deliveries.insert_many(session, [
        (target.role, target.target_code, target.channel, target.chat_id, target.binding_id)
        for target in main_targets if target.status != "failed" and target.ack_state != MERGED
    ], report_id=report.id, now=now, status="sent", ack_state=MERGED)
    queue_card_edits(session, main.id, now, main_targets)
    if media:
        queue_albums_if_ready(session, report, now)
    reports.audit(session, actor=actor, action="report.duplicate", now=now,
                  report_id=report.id, duplicate_of=main.code)
