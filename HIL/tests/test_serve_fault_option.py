"""`kairo-hil serve --fault`: a scenario fault entry from one command-line option."""

import pytest

from kairo_hil.cli import parse_fault_option
from kairo_hil.scenario import ScenarioError


def test_fault_option_gives_time_kind_and_typed_parameters():
    assert parse_fault_option("8:can_loss:message=VCU_TorqueRequest,duration_s=1.5") == {
        "at_s": 8.0, "kind": "can_loss", "message": "VCU_TorqueRequest", "duration_s": 1.5}
    assert parse_fault_option("2.5:open_wire:cell=17") == {
        "at_s": 2.5, "kind": "open_wire", "cell": 17}


@pytest.mark.parametrize("text", ["can_loss", "x:can_loss", "1:open_wire:cell"])
def test_malformed_fault_option_is_a_scenario_error(text):
    with pytest.raises(ScenarioError):
        parse_fault_option(text)
