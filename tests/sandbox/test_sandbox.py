"""The browser sandbox in headless Chromium, against a real `sosbot demo`: residents report
from the Telegram and Zalo panes (a location clicked on the ward map, a sample photo), the
cards reach the ward and PC07 group panes, an officer acknowledges (✅ on Telegram,
``/ack`` typed on Zalo), and the resident's pane shows the acknowledgement."""

from __future__ import annotations

import json
import re
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import closed_port
from tests.location_page.test_location_page import CHROMIUM, CHROMIUM_ARGS, _browser_or_skip
from tests.sandbox.conftest import Demo

pytestmark = pytest.mark.e2e
WAIT_MS = 30_000
TAN_PHU = (10.77760, 106.64370)  # Âu Cơ street, Phường Tân Phú (27031)


@pytest.fixture
async def page(demo: Demo, tmp_path: Path) -> AsyncIterator[Any]:
    async_playwright = _browser_or_skip()
    async with async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            # The one-time location page (opened from Messenger) asks the browser where it is.
            context = await browser.new_context(
                viewport={"width": 1440, "height": 900}, locale="vi-VN",
                geolocation={"latitude": TAN_PHU[0], "longitude": TAN_PHU[1], "accuracy": 20},
                permissions=["geolocation"])
            page = await context.new_page()
            errors: list[str] = []
            page.on("pageerror", lambda exc: errors.append(str(exc)))
            await page.goto(demo.url)
            await page.wait_for_selector("body[data-seeded]", state="attached",
                                         timeout=WAIT_MS)
            if await page.get_attribute("body", "data-seeded") == "false":
                await page.click("#seed")  # once per demo: the button stays pressed after
            await page.wait_for_selector("body[data-seeded='true']", timeout=WAIT_MS)
            yield page
            assert errors == [], errors
        finally:
            await browser.close()


def pane(name: str) -> str:
    return f".phone[data-pane='{name}']"


async def says(page: Any, root: str, fragment: str) -> str:
    """Wait until a bot message in ``root`` contains ``fragment``; its text."""
    selector = f"{root} .msg[data-who='bot'] .bubble:has-text('{fragment}')"
    await page.wait_for_selector(selector, timeout=WAIT_MS)
    return str(await page.locator(selector).last.inner_text())


async def tap(page: Any, root: str, label: str) -> None:
    """Tap the newest button whose label starts with ``label`` (inline, quick reply or
    keyboard; Messenger cuts quick-reply titles at 20 characters)."""
    await page.locator(f"{root} button.kb[data-label^='{label}']").last.click()


async def write(page: Any, root: str, text: str) -> None:
    await page.fill(f"{root} .composer .text", text)
    await page.press(f"{root} .composer .text", "Enter")


async def pick_on_map(page: Any, root: str, ward_code: str, point: tuple[float, float] | None,
                      ward_name: str) -> None:
    """Open the map from the pane, zoom to the ward, click a point in it and send it."""
    await page.click(f"{root} .locate")
    await page.wait_for_selector("#map-dialog[data-ready='yes']", timeout=WAIT_MS)
    await page.click(f"#ward-chips button[data-ward='{ward_code}']")
    x, y = await page.evaluate("""([code, point]) => {
        const map = window.sandbox.map;
        const ward = window.sandbox.wards.features.find((f) => f.properties.code === code);
        const [lat, lon] = point || [ward.properties.label[1], ward.properties.label[0]];
        const [sx, sy] = map.project(lat, lon);
        const box = document.getElementById("map").getBoundingClientRect();
        return [box.left + sx, box.top + sy];
    }""", [ward_code, list(point) if point else None])
    await page.mouse.click(x, y)
    await page.wait_for_selector(f"#map-ward:has-text('{ward_name}')", timeout=WAIT_MS)
    await page.click("#map-send")


async def open_group(page: Any, target: str) -> str:
    await page.click(f"#tabs .tab[data-target='{target}']")
    await page.wait_for_selector(f"#group[data-pane] .tab, #tabs .tab[data-target='{target}']"
                                 f"[aria-selected='true']", timeout=WAIT_MS)
    return "#group"


async def card_in(page: Any, target: str, code: str) -> Any:
    """Open the group bound to ``target`` and wait for the card of report ``code``."""
    root = await open_group(page, target)
    card = page.locator(f"{root} .msg[data-who='bot']:has(.bubble:has-text('{code}'))").first
    await card.wait_for(timeout=WAIT_MS)
    return card


def report_code(text: str) -> str:
    found = re.search(r"SOS-\d+", text)
    assert found, text
    return found.group(0)


async def test_fire_from_telegram_acknowledged_with_the_button(page: Any, demo: Demo,
                                                               tmp_path: Path) -> None:
    tg = pane("telegram")
    await tap(page, tg, "/start")
    await says(page, tg, "Bạn muốn báo sự việc gì")
    await tap(page, tg, "Cháy nổ")
    await says(page, tg, "Sự việc xảy ra ở đâu")
    await pick_on_map(page, tg, "27031", TAN_PHU, "Phường Tân Phú")
    await says(page, tg, "mô tả ngắn gọn")
    await write(page, tg, "Cháy nhà kho trên đường Âu Cơ, khói rất lớn")
    await says(page, tg, "gửi ảnh hoặc video")
    await page.click(f"{tg} .attach")
    await page.click(f"{tg} .samples button[data-sample='fire.jpg']")
    await says(page, tg, "Đã nhận 1 ảnh/video")
    await tap(page, tg, "Xong")
    await says(page, tg, "Vui lòng kiểm tra lại tin báo")
    await tap(page, tg, "✅ Gửi tin báo")
    code = report_code(await says(page, tg, "Mã tin báo của bạn"))
    await says(page, tg, "bạn có thể chia sẻ số điện thoại")
    await tap(page, f"{tg} .keyboard", "📞")
    await says(page, tg, "Cảm ơn bạn. Số điện thoại")
    assert await page.locator(f"{tg} .msg[data-who='me'] .media img").count() == 1
    assert await page.locator(f"{tg} .msg[data-who='me'] .place").count() == 1

    card = await card_in(page, "PC07", code)
    assert "Phường Tân Phú" in await card.inner_text()
    card = await card_in(page, "27031", code)
    await page.locator("#group .msg .media img").first.wait_for(timeout=WAIT_MS)

    # Nobody answers for five (simulated) minutes: the fire escalates.
    await page.click("#ff")
    await page.wait_for_selector(f"#events li[data-kind='escalated'][data-code='{code}']",
                                 timeout=WAIT_MS)
    await says(page, "#group", "⏰ NHẮC")

    await card.locator("button.kb[data-label^='✅']").click()
    told = await says(page, tg, f"đã tiếp nhận tin báo {code}")
    assert told.startswith("Công an phường Tân Phú")
    await page.wait_for_selector(f"#events li[data-kind='ack'][data-code='{code}']",
                                 timeout=WAIT_MS)
    await page.screenshot(path=str(tmp_path / "sandbox-telegram.png"))
    assert (tmp_path / "sandbox-telegram.png").stat().st_size > 10_000


async def test_fire_from_zalo_acknowledged_with_a_text_command(page: Any, demo: Demo,
                                                               tmp_path: Path) -> None:
    zl = pane("zalo")
    await says(page, zl, "Bạn muốn báo sự việc gì")
    await tap(page, zl, "Cháy nổ")
    await says(page, zl, "Sự việc xảy ra ở đâu")
    await pick_on_map(page, zl, "26704", None, "Phường Phú Mỹ")
    await says(page, zl, "mô tả ngắn gọn")
    await write(page, zl, "Cháy xưởng gỗ, lửa lan sang nhà bên cạnh")
    await says(page, zl, "gửi ảnh hoặc video")
    await page.click(f"{zl} .attach")
    await page.click(f"{zl} .samples button[data-sample='fire.jpg']")
    await says(page, zl, "Đã nhận 1 ảnh/video")
    await write(page, zl, "xong")
    await says(page, zl, "Vui lòng kiểm tra lại tin báo")
    await write(page, zl, "1")
    code = report_code(await says(page, zl, "Mã tin báo của bạn"))

    await card_in(page, "PC07", code)
    card = await card_in(page, "26704", code)
    assert "Phường Phú Mỹ" in await card.inner_text()
    assert await page.locator("#group[data-platform='zalo']").count() == 1
    await write(page, "#group", f"/ack {code}")
    told = await says(page, zl, f"đã tiếp nhận tin báo {code}")
    assert told.startswith("Công an phường Phú Mỹ")
    await page.wait_for_selector(f"#events li[data-kind='ack'][data-code='{code}']",
                                 timeout=WAIT_MS)

    # The officer asks the resident a question from the card's shortcut.
    await card.locator(f"button[data-fill='/hoi {code} ']").click()
    await page.type("#group .composer .text", "Có ai bị mắc kẹt không?")
    await page.press("#group .composer .text", "Enter")
    await says(page, zl, "Có ai bị mắc kẹt không?")

    # The page chrome speaks English too; the bot's words stay as the bot wrote them.
    await page.click("[data-set-lang='en']")
    await page.wait_for_selector("h1:has-text('sandbox')", timeout=WAIT_MS)
    assert "acknowledged" in await page.locator(
        f"#events li[data-kind='ack'][data-code='{code}']").inner_text()
    await page.screenshot(path=str(tmp_path / "sandbox-zalo.png"))
    assert (tmp_path / "sandbox-zalo.png").stat().st_size > 10_000


async def test_security_from_messenger_with_the_location_page(page: Any, demo: Demo,
                                                              tmp_path: Path) -> None:
    fb = pane("messenger")
    await tap(page, fb, "Xin chào")
    await says(page, fb, "Bạn muốn báo sự việc gì")
    await tap(page, fb, "An ninh trật tự")
    await says(page, fb, "Sự việc xảy ra ở đâu")
    assert await page.locator(f"{fb} .locate").is_hidden(), "Messenger has no location pin"
    async with page.context.expect_page() as opened:
        await page.locator(f"{fb} .buttons button.kb").last.click()
    location_page = await opened.value
    await location_page.wait_for_selector("body[data-state='located']", state="attached",
                                          timeout=WAIT_MS)
    await location_page.click("#submit")
    await location_page.wait_for_selector("body[data-state='sent']", state="attached",
                                          timeout=WAIT_MS)
    await location_page.close()
    await says(page, fb, "mô tả ngắn gọn")
    await write(page, fb, "Có người lạ cạy cửa nhà hàng xóm")
    await says(page, fb, "gửi ảnh hoặc video")
    await tap(page, fb, "Bỏ qua")
    await says(page, fb, "Vui lòng kiểm tra lại tin báo")
    await tap(page, fb, "✅ Gửi tin báo")
    code = report_code(await says(page, fb, "Mã tin báo của bạn"))

    card = await card_in(page, "PC02", code)
    await card.locator("button.kb[data-label^='🚓']").click()
    await says(page, fb, f"tin báo {code}")
    await page.wait_for_selector(f"#events li[data-kind='ack'][data-code='{code}']",
                                 timeout=WAIT_MS)
    await page.screenshot(path=str(tmp_path / "sandbox-messenger.png"))

def _post(url: str, body: bytes) -> tuple[int, str]:
    request = urllib.request.Request(url, data=body, method="POST",
                                     headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode()


@pytest.mark.parametrize(("path", "body", "status"), [
    ("api/act", b"not json", 400),
    ("api/act", b"[1]", 400),
    ("api/act", json.dumps({"pane": "nowhere", "action": {"type": "text", "text": "x"}}), 400),
    ("api/act", json.dumps({"pane": "telegram", "action": "text"}), 400),
    ("api/act", json.dumps({"pane": "telegram", "action": {"type": "fly"}}), 400),
    ("api/act", json.dumps({"pane": "telegram", "action": {"type": "text", "text": ""}}), 400),
    ("api/act", json.dumps({"pane": "zalo", "action": {"type": "location", "lat": 91,
                                                       "lon": 106}}), 400),
    ("api/act", json.dumps({"pane": "zalo", "action": {"type": "sample",
                                                       "name": "../app.py"}}), 400),
    ("api/act", json.dumps({"pane": "messenger", "action": {"type": "media", "kind": "photo",
                                                            "data_b64": "%%%"}}), 400),
    ("api/act", json.dumps({"pane": "messenger", "action": {"type": "location", "lat": 10,
                                                            "lon": 106}}), 400),
    ("api/clock", json.dumps({"minutes": 0}), 400),
    ("api/clock", json.dumps({"minutes": "5"}), 400),
    ("api/clock", json.dumps({"minutes": 10**6}), 400),
])
def test_bad_input_is_refused_with_400(demo: Demo, path: str, body: bytes | str,
                                       status: int) -> None:
    raw = body.encode() if isinstance(body, str) else body
    code, answer = _post(demo.url + path, raw)
    assert code == status, answer
    assert "error" in json.loads(answer)


def test_media_is_served_only_from_the_emulators(demo: Demo) -> None:
    secret = f"http://127.0.0.1:{closed_port()}/secret"
    url = demo.url + "api/media?u=" + urllib.parse.quote(secret, safe="")
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(url, timeout=10)
    assert refused.value.code == 403
