"""The conversation's steps about where it happened: a typed place proposed back, the
worker's lookup answered, a pin (or a live location following the resident), a tap on a
proposed place. Pure; ``conversation.step`` drives them.

Only a tap, a pin or a point on the location page sets ``Draft.location``: typed words are
proposed back, never taken on their own.
"""

from __future__ import annotations

from sosbot.core.actions import Choice, OutgoingMessage, RefineReportLocation
from sosbot.core.events import LocationReceived, PlaceCandidatesFound
from sosbot.core.model import Draft, LocationSource, Stage
from sosbot.core.sanitize import clean_user_text
from sosbot.core.turn import PLACE_KEEP, PLACE_PREFIX, PLACE_RETYPE, Turn


class PlaceSteps(Turn):
    """A turn's handlers for the place of the report."""

    def _typed_place(self, raw: str) -> None:
        """A typed answer to "where?": proposed back for the resident to confirm, never
        taken as the place on its own."""
        self._propose_place(raw, raw)
        d = self.draft
        if d.place_options or d.place_lookup:
            self.ask_next()
            return
        self._place_not_found(d.place_query or raw)

    def _place_not_found(self, query: str) -> None:
        self._set(stage=Stage.LOCATION)
        self._set_draft(place_query=clean_user_text(query, self.settings.max_address_chars))
        self.reply(OutgoingMessage(
            text=self.t("place_not_found", place=self.draft.place_query),
            choices=((Choice(self.t("button_place_retype"), PLACE_RETYPE),),
                     (Choice(self.t("button_place_keep"), PLACE_KEEP),)),
            map_page=True))

    def _place_found(self, event: PlaceCandidatesFound) -> None:
        """The worker's lookup answered: propose what it found, unless the resident has
        moved on (a pin, a choice, other words typed since)."""
        d = self.state.draft
        if d is None or d.has_place or d.place_lookup != event.query:
            return
        options = event.options[: self.settings.max_place_options]
        if not options or options == d.place_options:
            self._set_draft(place_lookup=None)
            if not d.place_options:
                self._place_not_found(event.query)
            return
        self._set_draft(place_options=options, place_lookup=None, place_query=event.query)
        if self.draft.category is None:
            return  # the category question stands; the places are proposed after it
        self.ask_next(self.t("place_found_online") if event.online else None)

    def on_location(self, event: LocationReceived) -> None:
        loc = event.location
        if event.is_update:
            self._refine(event)
            return
        if not loc.in_range:
            self.say("location_invalid")
            return
        if not self.settings.in_service_area(loc.lat, loc.lon):
            self.say("location_outside")
            return
        if self.state.draft is None:
            self._set(draft=Draft())
        live_until = self.now + event.live_period_s if event.live_period_s else None
        source = LocationSource.LIVE if event.live_period_s else loc.source
        self._set_draft(
            location=loc.model_copy(update={"source": source}),
            location_message_id=event.message_id,
            live_until_epoch=live_until,
            place_query=None, place_options=(), place_lookup=None,
        )
        self.ask_next()

    def _refine(self, event: LocationReceived) -> None:
        """A live location moved: follow it silently while it is live."""
        loc = event.location
        if not loc.in_range or not self.settings.in_service_area(loc.lat, loc.lon):
            return
        d = self.state.draft
        moved = loc.model_copy(update={"source": LocationSource.LIVE})
        if d is not None and d.location_message_id == event.message_id:
            self._set_draft(location=moved)
            return
        last = self.state.last_report
        if (
            last is not None
            and last.location_message_id == event.message_id
            and last.live_until_epoch is not None
            and self.now <= last.live_until_epoch
        ):
            self.actions.append(RefineReportLocation(code=last.code, location=moved))

    def _place_button(self, data: str) -> None:
        """A tap on a proposed place, "type again" or "keep what I typed"."""
        d = self.state.draft
        if d is None or d.has_place:
            return  # an old button: the place was settled since
        if data == PLACE_RETYPE:
            self._forget_place()
            self.ask_next(self.t("place_retype"))
        elif data == PLACE_KEEP:
            if d.place_query:
                self._set_draft(address_text=d.place_query, place_query=None,
                                place_options=(), place_lookup=None)
            self.ask_next()
        else:
            number = data[len(PLACE_PREFIX):]
            index = int(number) - 1 if number.isdecimal() and len(number) <= 2 else -1
            if 0 <= index < len(d.place_options):
                self._take_place(d.place_options[index])
            self.ask_next()
