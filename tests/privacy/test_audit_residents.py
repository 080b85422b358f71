"""The audit chain carries no resident's platform id, name, phone or words: it is never
rewritten (purge cannot reach it), so it names residents by their reporter row only."""

from __future__ import annotations

import json
import re

import pytest
from sqlmodel import col, select

from sosbot.storage.db import transaction
from sosbot.storage.tables import AuditLog, Reporter
from tests.privacy.conftest import DUTY_OFFICER, RESIDENT_A, WARD_OFFICER
from tests.privacy.steps import cards, photo_with_gps, report
from tests.routing.flow import TAN_PHU, Rig

PHONE_A = "0901234567"
DESCRIPTION_A = "Cháy kho gỗ nhà ông Tư số 12 hẻm 45"


async def command(rig: Rig, chat: int, text: str) -> str:
    await rig.send(DUTY_OFFICER, chat=chat, text=text)
    return str((await rig.bot_messages(chat))[-1]["text"])


# Driven through the emulator: on the production database only (the SQLite path is the
# same code).
@pytest.mark.parametrize("database_url", ["postgres"], indirect=True)
async def test_a_full_resident_flow_leaves_no_resident_id_in_the_audit_chain(
        rig: Rig, groups: dict[str, int]) -> None:
    code = await report(rig, RESIDENT_A, "fire", TAN_PHU, DESCRIPTION_A,
                        photo=photo_with_gps())
    await rig.send(RESIDENT_A, contact={"phone_number": PHONE_A, "first_name": "Hoa",
                                        "user_id": RESIDENT_A})
    card = cards(await rig.bot_messages(groups["ward"]))[0]
    ack = card["reply_markup"]["inline_keyboard"][0][0]["callback_data"]
    await rig.press(WARD_OFFICER, groups["ward"], card["message_id"], ack)
    assert f"telegram:{RESIDENT_A}" in await command(rig, groups["command"],
                                                     f"/block {code} báo tin giả")
    await rig.send(RESIDENT_A, text="Cháy! Cháy!")  # refused: blocked
    assert "Đã bỏ chặn" in await command(rig, groups["command"],
                                         f"/unblock telegram:{RESIDENT_A}")
    with transaction(rig.engine) as session:
        rows = session.exec(select(AuditLog).order_by(col(AuditLog.id))).all()
        reporter = session.exec(select(Reporter).where(
            Reporter.platform_user_id == str(RESIDENT_A))).one()
    actions = {row.action for row in rows}
    assert {"report.created", "report.phone_shared", "report.ack", "resident.blocked",
            "resident.refused", "resident.unblocked"} <= actions, actions
    chain = "\n".join(json.dumps([row.actor, row.action, row.detail], ensure_ascii=False)
                      for row in rows)
    assert re.search(rf"(?<!\d){RESIDENT_A}(?!\d)", chain) is None, chain
    for personal in (PHONE_A, "Nguyễn Thị Hoa", "Hoa", DESCRIPTION_A, "Cháy! Cháy!"):
        assert personal not in chain, personal
    # The trail still says who did what: the reporter row, which purge anonymises.
    assert f'"resident:{reporter.id}"' in chain
    blocked = next(row for row in rows if row.action == "resident.blocked")
    assert blocked.detail == {"resident": f"resident:{reporter.id}"}
