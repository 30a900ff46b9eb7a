"""Each ECU image boots on QEMU, prints its banner, runs its scheduler and exits 0."""

import re

import pytest

from conftest import run_image

BANNER = re.compile(r"^Kairo (\S+) (\d+\.\d+\.\d+) board=mps2-an386 build=\S+ brand=\S+$", re.M)


@pytest.mark.parametrize("ecu", ["inverter", "bms"])
def test_ecu_image_boots_runs_its_scheduler_and_exits_0(ecu):
    run = run_image(ecu, "ticks=3000")
    assert run.exit_code == 0, run.console
    banner = BANNER.search(run.console)
    assert banner and banner.group(1) == ecu, run.console
    assert "reset cause: power-on" in run.console
    for module in ("ControlMath", "CoSimulation"):
        assert f"self-test {module}: ok" in run.console
    assert "ran 3000 periods" in run.console


@pytest.mark.parametrize("ecu", ["inverter", "bms"])
def test_unknown_argument_is_named_and_rejected(ecu):
    run = run_image(ecu, "tics=10")
    assert run.exit_code == 2
    assert "error: unknown argument 'tics=10'" in run.console


def test_malformed_number_is_rejected():
    run = run_image("inverter", "ticks=12x")
    assert run.exit_code == 2
    assert "argument 'ticks' needs a decimal number" in run.console


def test_supervision_feeds_the_watchdog_over_many_cycles():
    # 20 supervision cycles of the inverter (100 ms each): a scheduler that did not feed the
    # watchdog would be reset long before the end (timeout 200 ms).
    run = run_image("inverter", "ticks=40000")
    assert run.exit_code == 0, run.console
    assert "ran 40000 periods, 20 healthy supervision cycles" in run.console
    assert "WATCHDOG" not in run.console
