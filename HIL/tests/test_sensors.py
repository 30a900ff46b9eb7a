"""Sensor conversions to the board's sample conventions, quantisation and noise."""

import math

import numpy as np
import pytest

from kairo_hil.plants.sensors import (SensorParams, Sensors, angle_counts, dc_link_counts,
                                      phase_current_counts, temperature_counts)


def test_phase_current_counts_are_2048_plus_current_over_0p25_A_clamped_to_12_bits():
    assert phase_current_counts(0.0) == 2048
    assert phase_current_counts(10.0) == 2088
    assert phase_current_counts(-10.1) == 2008   # -40.4 counts rounds to -40
    assert phase_current_counts(600.0) == 4095
    assert phase_current_counts(-600.0) == 0


def test_dc_link_counts_are_0p2_V_per_count():
    assert dc_link_counts(350.0) == 1750
    assert dc_link_counts(350.09) == 1750
    assert dc_link_counts(350.11) == 1751
    assert dc_link_counts(-5.0) == 0


def test_angle_counts_cover_one_mechanical_turn_in_65536_and_wrap():
    assert angle_counts(0.0) == 0
    assert angle_counts(math.pi) == 32768
    assert angle_counts(2 * math.pi - 1e-9) == 0
    assert angle_counts(-math.pi / 2) == 49152


def test_inverter_temperature_counts_are_tenths_of_a_degree_above_minus_40():
    assert temperature_counts(25.0) == 650
    assert temperature_counts(-40.0) == 0
    assert temperature_counts(400.0) == 4095


def bms(s: Sensors, cell_v, open_wire=None, current=0.0):
    cells = len(cell_v)
    return s.bms_sample(np.asarray(cell_v, dtype=float),
                        np.zeros(cells, bool) if open_wire is None else open_wire,
                        np.full(8, 25.0), current, 350.0, 349.0, (True, True, False))


def test_cell_voltage_is_quantised_to_1_mV():
    s = Sensors(SensorParams())
    v = np.full(96, 3.6)
    v[0], v[1], v[2] = 3.6004, 3.6006, 3.60049
    out = bms(s, v)
    assert out.cell_voltage_mV.dtype == np.uint16
    assert list(out.cell_voltage_mV[:4]) == [3600, 3601, 3600, 3600]


def test_bms_sample_units_mA_discharge_positive_tenths_of_volts_and_degrees():
    s = Sensors(SensorParams())
    out = bms(s, np.full(96, 3.7), current=-12.3456)
    assert out.current_mA == -12346
    assert (out.pack_voltage_dV, out.link_voltage_dV) == (3500, 3490)
    assert out.temperature_dC.dtype == np.int16 and out.temperature_dC.shape == (32,)
    assert np.all(out.temperature_dC == 250)
    assert out.feedback == (True, True, False)


def test_gain_and_offset_apply_before_quantisation():
    s = Sensors(SensorParams(pack_current_gain_error=0.01, pack_current_offset_A=0.5,
                             cell_voltage_offset_mV=2.0, cell_voltage_gain_error=-0.001))
    out = bms(s, np.full(96, 4.0), current=100.0)
    assert out.current_mA == 101500
    assert out.cell_voltage_mV[0] == 3998   # 4000 · 0.999 + 2 = 3998


def test_open_wire_reads_zero_on_the_cell_and_the_sum_on_its_neighbour():
    s = Sensors(SensorParams())
    v = np.full(96, 3.7)
    ow = np.zeros(96, bool)
    ow[17] = True
    out = bms(s, v, ow)
    assert out.cell_voltage_mV[17] == 0 and out.cell_voltage_mV[18] == 7400
    assert out.open_wire[17] and out.open_wire.sum() == 1


def test_noise_is_deterministic_per_seed_with_the_set_rms_within_5_percent():
    p = SensorParams(phase_current_noise_A=2.0)
    a, b, c = Sensors(p, seed=1), Sensors(p, seed=1), Sensors(p, seed=2)
    sa = [a.inverter_sample(0.0, 0.0, 350.0, 0.0, 25.0, 25.0) for _ in range(20000)]
    sb = [b.inverter_sample(0.0, 0.0, 350.0, 0.0, 25.0, 25.0) for _ in range(20000)]
    sc = [c.inverter_sample(0.0, 0.0, 350.0, 0.0, 25.0, 25.0) for _ in range(200)]
    assert sa == sb
    assert sa[:200] != sc
    counts = np.array([x.phase_current_counts[0] for x in sa], dtype=float)
    rms_A = float(np.std((counts - 2048) * 0.25))
    # Quantisation (0.25 A steps) adds 0.25²/12 in variance.
    assert rms_A == pytest.approx(math.sqrt(4.0 + 0.25 ** 2 / 12), rel=0.05)


def test_runtime_offset_shifts_the_reading_and_can_be_undone():
    s = Sensors(SensorParams())
    s.add_offset("phase_current_a", 100.0)
    assert s.inverter_sample(0.0, 0.0, 350.0, 0.0, 25.0, 25.0).phase_current_counts == (2448, 2048)
    s.add_offset("phase_current_a", -100.0)
    assert s.inverter_sample(0.0, 0.0, 350.0, 0.0, 25.0, 25.0).phase_current_counts == (2048, 2048)
    with pytest.raises(ValueError, match="unknown sensor"):
        s.add_offset("speedometer", 1.0)
