"""What residents type instead of pressing a button, folded (lower case, no diacritics)."""

from __future__ import annotations

from sosbot.core.model import Category

CATEGORY_ORDER = (Category.SECURITY, Category.TRAFFIC, Category.FIRE, Category.OTHER)

CATEGORY_WORDS: dict[str, Category] = {
    **{str(i + 1): c for i, c in enumerate(CATEGORY_ORDER)},
    "an ninh": Category.SECURITY, "an ninh trat tu": Category.SECURITY,
    "toi pham": Category.SECURITY, "an ninh trat tu toi pham": Category.SECURITY,
    "security": Category.SECURITY, "crime": Category.SECURITY,
    "crime public order": Category.SECURITY,
    "tai nan": Category.TRAFFIC, "tai nan giao thong": Category.TRAFFIC,
    "giao thong": Category.TRAFFIC, "traffic": Category.TRAFFIC,
    "traffic accident": Category.TRAFFIC, "accident": Category.TRAFFIC,
    "chay": Category.FIRE, "chay no": Category.FIRE, "fire": Category.FIRE,
    "fire explosion": Category.FIRE, "explosion": Category.FIRE,
    "khac": Category.OTHER, "su co khac": Category.OTHER, "other": Category.OTHER,
    "other emergency": Category.OTHER,
}
SUBMIT_WORDS = {"gui", "gui tin bao", "dong y", "ok", "xac nhan", "send", "send report", "yes",
                 "co", "dung"}
CANCEL_WORDS = {"huy", "cancel", "huy bo"}
DONE_WORDS = {"xong", "done", "bo qua", "skip", "khong", "khong co", "no", "het"}
GREETINGS = {"hi", "hello", "xin chao", "chao", "alo", "start", "bat dau"}
