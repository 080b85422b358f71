"""Seeded databases for the API tests: reports with deliveries, acks, audit and media."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy.engine import Engine

from sosbot.core.model import Category, Draft, Location, MediaKind, MediaRef
from sosbot.storage import deliveries
from sosbot.storage.db import transaction
from sosbot.storage.reports import audit, create_report
from sosbot.storage.tables import Report, Reporter

TOKEN = "plain-token-0123456789abcdef"
PII_TOKEN = "pii-token-fedcba9876543210"
NOW = datetime(2025, 11, 22, 12, 0, tzinfo=UTC)
T0 = datetime(2025, 11, 1, 0, 0, tzinfo=UTC)

# Personal data that must never appear in an answer to the plain token.
DESCRIPTION = "xe máy va chạm, cần hỗ trợ"  # in every seeded description
ADDRESS = "12 Lê Lợi, Quận 1"
NAMES = ("Nguyễn Thị Lành", "Trần Văn Phúc")
PHONES = ("+84901234567", "0938765432")
USERNAMES = ("lanh_hcm_77", "phuc_saigon_88")
USER_IDS = ("99887766", "55443322")
WARD_A = ("26734", "Phường Bến Thành")
WARD_B = ("26743", "Phường Sài Gòn")


@dataclass(frozen=True)
class Seeded:
    engine: Engine
    codes: list[str]  # newest first
    total: int


def _seed(engine: Engine) -> Seeded:
    categories = [Category.SECURITY, Category.TRAFFIC, Category.FIRE, Category.OTHER]
    with transaction(engine) as session:
        reporters = []
        for i in range(2):
            reporter = Reporter(channel="telegram", platform_user_id=USER_IDS[i],
                                display_name=NAMES[i], username=USERNAMES[i],
                                phone=PHONES[i], created_at=T0)
            session.add(reporter)
            session.flush()
            reporters.append(reporter)
        codes: list[tuple[datetime, int, str]] = []
        by_index: dict[int, Report] = {}
        for i in range(23):
            # Reports 10 and 11 share a timestamp: the cursor must break the tie.
            at = T0 + timedelta(hours=i if i != 11 else 10)
            who = reporters[i % 2]
            located = i % 5 != 4
            draft = Draft(
                category=categories[i % 4],
                # Pins finer than 100 m: the plain token must see them rounded.
                location=Location(lat=10.77037 + i / 1000, lon=106.70041 + i / 1000,
                                  accuracy_m=15.0) if located else None,
                address_text=None if located else f"=cmd| {ADDRESS}",
                description=f"Sự cố số {i}: {DESCRIPTION}",
                media=(MediaRef(kind=MediaKind.PHOTO, file_id=f"file-{i}"),) if i % 3 == 0
                else (),
            )
            new = create_report(session, channel="telegram" if i % 4 else "zalo",
                                chat_id=who.platform_user_id, reporter_id=who.id, draft=draft,
                                lang="vi", phone=who.phone if i % 2 else None, now=at,
                                actor=f"telegram:{who.platform_user_id}")
            report = new.report
            assert report.id is not None
            ward = WARD_A if i % 3 else WARD_B
            report.ward_code, report.ward_name = ward
            report.location_how = "inside" if located else "geocoded"
            report.status = "routed"
            delivery = deliveries.create(session, report_id=report.id, role="ward",
                                         target_code=ward[0], channel="telegram",
                                         chat_id=f"-100{ward[0]}", binding_id=None, now=at)
            delivery.status, delivery.sent_at = "sent", at + timedelta(seconds=5)
            audit(session, actor="system", action="report.routed", now=at,
                  report_id=report.id, ward=ward[0])
            if i % 2 == 0:
                acked = at + timedelta(minutes=i + 1)
                deliveries.record_ack(session, delivery=delivery, action="acknowledged",
                                      user_id=f"off-{i}", user_name="Đại úy Hòa",
                                      now=acked)
                delivery.ack_state, delivery.acked_by = "acknowledged", "Đại úy Hòa"
                delivery.acked_at = acked
                report.status = "resolved" if i % 4 == 0 else "acknowledged"
                audit(session, actor=f"telegram:off-{i}", action="report.ack", now=acked,
                      report_id=report.id, state="acknowledged")
            if i == 7:
                audit(session, actor=f"telegram:{who.platform_user_id}",
                      action="report.phone_shared", now=at, report_id=report.id,
                      phone=who.phone)
            if i == 5:
                original = by_index[4]
                report.duplicate_of_id, report.status = original.id, "duplicate"
                original.duplicates += 1
            by_index[i] = report
            codes.append((at, report.id, report.code))
        codes.sort(reverse=True)
    return Seeded(engine=engine, codes=[code for _, _, code in codes], total=len(codes))


@pytest.fixture
def seeded(engine: Engine) -> Seeded:
    return _seed(engine)
