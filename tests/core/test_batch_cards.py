"""A batch card's text and buttons: a block and a row of buttons per report, each report
acted on with its own signed data; closed reports keep their block and lose their buttons;
chats without buttons get the text commands with the code to write."""

from __future__ import annotations

from sosbot.core.callbacks import OfficerAction
from sosbot.core.cards import CardView, TargetState, render_batch
from sosbot.core.model import Category, Location, Report, ReportStatus


def view(number: int, status: ReportStatus = ReportStatus.ROUTED,
         targets: tuple[TargetState, ...] = ()) -> CardView:
    report = Report(code=f"SOS-26000{number}", category=Category.FIRE, status=status,
                    channel="telegram", chat_id=str(number), description="Cháy nhà kho " * 40,
                    location=Location(lat=10.7776, lon=106.6437, accuracy_m=15),
                    reporter_name=f"Người báo {number}", phone="0901234567",
                    created_at_epoch=1_795_000_000 + number * 60, media_count=number % 2)
    return CardView(report=report, ward_name="Phường Tân Phú", location_how="inside",
                    reporter_channel="telegram", targets=targets)


def signer(number: int):  # type: ignore[no-untyped-def]
    return lambda action: f"{action.value}.{number}"


def test_one_block_and_one_row_of_buttons_per_report() -> None:
    message = render_batch([(view(n), signer(n)) for n in (1, 2, 3)])
    assert message.text.startswith("📚 3 TIN BÁO GỘP")
    blocks = message.text.split("\n\n")[1:]
    assert [b.split("\n")[0] for b in blocks] == [
        f"{n}. 🔥 CHÁY NỔ — SOS-26000{n}" for n in (1, 2, 3)]
    assert all("Bản đồ: https://www.google.com/maps?q=10.777600,106.643700" in b
               and "☎ 0901234567" in b and "Trạng thái: Đã chuyển, chờ tiếp nhận" in b
               for b in blocks)
    # Descriptions are cut short in a batch: the card must fit one message.
    assert all(len(line) <= 205 for b in blocks for line in b.split("\n")
               if line.startswith("📝"))
    assert [[c.value for c in row] for row in message.choices] == [
        [f"{a.value}.{n}" for a in (OfficerAction.ACKNOWLEDGE, OfficerAction.IN_PROGRESS,
                                    OfficerAction.RESOLVE, OfficerAction.FALSE_REPORT)]
        for n in (1, 2, 3)]
    assert [row[0].label for row in message.choices] == [
        f"✅ Tiếp nhận SOS-26000{n}" for n in (1, 2, 3)]


def test_a_closed_report_keeps_its_block_and_loses_its_buttons() -> None:
    acted = (TargetState(role="ward", unit="Công an phường Tân Phú", ack_state="resolved",
                         acked_by="Trung úy Hùng", acked_at_epoch=1_795_000_500),)
    message = render_batch([(view(1), signer(1)),
                            (view(2, ReportStatus.RESOLVED, acted), signer(2))])
    assert "2. 🔥 CHÁY NỔ — SOS-260002" in message.text
    assert "Trạng thái: Đã xử lý xong — Công an phường Tân Phú: ✔️ đã xử lý (Trung úy Hùng)" \
        in message.text
    assert [row[0].label for row in message.choices] == ["✅ Tiếp nhận SOS-260001"]


def test_without_buttons_the_commands_are_written_out() -> None:
    message = render_batch([(view(n), signer(n)) for n in (1, 2)], buttons=False)
    assert message.choices == ()
    assert message.text.endswith("/ack <mã> (tiếp nhận) · /dangxuly <mã> · /xong <mã> · "
                                 "/sai <mã>")
