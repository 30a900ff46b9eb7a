"""A Swift trap and a starved watchdog are caught, reported and end the run as specified."""

import re

from conftest import FIRMWARE, run_image, symbol_at


def test_overflow_trap_forces_safe_state_names_the_trap_and_exits_3():
    run = run_image("test-trap", "operand=200")
    assert run.exit_code == 3, run.console
    lines = run.console.splitlines()
    safe = lines.index("safe state forced")
    trap = next(i for i, line in enumerate(lines) if line.startswith("TRAP:"))
    assert safe < trap, "outputs must be made safe before anything else"
    pc = int(re.search(r"pc=(0x[0-9A-F]{8})", lines[trap]).group(1), 16)
    assert "TrapTestImage.overflowingSum" in symbol_at(FIRMWARE / "test-trap.elf", pc)


def test_same_image_without_overflow_exits_0():
    run = run_image("test-trap", "operand=100")
    assert run.exit_code == 0, run.console
    assert "no trap: sum=200" in run.console


def test_hung_task_starves_watchdog_and_reset_cause_is_shown():
    run = run_image("test-watchdog", "hang=500", timeout=60)
    boots = run.console.split("Kairo test-watchdog")
    assert len(boots) == 3, run.console  # text before the first banner, then two boots
    first, second = boots[1], boots[2]
    assert "reset cause: power-on" in first
    assert "task 1 hangs at tick 500" in first
    assert "WATCHDOG: not fed within its window" in first
    assert "reset cause: watchdog" in second
    assert run.exit_code == 0
