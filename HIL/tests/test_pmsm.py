"""PMSM + average-value inverter against the analytic dq model (Double precision)."""

import math

import pytest

from kairo_hil.plants.pmsm import (MODE_ACTIVE_SHORT_CIRCUIT, MODE_MODULATING, MODE_OFF, Pmsm,
                                   PmsmParams, dq_steady_state_voltage, torque_Nm)

from conftest import mid_period_duties

DT = 50e-6
VDC = 350.0


def run_fixed_speed(m: Pmsm, vd: float, vq: float, omega_m: float, seconds: float) -> None:
    p = m.p
    we = p.pole_pairs * omega_m
    for _ in range(int(round(seconds / DT))):
        d = mid_period_duties(vd, vq, p.pole_pairs * m.theta_m_rad, we, DT, VDC)
        m.step(*d, MODE_MODULATING, VDC, omega_m, DT)


@pytest.mark.parametrize("id_ref,iq_ref,rpm", [(-60.0, 180.0, 1500.0), (0.0, 100.0, 3000.0),
                                               (-150.0, 100.0, 5000.0)])
def test_steady_state_currents_match_analytic_dq_within_0p5_A(id_ref, iq_ref, rpm):
    p = PmsmParams()
    m = Pmsm(p)
    omega = rpm * math.pi / 30.0
    vd, vq = dq_steady_state_voltage(p, id_ref, iq_ref, omega)
    # Independent form of the steady-state equations: solve the 2×2 system for the currents.
    we = p.pole_pairs * omega
    det = p.rs_ohm ** 2 + we * we * p.ld_H * p.lq_H
    id_exp = (p.rs_ohm * vd + we * p.lq_H * (vq - we * p.psi_Wb)) / det
    iq_exp = (p.rs_ohm * (vq - we * p.psi_Wb) - we * p.ld_H * vd) / det
    assert id_exp == pytest.approx(id_ref, abs=1e-9)
    assert iq_exp == pytest.approx(iq_ref, abs=1e-9)
    # Operating points stay inside sinusoidal PWM's linear range (|v| < Vdc / 2).
    assert math.hypot(vd, vq) < VDC / 2
    run_fixed_speed(m, vd, vq, omega, 0.5)
    # 0.5 A: the intra-period ripple of the held stationary-frame voltage shifts the periodic
    # steady state by O((omega_e·dt)²) from the averaged model (≈0.1 A at 3000 rpm).
    assert m.id_A == pytest.approx(id_exp, abs=0.5)
    assert m.iq_A == pytest.approx(iq_exp, abs=0.5)


def test_torque_is_1p5_p_psi_iq_plus_reluctance_term_within_0p01_Nm():
    p = PmsmParams()
    m = Pmsm(p)
    omega = 200.0
    vd, vq = dq_steady_state_voltage(p, -100.0, 200.0, omega)
    run_fixed_speed(m, vd, vq, omega, 0.5)
    expected = 1.5 * 4 * (0.065 * m.iq_A + (0.20e-3 - 0.45e-3) * m.id_A * m.iq_A)
    assert m.torque_Nm == pytest.approx(expected, abs=0.01)
    # Reluctance torque adds for negative id with this saliency (Lq > Ld).
    assert torque_Nm(p, -100.0, 200.0) > torque_Nm(p, 0.0, 200.0) + 29.0


def test_energy_balance_dc_equals_mechanical_plus_copper_plus_stored_within_0p1_percent():
    p = PmsmParams()
    m = Pmsm(p)
    omega = 300.0
    e_dc = e_mech = e_cu = 0.0
    w0 = 0.75 * (p.ld_H * m.id_A ** 2 + p.lq_H * m.iq_A ** 2)
    we = p.pole_pairs * omega
    for k in range(4000):  # 0.2 s, with a current step half way
        iq_ref = 50.0 if k < 2000 else 220.0
        vd, vq = dq_steady_state_voltage(p, -40.0, iq_ref, omega)
        d = mid_period_duties(vd, vq, p.pole_pairs * m.theta_m_rad, we, DT, VDC)
        m.step(*d, MODE_MODULATING, VDC, omega, DT)
        e_dc += VDC * m.dc_current_A * DT
        e_mech += m.torque_Nm * omega * DT
        e_cu += m.copper_loss_W * DT
    w1 = 0.75 * (p.ld_H * m.id_A ** 2 + p.lq_H * m.iq_A ** 2)
    assert e_dc > 1000.0
    assert e_dc == pytest.approx(e_mech + e_cu + (w1 - w0), rel=1e-3)


def test_dc_current_equals_sum_of_duty_times_phase_current_within_0p5_A():
    p = PmsmParams()
    m = Pmsm(p)
    omega = 100.0
    vd, vq = dq_steady_state_voltage(p, 0.0, 150.0, omega)
    run_fixed_speed(m, vd, vq, omega, 0.3)
    we = p.pole_pairs * omega
    d = mid_period_duties(vd, vq, p.pole_pairs * m.theta_m_rad, we, DT, VDC)
    m.step(*d, MODE_MODULATING, VDC, omega, DT)
    # Steady state: phase currents at mid period with the duties held.
    th = p.pole_pairs * (m.theta_m_rad - 0.5 * omega * DT)
    ia = m.id_A * math.cos(th) - m.iq_A * math.sin(th)
    ib = m.id_A * math.cos(th - 2 * math.pi / 3) - m.iq_A * math.sin(th - 2 * math.pi / 3)
    ic = -ia - ib
    assert m.dc_current_A == pytest.approx(d[0] * ia + d[1] * ib + d[2] * ic, abs=0.5)


def test_active_short_circuit_settles_to_analytic_short_circuit_current_within_0p1_A():
    p = PmsmParams()
    m = Pmsm(p)
    omega = 600.0
    we = p.pole_pairs * omega
    for _ in range(int(0.3 / DT)):
        m.step(0.5, 0.5, 0.5, MODE_ACTIVE_SHORT_CIRCUIT, VDC, omega, DT)
    det = p.rs_ohm ** 2 + we * we * p.ld_H * p.lq_H
    id_sc = -we * we * p.lq_H * p.psi_Wb / det
    iq_sc = -p.rs_ohm * we * p.psi_Wb / det
    assert m.id_A == pytest.approx(id_sc, abs=0.1)
    assert m.iq_A == pytest.approx(iq_sc, abs=0.1)
    assert m.dc_current_A == 0.0
    assert m.torque_Nm < 0.0  # braking


def test_off_mode_below_blocking_speed_gives_zero_current_and_no_torque():
    m = Pmsm()
    omega = 300.0  # back-EMF peak 78 V < 350 V / sqrt(3)
    for _ in range(100):
        m.step(0.0, 0.0, 0.0, MODE_OFF, VDC, omega, DT)
    assert (m.id_A, m.iq_A, m.torque_Nm, m.dc_current_A) == (0.0, 0.0, 0.0, 0.0)


def test_off_mode_above_blocking_speed_rectifies_into_the_link_and_brakes():
    m = Pmsm()
    omega = 1000.0  # back-EMF peak 260 V > 100 V / sqrt(3)
    for _ in range(2000):
        m.step(0.0, 0.0, 0.0, MODE_OFF, 100.0, omega, DT)
    assert m.dc_current_A < -10.0
    assert m.torque_Nm < -1.0
    assert -m.dc_current_A * 100.0 < -m.torque_Nm * omega  # generated > delivered


def test_off_mode_right_after_switch_off_returns_winding_current_within_2_ms():
    p = PmsmParams()
    m = Pmsm(p)
    omega = 100.0
    vd, vq = dq_steady_state_voltage(p, 0.0, 250.0, omega)
    run_fixed_speed(m, vd, vq, omega, 0.3)
    for _ in range(40):
        m.step(0.0, 0.0, 0.0, MODE_OFF, VDC, omega, DT)
    assert m.id_A == 0.0 and m.iq_A == 0.0
