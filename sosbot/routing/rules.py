"""Who handles what: ward police by place, departments by category, the command centre
always; and the timings (escalation, near-duplicate windows) from config.yaml."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from sosbot.config import RoutingConfig
from sosbot.core.cards import police_unit
from sosbot.core.model import Category
from sosbot.geo.geocoding import GeocodeResult
from sosbot.geo.offline_geocoder import OfflineWardGeocoder
from sosbot.geo.ward_matches import WardMatch
from sosbot.geo.wards import WardIndex

WARD = "ward"
DEPARTMENT = "department"
COMMAND = "command"
ESCALATION = "escalation"


@dataclass(frozen=True)
class Unit:
    """A police unit a report can go to, named in both languages."""

    role: str
    code: str
    vi: str
    en: str

    @property
    def names(self) -> dict[str, str]:
        return {"vi": self.vi, "en": self.en}


class RoutingRules:
    """The routing policy, resolved once at start-up."""

    def __init__(self, config: RoutingConfig, wards: WardIndex, callback_secret: str,
                 wards_file: Path | None = None) -> None:
        self.config = config
        self.wards_file = wards_file  # the polygons' file, for drawing maps
        self.wards = wards
        self.callback_secret = callback_secret
        self._geocoder = OfflineWardGeocoder(wards)
        self._departments = {d.code: d for d in config.departments}

    def locate(self, lat: float, lon: float) -> WardMatch:
        return self.wards.ward_for(lat, lon)

    def geocode(self, address: str) -> GeocodeResult | None:
        """A typed address → a ward's point, without any network (the offline geocoder)."""
        return self._geocoder.resolve(address)

    def ward_unit(self, code: str) -> Unit:
        ward = self.wards.by_code(code)
        return Unit(WARD, code, police_unit(ward.full_name), f"{ward.full_name_en} Police")

    def department_units(self, category: Category) -> list[Unit]:
        return [Unit(DEPARTMENT, d.code, d.name_vi, d.name_en)
                for d in self.config.departments if category in d.categories]

    def command_unit(self) -> Unit:
        return Unit(COMMAND, COMMAND, self.config.command_centre_vi,
                    self.config.command_centre_en)

    def unit(self, role: str, code: str) -> Unit:
        """The unit a delivery or binding names. A department no longer in config.yaml is
        named as such (never passed off as the command centre); an unknown role is a bug."""
        if role == WARD:
            return self.ward_unit(code)
        if role == DEPARTMENT:
            d = self._departments.get(code)
            if d is None:
                return Unit(DEPARTMENT, code, f"Đơn vị {code} (không còn trong cấu hình)",
                            f"Unit {code} (no longer configured)")
            return Unit(DEPARTMENT, code, d.name_vi, d.name_en)
        if role == ESCALATION:
            return Unit(ESCALATION, code, "Lãnh đạo trực ban", "Duty command")
        if role == COMMAND:
            return self.command_unit()
        raise ValueError(f"unknown unit role {role!r}")

    def is_target(self, kind: str, code: str) -> bool:
        """Whether a binding target names something that exists."""
        if kind == WARD:
            try:
                self.wards.by_code(code)
            except KeyError:
                return False
            return True
        if kind == DEPARTMENT:
            return code in self._departments
        return kind in (COMMAND, ESCALATION) and code == kind

    def escalation_s(self, category: Category) -> float:
        return float(self.config.escalation_minutes.get(category, 10)) * 60

    def duplicate_window(self, category: Category) -> tuple[float, float]:
        """(radius in metres, window in seconds) for near-duplicates of ``category``."""
        window = self.config.duplicates.get(category)
        if window is None:
            return 0.0, 0.0
        return window.radius_m, window.window_minutes * 60
