"""A card posted to a Zalo group (2,000 characters a message) keeps its status lines and
its commands hint: the resident's long fields give way, not what officers act on."""

from __future__ import annotations

import pytest

from sosbot.bots.zalo import outbound
from sosbot.core.cards import CardView, TargetState, render_card
from sosbot.core.message_limits import card_units, message_units
from sosbot.core.model import Category, Location, LocationSource, Report, ReportStatus
from sosbot.core.text_units import utf16_len

FIRE = "🔥"


def test_the_zalo_card_limit_is_the_adapters() -> None:
    assert message_units("zalo") == card_units("zalo") == outbound.TEXT_LIMIT


def _long_view(emoji: bool, targets: int) -> CardView:
    word = FIRE if emoji else "Cháy lớn "
    report = Report(code="SOS-269998", category=Category.FIRE, status=ReportStatus.ROUTED,
                    channel="zalo", chat_id="1", description=word * 1500,
                    address_text=word * 300, reporter_name="Nguyễn Thị Mai",
                    phone="+84901234567",
                    location=Location(lat=10.7776, lon=106.6437, accuracy_m=15,
                                      source=LocationSource.VENUE, label=word * 512),
                    media_count=10, media_missing=2, created_at_epoch=1_795_000_000)
    states = tuple(TargetState("department", f"Phòng nghiệp vụ số {n} Công an Thành phố",
                               "acknowledged", "Trung úy Lê Văn Bình", 1_795_000_100)
                   for n in range(targets))
    return CardView(report=report, ward_name="Phường Tân Phú", location_how="boundary",
                    reporter_channel="zalo", duplicates=3, ward_has_group=True,
                    targets=states)


@pytest.mark.parametrize("emoji", [True, False])
@pytest.mark.parametrize("targets", [1, 4])
def test_a_long_report_on_a_zalo_group_keeps_its_status_lines_and_hint(
        emoji: bool, targets: int) -> None:
    card = render_card(_long_view(emoji, targets), lambda action: "", buttons=False,
                       limit=card_units("zalo"))
    assert utf16_len(card.text) <= outbound.TEXT_LIMIT
    # What the Zalo adapter sends: the same text, nothing cut off its end.
    sent = outbound.render_message(card)["text"]
    assert sent == card.text.strip()
    assert f"Phòng nghiệp vụ số {targets - 1} Công an Thành phố" in sent
    assert "/ack SOS-269998" in sent and "📝 " in sent
