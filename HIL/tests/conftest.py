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


def run_drive(seconds: float = 1.5, seed: int = 1, noisy: bool = True,
              profile=((0.0, 0.0), (0.3, 0.0), (1.5, 6.0)), period_s: float = 100e-6):
    """Closed loop with test-local stand-ins for the two ECUs: a BMS sequence that precharges
    and closes, and a current loop that reads the inverter sample in board counts. Returns the
    1 ms trace and the plant."""
    from kairo_hil.plant import PlantParams
    from kairo_hil.plants.sensors import SensorParams
    from kairo_hil.report import TraceRecorder
    from kairo_hil.vehicle_controller import Profile, VcuState, VehicleController

    sp = SensorParams(phase_current_noise_A=0.5, pack_current_noise_A=0.05,
                      cell_voltage_noise_mV=0.5) if noisy else SensorParams()
    params = PlantParams(sensors=sp, seed=seed, control_period_s=period_s)
    plant = Plant(params)
    vcu = VehicleController(speed_profile_kph=Profile(list(profile)))
    loop = CurrentLoop(params.motor, bandwidth_rad_s=1500.0)
    rec = TraceRecorder()
    pp = params.motor.pole_pairs
    kt = 1.5 * pp * params.motor.psi_Wb
    cmd = None
    bms_state = 0          # 0 open, 1 precharging, 2 closed
    soc_est = 80.0
    dt = plant.dt_s
    sample = plant.inverter_sample
    id_ref = iq_ref = 0.0
    for k in range(int(round(seconds / dt))):
        t = plant.t_s
        if k % (10 * plant.pack_steps_per_period) == 0:   # 10 ms VCU cycle
            fb = plant.bms_sample.feedback
            cmd = vcu.step(t, plant.vehicle.speed_m_s, True, bms_state == 2, True, 0.01,
                           plant.motor.torque_Nm)
            plant.set_brake_force(cmd.brake_force_N)
            if cmd.hv_request and bms_state == 0:
                bms_state = 1
                plant.set_contactors(True, False, True)
            link_v = plant.bms_sample.link_voltage_dV / 10.0
            pack_v = plant.bms_sample.pack_voltage_dV / 10.0
            if bms_state == 1 and fb.negative_main and link_v > 0.95 * pack_v:
                plant.set_contactors(True, True, False)
                if fb.positive_main:
                    bms_state = 2
        ia = (sample.phase_current_counts[0] - 2048) * 0.25
        ib = (sample.phase_current_counts[1] - 2048) * 0.25
        th_m = sample.rotor_angle_counts / 65536.0 * 2.0 * math.pi
        th_e = pp * th_m
        i_al, i_be = ia, (ia + 2.0 * ib) / math.sqrt(3.0)
        c, s = math.cos(th_e), math.sin(th_e)
        id_m, iq_m = i_al * c + i_be * s, -i_al * s + i_be * c
        vdc = sample.dc_link_voltage_counts * 0.2
        running = cmd is not None and cmd.drive_enable
        if running:
            id_ref, iq_ref = 0.0, cmd.torque_request_Nm / kt
            d = loop.duties(id_ref, iq_ref, id_m, iq_m, th_m, plant.vehicle.motor_speed_rad_s,
                            vdc, dt)
            sample = plant.step(d[0], d[1], d[2], 1)
        else:
            id_ref = iq_ref = 0.0
            sample = plant.step(0.5, 0.5, 0.5, 0)
        if plant.bms_updated:
            soc_est -= plant.bms_sample.current_mA / 1000.0 * 1e-3 / (100.0 * 3600.0) * 100.0
            row = plant.truth()
            row.update(torque_request_Nm=cmd.torque_request_Nm if cmd else 0.0,
                       id_ref_A=id_ref, iq_ref_A=iq_ref, soc_est_pct=soc_est,
                       inverter_state=1 if running else 0, bms_state=bms_state,
                       speed_target_kph=cmd.speed_target_kph if cmd else 0.0,
                       vcu_state=int(cmd.state) if cmd else int(VcuState.OFF))
            rec.append(row)
    return rec.as_dict(), plant
