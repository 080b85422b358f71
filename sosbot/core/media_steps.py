"""The conversation's steps about photos and videos: kept in the draft up to the report's
limit, one answer per album, and, within the extras window after filing, added to the
submitted report. Pure; ``conversation.step`` drives them.
"""

from __future__ import annotations

from sosbot.core.actions import AttachToReport, Choice, OutgoingMessage
from sosbot.core.events import MediaReceived
from sosbot.core.model import Draft, Stage, SubmittedReport
from sosbot.core.sanitize import clean_user_text
from sosbot.core.turn import Turn


class MediaSteps(Turn):
    """A turn's handlers for photos and videos."""

    def on_media(self, event: MediaReceived) -> None:
        media = event.media
        limit = self.settings.max_media_bytes
        if media.size is not None and media.size > limit:
            self.say("media_too_large", limit_mb=limit // (1024 * 1024))
            return
        extras = self._in_extras_window()
        if extras is not None:
            self._media_extra(event, extras)
            return
        if self.state.draft is None:
            self._set(draft=Draft())
        d = self.draft
        limit = self.settings.max_media_per_report
        if len(d.media) >= limit:
            # The photo is not kept; its caption is (words cost nothing). Told once.
            self._set_draft(media_dropped=d.media_dropped + 1)
            if event.caption:
                self._add_description(event.caption)
            if d.media_dropped == 0:
                self.ask_next(self.t("media_limit", limit=limit, kept=len(d.media)))
            return
        seen_album = event.album_id is not None and event.album_id in d.album_ids
        albums = d.album_ids + ((event.album_id,) if event.album_id and not seen_album else ())
        self._set_draft(media=(*d.media, media), album_ids=albums)
        if event.caption:
            self._add_description(event.caption)
        if seen_album:
            return  # one answer per album, not one per photo
        if self.state.stage is Stage.MEDIA:
            # Album items arrive one by one: the count at the first would be wrong.
            received = self.t("album_received") if event.album_id else \
                self.t("media_received", count=len(self.draft.media))
            self.reply(OutgoingMessage(
                text=received,
                choices=((Choice(self.t("button_done"), "done"),),),
            ))
        else:
            self.ask_next()

    def _media_extra(self, event: MediaReceived, extras: SubmittedReport) -> None:
        """A photo within the extras window: added to the submitted report, up to the
        per-report limit counted again for the window."""
        caption = clean_user_text(event.caption, self.settings.max_description_chars)
        new_album = event.album_id is not None and event.album_id not in extras.album_ids
        albums = (*extras.album_ids, event.album_id) if new_album else extras.album_ids
        limit = self.settings.max_media_per_report
        if extras.extra_media >= limit:
            self._set(last_report=extras.model_copy(update={
                "album_ids": albums, "extra_media_dropped": extras.extra_media_dropped + 1}))
            if caption:
                self.actions.append(AttachToReport(code=extras.code, text=caption))
            if extras.extra_media_dropped == 0:
                self.say("media_limit_extras", code=extras.code, limit=limit,
                         kept=extras.extra_media)
            return
        self.actions.append(AttachToReport(code=extras.code, media=(event.media,),
                                           text=caption))
        if event.album_id is None or new_album:
            self.say("extra_attached", code=extras.code)
        self._set(last_report=extras.model_copy(update={
            "album_ids": albums, "extra_media": extras.extra_media + 1}))
