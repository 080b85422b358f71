"""A ward of Ho Chi Minh City, and where a point fell: what a ward lookup
(:class:`~sosbot.geo.wards.WardIndex`) answers."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

MatchHow = Literal["inside", "boundary", "nearest", "outside"]
UnitType = Literal["phuong", "xa", "dac_khu"]


@dataclass(frozen=True, slots=True)
class Ward:
    """One commune-level unit of Ho Chi Minh City."""

    code: str
    name: str
    name_en: str
    full_name: str
    full_name_en: str
    unit_type: UnitType
    area_km2: float


@dataclass(frozen=True, slots=True)
class WardMatch:
    """Where a point fell.

    ``ward`` is the primary ward (None when ``how == "outside"``), ``touching`` every ward within
    the boundary tolerance when ``how == "boundary"`` (empty otherwise), ``distance_m`` the
    distance to the primary ward in metres (0 when the point is in it; ``inf`` when outside).
    """

    ward: Ward | None
    how: MatchHow
    touching: tuple[Ward, ...] = ()
    distance_m: float = 0.0


@dataclass(frozen=True, slots=True)
class WardNear:
    """A ward near a point (:meth:`WardIndex.wards_near`): how far, and a point inside it."""

    ward: Ward
    distance_m: float
    lat: float
    lon: float
