"""The benchmark image prints one `NAME insns=NNN.NNN` line per kernel, ControlMath's first,
and the numbers are identical from run to run (instructions are counted under -icount)."""

import re

from conftest import run_image

LINE = re.compile(r"^([a-z0-9_]+) insns=(\d+\.\d{3})$", re.M)

# Plausibility bound per call; the battery kernels are whole task passes over 96 cells (the
# 10 ms scan is ~11 000 instructions), bounded by 1 % of their period at 168 MHz instead.
DEFAULT_BOUND = 5000
BOUNDS = {"bms_cell_scan": 16_800, "bms_estimation_step": 168_000,
          # the whole 648-byte DTC record (the inverter writes it in 32-byte slices)
          "dtc_record_save": 20_000}


def bench_lines():
    run = run_image("bench", icount=0, timeout=300)
    assert run.exit_code == 0, run.console
    return LINE.findall(run.console)


def test_bench_prints_controlmath_kernels_first_and_is_deterministic():
    first = bench_lines()
    names = [name for name, _ in first]
    assert names[:3] == ["sin_cos", "atan2", "pi_step"]
    for name, value in first:
        assert 0 < float(value) < BOUNDS.get(name, DEFAULT_BOUND), (name, value)
    assert bench_lines() == first
