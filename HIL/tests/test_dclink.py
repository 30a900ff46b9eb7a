"""DC link, precharge and contactors."""

import math

import pytest

from kairo_hil.plants.dclink import DcLink, DcLinkParams

E = 380.0
R_PACK = 0.12


def test_precharge_reaches_63p2_percent_after_one_rc_time_constant_within_1_percent():
    p = DcLinkParams(contactor_close_time_s=0.0)
    link = DcLink(p)
    link.command(True, False, True)
    dt = 50e-6
    g = 1.0 / (R_PACK + p.precharge_resistance_ohm)
    g_all = g + 1.0 / p.bleed_resistance_ohm
    tau = p.capacitance_F / g_all            # ≈ 50 ms with the defaults
    v_inf = g * E / g_all
    t = 0.0
    while link.v_link_V < (1.0 - math.exp(-1.0)) * v_inf:
        link.step(E, R_PACK, 0.0, dt)
        t += dt
    assert t == pytest.approx(tau, rel=0.01)
    assert 0.049 < tau < 0.051


def test_precharge_current_starts_at_e_over_r_precharge_within_1_percent():
    p = DcLinkParams(contactor_close_time_s=0.0)
    link = DcLink(p)
    link.command(True, False, True)
    link.step(E, R_PACK, 0.0, 1e-6)
    assert link.precharge_current_A == pytest.approx(E / (R_PACK + 50.0), rel=0.01)
    assert link.main_current_A == 0.0


def test_no_current_flows_without_the_negative_main():
    link = DcLink(DcLinkParams(contactor_close_time_s=0.0))
    link.command(False, True, True)
    for _ in range(100):
        link.step(E, R_PACK, 0.0, 50e-6)
    assert link.v_link_V == 0.0 and link.battery_current_A == 0.0


def test_feedback_follows_the_command_after_the_20_ms_closing_time():
    link = DcLink(DcLinkParams())
    link.command(True, False, False)
    for _ in range(399):
        link.step(E, R_PACK, 0.0, 50e-6)
    assert link.feedback() == (False, False, False)
    link.step(E, R_PACK, 0.0, 50e-6)
    assert link.feedback() == (True, False, False)


def test_welded_contactor_feedback_stays_closed_after_an_open_command():
    link = DcLink(DcLinkParams(contactor_close_time_s=0.0, contactor_open_time_s=0.0))
    link.command(True, True, False)
    link.step(E, R_PACK, 0.0, 50e-6)
    link.positive_main.welded = True
    link.command(False, False, False)
    for _ in range(1000):
        link.step(E, R_PACK, 0.0, 50e-6)
    assert link.feedback() == (False, True, False)
    # A healthy contactor under the same command opened.
    assert not link.negative_main.closed


def test_stuck_open_contactor_never_closes():
    link = DcLink(DcLinkParams(contactor_close_time_s=0.0))
    link.precharge.stuck_open = True
    link.command(True, False, True)
    for _ in range(100):
        link.step(E, R_PACK, 0.0, 50e-6)
    assert link.feedback() == (True, False, False)
    assert link.v_link_V == 0.0


def test_with_mains_closed_battery_current_is_load_plus_bleed_and_link_sags_by_i_r():
    p = DcLinkParams(contactor_close_time_s=0.0)
    link = DcLink(p, v_link_V=E)
    link.command(True, True, False)
    for _ in range(200):
        link.step(E, R_PACK, 100.0, 50e-6)
    r = R_PACK + p.main_path_resistance_ohm
    v = (E / r - 100.0) / (1.0 / r + 1.0 / p.bleed_resistance_ohm)
    assert link.v_link_V == pytest.approx(v, abs=1e-6)
    assert link.battery_current_A == pytest.approx(100.0 + v / p.bleed_resistance_ohm, abs=1e-6)
    assert link.pack_terminal_V == pytest.approx(E - R_PACK * link.battery_current_A, abs=1e-6)
