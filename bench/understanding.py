"""Residents' own words (issue 20): how often the first message is understood, and how many
taps and messages a report takes from the first message to its code.

Reads ``bench/data/resident_messages.jsonl`` (written as residents write: typos, no
diacritics, slang, English mixed in, several incidents in one; each with its expected
category and, where a place is named, its expected 2025 ward, or ``district`` where only an
old district is named and a list of its wards is the right answer), runs the category reading
(``core.understanding``) and the offline place reading the conversation uses (gazetteer, old
districts, ward names), and drives the pure conversation for three paths.

``python -m bench.understanding`` prints one JSON object. No timing: counts only.
"""

from __future__ import annotations

import json
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sosbot.core.actions import Action, SubmitReport
from sosbot.core.conversation import Settings, step
from sosbot.core.events import ButtonPressed, Event, LocationReceived, ReportSubmitted, TextReceived
from sosbot.core.model import Channel, ChatRef, ConversationState, Location, Sender, Stage
from sosbot.core.understanding import understand
from sosbot.geo.place_options import offline_reader
from sosbot.geo.place_understanding import packaged_reader

DATA = Path(__file__).resolve().parent / "data" / "resident_messages.jsonl"
CHAT = ChatRef(channel=Channel.TELEGRAM, chat_id="42")
SENDER = Sender(user_id="42")


def load(path: Path = DATA) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line]


def accuracy(messages: list[dict[str, Any]]) -> dict[str, Any]:
    """Category right, ward right (first proposal) where a ward is named, a list offered
    where an old district is, and the proposals a resident would have to correct."""
    read = offline_reader(packaged_reader())
    category_right = ward_right = district_listed = 0
    wrong_category = wrong_place = missed_place = 0
    named = [m for m in messages if m["place"] == "ward"]
    districts = [m for m in messages if m["place"] == "district"]
    misses: list[str] = []
    for m in messages:
        guessed = understand(m["text"]).category
        if guessed is not None and guessed.value == m["category"]:
            category_right += 1
        else:
            misses.append(f"category {guessed} ≠ {m['category']}: {m['text']}")
            if guessed is not None:
                wrong_category += 1  # shown as understood: the resident taps "change"
        _, options = read(m["text"])
        if m["place"] == "ward":
            if options and options[0].ward_code == m["ward_code"]:
                ward_right += 1
            else:
                misses.append(f"ward {[o.ward_name for o in options[:3]]} ≠ "
                              f"{m['ward_name']}: {m['text']}")
                if options:
                    wrong_place += 1
                else:
                    missed_place += 1  # asked for a pin or the map: no correction needed
        elif m["place"] == "district":
            if len(options) >= 2:
                district_listed += 1
            else:
                misses.append(f"no ward list for a district: {m['text']}")
        elif options:
            wrong_place += 1  # a place proposed where none was named
            misses.append(f"place proposed, none named {[o.label for o in options[:2]]}: "
                          f"{m['text']}")
    return {
        "messages": len(messages),
        "category_right_pct": round(100 * category_right / len(messages), 1),
        "naming_a_ward": len(named),
        "ward_right_pct": round(100 * ward_right / len(named), 1) if named else None,
        "naming_a_district": len(districts),
        "district_listed_pct": round(100 * district_listed / len(districts), 1)
        if districts else None,
        "wrong_category_proposals": wrong_category,
        "wrong_place_proposals": wrong_place,
        "place_not_found": missed_place,
        "wrong_proposals": wrong_category + wrong_place,
        "misses": misses,
    }


class _Resident:
    """Drives the pure conversation as a resident would, counting messages and taps."""

    def __init__(self, settings: Settings) -> None:
        self.state = ConversationState()
        self.settings = settings
        self.now = datetime(2026, 11, 22, 14, 0, tzinfo=UTC)
        self.messages = self.taps = 0
        self.code: str | None = None
        self.n = 0

    def _step(self, event: Event) -> list[Action]:
        self.now += timedelta(seconds=5)
        self.state, actions = step(self.state, event, self.now, self.settings)
        for action in list(actions):
            if isinstance(action, SubmitReport):
                self.code = "SOS-1"
                self.state, more = step(self.state, ReportSubmitted(code=self.code,
                                                                    draft=action.draft),
                                        self.now, self.settings)
                actions += more
        return actions

    def _ids(self) -> dict[str, Any]:
        self.n += 1
        return {"chat": CHAT, "sender": SENDER, "event_id": str(self.n),
                "message_id": str(self.n)}

    def says(self, words: str) -> list[Action]:
        self.messages += 1
        return self._step(TextReceived(text=words, **self._ids()))

    def pins(self, lat: float, lon: float) -> list[Action]:
        self.messages += 1
        return self._step(LocationReceived(location=Location(lat=lat, lon=lon), **self._ids()))

    def taps_on(self, value: str) -> list[Action]:
        self.taps += 1
        return self._step(ButtonPressed(data=value, **self._ids()))

    def finish(self, ward_code: str | None = None) -> None:
        """Answer what is asked, the fewest taps each time, until the report's code."""
        for _ in range(10):
            if self.code is not None:
                return
            stage, draft = self.state.stage, self.state.draft
            if stage is Stage.PLACE and draft is not None:
                index = next((i for i, o in enumerate(draft.place_options, start=1)
                              if o.ward_code == ward_code), 1)
                self.taps_on(f"place:{index}")
            elif stage is Stage.MEDIA:
                self.taps_on("skip")
            elif stage is Stage.CONFIRM:
                self.taps_on("submit")
            else:
                raise AssertionError(f"stuck at {stage}")


def taps(settings: Settings) -> dict[str, Any]:
    """Messages and taps from the first message to the report's code, per path."""
    out: dict[str, Any] = {}
    a = _Resident(settings)
    a.says("tai nan xe may nguoi nam duong")
    a.pins(10.7769, 106.7009)
    before = a.taps
    while a.state.stage is not Stage.CONFIRM:
        a.taps_on("skip")
    to_summary = a.taps - before
    a.finish()
    out["sentence_and_pin"] = {"messages": a.messages, "taps": a.taps,
                               "taps_after_pin_to_summary": to_summary}
    b = _Resident(settings)
    b.says("Có cháy ở chợ Bến Thành, cứu với!")
    b.finish("26743")
    out["sentence_naming_a_place"] = {"messages": b.messages, "taps": b.taps}
    c = _Resident(settings)
    c.says("đánh nhau ở Q.Tân Phú")
    wards = len(c.state.draft.place_options) if c.state.draft else 0
    c.finish()
    out["place_needing_disambiguation"] = {"messages": c.messages, "taps": c.taps,
                                           "wards_offered": wards}
    return out


def cpu_model() -> str:
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            return line.split(":", 1)[1].strip()
    return "unknown"


def measure() -> dict[str, Any]:
    reader = packaged_reader()
    settings = Settings(in_service_area=reader.index.in_service_area,
                        read_place=offline_reader(reader))
    return {**accuracy(load()), "paths": taps(settings), "cpu": cpu_model()}


def section(r: dict[str, Any] | None) -> list[str]:
    """RESULTS.md's section."""
    if not r:
        return []
    p = r["paths"]
    lines = [
        "## Residents' own words (issue 20)", "",
        f"{r['messages']} labelled messages (`bench/data/resident_messages.jsonl`), read "
        "offline (no geocoder) on " + str(r.get("cpu", "?")) + " (counts, not timings). "
        "Category: `core.understanding`; place: the gazetteer, old districts and ward names, "
        "first proposal (`python -m bench.understanding` lists every miss).", "",
        "Read these figures with care: the set was written by the same hand that tuned the "
        "keyword lists (no held-out set), and most places it names are in the curated "
        "gazetteer, so real residents' messages will score lower, on places above all.", "",
        "| measure | value | goal |", "|---|---|---|",
        f"| category right | {r['category_right_pct']} % | ≥ 95 % |",
        f"| ward right (first proposal), of {r['naming_a_ward']} naming a place "
        f"| {r['ward_right_pct']} % | ≥ 90 % |",
        f"| old district → list of its wards, of {r['naming_a_district']} "
        f"| {r['district_listed_pct']} % | — |",
        f"| wrong proposals to correct (category + place) | {r['wrong_proposals']} "
        f"({r['wrong_category_proposals']} + {r['wrong_place_proposals']}) | — |",
        f"| places not found (pin or map asked) | {r['place_not_found']} | — |", "",
        "| path (pure conversation) | messages | taps to the code |", "|---|---|---|",
        f"| one sentence + pin | {p['sentence_and_pin']['messages']} "
        f"| {p['sentence_and_pin']['taps']} "
        f"({p['sentence_and_pin']['taps_after_pin_to_summary']} after the pin to the "
        "summary; goal ≤ 2) |",
        f"| one sentence naming a place | {p['sentence_naming_a_place']['messages']} "
        f"| {p['sentence_naming_a_place']['taps']} |",
        f"| a place needing disambiguation | {p['place_needing_disambiguation']['messages']}"
        f" | {p['place_needing_disambiguation']['taps']} "
        f"({p['place_needing_disambiguation']['wards_offered']} wards offered) |", "",
    ]
    return lines


def main() -> int:
    json.dump(measure(), sys.stdout, ensure_ascii=False, indent=1)
    print()
    return 0


if __name__ == "__main__":
    sys.exit(main())
