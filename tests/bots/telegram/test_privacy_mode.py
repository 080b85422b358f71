"""Group privacy mode: the emulator gives a bot in privacy mode only what Telegram gives it
(commands meant for it, replies to it, service messages), and ``sosbot set-webhook`` reads
getMe and tells the administrator what to do in BotFather."""

from __future__ import annotations

import argparse
import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aiohttp import web

from sosbot.cli import admin
from sosbot.emulators.telegram.app import BotSpec, EmulatorConfig, create_app

TOKEN = "7200000001:PRIVACY-token"
OTHER = "7200000002:OTHER-token"


@dataclass
class Emu:
    base: str
    http: aiohttp.ClientSession

    async def post(self, path: str, body: dict[str, Any]) -> Any:
        async with self.http.post(self.base + path, json=body) as response:
            answer = await response.json()
            assert response.status == 200, answer
            return answer


@pytest.fixture
async def emu() -> AsyncIterator[Emu]:
    app = create_app(bots=[BotSpec(TOKEN, "sos_privacy_bot"), BotSpec(OTHER, "weather_bot")],
                     config=EmulatorConfig(limits=False))
    runner = web.AppRunner(app)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    async with aiohttp.ClientSession() as http:
        yield Emu(f"http://127.0.0.1:{runner.addresses[0][1]}", http)
    await runner.cleanup()


async def _group(emu: Emu) -> tuple[int, int]:
    officer = (await emu.post("/_emu/users", {"first_name": "Hùng"}))["id"]
    group = (await emu.post("/_emu/groups", {"title": "CA phường", "type": "supergroup",
                                             "members": [officer]}))["id"]
    for token in (TOKEN, OTHER):
        await emu.post(f"/_emu/groups/{group}/add_bot", {"token": token, "by": officer})
    return officer, group


async def _says(emu: Emu, officer: int, group: int, text: str, **extra: Any) -> bool:
    """Whether the bot is given the officer's message (no webhook: into its queue)."""
    answer = await emu.post("/_emu/send", {"token": TOKEN, "from": officer, "chat_id": group,
                                           "text": text, **extra})
    return not answer["withheld"]


async def _bot_writes(emu: Emu, token: str, group: int) -> int:
    async with emu.http.post(f"{emu.base}/bot{token}/sendMessage",
                             json={"chat_id": group, "text": "thẻ tin báo"}) as response:
        return int((await response.json())["result"]["message_id"])


async def test_getme_reports_the_mode(emu: Emu) -> None:
    async def reads_all() -> bool:
        async with emu.http.get(f"{emu.base}/bot{TOKEN}/getMe") as response:
            return bool((await response.json())["result"]["can_read_all_group_messages"])
    assert await reads_all() is False  # on by default, as on Telegram
    await emu.post("/_emu/privacy", {"token": TOKEN, "enabled": False})
    assert await reads_all() is True


async def test_a_bot_in_privacy_mode_sees_only_what_telegram_gives_it(emu: Emu) -> None:
    officer, group = await _group(emu)
    assert await _says(emu, officer, group, "/bind 123456")  # no bot has written yet
    card = await _bot_writes(emu, TOKEN, group)
    assert await _says(emu, officer, group, "/ack SOS-260001")  # it wrote last
    assert await _says(emu, officer, group, "nhận", reply_to_message_id=card)  # a reply to it
    assert not await _says(emu, officer, group, "nhận")  # chatter
    assert not await _says(emu, officer, group, "@sos_privacy_bot nhận")
    await _bot_writes(emu, OTHER, group)  # another bot wrote last
    assert not await _says(emu, officer, group, "/ack SOS-260001")
    assert await _says(emu, officer, group, "/ack@sos_privacy_bot SOS-260001")
    assert not await _says(emu, officer, group, "/ack@weather_bot SOS-260001")
    assert await _says(emu, officer, group, "nhận", reply_to_message_id=card)


async def test_privacy_off_or_administrator_sees_everything(emu: Emu) -> None:
    officer, group = await _group(emu)
    assert not await _says(emu, officer, group, "nhận")
    await emu.post(f"/_emu/groups/{group}/promote_bot", {"token": TOKEN, "by": officer})
    assert await _says(emu, officer, group, "nhận")
    officer, group = await _group(emu)
    await emu.post("/_emu/privacy", {"token": TOKEN, "enabled": False})
    assert await _says(emu, officer, group, "nhận")


@pytest.mark.parametrize("privacy", [True, False])
async def test_set_webhook_warns_with_the_botfather_steps(
        emu: Emu, privacy: bool, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    await emu.post("/_emu/privacy", {"token": TOKEN, "enabled": privacy})
    monkeypatch.setenv("SOSBOT_CONFIG", str(tmp_path / "none.yaml"))
    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", TOKEN)
    monkeypatch.setenv("TELEGRAM_WEBHOOK_SECRET", "privacy-webhook-secret-0123456789")
    monkeypatch.setenv("TELEGRAM_API_BASE", emu.base)
    url = "http://127.0.0.1:9/webhooks/telegram"
    code = await asyncio.to_thread(admin.run_set_webhook, argparse.Namespace(url=url))
    out, err = capsys.readouterr()
    assert code == 0 and url in out
    # The bot's name is not configured yet: set-webhook says where to put it.
    assert "channels.telegram.username: sos_privacy_bot" in err
    if privacy:
        assert "@sos_privacy_bot has group privacy mode on" in err
        assert "/setprivacy" in err and "Disable" in err and "administrator" in err
    else:
        assert "privacy mode" not in err
    monkeypatch.setenv("TELEGRAM_BOT_USERNAME", "sos_privacy_bot")
    assert await asyncio.to_thread(admin.run_set_webhook, argparse.Namespace(url=url)) == 0
    assert "channels.telegram.username" not in capsys.readouterr().err
