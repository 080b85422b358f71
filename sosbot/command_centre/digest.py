"""The command centre's digest of a period: what came in, what is still open or overdue,
how fast units acknowledged, what failed and which channels went quiet.

Percentiles use **linear interpolation** between the closest ranks (numpy's default, the
"inclusive" method of :func:`statistics.quantiles`): for sorted values ``x[0..n-1]`` the
q-quantile is at position ``(n - 1) * q``. With one sample, median and p90 are that sample.
"""

from __future__ import annotations

import logging
import math
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlmodel import Session

from sosbot.command_centre import queries
from sosbot.command_centre.queries import DeliveryAckRow, FailureRow, ReportRow
from sosbot.core.model import Category, Channel, ReportStatus
from sosbot.routing.rules import COMMAND, DEPARTMENT, WARD, RoutingRules
from sosbot.storage import held_rows, platform_usage

log = logging.getLogger(__name__)

OPEN_STATUSES = frozenset({ReportStatus.NEW, ReportStatus.ROUTED, ReportStatus.ACKNOWLEDGED,
                           ReportStatus.IN_PROGRESS})
UNACKNOWLEDGED = frozenset({ReportStatus.NEW, ReportStatus.ROUTED})
QUIET_LOOKBACK = timedelta(days=7)
BUSIEST = 5


@dataclass(frozen=True)
class ReportItem:
    """One report of the period as the digest shows it."""

    code: str
    category: Category
    status: ReportStatus
    ward_code: str | None
    ward_name: str | None
    lat: float | None
    lon: float | None
    created_at: datetime
    age_min: float
    escalation_level: int
    overdue: bool


@dataclass(frozen=True)
class AckStats:
    """Acknowledgement times of one ward or department, in seconds."""

    code: str
    name: str
    acked: int  # how many samples (acknowledged reports or deliveries)
    waiting: int  # delivered but not acknowledged yet
    median_s: float | None
    p90_s: float | None


@dataclass(frozen=True)
class WardCount:
    code: str
    name: str
    count: int


@dataclass(frozen=True)
class QuietChannel:
    channel: str
    last_event_at: datetime


@dataclass(frozen=True)
class Digest:
    """Everything the digest text, charts and map show; times are aware UTC."""

    since: datetime
    until: datetime
    now: datetime
    total: int
    by_status: dict[str, int]
    by_category: dict[str, int]
    reports: tuple[ReportItem, ...]  # every report of the period, oldest first
    open: tuple[ReportItem, ...]
    overdue: tuple[ReportItem, ...]
    ack_by_ward: tuple[AckStats, ...]
    ack_by_department: tuple[AckStats, ...]
    busiest_wards: tuple[WardCount, ...]
    failures: tuple[FailureRow, ...]
    quiet_channels: tuple[QuietChannel, ...]
    # Residents' updates a platform's window refused, kept until the resident writes again
    # (outbox HELD, sosbot.residents.held_updates): now, whatever the period.
    held_updates: int = 0
    # Messages to residents this month (of ``now``), by channel and kind: what the
    # platforms count against the account (Zalo: free replies, proactive, refused).
    usage: dict[str, dict[str, int]] = field(default_factory=dict)


def percentile(values: list[float], q: float) -> float | None:
    """The q-quantile (0 ≤ q ≤ 1) of ``values`` by linear interpolation; None if empty."""
    if not values:
        return None
    xs = sorted(values)
    pos = (len(xs) - 1) * q
    lo, hi = math.floor(pos), math.ceil(pos)
    return xs[lo] + (xs[hi] - xs[lo]) * (pos - lo)


def build_digest(session: Session, *, since: datetime, until: datetime, now: datetime,
                 rules: RoutingRules, quiet_after: timedelta = timedelta(hours=6)) -> Digest:
    """The digest of reports created in ``[since, until)``, as seen at ``now``.

    A report is *overdue* when nobody acknowledged it (status new/routed) and it is at least
    the category's escalation time old (the moment the first reminder is due).

    Acknowledgement time is from the report's creation to the first acknowledgement of a
    delivery. Per ward (the report's ward): the earliest first acknowledgement among the
    report's ward deliveries — or, when the ward has no group, its command-centre
    deliveries — one sample per report. Per department: one sample per department delivery.
    """
    rows = queries.reports_between(session, since, until)
    items = tuple(_item(r, now, rules) for r in rows)
    by_status = Counter(r.status for r in rows)
    by_category = Counter(r.category for r in rows)
    open_items = tuple(i for i in items if i.status in OPEN_STATUSES)
    overdue = tuple(i for i in items if i.overdue)
    acks = queries.delivery_acks(session, since, until)
    ward_stats, dept_stats = _ack_stats(rows, acks, rules)
    busiest = Counter((r.ward_code, r.ward_name or r.ward_code) for r in rows if r.ward_code)
    top = sorted(busiest.items(), key=lambda kv: (-kv[1], kv[0][1] or "", kv[0][0]))[:BUSIEST]
    digest = Digest(
        since=since, until=until, now=now, total=len(rows),
        by_status=dict(by_status), by_category=dict(by_category),
        reports=items, open=open_items, overdue=overdue,
        ack_by_ward=ward_stats, ack_by_department=dept_stats,
        busiest_wards=tuple(WardCount(code or "", name or "", n) for (code, name), n in top),
        failures=tuple(queries.failures_between(session, since, until)),
        quiet_channels=_quiet_channels(session, now, quiet_after),
        held_updates=held_rows.held_count(session),
        usage=platform_usage.of_month(session, now),
    )
    log.info("digest %s–%s: %d reports, %d open, %d overdue, %d failures", since, until,
             digest.total, len(open_items), len(overdue), len(digest.failures))
    return digest


def _item(r: ReportRow, now: datetime, rules: RoutingRules) -> ReportItem:
    category, status = Category(r.category), ReportStatus(r.status)
    age_s = (now - r.created_at).total_seconds()
    overdue = status in UNACKNOWLEDGED and age_s >= rules.escalation_s(category)
    return ReportItem(code=r.code, category=category, status=status, ward_code=r.ward_code,
                      ward_name=r.ward_name, lat=r.lat, lon=r.lon, created_at=r.created_at,
                      age_min=age_s / 60, escalation_level=r.escalation_level,
                      overdue=overdue)


def _ack_stats(rows: list[ReportRow], acks: list[DeliveryAckRow],
               rules: RoutingRules) -> tuple[tuple[AckStats, ...], tuple[AckStats, ...]]:
    by_report: dict[int, list[DeliveryAckRow]] = defaultdict(list)
    for a in acks:
        by_report[a.report_id].append(a)
    ward_samples: dict[tuple[str, str], list[float]] = defaultdict(list)
    ward_waiting: Counter[tuple[str, str]] = Counter()
    for r in rows:
        if not r.ward_code:
            continue
        key = (r.ward_code, r.ward_name or r.ward_code)
        ward_samples.setdefault(key, [])
        mine = by_report.get(r.id, [])
        responsible = [a for a in mine if a.role == WARD and a.status != "failed"] or \
            [a for a in mine if a.role == COMMAND and a.status != "failed"]
        times = [a.first_ack_at for a in responsible if a.first_ack_at is not None]
        if times:
            ward_samples[key].append((min(times) - r.created_at).total_seconds())
        elif responsible:
            ward_waiting[key] += 1
    created = {r.id: r.created_at for r in rows}
    dept_samples: dict[tuple[str, str], list[float]] = defaultdict(list)
    dept_waiting: Counter[tuple[str, str]] = Counter()
    for a in acks:
        if a.role != DEPARTMENT:
            continue
        key = (a.target_code, rules.unit(DEPARTMENT, a.target_code).vi)
        dept_samples.setdefault(key, [])
        if a.first_ack_at is not None:
            dept_samples[key].append((a.first_ack_at - created[a.report_id]).total_seconds())
        elif a.status != "failed":
            dept_waiting[key] += 1
    return _stats(ward_samples, ward_waiting), _stats(dept_samples, dept_waiting)


def _stats(samples: dict[tuple[str, str], list[float]],
           waiting: Counter[tuple[str, str]]) -> tuple[AckStats, ...]:
    out = [AckStats(code=code, name=name, acked=len(xs), waiting=waiting[(code, name)],
                    median_s=percentile(xs, 0.5), p90_s=percentile(xs, 0.9))
           for (code, name), xs in samples.items()]
    # Slowest first: the units the duty officer should look at.
    return tuple(sorted(out, key=lambda s: (s.p90_s is None, -(s.p90_s or 0), s.name)))


def _quiet_channels(session: Session, now: datetime,
                    quiet_after: timedelta) -> tuple[QuietChannel, ...]:
    cutoff = now - quiet_after
    last = queries.last_inbound_by_channel(session, cutoff - QUIET_LOOKBACK, now)
    return tuple(QuietChannel(channel=c.value, last_event_at=last[c.value])
                 for c in Channel if c.value in last and last[c.value] < cutoff)
