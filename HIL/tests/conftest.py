"""Test-local helpers: a minimal current controller to close the loop around the plant.

This is deliberately not part of the package: the rig's controller is the firmware.
"""

from __future__ import annotations

import math

import pytest

from kairo_hil.plant import Plant
from kairo_hil.plants.pmsm import MODE_MODULATING, PmsmParams


def mid_period_duties(vd: float, vq: float, theta_e0: float, omega_e: float, dt: float,
                      vdc: float) -> tuple[float, float, float]:
    """Duties whose period-average dq voltage is (vd, vq): the stationary-frame voltage is
    held over the period while the rotor turns by omega_e·dt, so aim at the mid-period angle
    and stretch by x / sin(x), x = omega_e·dt / 2."""
    x = 0.5 * omega_e * dt
    k = x / math.sin(x) if abs(x) > 1e-9 else 1.0
    th = theta_e0 + x
    c, s = math.cos(th), math.sin(th)
    va = (vd * c - vq * s) * k
    vb = (vd * s + vq * c) * k
    r3 = math.sqrt(3.0)
    return (0.5 + va / vdc, 0.5 + (-0.5 * va + 0.5 * r3 * vb) / vdc,
            0.5 + (-0.5 * va - 0.5 * r3 * vb) / vdc)


class CurrentLoop:
    """PI current control in dq with decoupling, test-only."""

    def __init__(self, p: PmsmParams, bandwidth_rad_s: float = 2000.0) -> None:
        self.p = p
        self.kp_d, self.kp_q = bandwidth_rad_s * p.ld_H, bandwidth_rad_s * p.lq_H
        self.ki = bandwidth_rad_s * p.rs_ohm
        self.int_d = self.int_q = 0.0

    def duties(self, id_ref: float, iq_ref: float, id_A: float, iq_A: float,
               theta_m: float, omega_m: float, vdc: float, dt: float):
        p = self.p
        we = p.pole_pairs * omega_m
        ed, eq = id_ref - id_A, iq_ref - iq_A
        self.int_d += self.ki * ed * dt
        self.int_q += self.ki * eq * dt
        vd = self.kp_d * ed + self.int_d - we * p.lq_H * iq_A
        vq = self.kp_q * eq + self.int_q + we * (p.ld_H * id_A + p.psi_Wb)
        lim = vdc / math.sqrt(3.0) * 0.95
        mag = math.hypot(vd, vq)
        if mag > lim:
            vd, vq = vd * lim / mag, vq * lim / mag
        return mid_period_duties(vd, vq, p.pole_pairs * theta_m, we, dt, max(vdc, 1.0))


def close_contactors(plant: Plant) -> None:
    """Precharge then close the main contactors, as a BMS would (test-local sequence)."""
    plant.set_contactors(True, False, True)
    while plant.link.v_link_V < 0.95 * plant.pack.emf_V:
        plant.step(0.5, 0.5, 0.5, 0)
    plant.set_contactors(True, True, True)
    for _ in range(int(0.05 / plant.dt_s)):
        plant.step(0.5, 0.5, 0.5, 0)
    plant.set_contactors(True, True, False)
    for _ in range(int(0.02 / plant.dt_s)):
        plant.step(0.5, 0.5, 0.5, 0)


@pytest.fixture
def modulating() -> int:
    return MODE_MODULATING
