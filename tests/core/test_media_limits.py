"""The per-report photo limit in the conversation: in the draft and in the extras window."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

from sosbot.core.actions import Action, AttachToReport, SubmitReport
from tests.core.test_conversation import (
    SETTINGS,
    Dialogue,
    command,
    only,
    photo,
    pin,
    press,
    replies,
    text,
)

LIMITED = replace(SETTINGS, max_media_per_report=4)


def test_an_album_beyond_the_limit_keeps_the_first_and_says_so_once() -> None:
    d = Dialogue(LIMITED)
    d.send(command("start"))
    d.send(press("cat:fire"))
    d.send(pin())
    d.send(text("Cháy xưởng gỗ"))
    said: list[str] = []
    for n in range(7):
        said += replies(d.send(photo(album="big", caption="cửa sau" if n == 5 else ""),
                               after=timedelta(milliseconds=100)))
    draft = d.state.draft
    assert draft is not None
    assert len(draft.media) == 4 and draft.media_dropped == 3
    assert "cửa sau" in draft.description, "a dropped photo's caption is still kept"
    notices = [s for s in said if "tối đa 4 ảnh/video" in s]
    assert len(notices) == 1 and "đã giữ 4 ảnh/video đầu tiên" in notices[0]
    # and a later single photo is dropped silently
    assert replies(d.send(photo())) == []
    assert len(d.state.draft.media) == 4  # type: ignore[union-attr]
    submitted = only(d.send(press("submit")), SubmitReport)
    assert submitted and len(submitted[0].draft.media) == 4


def test_extras_window_takes_the_same_limit_again_with_one_notice() -> None:
    d = Dialogue(LIMITED)
    d.send(command("start"))
    d.send(press("cat:security"))
    d.send(pin())
    d.send(text("Trộm xe máy"))
    d.send(press("skip"))
    d.send(press("submit"))
    assert d.state.last_report is not None
    actions: list[Action] = []
    said: list[str] = []
    for n in range(6):
        more = d.send(photo(album="late", caption="biển số 59X1" if n == 5 else ""),
                      after=timedelta(seconds=1))
        actions += more
        said += replies(more)
    attached = only(actions, AttachToReport)
    assert sum(len(a.media) for a in attached) == 4
    assert any("59X1" in a.text and not a.media for a in attached), "the caption goes on"
    notices = [s for s in said if "tối đa 4" in s]
    assert len(notices) == 1 and "SOS-260001" in notices[0]
    assert replies(d.send(photo())) == []
    assert d.state.last_report is not None and d.state.last_report.extra_media_dropped == 3


def test_the_limit_in_english() -> None:
    d = Dialogue(replace(SETTINGS, max_media_per_report=2))
    d.send(command("lang", "en"))
    d.send(photo())
    d.send(photo())
    said = replies(d.send(photo()))
    assert said and said[0].startswith("A report takes at most 2 photos/videos: the first 2")
