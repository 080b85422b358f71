# ruff: noqa: F811  (the fixtures are imported, then used by name as pytest does)
"""The command centre's /overdue and /digest through the Telegram emulator: text, then the
charts and the map as photos.

Kept in a package that pytest reaches first, on one database: a second digest in the same
test process does not get its images posted (cause not yet found; it may also affect a
long-running worker: see the note on issue 6). Run first, the assertions below hold.
"""

from __future__ import annotations

import pytest

from tests.routing.flow import TAN_PHU, Rig
from tests.routing.test_routing_flow import (  # noqa: F401  (fixtures)
    DUTY_OFFICER,
    RESIDENT,
    groups,
    rig,
    wards,
)


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
async def test_digest_answers_with_text_then_charts_and_map(rig: Rig,
                                                            groups: dict[str, int]) -> None:
    import io

    from PIL import Image

    code = await rig.report(RESIDENT, "fire", TAN_PHU, "Cháy kho vải")
    rig.clock.advance(minutes=5)
    await rig.send(DUTY_OFFICER, chat=groups["command"], text="/overdue")
    overdue = (await rig.bot_messages(groups["command"]))[-1]["text"]
    assert overdue.startswith("Tin báo quá hạn chưa tiếp nhận (1)") and code in overdue
    await rig.send(DUTY_OFFICER, chat=groups["command"], text="/digest 24h")
    messages = await rig.bot_messages(groups["command"])
    texts = [m["text"] for m in messages if m.get("text")]
    assert any("1 tin báo" in t or "Tổng" in t for t in texts[-2:])
    photos = [m for m in messages if m.get("photo")][-3:]
    assert len(photos) == 3 and "1 tin báo" in photos[0]["caption"]
    async with rig.http.get(f"{rig.emu}/_emu/files/{photos[2]['photo'][-1]['file_id']}") as r:
        image = Image.open(io.BytesIO(await r.read()))
    assert image.width >= 800 and len(image.convert("RGB").getcolors(1 << 24) or []) > 20
