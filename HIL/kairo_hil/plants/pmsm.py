"""Interior PMSM in the rotor (dq) frame, fed by an average-value two-level inverter.

Frames and scaling: amplitude-invariant Clarke/Park (a current vector of length I is a phase
current of peak I), d axis on the magnet north pole, electrical angle = pole pairs × mechanical
angle. Phase current positive = into the motor winding.

    Ld did/dt = vd - Rs id + we Lq iq
    Lq diq/dt = vq - Rs iq - we Ld id - we psi
    T = 1.5 p (psi iq + (Ld - Lq) id iq)

The rotor speed is an input: in the rig the shaft is stiffly geared to the vehicle, whose mass
carries the reflected rotor inertia (see vehicle.py), so the motor model holds no speed state.

Inverter (average value over one PWM period, ideal switches, no dead time, no losses):
- modulating: leg voltage to DC minus = duty × Vdc; the neutral floats, so only the
  differential part reaches the windings. DC-link current = sum(duty_x × i_x), identical to
  the power balance 1.5 (vd id + vq iq) / Vdc, which is what is computed (integrated over the
  step with the same RK4 weights as the currents, so energy is accounted exactly).
- active short circuit: all low-side switches on = all duties 0: zero winding voltage, no
  DC-link current.
- off (all gates off, diodes only): the bridge is modelled as a voltage clamp. The terminal
  voltage that would bring the winding currents to zero within the step is computed; if its
  magnitude is within what the diode bridge can block (Vdc/sqrt(3) peak phase voltage, i.e.
  line-to-line back-EMF peak below Vdc), the currents become zero. Otherwise the terminal
  voltage is limited to that magnitude in the same direction, so the excess back-EMF (or the
  stored winding energy right after switch-off) drives current back into the DC link. Diode
  drops, current zero-crossing chatter and six-step harmonics are not modelled, and the small
  winding energy left in the step where the currents reach zero is dropped, not returned.

Integration: classical RK4 with `substeps` per control period; the stationary-frame voltage is
held over the period (as the PWM holds it), so the dq voltage rotates with the rotor inside the
step.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

MODE_OFF = 0
MODE_MODULATING = 1
MODE_ACTIVE_SHORT_CIRCUIT = 2
_SQRT3 = math.sqrt(3.0)
_TWO_PI = 2.0 * math.pi


@dataclass
class PmsmParams:
    pole_pairs: int = 4
    rs_ohm: float = 0.010
    ld_H: float = 0.20e-3
    lq_H: float = 0.45e-3
    psi_Wb: float = 0.065
    inertia_kgm2: float = 0.05
    rated_current_A: float = 300.0
    max_current_A: float = 400.0
    max_speed_rpm: float = 12000.0
    substeps: int = 1

    def validate(self) -> None:
        if self.pole_pairs < 1:
            raise ValueError("pole_pairs must be >= 1")
        for name in ("rs_ohm", "ld_H", "lq_H", "psi_Wb"):
            if getattr(self, name) <= 0.0:
                raise ValueError(f"{name} must be > 0")
        if self.substeps < 1:
            raise ValueError("substeps must be >= 1")


def dq_steady_state_voltage(p: PmsmParams, id_A: float, iq_A: float,
                            omega_m_rad_s: float) -> tuple[float, float]:
    """Voltages holding (id, iq) constant at a given mechanical speed (analytic dq model)."""
    we = p.pole_pairs * omega_m_rad_s
    vd = p.rs_ohm * id_A - we * p.lq_H * iq_A
    vq = p.rs_ohm * iq_A + we * (p.ld_H * id_A + p.psi_Wb)
    return vd, vq


def torque_Nm(p: PmsmParams, id_A: float, iq_A: float) -> float:
    return 1.5 * p.pole_pairs * (p.psi_Wb * iq_A + (p.ld_H - p.lq_H) * id_A * iq_A)


def duties_for_voltage(vd: float, vq: float, theta_e: float,
                       vdc: float) -> tuple[float, float, float]:
    """Sinusoidal duties (centred at 0.5) producing a stationary-frame voltage (inverse of
    the average-value inverter for vectors inside the linear range)."""
    c, s = math.cos(theta_e), math.sin(theta_e)
    va = vd * c - vq * s
    vb = vd * s + vq * c
    ua = va
    ub = -0.5 * va + 0.5 * _SQRT3 * vb
    uc = -0.5 * va - 0.5 * _SQRT3 * vb
    return 0.5 + ua / vdc, 0.5 + ub / vdc, 0.5 + uc / vdc


class Pmsm:
    """States id_A, iq_A, theta_m_rad (mechanical angle, wrapped to [0, 2π)).

    After `step`, `torque_Nm`, `dc_current_A`, `copper_loss_W` hold the averages over the
    step, and `vd_V`, `vq_V` the applied voltage at the start of it.
    """

    __slots__ = (
        "p", "id_A", "iq_A", "theta_m_rad", "torque_Nm", "dc_current_A", "copper_loss_W",
        "vd_V", "vq_V", "_pp", "_rs", "_ld", "_lq", "_psi", "_n",
    )

    def __init__(self, params: PmsmParams | None = None) -> None:
        self.p = params or PmsmParams()
        self.p.validate()
        self.id_A = 0.0
        self.iq_A = 0.0
        self.theta_m_rad = 0.0
        self.torque_Nm = 0.0
        self.dc_current_A = 0.0
        self.copper_loss_W = 0.0
        self.vd_V = 0.0
        self.vq_V = 0.0
        p = self.p
        self._pp = float(p.pole_pairs)
        self._rs, self._ld, self._lq, self._psi = p.rs_ohm, p.ld_H, p.lq_H, p.psi_Wb
        self._n = int(p.substeps)

    @property
    def theta_e_rad(self) -> float:
        return (self._pp * self.theta_m_rad) % _TWO_PI

    def phase_currents_A(self) -> tuple[float, float, float]:
        th = self._pp * self.theta_m_rad
        c, s = math.cos(th), math.sin(th)
        i_al = self.id_A * c - self.iq_A * s
        i_be = self.id_A * s + self.iq_A * c
        ib = -0.5 * i_al + 0.5 * _SQRT3 * i_be
        return i_al, ib, -i_al - ib

    def step(self, duty_a: float, duty_b: float, duty_c: float, mode: int, vdc_V: float,
             omega_m_rad_s: float, dt_s: float) -> None:
        rs, ld, lq, psi = self._rs, self._ld, self._lq, self._psi
        we = self._pp * omega_m_rad_s
        th0 = self._pp * self.theta_m_rad
        id_, iq = self.id_A, self.iq_A
        vdc = vdc_V if vdc_V > 0.0 else 0.0
        rotating = True
        if mode == MODE_MODULATING:
            da = min(max(duty_a, 0.0), 1.0)
            db = min(max(duty_b, 0.0), 1.0)
            dcc = min(max(duty_c, 0.0), 1.0)
            v_al = vdc * (2.0 * da - db - dcc) / 3.0
            v_be = vdc * (db - dcc) / _SQRT3
        elif mode == MODE_ACTIVE_SHORT_CIRCUIT:
            v_al = v_be = 0.0
        else:
            rotating = False
            vd_free = rs * id_ - we * lq * iq - ld * id_ / dt_s
            vq_free = rs * iq + we * (ld * id_ + psi) - lq * iq / dt_s
            mag = math.hypot(vd_free, vq_free)
            limit = vdc / _SQRT3
            if mag <= limit:
                self.id_A = self.iq_A = 0.0
                self.torque_Nm = self.dc_current_A = self.copper_loss_W = 0.0
                self.vd_V, self.vq_V = vd_free, vq_free
                self._advance_angle(omega_m_rad_s, dt_s)
                return
            k = limit / mag
            vd_c, vq_c = vd_free * k, vq_free * k
            v_al = v_be = 0.0
            # DC current per volt of clamp: stays finite when the link is (nearly) empty, so a
            # spinning motor can charge a discharged link through the diodes.
            i_dc_off = 1.5 * (vd_free * id_ + vq_free * iq) / (_SQRT3 * mag)

        n = self._n
        h = dt_s / n
        c0, s0 = math.cos(th0), math.sin(th0)
        if rotating:
            ch, sh = math.cos(0.5 * we * h), math.sin(0.5 * we * h)
        else:
            ch, sh = 1.0, 0.0
        kt = 1.5 * self._pp
        dl = ld - lq
        e_pow = e_tq = e_cu = 0.0
        for _ in range(n):
            cm, sm = c0 * ch - s0 * sh, s0 * ch + c0 * sh
            c1, s1 = cm * ch - sm * sh, sm * ch + cm * sh
            if rotating:
                vd0, vq0 = v_al * c0 + v_be * s0, -v_al * s0 + v_be * c0
                vdm, vqm = v_al * cm + v_be * sm, -v_al * sm + v_be * cm
                vd1, vq1 = v_al * c1 + v_be * s1, -v_al * s1 + v_be * c1
            else:
                vd0 = vdm = vd1 = vd_c
                vq0 = vqm = vq1 = vq_c
            # RK4 stages
            k1d = (vd0 - rs * id_ + we * lq * iq) / ld
            k1q = (vq0 - rs * iq - we * (ld * id_ + psi)) / lq
            a_d, a_q = id_ + 0.5 * h * k1d, iq + 0.5 * h * k1q
            k2d = (vdm - rs * a_d + we * lq * a_q) / ld
            k2q = (vqm - rs * a_q - we * (ld * a_d + psi)) / lq
            b_d, b_q = id_ + 0.5 * h * k2d, iq + 0.5 * h * k2q
            k3d = (vdm - rs * b_d + we * lq * b_q) / ld
            k3q = (vqm - rs * b_q - we * (ld * b_d + psi)) / lq
            c_d, c_q = id_ + h * k3d, iq + h * k3q
            k4d = (vd1 - rs * c_d + we * lq * c_q) / ld
            k4q = (vq1 - rs * c_q - we * (ld * c_d + psi)) / lq
            # Power, torque and copper loss integrated with the same weights as the states.
            e_pow += (vd0 * id_ + vq0 * iq + 2.0 * (vdm * a_d + vqm * a_q)
                      + 2.0 * (vdm * b_d + vqm * b_q) + vd1 * c_d + vq1 * c_q)
            e_tq += (iq * (psi + dl * id_) + 2.0 * a_q * (psi + dl * a_d)
                     + 2.0 * b_q * (psi + dl * b_d) + c_q * (psi + dl * c_d))
            e_cu += (id_ * id_ + iq * iq + 2.0 * (a_d * a_d + a_q * a_q)
                     + 2.0 * (b_d * b_d + b_q * b_q) + c_d * c_d + c_q * c_q)
            id_ += h / 6.0 * (k1d + 2.0 * k2d + 2.0 * k3d + k4d)
            iq += h / 6.0 * (k1q + 2.0 * k2q + 2.0 * k3q + k4q)
            c0, s0 = c1, s1
        inv = 1.0 / (6.0 * n)
        p_avg = 1.5 * e_pow * inv
        self.torque_Nm = kt * e_tq * inv
        self.copper_loss_W = 1.5 * rs * e_cu * inv
        if rotating:
            self.dc_current_A = p_avg / vdc if vdc > 1e-3 else 0.0
        else:
            self.dc_current_A = p_avg / vdc if vdc > 1.0 else i_dc_off
        if rotating:
            c, s = math.cos(th0), math.sin(th0)
            self.vd_V, self.vq_V = v_al * c + v_be * s, -v_al * s + v_be * c
        else:
            self.vd_V, self.vq_V = vd_c, vq_c
        self.id_A, self.iq_A = id_, iq
        self._advance_angle(omega_m_rad_s, dt_s)

    def _advance_angle(self, omega_m_rad_s: float, dt_s: float) -> None:
        self.theta_m_rad = (self.theta_m_rad + omega_m_rad_s * dt_s) % _TWO_PI
