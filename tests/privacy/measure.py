"""The figures in docs/reliability/privacy.md: audit append and verify, purge.

Not a test (timing goals are not asserted in tests). Run:
``.venv/bin/python -m tests.privacy.measure sqlite`` or ``… postgres`` (a scratch database
is created next to TEST_DATABASE_URL's and dropped).
"""

from __future__ import annotations

import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import sqlalchemy as sa

from sosbot.storage import audit, purge
from sosbot.storage.db import make_engine, normalize_url, transaction
from sosbot.storage.media_store import MediaStore
from sosbot.storage.migrate import upgrade
from sosbot.storage.reports import audit as write_audit
from sosbot.storage.tables import Conversation, InboundEvent, Media, Outbox, Report, Reporter
from tests.conftest import TEST_DATABASE_URL

T0 = datetime(2025, 1, 1, tzinfo=UTC)


def measure(url: str, label: str, folder: Path, rows: int = 100_000,
            reports: int = 10_000) -> None:
    engine = make_engine(url)
    upgrade(engine)
    start = time.perf_counter()
    for n in range(2000):
        with transaction(engine) as session:
            write_audit(session, actor="telegram:9101", action="report.ack",
                        now=T0 + timedelta(seconds=n), state="acknowledged", n=n)
    single = (time.perf_counter() - start) / 2000
    start = time.perf_counter()
    n = 2000
    while n < rows:
        with transaction(engine) as session:
            for _ in range(1000):
                write_audit(session, actor="system", action="report.escalated",
                            now=T0 + timedelta(seconds=n), level=1, minutes=2)
                n += 1
    bulk = (time.perf_counter() - start) / (rows - 2000)
    start = time.perf_counter()
    with transaction(engine) as session:
        verdict = audit.verify(session)
    verify_s = time.perf_counter() - start
    assert verdict.ok and verdict.checked == rows, verdict
    print(f"{label}: audit append {single * 1e3:.2f} ms/row (one per transaction), "
          f"{bulk * 1e6:.0f} µs/row (1000 per transaction); verify {rows} rows {verify_s:.2f} s")
    _old_reports(engine, reports)
    now = datetime.now(UTC)
    store = MediaStore(folder / "media")
    start = time.perf_counter()
    done = purge.purge(engine, now - timedelta(days=365), now, store)
    purge_s = time.perf_counter() - start
    assert done.reports == reports, done
    start = time.perf_counter()
    again = purge.purge(engine, now - timedelta(days=365), now, store)
    again_s = time.perf_counter() - start
    print(f"{label}: purge {reports} reports (with reporters, media, outbox, inbound, "
          f"conversations) {purge_s:.2f} s; again {again_s:.2f} s ({again.reports} reports)")
    with transaction(engine) as session:
        assert audit.verify(session).ok
    engine.dispose()


def _old_reports(engine: sa.Engine, count: int) -> None:
    with transaction(engine) as session:
        for i in range(count):
            reporter = Reporter(channel="telegram", platform_user_id=str(i),
                                display_name=f"Người báo {i}", phone="0901234567",
                                created_at=T0)
            session.add(reporter)
            session.flush()
            report = Report(code=f"SOS-M{i:06d}", channel="telegram", chat_id=str(i),
                            reporter_id=reporter.id, category="fire", status="resolved",
                            lat=10.7776, lon=106.6437, description="Cháy nhà",
                            phone="0901234567", ward_code="27031", created_at=T0,
                            updated_at=T0)
            session.add(report)
            session.flush()
            session.add(Media(report_id=report.id, channel="telegram", kind="photo",
                              platform_file_id="AgAC", status="stored", sha256=f"{i:064x}",
                              created_at=T0))
            session.add(Outbox(channel="telegram", chat_id=str(i), method="message",
                               payload={"text": "Cháy nhà"}, status="sent",
                               report_id=report.id, not_before=T0, created_at=T0))
            session.add(InboundEvent(channel="telegram", event_id=f"m{i}", kind="message",
                                     chat_id=str(i), received_at=T0,
                                     payload={"text": "Cháy nhà"}))
            session.add(Conversation(channel="telegram", chat_id=str(i),
                                     reporter_id=reporter.id, state={}, updated_at=T0))


def main(which: str) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        if which == "sqlite":
            measure(f"sqlite:///{folder / 'measure.db'}", "SQLite", folder)
            return
        admin = sa.create_engine(normalize_url(TEST_DATABASE_URL), isolation_level="AUTOCOMMIT")
        name = f"sosbot_measure_{uuid.uuid4().hex[:8]}"
        with admin.connect() as conn:
            conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
        try:
            url = sa.engine.make_url(TEST_DATABASE_URL).set(database=name)
            measure(url.render_as_string(hide_password=False), "PostgreSQL", folder)
        finally:
            with admin.connect() as conn:
                conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            admin.dispose()


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "sqlite")
