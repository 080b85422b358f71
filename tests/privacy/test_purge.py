"""``sosbot purge``: personal data past retention goes, the statistics and the audit chain
stay, and running it again does nothing."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlmodel import select

from sosbot.cli import main
from sosbot.command_centre.digest import Digest, build_digest
from sosbot.storage import audit, purge
from sosbot.storage.db import transaction
from sosbot.storage.media_scrub import OutgoingMedia
from sosbot.storage.media_store import MediaStore
from sosbot.storage.tables import Conversation, Media, Report, Reporter
from tests.privacy.conftest import RESIDENT_A, RESIDENT_B, WARD_OFFICER
from tests.privacy.steps import cards, photo_with_gps, report
from tests.routing.flow import TAN_PHU, Rig

NAME_A = "Nguyễn Thị Hoa"  # the emulator's first_name of RESIDENT_A
PHONE_A = "0901234567"
DESCRIPTION_A = "Cháy kho gỗ nhà ông Tư số 12 hẻm 45"
ADDRESS_POINT_B = (10.78020, 106.64010)
RETENTION = timedelta(days=365)


def figures(d: Digest) -> dict[str, Any]:
    """What the statistics show, without anything purge may change (texts, exact pins)."""
    return {
        "total": d.total, "by_status": d.by_status, "by_category": d.by_category,
        "reports": [(i.code, i.category, i.status, i.ward_code, i.created_at, i.overdue,
                     i.escalation_level) for i in d.reports],
        "open": len(d.open), "overdue": len(d.overdue),
        "ack_by_ward": d.ack_by_ward, "ack_by_department": d.ack_by_department,
        "busiest_wards": d.busiest_wards, "failures": len(d.failures),
    }


def digest_figures(rig: Rig, now: datetime) -> dict[str, Any]:
    with transaction(rig.engine) as session:
        return figures(build_digest(session, since=now - timedelta(days=500),
                                    until=now + timedelta(hours=1), now=now,
                                    rules=rig.rules))


def everything(engine: Engine) -> str:
    """Every row of every table, as text: what someone with a database dump would read."""
    lines = []
    with engine.connect() as conn:
        meta = sa.MetaData()
        meta.reflect(conn)
        for table in meta.sorted_tables:
            for row in conn.execute(table.select()).mappings():
                lines.append(f"{table.name}: " + json.dumps(
                    dict(row), default=str, ensure_ascii=False))
    return "\n".join(lines)


def mentions_resident_a(dump: str) -> list[str]:
    needles = (NAME_A, PHONE_A, "Cháy kho gỗ nhà ông Tư", "hẻm 45", f'"{RESIDENT_A}"',
               f": {RESIDENT_A},", f":{RESIDENT_A}\"", f"telegram:{RESIDENT_A}")
    return [line for line in dump.splitlines() if any(n in line for n in needles)]


async def old_and_new_reports(rig: Rig, groups: dict[str, int]) -> tuple[str, str, datetime]:
    now = rig.clock.now
    rig.clock.now = now - timedelta(days=400)
    old = await report(rig, RESIDENT_A, "fire", TAN_PHU, DESCRIPTION_A,
                       photo=photo_with_gps())
    await rig.send(RESIDENT_A, contact={"phone_number": PHONE_A, "first_name": "Hoa",
                                        "user_id": RESIDENT_A})
    card = cards(await rig.bot_messages(groups["ward"]))[0]
    assert PHONE_A in card["text"] or PHONE_A in (
        cards(await rig.bot_messages(groups["ward"]))[-1]["text"])
    ack = card["reply_markup"]["inline_keyboard"][0][0]["callback_data"]
    rig.clock.advance(minutes=3)
    await rig.press(WARD_OFFICER, groups["ward"], card["message_id"], ack)
    rig.clock.now = now
    new = await report(rig, RESIDENT_B, "traffic", ADDRESS_POINT_B,
                       "Va chạm giữa xe máy và ô tô", photo=photo_with_gps((320, 240)))
    return old, new, now


# Driven through the emulator: on the production database only (the SQLite path is the
# same code, covered by the storage and webhook tests on both).
@pytest.mark.parametrize("database_url", ["postgres"], indirect=True)
async def test_purge_removes_personal_data_and_keeps_the_statistics(
        rig: Rig, groups: dict[str, int]) -> None:
    old, new, now = await old_and_new_reports(rig, groups)
    store = MediaStore(rig.tmp / "media")
    with transaction(rig.engine) as session:
        [old_media] = session.exec(select(Media).join(Report).where(Report.code == old)).all()
    assert old_media.sha256 and store.path_for(old_media.sha256).exists()
    assert OutgoingMedia(store).cached(old_media.sha256)  # sent out, so a scrubbed copy
    assert mentions_resident_a(everything(rig.engine))  # the test can see what it looks for
    before = digest_figures(rig, now)

    plan = purge.plan(rig.engine, now - RETENTION, store)
    assert mentions_resident_a(everything(rig.engine))  # a dry run changes nothing
    done = purge.purge(rig.engine, now - RETENTION, now, store)
    assert (plan.reports, plan.media_rows, plan.reporters) == (1, 1, 1)
    assert (done.reports, done.media_rows, done.reporters, done.media_files) == \
        (plan.reports, plan.media_rows, plan.reporters, plan.media_files) == (1, 1, 1, 1)
    assert done.outbox_rows > 0 and done.inbound_events > 0

    assert mentions_resident_a(everything(rig.engine)) == []
    assert digest_figures(rig, now) == before
    with transaction(rig.engine) as session:
        verdict = audit.verify(session)
        purged = session.exec(select(Report).where(Report.code == old)).one()
        kept = session.exec(select(Report).where(Report.code == new)).one()
        reporter_a = session.get(Reporter, purged.reporter_id)
        media = session.get(Media, old_media.id)
        conversations = session.exec(select(Conversation)).all()
    assert verdict.ok and verdict.checked > 0
    assert purged.purged_at is not None and purged.ward_code == "27031"
    assert (purged.category, purged.status) == ("fire", "acknowledged")
    assert (purged.lat, purged.lon) == (round(TAN_PHU[0], 2), round(TAN_PHU[1], 2))
    assert (purged.description, purged.phone, purged.chat_id) == ("", None, "purged")
    assert reporter_a is not None and reporter_a.purged_at is not None
    assert (reporter_a.display_name, reporter_a.phone) == ("", None)
    assert reporter_a.platform_user_id == f"purged:{reporter_a.id}"
    assert media is not None and (media.status, media.sha256) == ("purged", old_media.sha256)
    assert not store.path_for(old_media.sha256).exists()
    assert OutgoingMedia(store).cached(old_media.sha256) == []
    assert kept.purged_at is None and kept.description == "Va chạm giữa xe máy và ô tô"
    assert [c.chat_id for c in conversations] == [str(RESIDENT_B)]

    again = purge.purge(rig.engine, now - RETENTION, now, store)
    assert (again.reports, again.media_rows, again.media_files, again.reporters,
            again.conversations, again.inbound_events, again.outbox_rows) == (0,) * 7


# Driven through the emulator: on the production database only (the SQLite path is the
# same code, covered by the storage and webhook tests on both).
@pytest.mark.parametrize("database_url", ["postgres"], indirect=True)
async def test_a_returning_resident_starts_afresh_and_unlinked(
        rig: Rig, groups: dict[str, int]) -> None:
    old, _new, now = await old_and_new_reports(rig, groups)
    purge.purge(rig.engine, now - RETENTION, now, MediaStore(rig.tmp / "media"))
    again = await report(rig, RESIDENT_A, "security", TAN_PHU, "Trộm xe trước nhà")
    with transaction(rig.engine) as session:
        first = session.exec(select(Report).where(Report.code == old)).one()
        second = session.exec(select(Report).where(Report.code == again)).one()
    assert first.reporter_id != second.reporter_id
    assert second.phone is None  # the phone given a year ago is not remembered


def test_the_cli_dry_run_and_its_guards(engine: Engine, database_url: str, tmp_path: Path,
                                        monkeypatch: pytest.MonkeyPatch,
                                        capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("DATABASE_URL", database_url)
    monkeypatch.setenv("SOSBOT_CONFIG", str(tmp_path / "none.yaml"))
    monkeypatch.setenv("SOSBOT_MEDIA_DIR", str(tmp_path / "media"))
    assert main(["purge", "--older-than", "365d", "--dry-run"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("dry run: personal data from before ")
    assert "reports anonymised: 0 would be" in out
    assert main(["purge", "--older-than", "365d"]) == 0
    assert "reports anonymised: 0" in capsys.readouterr().out
    assert main(["purge", "--older-than", "7d"]) == 2  # under the 30-day floor
    assert main(["purge", "--older-than", "a year"]) == 2
    assert "not an age" in capsys.readouterr().err
