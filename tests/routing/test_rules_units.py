"""Who a delivery or a binding names: never the command centre by accident."""

from __future__ import annotations

import pytest

from sosbot.config import RoutingConfig
from sosbot.geo.wards import WardIndex
from sosbot.routing.rules import COMMAND, DEPARTMENT, ESCALATION, WARD, RoutingRules


@pytest.fixture(scope="module")
def rules(wards: WardIndex) -> RoutingRules:
    return RoutingRules(RoutingConfig(), wards, "secret")


def test_each_role_names_its_own_unit(rules: RoutingRules) -> None:
    department = RoutingConfig().departments[0]
    assert rules.unit(DEPARTMENT, department.code).vi == department.name_vi
    assert rules.unit(WARD, "26743").vi == "Công an phường Bến Thành"
    assert rules.unit(COMMAND, COMMAND) == rules.command_unit()
    assert rules.unit(ESCALATION, "1").role == ESCALATION


def test_a_department_gone_from_the_config_is_not_the_command_centre(
        rules: RoutingRules) -> None:
    unit = rules.unit(DEPARTMENT, "PC99")
    assert unit.role == DEPARTMENT and unit.code == "PC99"
    assert unit != rules.command_unit() and "PC99" in unit.vi


def test_an_unknown_role_is_refused(rules: RoutingRules) -> None:
    with pytest.raises(ValueError, match="unknown unit role"):
        rules.unit("commnad", COMMAND)
