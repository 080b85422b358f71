"""The digest as one Telegram message, in Vietnamese, for the duty officer.

Long lists are cut ("… và N tin báo khác") so the whole text fits in one message
(:data:`TELEGRAM_LIMIT` characters); times are local (Asia/Ho_Chi_Minh).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import TypeVar
from zoneinfo import ZoneInfo

from sosbot.command_centre.digest import AckStats, Digest, ReportItem
from sosbot.command_centre.queries import FailureRow
from sosbot.core.cards import CHANNEL_NAMES, STATUS_LABELS
from sosbot.core.model import CATEGORY_EMOJI, Category, ReportStatus
from sosbot.core.sanitize import truncate
from sosbot.core.texts import category_label

log = logging.getLogger(__name__)

LOCAL_TIME = ZoneInfo("Asia/Ho_Chi_Minh")
TELEGRAM_LIMIT = 4096
ROLE_LABELS = {"ward": "nhóm phường/xã", "department": "nhóm phòng nghiệp vụ",
               "command": "nhóm TTCH", "escalation": "nhóm lãnh đạo"}
T = TypeVar("T")


def render_digest(d: Digest) -> str:
    """The digest text; at most :data:`TELEGRAM_LIMIT` characters."""
    for limit in (12, 8, 5, 3, 2, 1):
        text = _render(d, limit)
        if len(text) <= TELEGRAM_LIMIT:
            return text
    log.warning("digest text still too long with one item per list: cut")
    return truncate(text, TELEGRAM_LIMIT)


def local(at: datetime, fmt: str = "%H:%M %d/%m") -> str:
    return at.astimezone(LOCAL_TIME).strftime(fmt)


def duration(seconds: float) -> str:
    """45 giây · 4 phút 30 giây · 25 phút · 3 giờ 5 phút."""
    s = round(seconds)
    if s < 60:
        return f"{s} giây"
    minutes, sec = divmod(s, 60)
    if minutes < 10 and sec:
        return f"{minutes} phút {sec} giây"
    minutes = round(seconds / 60)
    if minutes < 60:
        return f"{minutes} phút"
    hours, minutes = divmod(minutes, 60)
    return f"{hours} giờ {minutes} phút" if minutes else f"{hours} giờ"


def _render(d: Digest, limit: int) -> str:
    lines = [
        "📋 TỔNG HỢP TIN BÁO — TRUNG TÂM CHỈ HUY",
        f"🕒 Từ {local(d.since)} đến {local(d.until, '%H:%M %d/%m/%Y')}"
        f" (lập lúc {local(d.now, '%H:%M')})",
        "",
        f"📊 Tổng cộng: {d.total} tin báo",
    ]
    if d.total:
        lines.append(" · ".join(
            f"{CATEGORY_EMOJI[c]} {category_label('vi', c)}: {d.by_category[c.value]}"
            for c in Category if d.by_category.get(c.value)))
        lines.append("Trạng thái: " + " · ".join(
            f"{STATUS_LABELS[s]} {d.by_status[s.value]}"
            for s in ReportStatus if d.by_status.get(s.value)))

    lines += _section(f"⏰ QUÁ HẠN, CHƯA TIẾP NHẬN ({len(d.overdue)})", d.overdue, limit,
                      _report_line, "tin báo")
    still_open = [i for i in d.open if not i.overdue]
    lines += _section(f"🟡 ĐANG MỞ ({len(d.open)}, chưa kể quá hạn: {len(still_open)})",
                      still_open, limit, _report_line, "tin báo")
    if d.ack_by_ward or d.ack_by_department:
        lines += ["", "⏱️ THỜI GIAN TIẾP NHẬN (trung vị / 90%)"]
        lines += _section("Phường/xã (chậm nhất trước):", d.ack_by_ward, limit, _ack_line,
                          "phường/xã", blank=False)
        lines += _section("Phòng nghiệp vụ:", d.ack_by_department, limit, _ack_line,
                          "phòng", blank=False)
    lines += _section("🏘️ PHƯỜNG/XÃ NHIỀU TIN NHẤT", d.busiest_wards, limit,
                      lambda w: f" • {w.name}: {w.count}", "phường/xã")
    lines += _section(f"❗ GỬI THẤT BẠI ({len(d.failures)})", d.failures, limit,
                      _failure_line, "lỗi")
    if d.held_updates:
        lines += ["", f"📨 Cập nhật chờ người báo tin nhắn lại: {d.held_updates} (nền tảng "
                      "không cho gửi lúc này; sẽ gửi ngay khi họ nhắn tin)"]
    lines += _section("📵 KÊNH KHÔNG CÓ TIN ĐẾN", d.quiet_channels, limit,
                      lambda q: f" • {CHANNEL_NAMES.get(q.channel, q.channel)}: tin cuối lúc "
                                f"{local(q.last_event_at)} — cần kiểm tra kết nối", "kênh")
    lines += _usage_lines(d)
    if not d.overdue and not d.failures and not d.quiet_channels:
        lines += ["", "✅ Không có tin quá hạn, lỗi gửi hay kênh mất kết nối."]
    return "\n".join(lines)


def _section(title: str, items: Sequence[T], limit: int, line: Callable[[T], str],
             noun: str, *, blank: bool = True) -> list[str]:
    if not items:
        return []
    out = ([""] if blank else []) + [title]
    out += [line(item) for item in items[:limit]]
    if len(items) > limit:
        out.append(f"  … và {len(items) - limit} {noun} khác")
    return out


def _report_line(i: ReportItem) -> str:
    where = i.ward_name or "chưa rõ phường/xã"
    line = f" • {CATEGORY_EMOJI[i.category]} {i.code} — {where} — {duration(i.age_min * 60)}"
    if i.status not in (ReportStatus.NEW, ReportStatus.ROUTED):
        line += f" — {STATUS_LABELS[i.status].lower()}"
    if i.escalation_level:
        line += f" — cảnh báo cấp {i.escalation_level}"
    return line


def _ack_line(s: AckStats) -> str:
    if s.median_s is None or s.p90_s is None:
        return f" • {s.name}: chưa tiếp nhận tin nào ({s.waiting} đang chờ)"
    line = f" • {s.name}: {duration(s.median_s)} / {duration(s.p90_s)} ({s.acked} tin"
    if s.waiting:
        line += f", {s.waiting} đang chờ"
    return line + ")"


def _failure_line(f: FailureRow) -> str:
    channel = CHANNEL_NAMES.get(f.channel, f.channel)
    if f.kind == "delivery":
        role, _, code = f.what.partition(":")
        what = f"{ROLE_LABELS.get(role, role)} {code}"
    else:
        what = f"tin nhắn ({f.what})"
    about = f" {f.report_code}" if f.report_code else ""
    error = truncate(f.error or "không rõ lỗi", 100)
    return f" • {local(f.at, '%H:%M')}{about} → {channel} {what}: {error}"


# How each platform counts a message to a resident (storage.platform_usage kinds).
USAGE_LABELS = (("reply", "trả lời miễn phí"), ("proactive", "chủ động (tính hạn mức)"),
                ("refused", "bị từ chối do hết hạn mức"))


def _usage_lines(d: Digest) -> list[str]:
    """The month's messages to residents by platform: what the OA's quota is spent on."""
    rows = []
    for channel, kinds in sorted(d.usage.items()):
        parts = [f"{kinds[k]} {label}" for k, label in USAGE_LABELS if kinds.get(k)]
        if parts:
            rows.append(f" • {CHANNEL_NAMES.get(channel, channel)}: " + " · ".join(parts))
    if not rows:
        return []
    return ["", f"💬 TIN GỬI NGƯỜI DÂN THÁNG {local(d.now, '%m/%Y')}", *rows]
