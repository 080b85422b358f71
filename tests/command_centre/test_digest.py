"""The digest's figures over a seeded day of reports, on SQLite and PostgreSQL."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine

from sosbot.command_centre.digest import Digest, build_digest, percentile
from sosbot.config import RoutingConfig
from sosbot.core.model import Category, Destination, Draft, Location
from sosbot.core.outbox_rows import TextRow
from sosbot.geo.wards import WardIndex
from sosbot.routing.rules import RoutingRules
from sosbot.storage import deliveries, outbox, reports
from sosbot.storage.db import transaction
from sosbot.storage.tables import Ack, InboundEvent

NOW = datetime(2026, 11, 22, 10, 0, tzinfo=UTC)  # 17:00 in Ho Chi Minh City
SINCE = NOW - timedelta(hours=24)
BEN_THANH, SAI_GON, TAN_DINH = "26743", "26740", "26737"


@pytest.fixture(scope="module")
def rules(ward_data: Path) -> RoutingRules:
    wards = WardIndex.from_file(ward_data / "hcmc-wards-2025.geojson.gz")
    return RoutingRules(RoutingConfig(), wards, "secret")


@dataclass(frozen=True)
class Target:
    role: str
    code: str
    ack_after_s: float | None = None  # None: not acknowledged
    failed: str | None = None  # the delivery failed with this error


@dataclass(frozen=True)
class Seed:
    ago: timedelta
    category: Category
    status: str
    ward: str | None
    targets: tuple[Target, ...] = ()
    level: int = 0


SEEDS = [
    Seed(timedelta(hours=30), Category.FIRE, "resolved", BEN_THANH,
         (Target("ward", BEN_THANH, 30),)),  # before the period
    Seed(timedelta(hours=20), Category.FIRE, "resolved", BEN_THANH,
         (Target("ward", BEN_THANH, 60), Target("department", "PC07", 120),
          Target("command", "command"))),
    Seed(timedelta(hours=18), Category.TRAFFIC, "resolved", BEN_THANH,
         (Target("ward", BEN_THANH, 180), Target("department", "PC08", 240))),
    Seed(timedelta(hours=10), Category.SECURITY, "in_progress", BEN_THANH,
         (Target("ward", BEN_THANH, 300), Target("department", "PC02", 600))),
    Seed(timedelta(hours=6), Category.TRAFFIC, "false_report", TAN_DINH,
         (Target("ward", TAN_DINH, failed="Forbidden: bot was kicked from the group chat"),
          Target("command", "command", 420), Target("department", "PC08", 60))),
    Seed(timedelta(hours=5), Category.OTHER, "acknowledged", BEN_THANH,
         (Target("ward", BEN_THANH, 900),)),
    Seed(timedelta(hours=3), Category.FIRE, "routed", SAI_GON,
         (Target("ward", SAI_GON), Target("department", "PC07")), level=3),
    Seed(timedelta(hours=1), Category.TRAFFIC, "new", SAI_GON),
    Seed(timedelta(minutes=30), Category.OTHER, "routed", None,
         (Target("command", "command"),), level=2),
    Seed(timedelta(minutes=2), Category.SECURITY, "routed", SAI_GON,
         (Target("ward", SAI_GON), Target("department", "PC02"))),
    Seed(timedelta(0), Category.FIRE, "new", SAI_GON),  # at `until`: outside
]


def seed(engine: Engine, rules: RoutingRules) -> list[str]:
    codes = []
    with transaction(engine) as session:
        for i, s in enumerate(SEEDS):
            created = NOW - s.ago
            lat, lon = rules.wards.centroid(s.ward) if s.ward else (10.80, 106.66)
            draft = Draft(category=s.category, location=Location(lat=lat, lon=lon),
                          description=f"tin báo {i}")
            report = reports.create_report(
                session, channel="telegram", chat_id=f"r{i}", reporter_id=None, draft=draft,
                lang="vi", phone=None, now=created, actor="test").report
            assert report.id is not None
            report.status, report.escalation_level = s.status, s.level
            if s.ward:
                report.ward_code, report.ward_name = s.ward, rules.wards.by_code(s.ward).full_name
            codes.append(report.code)
            for j, t in enumerate(s.targets):
                d = deliveries.create(session, report_id=report.id, role=t.role,
                                      target_code=t.code, channel="telegram",
                                      chat_id=f"-100{i}{j}", binding_id=None, now=created)
                d.status = "failed" if t.failed else "sent"
                d.last_error = t.failed
                if t.ack_after_s is None:
                    continue
                first = created + timedelta(seconds=t.ack_after_s)
                d.ack_state, d.acked_at = "in_progress", first + timedelta(minutes=5)
                # The later action is stored first: the first ack is the earliest, not the
                # first row.
                for action, at in (("in_progress", d.acked_at), ("acknowledged", first)):
                    session.add(Ack(report_id=report.id, delivery_id=d.id, action=action,
                                    channel="telegram", chat_id=d.chat_id, user_id="7", at=at))
        failed = outbox.add(session, destination=Destination.RESIDENT,
                            channel="zalo", chat_id="z1", row=TextRow.plain("x"),
                            now=NOW - timedelta(hours=4))
        failed.status, failed.last_error = "failed", "Too Many Requests: retry after 30"
        old = outbox.add(session, destination=Destination.RESIDENT,
                         channel="zalo", chat_id="z1", row=TextRow.plain("x"),
                                                       now=NOW - timedelta(hours=30))
        old.status, old.last_error = "failed", "old failure"
        for n, (channel, ago) in enumerate([
                ("telegram", timedelta(hours=1)), ("telegram", timedelta(days=2)),
                ("zalo", timedelta(days=2)), ("zalo", timedelta(hours=7)),
                ("messenger", timedelta(days=10))]):
            session.add(InboundEvent(channel=channel, event_id=str(n), kind="Text",
                                     received_at=NOW - ago))
    return codes


def digest_of(engine: Engine, rules: RoutingRules) -> tuple[Digest, list[str]]:
    codes = seed(engine, rules)
    with transaction(engine) as session:
        return build_digest(session, since=SINCE, until=NOW, now=NOW, rules=rules), codes


def test_counts_open_and_overdue(engine: Engine, rules: RoutingRules) -> None:
    d, codes = digest_of(engine, rules)
    assert d.total == 9
    assert d.by_status == {"resolved": 2, "in_progress": 1, "false_report": 1,
                           "acknowledged": 1, "routed": 3, "new": 1}
    assert d.by_category == {"fire": 2, "traffic": 3, "security": 2, "other": 2}
    assert [i.code for i in d.open] == [codes[k] for k in (3, 5, 6, 7, 8, 9)]
    overdue = [(i.code, i.category, i.ward_name, round(i.age_min), i.escalation_level)
               for i in d.overdue]
    assert overdue == [
        (codes[6], Category.FIRE, "Phường Sài Gòn", 180, 3),
        (codes[7], Category.TRAFFIC, "Phường Sài Gòn", 60, 0),
        (codes[8], Category.OTHER, None, 30, 2),
    ]
    # Two minutes old, five allowed for security: open, not overdue.
    assert not d.open[-1].overdue


def test_ack_times_per_ward_and_department(engine: Engine, rules: RoutingRules) -> None:
    d, _ = digest_of(engine, rules)
    wards = {s.code: (s.acked, s.waiting, s.median_s, s.p90_s) for s in d.ack_by_ward}
    # Bến Thành: 60, 180, 300, 900 s → median (180+300)/2, p90 at rank 2.7: 300 + 0.7 × 600.
    assert wards[BEN_THANH] == (4, 0, 240.0, pytest.approx(720.0))
    # Tân Định's group failed: the command centre's acknowledgement counts.
    assert wards[TAN_DINH] == (1, 0, 420.0, 420.0)
    # Sài Gòn acknowledged nothing: two deliveries waiting, no statistics.
    assert wards[SAI_GON] == (0, 2, None, None)
    depts = {s.code: (s.acked, s.waiting, s.median_s, s.p90_s) for s in d.ack_by_department}
    assert depts["PC07"] == (1, 1, 120.0, 120.0)
    assert depts["PC08"] == (2, 0, 150.0, pytest.approx(222.0))
    assert depts["PC02"] == (1, 1, 600.0, 600.0)
    names = {s.code: s.name for s in d.ack_by_department}
    assert names["PC07"] == "Phòng Cảnh sát PCCC và CNCH"


def test_busiest_failures_and_quiet_channels(engine: Engine, rules: RoutingRules) -> None:
    d, codes = digest_of(engine, rules)
    assert [(w.name, w.count) for w in d.busiest_wards] == [
        ("Phường Bến Thành", 4), ("Phường Sài Gòn", 3), ("Phường Tân Định", 1)]
    assert [(f.kind, f.report_code, f.channel, f.error) for f in d.failures] == [
        ("delivery", codes[4], "telegram", "Forbidden: bot was kicked from the group chat"),
        ("outbox", None, "zalo", "Too Many Requests: retry after 30"),
    ]
    assert [(q.channel, q.last_event_at) for q in d.quiet_channels] == [
        ("zalo", NOW - timedelta(hours=7))]


def test_an_empty_period(engine: Engine, rules: RoutingRules) -> None:
    with transaction(engine) as session:
        d = build_digest(session, since=SINCE, until=NOW, now=NOW, rules=rules)
    assert (d.total, d.open, d.overdue, d.ack_by_ward, d.failures, d.quiet_channels) == (
        0, (), (), (), (), ())


def test_percentile_interpolates() -> None:
    assert percentile([], 0.5) is None
    assert percentile([5.0], 0.9) == 5.0
    assert percentile([1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 9.0, 10.0], 0.9) == \
        pytest.approx(9.1)
