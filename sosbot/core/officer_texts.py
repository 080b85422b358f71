"""Every text sosbot writes to the police's group chats, keyed by name.

Officers read Vietnamese, so every key has its Vietnamese text; an English text is optional
(``EN``; none is written yet) and Vietnamese stands in for a missing one. The residents'
texts are a separate catalogue (``core.texts``): there both languages are required.

Keys are grouped by where they show (``card.``, ``group.``, ``digest.``, …). A family of
keys read by one call (``report_status.<status>``, ``audit.<action>``) is a prefix ending in
a dot; ``officer_labels(prefix)`` gives its members as a dict. Only words are catalogued:
layout made of emoji, separators and values alone (``"📍 {ward}"``) stays with its renderer.
A test checks that every key is used, every key used exists, and that each call passes
exactly the placeholders its text takes.
"""

from __future__ import annotations

VI: dict[str, str] = {
    # -- shared ---------------------------------------------------------------------------
    "ward_unknown": "chưa rõ phường/xã",
    "more_reports": "… và {count} tin báo khác",
    # -- the report card (core.cards) -------------------------------------------------------
    "ack_state.new": "⏳ chưa tiếp nhận",
    "ack_state.acknowledged": "✅ đã tiếp nhận",
    "ack_state.in_progress": "🚓 đang xử lý",
    "ack_state.resolved": "✔️ đã xử lý",
    "ack_state.false_report": "❌ tin báo sai",
    "report_status.new": "Mới",
    "report_status.routed": "Đã chuyển, chờ tiếp nhận",
    "report_status.acknowledged": "Đã tiếp nhận",
    "report_status.in_progress": "Đang xử lý",
    "report_status.resolved": "Đã xử lý xong",
    "report_status.false_report": "Tin báo sai",
    "report_status.duplicate": "Trùng với tin báo khác",
    "command_meaning.ack": "tiếp nhận",
    "command_meaning.dangxuly": "đang xử lý",
    "command_meaning.xong": "đã xử lý",
    "command_meaning.sai": "tin báo sai",
    "location_how.boundary": " (giáp ranh)",
    "location_how.nearest": " (gần nhất)",
    "card.reporter_unnamed": "Người báo tin",
    "card.ward_unknown": "📍 Chưa xác định được phường/xã — cần xác minh vị trí",
    "card.ward_without_group": (
        "⚠️ Phường/xã này chưa có nhóm nhận tin: Trung tâm chỉ huy điều phối."
    ),
    "card.map_link": "Bản đồ: {url}",
    "card.typed_address": "Địa chỉ người báo nhập: {address}",
    "card.media": "📷 {count} ảnh/video",
    "card.media_missing": " ({count} không tải được)",
    "card.media_left_out": " ({count} không lưu: vượt tổng dung lượng cho phép)",
    "card.duplicates": "➕ {count} báo cáo trùng về cùng sự việc",
    "card.status": "Trạng thái: {status}",
    "card.commands_hint": "Trả lời trong nhóm: {commands}",
    "card.split_hint": " · /tach <mã> (tách báo cáo trùng)",
    "card.button_acknowledge": "✅ Tiếp nhận",
    "card.button_in_progress": "🚓 Đang xử lý",
    "card.button_resolve": "✔️ Đã xử lý",
    "card.button_false_report": "❌ Tin báo sai",
    "card.button_split": "✂️ Tách {code} thành tin báo riêng",
    # -- the batch card (core.cards) --------------------------------------------------------
    "batch.header": (
        "📚 {count} TIN BÁO GỘP — nhiều tin báo đến cùng lúc nên được gửi chung một "
        "thẻ; mỗi tin vẫn tiếp nhận riêng theo mã."
    ),
    "batch.ward_unknown": "Chưa xác định được phường/xã",
    "batch.address": "Địa chỉ: {address}",
    "batch.button_acknowledge": "✅ Tiếp nhận {code}",
    "batch.button_in_progress": "🚓 Xử lý",
    "batch.button_resolve": "✔️ Xong",
    "batch.button_false_report": "❌ Sai",
    "batch.commands_hint": (
        "Trả lời trong nhóm, ghi kèm mã tin báo: /ack <mã> (tiếp nhận) · "
        "/dangxuly <mã> · /xong <mã> · /sai <mã>"
    ),
    # -- officers' actions on a report (officers.acks) -------------------------------------
    "ack.done.acknowledged": "✅ Đã ghi nhận: {unit} tiếp nhận {code}.",
    "ack.done.in_progress": "🚓 Đã ghi nhận: {unit} đang xử lý {code}.",
    "ack.done.resolved": "✔️ Đã ghi nhận: {code} đã xử lý xong.",
    "ack.done.false_report": "❌ Đã ghi nhận: {code} là tin báo sai.",
    "ack.merged": "{code} đang gộp vào tin báo khác; bấm «Tách» để xử lý riêng.",
    "ack.closed": "Tin báo {code} đã kết thúc, không thể cập nhật.",
    "ack.not_duplicate": "{code} không phải báo cáo trùng.",
    "ack.split_done": "✂️ Đã tách {code} thành tin báo riêng.",
    # -- a group chat: binding, buttons, commands (officers.group_chat) -------------------
    "group.welcome": (
        "Xin chào! Để nhóm này nhận tin báo, cán bộ quản trị gửi "
        "/bind <mã liên kết> (mã do quản trị hệ thống cấp)."
    ),
    "group.bot_removed": (
        "⚠️ Bot đã bị xoá khỏi nhóm «{title}» ({unit}). Tin báo mới của đơn vị này sẽ "
        "chuyển về Trung tâm chỉ huy cho đến khi nhóm được liên kết lại."
    ),
    "group.command_centre_only": "⛔ Lệnh này chỉ dùng trong nhóm Trung tâm Thông tin chỉ huy.",
    "group.button_foreign": "⛔ Nút này không dùng được ở đây.",
    "group.button_refused": "⛔ Nút đã hết hạn hoặc không hợp lệ.",
    "group.button_not_assigned": "⛔ Nhóm này không được giao tin báo này.",
    "group.bind_too_many": "⛔ Nhóm đã nhập sai mã quá nhiều lần. Vui lòng thử lại sau một giờ.",
    "group.bind_refused": (
        "❌ Mã liên kết không đúng, đã dùng hoặc đã hết hạn. Xin mã mới từ quản trị hệ thống."
    ),
    "group.bound": (
        "✅ Nhóm này đã được liên kết với: {unit}. Tin báo sẽ được chuyển vào đây; bấm ✅ "
        "Tiếp nhận trên thẻ tin báo (hoặc trả lời /ack <mã tin báo>) để xác nhận."
    ),
    "group.unbind_admins_only": "⛔ Chỉ quản trị hệ thống mới được huỷ liên kết nhóm.",
    "group.not_bound": "Nhóm này chưa được liên kết.",
    "group.unbound": "Đã huỷ liên kết với {unit}.",
    "group.batch_needs_code": (
        "Thẻ này gộp nhiều tin báo ({codes}): ghi kèm mã tin báo, ví dụ /ack {first}."
    ),
    "group.report_named": "tin báo {code}",
    "group.report_this": "tin báo này",
    "group.not_assigned": (
        "⛔ Nhóm này không được giao {what}. Trả lời ngay dưới thẻ tin báo, hoặc ghi kèm mã, "
        "ví dụ /ack SOS-260001."
    ),
    "group.ask_empty": "Ghi câu hỏi sau lệnh, ví dụ: /hoi Có ai bị thương không?",
    "group.ask_relayed": (
        "Đã chuyển câu hỏi cho người báo tin; câu trả lời sẽ hiện dưới thẻ tin báo."
    ),
    "group.resident_answer": "💬 Người báo tin trả lời ({code}): {answer}",
    # -- the command centre's commands (officers.command_chat, command_actions) ------------
    "story.unknown_report": "Không có tin báo {code}.",
    "story.targets": "Các nhóm nhận:",
    "story.target_line": " • {unit} ({channel}): gửi {status}, {state}",
    "story.trail": "Diễn biến:",
    "audit.report.created": "tạo tin báo",
    "audit.report.routed": "chuyển đến các nhóm",
    "audit.report.ack": "cán bộ cập nhật",
    "audit.report.status": "đổi trạng thái",
    "audit.report.escalated": "báo quá hạn",
    "audit.report.duplicate": "gộp vào tin báo khác",
    "audit.report.split": "tách thành tin báo riêng",
    "audit.report.extra": "người báo bổ sung",
    "audit.report.question": "cán bộ hỏi người báo",
    "audit.report.answer": "người báo trả lời",
    "audit.report.phone_shared": "người báo chia sẻ số điện thoại",
    "audit.report.location_refined": "vị trí được cập nhật",
    "audit.report.resident_unreachable": "không nhắn được cho người báo",
    "ward.ask": "Ghi tên hoặc mã phường/xã, ví dụ: /ward Tân Phú hoặc /ward 27031",
    "ward.none_open": "{ward}: không có tin báo đang mở.",
    "ward.open_header": "{ward}: {count} tin báo đang mở",
    "ward.report_line": " • {code} {category} — {status}, {age} phút trước",
    "ward.no_code": "Không có phường/xã mang mã {code}.",
    "ward.ambiguous": "Có nhiều phường/xã trùng tên: {names}. Ghi mã để chọn.",
    "ward.not_found": "Không tìm thấy phường/xã «{query}».",
    "open_list.overdue_title": "Tin báo quá hạn chưa tiếp nhận",
    "open_list.open_title": "Tin báo đang mở",
    "open_list.none": "{title}: không có.",
    "open_list.header": "{title} ({count}), cũ nhất trước:",
    "open_list.line": " • {code} — {where}, {age} phút{flag}",
    "block.ask": "Ghi mã tin báo hoặc kênh:mã người dùng, ví dụ: /block SOS-260001 báo tin giả",
    "block.no_reporter": "Không tìm thấy người báo của tin {code}.",
    "block.not_found": (
        "Không tìm thấy người báo «{who}». Ghi mã tin báo (/block SOS-260001 lý do) "
        "hoặc kênh:mã người dùng (/block telegram:123456 lý do)."
    ),
    "block.already": "Người báo {label} đã bị chặn từ trước.",
    "block.done": (
        "⛔ Đã chặn người báo {label}: tin nhắn của họ sẽ không thành tin báo nữa "
        "(họ được nhắc gọi 113 nếu khẩn cấp). Bỏ chặn: /unblock {label}"
    ),
    "unblock.ask": "Ghi mã tin báo hoặc kênh:mã người dùng, ví dụ: /unblock telegram:123456",
    "unblock.not_blocked": "Người báo {label} không bị chặn.",
    "unblock.done": "✅ Đã bỏ chặn người báo {label}.",
    # -- safety bulletins (command_centre.bulletins, officers.command_actions) -------------
    "bulletin.ward_problem": "{problem} Ghi đúng tên hoặc mã phường/xã trước dấu «|».",
    "bulletin.ask_number": "Ghi số bản tin, ví dụ: /guibantin 12",
    "bulletin.unknown": "Không có bản tin #{number}.",
    "bulletin.sending": (
        "📤 Đang gửi bản tin #{id} tới {queued} người đăng ký (bỏ qua {skipped} người ngoài "
        "khung thời gian nhắn tin). Tiến độ sẽ được báo trong nhóm này."
    ),
    "bulletin.cancelled": "Đã huỷ bản tin nháp #{id}.",
    "bulletin.empty": (
        "Bản tin trống: ghi nội dung sau lệnh, ví dụ "
        "/bulletin Cảnh giác thủ đoạn giả danh công an gọi điện…"
    ),
    "bulletin.too_long": "Bản tin dài {length} ký tự; tối đa {limit}.",
    "bulletin.scope_city": "toàn thành phố",
    "bulletin.with_image": "\nKèm 1 ảnh.",
    "bulletin.preview": (
        "📢 Bản tin #{id} (nháp) — phạm vi: {scope}\n"
        "Sẽ gửi tới {reachable} người đăng ký ({platforms}); bỏ qua {closed} "
        "người ngoài khung thời gian nền tảng cho phép nhắn.{image}\n"
        "———\n{text}\n———\n"
        "Gửi: /guibantin {id}   ·   Huỷ: /huybantin {id}"
    ),
    "bulletin.not_draft": "Bản tin #{id} đã {state}.",
    "bulletin.not_draft_cancel": "Bản tin #{id} đã {state}, không huỷ được.",
    "bulletin.state.draft": "là bản nháp",
    "bulletin.state.sending": "đang được gửi",
    "bulletin.state.done": "gửi xong",
    "bulletin.state.cancelled": "bị huỷ",
    "bulletin.counts": (
        "gửi được {sent}, bỏ qua {skipped} (ngoài khung thời gian nền tảng cho phép nhắn), "
        "lỗi {failed}"
    ),
    "bulletin.finished": (
        "✅ Bản tin #{id} ({scope}) đã gửi xong tới {total} người đăng ký: {counts}. "
        "Thời gian gửi: {minutes} phút {seconds} giây."
    ),
    "bulletin.progress": (
        "⏳ Bản tin #{id}: đã xử lý {handled}/{total} ({percent}%) — {counts}."
    ),
    # -- escalation (routing.escalation) ----------------------------------------------------
    "escalation.remind": (
        "⏰ NHẮC: {headline} chưa được tiếp nhận sau {minutes} phút. "
        "Bấm ✅ Tiếp nhận hoặc gửi /ack {code}."
    ),
    "escalation.assigned_unit": "đơn vị được giao",
    "escalation.overdue": "🚨 QUÁ HẠN: {headline} — {who} chưa tiếp nhận sau {minutes} phút.",
    "escalation.urgent": "🚨🚨 KHẨN: {headline} chưa được tiếp nhận sau {minutes} phút.",
    # -- alerts to the command centre (delivery.card_posts, send_outcomes) ----------------
    "alert.card_failed": (
        "⚠️ Không gửi được tin báo {code} tới nhóm «{title}» ({role} {target}): {error}. "
        "Trung tâm chỉ huy điều phối tin báo này."
    ),
    "alert.unreachable.window_closed": "đã quá thời hạn nền tảng cho phép nhắn tin lại",
    "alert.unreachable.temporary": "nền tảng liên tục báo lỗi, đã thử lại nhiều lần không được",
    "alert.unreachable.gone": "người báo tin đã chặn hoặc không còn nhận tin",
    "alert.unreachable_phone": " Số điện thoại: {phone}.",
    "alert.unreachable_held": (
        " Cập nhật được giữ lại và sẽ gửi ngay khi người báo tin nhắn lại (hoặc hỏi "
        "/trangthai)."
    ),
    "alert.resident_unreachable": (
        "⚠️ Không gửi được tin nhắn cập nhật tin báo {code} tới người báo tin trên "
        "{channel}: {why}.{held}{phone}"
    ),
    "alert.crashed_about": " về tin báo {code}",
    "alert.crashed_group": "nhóm «{title}»",
    "alert.crashed_person": "người nhận trên {channel}",
    "alert.crashed_what.card_album": "ảnh/video",
    "alert.crashed_what.card": "thẻ tin báo",
    "alert.crashed_what.card_edit": "cập nhật thẻ",
    "alert.crashed_what.note": "ghi chú",
    "alert.crashed_what.message": "tin nhắn",
    "alert.crashed": (
        "⚠️ Đã bỏ qua một {what}{about} gửi tới {where}: chuẩn bị hoặc gửi bị lỗi "
        "{attempts} lần ({error}). Các tin sau vẫn được gửi; kỹ thuật xem nhật "
        "ký, mục outbox #{row}."
    ),
    # -- the digest (command_centre.digest_text, posting, digest_images) ------------------
    "duration.seconds": "{seconds} giây",
    "duration.minutes_seconds": "{minutes} phút {seconds} giây",
    "duration.minutes": "{minutes} phút",
    "duration.hours_minutes": "{hours} giờ {minutes} phút",
    "duration.hours": "{hours} giờ",
    "digest.title": "📋 TỔNG HỢP TIN BÁO — TRUNG TÂM CHỈ HUY",
    "digest.period": "🕒 Từ {since} đến {until} (lập lúc {made})",
    "digest.total": "📊 Tổng cộng: {total} tin báo",
    "digest.overdue": "⏰ QUÁ HẠN, CHƯA TIẾP NHẬN ({count})",
    "digest.open": "🟡 ĐANG MỞ ({count}, chưa kể quá hạn: {still_open})",
    "digest.ack_times": "⏱️ THỜI GIAN TIẾP NHẬN (trung vị / 90%)",
    "digest.ack_wards": "Phường/xã (chậm nhất trước):",
    "digest.ack_departments": "Phòng nghiệp vụ:",
    "digest.busiest": "🏘️ PHƯỜNG/XÃ NHIỀU TIN NHẤT",
    "digest.failures": "❗ GỬI THẤT BẠI ({count})",
    "digest.held": (
        "📨 Cập nhật chờ người báo tin nhắn lại: {count} (nền tảng không cho gửi lúc này; "
        "sẽ gửi ngay khi họ nhắn tin)"
    ),
    "digest.quiet": "📵 KÊNH KHÔNG CÓ TIN ĐẾN",
    "digest.usage": "💬 TIN GỬI NGƯỜI DÂN THÁNG {month}",
    "digest.usage_kind.reply": "trả lời miễn phí",
    "digest.usage_kind.proactive": "chủ động (tính hạn mức)",
    "digest.usage_kind.refused": "bị từ chối do hết hạn mức",
    "alert.quota_refused": (
        "⚠️ {platform} từ chối gửi tin vì hết hạn mức hoặc chưa thanh toán (mã {code}): "
        "{refused} tin tới người dân không gửi được trong tháng {month}. Cần nạp tiền/mua "
        "thêm hạn mức cho tài khoản {platform} (OA), rồi người dân nhắn lại thì tin mới gửi "
        "được."
    ),
    "digest.quiet_line": " • {channel}: tin cuối lúc {time} — cần kiểm tra kết nối",
    "digest.all_clear": "✅ Không có tin quá hạn, lỗi gửi hay kênh mất kết nối.",
    "digest.more": "  … và {count} {noun} khác",
    "digest.noun.reports": "tin báo",
    "digest.noun.wards": "phường/xã",
    "digest.noun.departments": "phòng",
    "digest.noun.failures": "lỗi",
    "digest.noun.channels": "kênh",
    "digest.escalation_level": " — cảnh báo cấp {level}",
    "digest.ack_none": " • {name}: chưa tiếp nhận tin nào ({waiting} đang chờ)",
    "digest.ack_line": " • {name}: {median} / {p90} ({acked} tin",
    "digest.ack_waiting": ", {waiting} đang chờ",
    "digest.role.ward": "nhóm phường/xã",
    "digest.role.department": "nhóm phòng nghiệp vụ",
    "digest.role.command": "nhóm TTCH",
    "digest.role.escalation": "nhóm lãnh đạo",
    "digest.failed_message": "tin nhắn ({what})",
    "digest.unknown_error": "không rõ lỗi",
    "digest.caption": "Tổng hợp {since} – {until}: {total} tin báo",
    # -- the digest's images (command_centre.charts, digest_map) ---------------------------
    "chart.reports_axis": "Số tin báo",
    "chart.hour_axis": "Giờ (giờ Việt Nam)",
    "chart.hourly_title": (
        "Tin báo theo giờ — {since:%H:%M %d/%m} đến {until:%H:%M %d/%m/%Y} (tổng {total})"
    ),
    "chart.no_acks": "Chưa có tin báo nào được tiếp nhận trong kỳ",
    "chart.p90": "90% tin báo (p90)",
    "chart.median": "Trung vị",
    "chart.ack_axis": "Phút từ lúc báo đến khi tiếp nhận",
    "chart.ack_title": "Thời gian tiếp nhận theo phường/xã (số tin đã tiếp nhận)",
    "map.title": (
        "Bản đồ tin báo {since:%H:%M %d/%m} – {until:%H:%M %d/%m/%Y}: {located} tin có vị trí"
    ),
    "map.unlocated": ", {count} tin chưa có vị trí",
    "map.overdue": " · {count} quá hạn (vòng đỏ)",
    "map.legend_overdue": "Quá hạn chưa tiếp nhận",
}

# Officers read Vietnamese; an English text, where one is written, must take the same
# placeholders (a test checks it).
EN: dict[str, str] = {}

CATALOGS: dict[str, dict[str, str]] = {"vi": VI, "en": EN}


def officer_text(key: str, *, lang: str = "vi", **values: object) -> str:
    """The officers' text ``key`` with its placeholders filled from ``values``.

    Vietnamese unless ``lang`` names a catalogue holding the key. A missing key or value
    raises KeyError: every call site is checked by a test, so neither reaches production.
    """
    template = CATALOGS.get(lang, VI).get(key) or VI[key]
    return template.format(**values)


def officer_labels(prefix: str) -> dict[str, str]:
    """A family of texts: ``{"new": …, "routed": …}`` for the prefix ``"report_status."``."""
    if not prefix.endswith("."):
        raise ValueError(f"a family's prefix ends with a dot: {prefix!r}")
    return {key[len(prefix):]: value for key, value in VI.items() if key.startswith(prefix)}
