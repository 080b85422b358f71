"""The offline place reader as the conversation sees it: candidates become PlaceOptions.

The conversation (core) cannot import geo; runtime hands it :func:`offline_reader` through
its settings, so a typed place is proposed back at once, without any network.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from sosbot.core.model import PlaceOption
from sosbot.geo.place_understanding import Candidate, PlaceReader
from sosbot.geo.wards import WardIndex


def as_options(candidates: Sequence[Candidate], index: WardIndex) -> tuple[PlaceOption, ...]:
    """Candidates → the options the conversation proposes, with the wards' full names."""
    out = []
    for c in candidates:
        try:
            ward = index.by_code(c.ward_code)
            vi, en = ward.full_name, ward.full_name_en
        except KeyError:
            vi = en = c.ward_name
        out.append(PlaceOption(ward_code=c.ward_code, ward_name=vi, ward_name_en=en,
                               lat=c.lat, lon=c.lon, label=c.label, how=c.how))
    return tuple(out)


def offline_reader(reader: PlaceReader) -> Callable[[str], tuple[str | None,
                                                              tuple[PlaceOption, ...]]]:
    """``text`` → (the words naming a place, the options), read offline."""
    def read(text: str) -> tuple[str | None, tuple[PlaceOption, ...]]:
        reading = reader.read(text)
        if not reading.candidates:
            return None, ()
        return reading.place_text, as_options(reading.candidates, reader.index)
    return read
