"""The rest of the car on the vehicle bus: key switch, driver and brake blending (the VCU).

It produces plain values that the rig puts into CAN frames (the codec lives elsewhere) and
reads plain values the rig decoded from the ECUs' frames:

    inputs : time, vehicle speed, key switch, hv_ready (BMS: contactors closed, precharge
             done), inverter_ready (inverter: enabled and healthy)
    outputs: VcuCommand (state, torque request and limits, HV request, drive enable,
             mechanical brake force, the speed target being followed)

Sequencing (state machine):
    OFF --key on--> HV_REQUESTED (ask the BMS to close the contactors, torque 0)
        --hv_ready and inverter_ready--> DRIVE (driver PI active)
        --key off--> SHUTDOWN (torque 0, drive disabled, HV still requested until the
                     measured torque has decayed or `shutdown_time_s` passed) --> OFF
    HV_REQUESTED --no ready within ready_timeout_s--> FAULT (HV request dropped, torque 0)
    DRIVE --hv_ready or inverter_ready lost--> FAULT. FAULT --key off--> OFF.

Driver: longitudinal force demand = m_eff · (a_target + kp·e + ki·∫e) + road load(v), with
e the speed error; a_target is the profile's slope (feed-forward). The wheel-force demand
becomes a motor torque request within [-regen limit, +max torque]; the regen limit fades to
zero at low speed (fade_end..fade_start) and whatever braking regen cannot deliver goes to the
mechanical brake (blending). At standstill with a zero target a hold brake force is applied.

Bench torque request: with a `torque_profile` (N·m over time) the driver is replaced: in DRIVE
the request is the profile's value as it stands, unclamped by the driver's torque limits (the
inverter applies its own), and no mechanical brake is used. The sequencing is unchanged.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import NamedTuple, Sequence

import numpy as np

from .plants.vehicle import Vehicle, VehicleParams


class VcuState(enum.IntEnum):
    OFF = 0
    HV_REQUESTED = 1
    DRIVE = 2
    SHUTDOWN = 3
    FAULT = 4


@dataclass
class VehicleControllerParams:
    max_torque_Nm: float = 120.0
    regen_torque_limit_Nm: float = 100.0
    regen_fade_start_kph: float = 10.0
    regen_fade_end_kph: float = 3.0
    kp_per_s: float = 2.0
    ki_per_s2: float = 0.5
    max_brake_force_N: float = 15000.0
    hold_brake_force_N: float = 3000.0
    ready_timeout_s: float = 3.0
    shutdown_time_s: float = 0.5
    shutdown_torque_threshold_Nm: float = 2.0

    def validate(self) -> None:
        for name in ("max_torque_Nm", "max_brake_force_N", "ready_timeout_s"):
            if getattr(self, name) <= 0.0:
                raise ValueError(f"{name} must be > 0")
        for name in ("regen_torque_limit_Nm", "kp_per_s", "ki_per_s2", "hold_brake_force_N",
                     "shutdown_time_s", "shutdown_torque_threshold_Nm"):
            if getattr(self, name) < 0.0:
                raise ValueError(f"{name} must be >= 0")
        if self.regen_fade_end_kph > self.regen_fade_start_kph:
            raise ValueError("regen_fade_end_kph must be <= regen_fade_start_kph")


class VcuCommand(NamedTuple):
    state: VcuState
    torque_request_Nm: float
    torque_limit_motoring_Nm: float   # magnitude
    torque_limit_regen_Nm: float      # magnitude
    hv_request: bool                  # ask the BMS to close the contactors
    drive_enable: bool                # allow the inverter to modulate
    brake_force_N: float              # mechanical brake, for the plant
    speed_target_kph: float


class Profile:
    """Piecewise-linear profile through (t, value) points, held before the first and after
    the last point. Equal consecutive times make a step."""

    def __init__(self, points: Sequence[Sequence[float]]) -> None:
        arr = np.asarray(points, dtype=float)
        if arr.ndim != 2 or arr.shape[1] != 2 or arr.shape[0] < 1:
            raise ValueError("profile: expected a list of [t, value] pairs")
        if np.any(np.diff(arr[:, 0]) < 0.0):
            raise ValueError("profile: times must not decrease")
        self.t = arr[:, 0].copy()
        self.v = arr[:, 1].copy()

    def __call__(self, t_s: float) -> float:
        t, v = self.t, self.v
        if t_s <= t[0]:
            return float(v[0])
        if t_s >= t[-1]:
            return float(v[-1])
        k = int(np.searchsorted(t, t_s, side="right"))  # t[k-1] <= t_s < t[k]
        t0, t1 = t[k - 1], t[k]
        return float(v[k - 1] + (v[k] - v[k - 1]) * (t_s - t0) / (t1 - t0))

    def slope(self, t_s: float) -> float:
        t, v = self.t, self.v
        if t_s < t[0] or t_s >= t[-1]:
            return 0.0
        k = int(np.searchsorted(t, t_s, side="right"))
        dt = t[k] - t[k - 1]
        return float((v[k] - v[k - 1]) / dt) if dt > 0.0 else 0.0


class VehicleController:
    def __init__(self, params: VehicleControllerParams | None = None,
                 speed_profile_kph: Profile | None = None,
                 vehicle: VehicleParams | None = None,
                 torque_profile: Profile | None = None) -> None:
        self.p = params or VehicleControllerParams()
        self.torque_profile = torque_profile
        self.p.validate()
        self.profile = speed_profile_kph or Profile([[0.0, 0.0]])
        # A model of the car (not the plant instance) for the road-load feed-forward.
        self._model = Vehicle(vehicle or VehicleParams())
        self.state = VcuState.OFF
        self._integral = 0.0
        self._state_since_s = 0.0

    def _enter(self, state: VcuState, t_s: float) -> None:
        self.state = state
        self._state_since_s = t_s

    def regen_limit_Nm(self, speed_kph: float) -> float:
        p = self.p
        s = abs(speed_kph)
        if s >= p.regen_fade_start_kph:
            return p.regen_torque_limit_Nm
        if s <= p.regen_fade_end_kph:
            return 0.0
        span = p.regen_fade_start_kph - p.regen_fade_end_kph
        return p.regen_torque_limit_Nm * (s - p.regen_fade_end_kph) / span

    def step(self, t_s: float, speed_m_s: float, key_on: bool, hv_ready: bool,
             inverter_ready: bool, dt_s: float, torque_actual_Nm: float = 0.0) -> VcuCommand:
        p = self.p
        st = self.state
        if st == VcuState.OFF and key_on:
            self._enter(VcuState.HV_REQUESTED, t_s)
        elif st == VcuState.HV_REQUESTED:
            if not key_on:
                self._enter(VcuState.OFF, t_s)
            elif hv_ready and inverter_ready:
                self._enter(VcuState.DRIVE, t_s)
                self._integral = 0.0
            elif t_s - self._state_since_s > p.ready_timeout_s:
                self._enter(VcuState.FAULT, t_s)
        elif st == VcuState.DRIVE:
            if not key_on:
                self._enter(VcuState.SHUTDOWN, t_s)
            elif not (hv_ready and inverter_ready):
                self._enter(VcuState.FAULT, t_s)
        elif st == VcuState.SHUTDOWN:
            if (abs(torque_actual_Nm) <= p.shutdown_torque_threshold_Nm
                    or t_s - self._state_since_s >= p.shutdown_time_s):
                self._enter(VcuState.OFF, t_s)
        elif st == VcuState.FAULT and not key_on:
            self._enter(VcuState.OFF, t_s)
        st = self.state

        target_kph = self.profile(t_s)
        v = speed_m_s
        m = self._model
        g_over_r = m.p.gear_ratio / m.p.wheel_radius_m
        err = target_kph / 3.6 - v
        a_ff = self.profile.slope(t_s) / 3.6
        force = m.effective_mass_kg * (a_ff + p.kp_per_s * err + p.ki_per_s2 * self._integral) \
            + m.road_load_N(v)
        t_dem = force / g_over_r
        holding = target_kph <= 0.05 and abs(v) < 0.3
        torque = 0.0
        brake = 0.0
        if self.torque_profile is not None:
            self._integral = 0.0
            if st == VcuState.DRIVE:
                torque = self.torque_profile(t_s)
        elif st == VcuState.DRIVE and not holding:
            regen = self.regen_limit_Nm(v * 3.6)
            if t_dem >= 0.0:
                torque = min(t_dem, p.max_torque_Nm)
            else:
                torque = max(t_dem, -regen)
                brake = min((torque - t_dem) * g_over_r, p.max_brake_force_N)
            saturated = (t_dem > p.max_torque_Nm and err > 0.0) or \
                        (brake >= p.max_brake_force_N and err < 0.0)
            if not saturated:
                self._integral += err * dt_s
        else:
            self._integral = 0.0
            if holding:
                brake = p.hold_brake_force_N
            elif force < 0.0:
                brake = min(-force, p.max_brake_force_N)
        return VcuCommand(
            state=st,
            torque_request_Nm=torque,
            torque_limit_motoring_Nm=p.max_torque_Nm,
            torque_limit_regen_Nm=self.regen_limit_Nm(v * 3.6),
            hv_request=st in (VcuState.HV_REQUESTED, VcuState.DRIVE, VcuState.SHUTDOWN),
            drive_enable=st == VcuState.DRIVE,
            brake_force_N=brake,
            speed_target_kph=target_kph,
        )
